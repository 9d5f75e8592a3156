"""The gazetteer: the areas an organisation may say it serves, with their codes and their names
in every language the boundary data gives, so that a person (or a form) can find the code of a
place written in Khmer, Lao, Vietnamese or a romanisation."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import fields, validate

from api import database
from api.extensions import Blueprint, PageQuery, Schema, Text, page_of
from registry.db import Page
from registry.areas.place_names import Listed, list_places
from registry.vocabularies.models import FALLBACK_LANGUAGE, LANGUAGES

blp = Blueprint("areas", __name__, url_prefix="/api/v1", description="Areas and their codes")


class AreaSchema(Schema):
    code = fields.String(metadata={"example": "KH-1201"})
    name = fields.String(metadata={"description": "In the caller's language where the data has it.",
                                   "example": "Chamkar Mon"})
    names = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "The name per language, as the boundary data gives it."})
    level = fields.Integer(metadata={"description": "0 a country, 1 a province, 2 a district or khan."})
    country = fields.String(metadata={"example": "KH"})
    parent_code = fields.String(allow_none=True, metadata={"example": "KH-12"})
    boundary_set = fields.String(metadata={"description": "The key of the boundary set it is taken from."})


class AreaQuery(PageQuery):
    country = Text(validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={"example": "KH", "pattern": "^[A-Za-z]{2}$"})
    level = fields.Integer(validate=validate.Range(0, 2))
    on = fields.Date(metadata={"description": "Boundary sets in force on this date (default: today)."})
    name = Text(validate=validate.Length(min=1, max=200), metadata={
        "description": "A place as a person writes it, in any script, with or without words like "
                       "'province', 'tỉnh', 'ខេត្ត' or 'ແຂວງ'.", "example": "ខណ្ឌចំការមន"})


@blp.route("/areas")
@blp.access(None)
@blp.arguments(AreaQuery, location="query")
@blp.response(200, page_of(AreaSchema), headers={
    "Content-Language": {"description": "The language of `name`", "schema": {"type": "string"}}})
def list_areas(args: dict[str, Any]) -> tuple[Page[dict[str, Any]], dict[str, str]]:
    """List areas and their codes"""
    language = request.accept_languages.best_match(LANGUAGES, default=FALLBACK_LANGUAGE)
    found = list_places(database.session(), **args)
    items = [_item(listed, language) for listed in found.items]
    return (Page(items, found.total, found.page, found.page_size),
            {"Content-Language": language, "Vary": "Accept-Language"})


def _item(listed: Listed, language: str) -> dict[str, Any]:
    area = listed.area
    return {"code": area.code, "name": (area.names or {}).get(language) or area.name,
            "names": dict(area.names or {}), "level": area.level, "country": area.country,
            "parent_code": area.parent_code, "boundary_set": listed.boundary_set.key}
