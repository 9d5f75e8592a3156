"""Vocabularies: NSWP's priority areas, populations and services, labelled in the caller's language."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, Schema
from api.resources.organisations import MAX_ID
from registry import directory
from registry.vocabularies import FALLBACK_LANGUAGE, LANGUAGES, Vocabulary

blp = Blueprint("vocabularies", __name__, url_prefix="/api/v1",
                description="Controlled vocabularies, labelled per Accept-Language")


class TermSchema(Schema):
    code = fields.String()
    label = fields.String()
    network_id = fields.Integer(allow_none=True, metadata={"description": "None: NSWP's core term."})


class VocabulariesSchema(Schema):
    language = fields.String(metadata={"description": f"The language of the labels, one of {', '.join(LANGUAGES)}."})
    priority_areas = fields.List(fields.Nested(TermSchema))
    populations = fields.List(fields.Nested(TermSchema))
    services = fields.List(fields.Nested(TermSchema))


class VocabularyQuery(Schema):
    network_id = fields.Integer(validate=validate.Range(1, MAX_ID), metadata={
        "description": "Include the terms this network (and those above it) added for their members."})


@blp.route("/vocabularies")
@blp.access(None)
@blp.arguments(VocabularyQuery, location="query")
@blp.response(200, VocabulariesSchema, headers={
    "Content-Language": {"description": "The labels' language", "schema": {"type": "string"}}})
def vocabularies(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """List priority areas, populations and services"""
    language = request.accept_languages.best_match(LANGUAGES, default=FALLBACK_LANGUAGE)
    found = directory.vocabulary_for(database.session(), current_actor(), args.get("network_id"))
    keys = {Vocabulary.PRIORITY_AREA: "priority_areas", Vocabulary.POPULATION: "populations",
            Vocabulary.SERVICE: "services"}
    body: dict[str, Any] = {"language": language}
    for vocabulary, key in keys.items():
        body[key] = [{"code": t.code, "label": t.label(language), "network_id": t.network_id}
                     for t in found[vocabulary]]
    return body, {"Content-Language": language, "Vary": "Accept-Language"}
