"""The framework as subclassed once (api/extensions.py): what the OpenAPI description says a
field accepts is what the field accepts, so a client that follows the description is never
refused for a value it allows, nor surprised by one it forbids."""

from __future__ import annotations

import jsonschema_rs
import marshmallow as ma
import pytest
from werkzeug.http import parse_etags

from api.extensions import IF_MATCH, PlausibleDate, Text, WholeNumber
from registry.organisations.rules import storable
from registry.vocabularies.models import LANGUAGES


def accepts(field: ma.fields.Field, value: object) -> bool:
    try:
        field.deserialize(value)
    except ma.ValidationError:
        return False
    return True


@pytest.mark.parametrize("multiline", [False, True])
def test_text_is_described_as_refusing_exactly_the_characters_the_registry_does_not_keep(multiline):
    described = jsonschema_rs.validator_for({"type": "string", "pattern": Text(multiline=multiline).metadata["pattern"]})
    noncharacters = [*range(0xFDCF, 0xFDF1), *(plane << 16 | last for plane in range(17) for last in (0xFFFD, 0xFFFE,
                                                                                                      0xFFFF))]
    for code in [*range(0x250), 0x2028, 0xFEFF, 0x1F600, *noncharacters, 0x20000, 0x10000]:
        text = f"a{chr(code)}b"
        assert described.is_valid(text) == storable(text, multiline=multiline), hex(code)


@pytest.mark.parametrize("multiline", [False, True])
def test_text_that_may_not_be_blank_is_described_as_needing_more_than_spaces(multiline):
    field = Text(multiline=multiline, blank=False)
    described = jsonschema_rs.validator_for({"type": "string", "pattern": field.metadata["pattern"]})
    for code in [*range(0x3001), 0xFEFF, 0x1F600]:  # every space str.strip() knows is below U+3001
        for text in (chr(code), f" {chr(code)}\u3000"):
            assert described.is_valid(text) == accepts(field, text), (hex(code), text)


def test_a_whole_number_is_what_json_calls_an_integer():
    field = WholeNumber()
    assert field.deserialize(80) == 80 and field.deserialize(80.0) == 80
    for refused in (2.5, "80", True, float("inf"), float("nan")):
        assert not accepts(field, refused), refused


def test_a_plausible_date_is_described_by_its_range():
    described = jsonschema_rs.validator_for({"type": "string", "format": "date", "pattern": PlausibleDate.PATTERN},
                                            validate_formats=True)
    for text in ("1899-12-31", "1900-01-01", "2024-02-29", "2023-02-29", "2199-12-31", "2200-01-01",
                 "0001-01-01", "9999-12-31"):
        assert described.is_valid(text) == accepts(PlausibleDate(), text), text


def test_if_match_is_described_as_the_entity_tags_that_make_a_precondition():
    described = jsonschema_rs.validator_for(IF_MATCH["schema"])
    for value in ('"organisations-1-v2"', 'W/"organisations-1-v2"', "*", '"a", "b"', '""'):
        assert described.is_valid(value) and parse_etags(value), value
    for value in ("", " ", ",", '"', '"a'):  # each a missing precondition (428) to the server
        assert not described.is_valid(value) and not parse_etags(value), value


def test_a_dict_s_keys_are_described_when_they_are_narrower_than_any_string(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert schemas["NewTerm"]["properties"]["labels"]["propertyNames"]["enum"] == list(LANGUAGES)
    assert schemas["ProfileChange"]["properties"]["name_translations"]["propertyNames"]["maxLength"] == 3
    assert "propertyNames" not in schemas["HistoryEntry"]["properties"]["changes"]


def test_an_operation_is_described_as_needing_a_token_exactly_when_it_needs_a_permission(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["security"] == [{}, {"bearer": []}]  # anonymous callers are welcome by default
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            needs_token = operation.get("security") == [{"bearer": []}]
            assert needs_token == ("x-permission" in operation), f"{method.upper()} {path}"
