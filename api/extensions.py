"""The framework, subclassed once, so resources read alike.

Api leaves error rendering to api.errors and documents errors with its one ErrorSchema.
Blueprint refuses a route that declares no access rule (`@blp.access`), documents every
operation's error responses, and tags single resources with their row's version counter
as ETag. Schema is the base of every schema; PageQuery and `page_of` are the pager: lists
take `page` and `page_size` (both bounded) and answer with an envelope saying the total.
"""

from __future__ import annotations

import datetime as dt
import functools
import http
from collections.abc import Callable
from typing import Any

import flask_smorest
import marshmallow as ma
from flask.views import MethodView
from flask_smorest.utils import prepare_response
from werkzeug.routing import BaseConverter

from api import json_body
from api.auth import current_actor
from api.errors import ErrorSchema
from registry.access import public_ids
from registry.db import PAGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, settled
from registry.errors import NotPermitted
from registry.organisations.rules import storable
from registry.access.permissions import Permission

ANYONE = "anyone, including anonymous callers; the answer is narrowed to what the caller may see"
_WRITES = {"post", "put", "patch", "delete"}
BAD_REQUEST = (f"The request is malformed: a body that is not JSON, or past the parser's bounds "
               f"({json_body.RULES}).")
# RFC 9110's If-Match: "*", or entity tags ("..." or W/"...") separated by commas.
IF_MATCH = {**flask_smorest.etag.IF_MATCH_HEADER, "description": "The ETag of the version you read, or *.",
            "schema": {"type": "string", "pattern": r'^(\*|(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")*)$'}}


class PublicIdConverter(BaseConverter):
    """A public id in a path (registry.access.public_ids: whatever the path names). Any segment matches,
    so that a malformed id meets the same 404 as a missing or hidden one (the lookup decides;
    the description gives the shape), except the one word a sibling path uses in its place
    (`members/import`, which only takes POST: a PATCH there is refused as a method, not taken
    as a membership's address)."""

    regex = r"(?!import$)[^/]+"


