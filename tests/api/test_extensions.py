"""The framework as subclassed once (api/extensions.py): what the OpenAPI description says a
field accepts is what the field accepts, so a client that follows the description is never
refused for a value it allows, nor surprised by one it forbids."""

from __future__ import annotations

import collections
import datetime as dt
import enum
import json

import jsonschema_rs
import marshmallow as ma
import pytest
from werkzeug.http import parse_etags

from api.extensions import IF_MATCH, PlausibleDate, PublicId, Schema, Text, WholeNumber
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


class _Kind(enum.StrEnum):
    NETWORK = "network"


class _Person:
    """An object read by attribute (marshmallow reads one without __getitem__ so)."""

    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)


def _fields() -> dict[str, ma.fields.Field]:
    """Every kind of field the API's schemas dump, and the ways marshmallow reads a value."""
    return {
        "id": PublicId(attribute="public_id"),
        "name": ma.fields.String(),
        "label": Text(allow_none=True),
        "kind": ma.fields.Enum(_Kind, by_value=True, allow_none=True),
        "kind_name": ma.fields.Enum(_Kind, attribute="kind", dump_only=True),
        "count": ma.fields.Integer(allow_none=True),
        "count_text": ma.fields.Integer(as_string=True, attribute="count", dump_only=True),
        "ratio": ma.fields.Float(),
        "flag": ma.fields.Boolean(),
        "codes": ma.fields.List(ma.fields.String()),
        "kinds": ma.fields.List(ma.fields.Enum(_Kind, by_value=True)),
        "names": ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        "when": ma.fields.DateTime(),
        "on": ma.fields.Date(allow_none=True),
        "friend": ma.fields.Nested(lambda: FastPerson(only=("name", "kind"))),
        "items": ma.fields.String(),  # a dict's attribute: marshmallow reads a missing key as it
        "city": ma.fields.String(attribute="address.city"),
        "shown": ma.fields.String(dump_default="default"),
        "renamed": ma.fields.String(data_key="renamedKey"),
        "method": ma.fields.Method("say"),
        "raw": ma.fields.Raw(),
    }


class FastPerson(Schema):
    def say(self, obj: object) -> str:
        return "said"


class PlainPerson(ma.Schema):
    def say(self, obj: object) -> str:
        return "said"


FastPerson._declared_fields.update(_fields())
PlainPerson._declared_fields.update(_fields())
PlainPerson._declared_fields["friend"] = ma.fields.Nested(lambda: PlainPerson(only=("name", "kind")))


@pytest.mark.parametrize("shape", [dict, _Person, collections.OrderedDict])
def test_a_schema_dumps_exactly_what_marshmallow_dumps(shape):
    when = dt.datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)
    values = [
        {"public_id": "0RG000000001", "name": "Nhóm Hà Nội", "label": None, "kind": _Kind.NETWORK, "count": 3,
         "ratio": 2, "flag": 1, "codes": ["a", _Kind.NETWORK, 4], "kinds": [_Kind.NETWORK],
         "names": {"vi": "Nhóm", "en": _Kind.NETWORK}, "when": when, "on": dt.date(2024, 3, 1),
         "friend": {"name": "B", "kind": None, "count": 9}, "items": "kept", "address": {"city": "Hà Nội"},
         "shown": None, "renamed": "r", "raw": {"any": [1, 2]}},
        {"public_id": "0RG000000002", "name": _Kind.NETWORK, "kind": None, "count": True, "flag": "yes",
         "codes": None, "friend": None, "label": "x"},
        {"name": "only a name", "count": 2.0, "codes": ("b", "c")},  # strings only: copied whole
        {},
    ]
    for value in values:
        obj = shape(**value)
        assert FastPerson().dump(obj) == PlainPerson().dump(obj), value
        assert json.dumps(FastPerson().dump(obj), default=str) == json.dumps(PlainPerson().dump(obj), default=str)
    objects = [shape(**v) for v in values]
    assert FastPerson(many=True).dump(objects) == PlainPerson(many=True).dump(objects)


def test_only_fields_read_plainly_skip_marshmallow():
    plan = {name: write for name, _key, _attribute, _kept, write, _field in FastPerson()._plan()}
    assert all(plan[name] for name in ("id", "name", "kind", "count", "codes", "names", "when", "friend", "raw"))
    assert all(plan[name] is None for name in ("items", "city", "shown", "method"))
    # An object's attribute named as a dict's method (a page's items) is read plainly.
    of_object = {name: write for name, _key, _attribute, _kept, write, _field in FastPerson()._plan(of_dict=False)}
    assert of_object["items"] and all(of_object[name] is None for name in ("city", "shown", "method"))
