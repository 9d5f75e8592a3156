"""The framework as subclassed once (api/extensions.py): what the OpenAPI description says a
field accepts is what the field accepts, so a client that follows the description is never
refused for a value it allows, nor surprised by one it forbids."""

from __future__ import annotations

import marshmallow as ma

from api.extensions import WholeNumber


def accepts(field: ma.fields.Field, value: object) -> bool:
    try:
        field.deserialize(value)
    except ma.ValidationError:
        return False
    return True


def test_a_whole_number_is_what_json_calls_an_integer():
    field = WholeNumber()
    assert field.deserialize(80) == 80 and field.deserialize(80.0) == 80
    for refused in (2.5, "80", True, float("inf"), float("nan")):
        assert not accepts(field, refused), refused