# The public id request examples carry: Swagger UI's "Try it out" needs one it can send; the caller
# puts a real one in its place (GET the list it comes from).
EXAMPLE_ID = "7Q2MZK4W9XHB"
PUBLIC_ID_DOC = {"type": "string", "pattern": public_ids.PATTERN, "minLength": public_ids.LENGTH,
                 "maxLength": public_ids.LENGTH, "example": EXAMPLE_ID}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Any, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        app.url_map.converters["public_id"] = PublicIdConverter
        # A bearer token is optional everywhere: without one the caller is anonymous.
        super().init_app(app, spec_kwargs={"security": [{}, {"bearer": []}], **(spec_kwargs or {})})
        self.spec.components.security_scheme("bearer", {
            "type": "http", "scheme": "bearer",
            "description": "An access token (swr_...) issued by a secretariat or the registry's operators."})
        self.ma_plugin.converter.add_attribute_function(_dict_keys)
        self.register_converter(PublicIdConverter, lambda _converter: dict(PUBLIC_ID_DOC))

    def _register_error_handlers(self) -> None:
        """api.errors registers the one HTTPException handler; smorest's would replace it."""

    def _register_responses(self) -> None:
        super()._register_responses()
        # Registered again (lazily, as smorest registers each status), in words saying what makes
        # a request malformed rather than "Bad Request".
        response = {"description": BAD_REQUEST, "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        self.spec.components.response("BAD_REQUEST", response, lazy=True)


def _dict_keys(converter: Any, field: ma.fields.Field, **_kwargs: Any) -> dict[str, Any]:
    """apispec documents what a Dict's values may be; this says what its keys may be too."""
    if not isinstance(field, ma.fields.Dict) or field.key_field is None:
        return {}
    keys = converter.field2property(field.key_field)
    # A JSON object's keys are strings anyway: say nothing unless the keys are narrower.
    return {"propertyNames": keys} if set(keys) - {"type"} else {}


# How a field writes a value its object holds (value, attribute name, object -> what is dumped).
Write = Callable[[Any, str, Any], Any]
# Names a dict answers as attributes: marshmallow reads a key missing from a dict as the attribute.
_DICT_NAMES = frozenset(dir(dict))


class Schema(ma.Schema):
    """The base of every request and response schema.

    Dumped as marshmallow dumps it, without marshmallow's per-value machinery (a list's page
    dumps 50 organisations of 30 fields): what each field reads and how it writes the value is
    worked out once per schema, and each value is read with one lookup (a dict's key, an
    object's attribute). A string a string field would write as it is, a bool, an int an
    Integer writes and a list of them are kept as they are; any other value goes to the field's
    own `_serialize`, as marshmallow would send it. A field or an object read in any other way
    (a dotted attribute, a dump default, a method field, a sequence) is dumped by marshmallow
    itself."""

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(one) for one in obj]
        if type(obj) is dict:
            read, plan = obj.get, self._plan(of_dict=True)
        elif not hasattr(obj, "__getitem__"):
            def read(name: str, default: Any) -> Any:
                return getattr(obj, name, default)
            plan = self._plan(of_dict=False)
        else:
            return super()._serialize(obj, many=False)
        dumped = self.dict_class()
        for name, key, attribute, kept, write, field in plan:
            if write is None:
                value = field.serialize(name, obj, accessor=self.get_attribute)
                if value is not ma.missing:
                    dumped[key] = value
                continue
            value = read(attribute, ma.missing)
            if value is ma.missing:
                continue
            # Most values are written as they are: no call for them.
            dumped[key] = value if kept is None or type(value) in kept else write(value, name, obj)
        return dumped

    def _plan(self, *, of_dict: bool = True) -> list[tuple[str, str, str, frozenset[type] | None, Write | None,
                                                          ma.fields.Field]]:
        """For each field dumped, in order: its name, its key in the output, the attribute or key
        it reads, the types of value it writes as they are (None: every value) and how it writes
        the others (None: marshmallow reads and writes it). `of_dict`: for a dict, whose missing
        keys marshmallow reads as its attributes (a page's `items`); an object's attribute of
        that name is read plainly."""
        kept_as = "_dump_plan_of_dict" if of_dict else "_dump_plan_of_object"
        plan = self.__dict__.get(kept_as)
        if plan is None:
            plan = self.__dict__[kept_as] = []
            plain = type(self).get_attribute is ma.Schema.get_attribute
            for name, field in self.dump_fields.items():
                attribute = field.attribute or name
                read_plainly = (plain and field._CHECK_ATTRIBUTE and field.dump_default is ma.missing
                                and "." not in attribute and not (of_dict and attribute in _DICT_NAMES))
                kept, write = _writer(field) if read_plainly else (frozenset(), None)
                plan.append((name, field.data_key or name, attribute, kept, write, field))
        return plan


_NONE = type(None)


def _writer(field: ma.fields.Field) -> tuple[frozenset[type] | None, Write]:
    """How `field` writes a value it read: the types of value its `_serialize` gives back as they
    are (None: every value), and for the others exactly its `_serialize`."""
    serialize = type(field)._serialize
    if serialize is ma.fields.Field._serialize:  # Boolean, Raw...: the value as it is
        return None, field._serialize
    if serialize in (ma.fields.String._serialize, PublicId._serialize):
        return frozenset({_NONE, str}), field._serialize
    if serialize is ma.fields.Number._serialize and field.num_type is int and not field.as_string:
        return frozenset({_NONE, int}), field._serialize
    if serialize is ma.fields.Enum._serialize and field.by_value is True \
            and type(field.field)._serialize is ma.fields.Field._serialize:
        return frozenset({_NONE}), lambda value, _name, _obj: value.value
    if serialize is ma.fields.List._serialize:
        inner = field.inner
        if type(inner)._serialize is ma.fields.Nested._serialize and not inner.many \
                and isinstance(inner.schema, Schema) and not inner.schema.many:
            # A list of nested objects (a page's items, a profile's contacts) is dumped by its
            # schema as one collection, as marshmallow dumps each item (a None item as None).
            nested = inner.schema

            def write_nested(value: Any, name: str, obj: Any) -> Any:
                if any(one is None for one in value):
                    return [None if one is None else nested.dump(one) for one in value]
                return nested.dump(value, many=True)

            return frozenset({_NONE}), write_nested
        kept, each = _writer(inner)
        if kept is None:
            return frozenset({_NONE}), lambda value, _name, _obj: list(value)

        def write_list(value: Any, name: str, obj: Any) -> Any:
            return [one if type(one) in kept else each(one, name, obj) for one in value]

        return frozenset({_NONE}), write_list
    return frozenset(), field._serialize


