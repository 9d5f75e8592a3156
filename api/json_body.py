"""The one parser of JSON request bodies, with bounds no real body comes near.

The standard library's parser recurses once per level of nesting and turns any run of digits
into an int, so a body of a few hundred kilobytes can exhaust the stack or the CPU. Here the
depth is measured before parsing (without recursion), integer literals are at most 20 digits
(any 64-bit integer fits), and NaN, Infinity or a number past a float, which JSON does not
have, are refused. Flask's JSON provider and the arguments parser of every Blueprint
(api.extensions) both parse through `loads`, and a refusal is a 400 in the one error shape.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from api.i18n import say
from registry.errors import N_, Said

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 20
RULES = (f"a JSON body may nest at most {MAX_DEPTH} levels deep, hold integers of at most "
         f"{MAX_INTEGER_DIGITS} digits and no NaN or Infinity")

# A string literal, escapes included; the closing quote is optional so that an unclosed string
# ends the scan in one pass (the parser then says the body is malformed).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


class BodyRefused(ValueError):
    """A JSON body past the bounds; the message says which, in plain words (`said`, in the
    reader's language where there is a reader)."""

    def __init__(self, message: str, **params: object) -> None:
        self.said = Said(message, **params)
        super().__init__(self.said)


def loads(data: str | bytes) -> Any:
    """A JSON document (UTF-8, as RFC 8259 asks of JSON between systems), within the bounds."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if _deeper_than(text, MAX_DEPTH):
        raise BodyRefused(N_("the JSON body nests deeper than %(most)s levels: send a flatter one"), most=MAX_DEPTH)
    return json.loads(text, parse_int=_integer, parse_float=_float, parse_constant=_constant)


def _deeper_than(text: str, limit: int) -> bool:
    """Whether any bracket outside strings opens more than `limit` levels deep."""
    depth = 0
    for bracket in _NOT_A_BRACKET.sub("", _STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _integer(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BodyRefused(N_("the JSON body holds an integer longer than %(most)s digits: no field takes one"),
                          most=MAX_INTEGER_DIGITS)
    return int(literal)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise BodyRefused(N_("the JSON body holds a number too large for any field"))
    return value


def _constant(name: str) -> float:
    raise BodyRefused(N_("the JSON body holds %(name)s; JSON has no NaN or Infinity: send a number or null"),
                      name=name)


class JSONProvider(DefaultJSONProvider):
    """Flask's provider (request.get_json, flask.json.loads), parsing through `loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class ArgumentsParser(FlaskParser):
    """The arguments parser of flask-smorest (webargs), which would parse bodies with json.loads
    itself: here through `loads`, and a refusal says why. A schema class a view's arguments name
    is made into a schema once, as flask-smorest makes a response's, rather than for every
    request (marshmallow copies each of its fields)."""

    def _get_schema(self, argmap: Any, req: Request) -> Any:
        if isinstance(argmap, type):
            made: dict[type, Any] = self.__dict__.setdefault("_made", {})
            if argmap not in made:
                made[argmap] = super()._get_schema(argmap, req)
            return made[argmap]
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))

    def load_json(self, req: Request, schema: Any) -> Any:
        try:
            return super().load_json(req, schema)
        except BodyRefused as refused:
            abort(400, messages={"json": [say(refused.said)]})