class Text(ma.fields.String):
    """Every string the API accepts, as registry.organisations.rules.storable has it: no control
    characters, noncharacters or lone surrogates; `multiline` allows line breaks and tabs, and
    `blank=False` refuses text that is only spaces. The description says so as a pattern
    (surrogates cannot be sent as UTF-8 at all; the noncharacters past the first plane are in it
    as themselves, which JSON writes as surrogate pairs)."""

    default_error_messages = {"control": "contains control characters or invalid code points",
                              "blank": "must not be blank"}
    _NONCHARACTERS = r"\ufdd0-\ufdef\ufffe\uffff" + "".join(chr(plane << 16 | last)
                                                             for plane in range(1, 17) for last in (0xFFFE, 0xFFFF))
    _ONE_LINE = rf"[^\u0000-\u001f\u007f-\u009f{_NONCHARACTERS}]"
    _MULTILINE = rf"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f{_NONCHARACTERS}]"
    # Neither a control character nor a space as str.strip() sees one.
    _SEEN = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

    def __init__(self, *, multiline: bool = False, blank: bool = True, **kwargs: Any) -> None:
        allowed = self._MULTILINE if multiline else self._ONE_LINE
        pattern = f"^{allowed}*$" if blank else f"^{allowed}*{self._SEEN}{allowed}*$"
        kwargs["metadata"] = {"pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.multiline, self.blank = multiline, blank

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not storable(text, multiline=self.multiline):
            raise self.make_error("control")
        if not self.blank and not text.strip():
            raise self.make_error("blank")
        return text


class PublicId(ma.fields.String):
    """A row's public id (registry.access.public_ids: an organisation's, a body's, an election's, a
    token's...), never its integer key. In a body or a query, one of another shape is refused as
    the description says; a well-formed one that names nothing the caller may see is refused alike
    whether it is hidden or missing (the lookup decides). Dumped, the attribute may be the id or
    the row itself (`attribute="network"`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {key: value for key, value in PUBLIC_ID_DOC.items() if key != "type"} | kwargs.get(
            "metadata", {})
        super().__init__(validate=ma.validate.Regexp(public_ids.PATTERN, error="not a public id"), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            value = value.public_id
        return super()._serialize(value, attr, obj, **kwargs)


class PlausibleDate(ma.fields.Date):
    """A date from 1900 to 2199: far outside any real term or membership a date is a typo, and
    date arithmetic on it would overflow. The description says so as a pattern."""

    RANGE = ma.validate.Range(dt.date(1900, 1, 1), dt.date(2199, 12, 31))
    PATTERN = r"^(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": self.PATTERN, **kwargs.get("metadata", {})}
        super().__init__(validate=self.RANGE, **kwargs)


class WholeNumber(ma.fields.Integer):
    """An integer in a JSON body, as JSON's `integer` means it: 80 or 80.0, never 2.5, "80" or
    true. (Query strings take marshmallow's plain Integer, which parses "80".)"""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class Blueprint(flask_smorest.Blueprint):
    """The base for every resource module."""

    ARGUMENTS_PARSER = json_body.ArgumentsParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_access_doc)
        self._prepare_doc_cbks.append(self._prepare_if_match_doc)

    @staticmethod
    def access(permission: Permission | None, who: str = ANYONE) -> Callable[[Callable[..., Any]], Any]:
        """Declare who may call a view: the registry Permission its service function checks
        (None: open, with output narrowed by visibility) and, in words, who holds it."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            func._access = (permission, who)  # type: ignore[attr-defined]
            func._apidoc = {**getattr(func, "_apidoc", {}), "access": (permission, who)}  # type: ignore[attr-defined]
            if permission is None:
                return func

            @functools.wraps(func)
            def signed_in(*args: Any, **kwargs: Any) -> Any:
                # Before the request is read or anything is looked up: whatever it names, a caller
                # without a token is told to sign in (401), as the description says.
                if not current_actor().signed_in:
                    raise NotPermitted("sign in with an access token to do this")
                return func(*args, **kwargs)

            return signed_in

        return decorator

    def add_url_rule(self, rule: str, endpoint: str | None = None, view_func: Any = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        views = [getattr(view_func, m.lower()) for m in view_func.methods] \
            if isinstance(view_func, type(MethodView)) else [view_func]
        for view in views:
            if not hasattr(view, "_access"):
                raise TypeError(f"{rule}: {getattr(view, '__name__', view)} declares no access rule (@blp.access)")
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    @staticmethod
    def _prepare_access_doc(doc: dict[str, Any], doc_info: dict[str, Any], *, method: str,
                            **kwargs: Any) -> dict[str, Any]:
        permission, who = doc_info["access"]
        doc["description"] = f"**Who may call this:** {who}."
        if permission is not None:
            doc["x-permission"] = permission.value
            # A token is optional only where anyone may call: here an anonymous caller gets 401.
            doc["security"] = [{"bearer": []}]
        # 503: the database cannot serve at the moment (every operation reads it).
        statuses = [400, 401, 403, 404, 422, 429, 503] + ([409] if method in _WRITES else [])
        responses = doc.setdefault("responses", {})
        for status in statuses:
            responses.setdefault(status, http.HTTPStatus(status).name)
        return doc

    @staticmethod
    def _prepare_if_match_doc(doc: dict[str, Any], doc_info: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """flask-smorest documents If-Match as any string, though one that names no entity tag
        (empty, or a lone quote) is a missing precondition (428): say what a valid one is."""
        if "IF_MATCH" in doc.get("parameters", []):
            doc["parameters"] = [IF_MATCH if p == "IF_MATCH" else p for p in doc["parameters"]]
        return doc

    @staticmethod
    def _generate_etag(etag_data: Any, extra_data: Any = None) -> str:
        """A row with a version counter is tagged by it; `set_etag(row)` / `check_etag(row)`. A row
        with a public id is named by it: its integer key would count the rows a caller does not see."""
        if hasattr(etag_data, "__tablename__"):
            settled(etag_data)  # the version the change is stored under, not the one it was read at
        version = getattr(etag_data, "version", None)
        if isinstance(version, int) and hasattr(etag_data, "__tablename__"):
            return f"{etag_data.__tablename__}-{getattr(etag_data, 'public_id', etag_data.id)}-v{version}"
        return flask_smorest.Blueprint._generate_etag(etag_data, extra_data)


class PageQuery(Schema):
    """Query arguments every list takes; list filters subclass it."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=PAGE_MAX),
                             metadata={"description": "Page number, from 1."})
    page_size = ma.fields.Integer(load_default=PAGE_SIZE_DEFAULT,
                                  validate=ma.validate.Range(min=1, max=PAGE_SIZE_MAX),
                                  metadata={"description": f"Items a page, at most {PAGE_SIZE_MAX}."})


@functools.lru_cache(maxsize=None)
def page_of(item_schema: type[ma.Schema]) -> type[Schema]:
    """The envelope of one page of `item_schema` items (one class per item schema)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "total": ma.fields.Integer(required=True, metadata={"description": "Items in the whole list."}),
        "page": ma.fields.Integer(required=True),
        "page_size": ma.fields.Integer(required=True),
        "pages": ma.fields.Integer(required=True, metadata={"description": "Pages in the whole list."}),
    })


def version_tag(row: Any) -> str:
    """The ETag of a row with a version counter, as the API answers it: what a web form carries
    as the version it was read at, compared again when it is sent back."""
    return Blueprint._generate_etag(row)
