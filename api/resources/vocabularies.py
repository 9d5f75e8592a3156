"""Vocabularies: NSWP's priority areas, populations and services, labelled in the caller's
language; and the populations and services a network adds for its own members."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, PublicId, Schema, Text
from api.i18n import from_accept_language
from registry.networks import directory
from registry.organisations.models import Organisation
from registry.access.permissions import Permission
from registry.access.public_ids import public_ids_of
from registry.vocabularies.models import CODE_RULE, EXTENSIBLE, FALLBACK_LANGUAGE, LANGUAGES, Term, Vocabulary
from registry.vocabularies.services import define_term, find_extension, relabel_term

blp = Blueprint("vocabularies", __name__, url_prefix="/api/v1",
                description="Controlled vocabularies, labelled per Accept-Language")


class TermSchema(Schema):
    code = fields.String()
    label = fields.String()
    network_id = PublicId(allow_none=True, metadata={
        "description": "The network that added it; None: NSWP's core term."})


class VocabulariesSchema(Schema):
    language = fields.String(metadata={"description": f"The language of the labels, one of {', '.join(LANGUAGES)}."})
    priority_areas = fields.List(fields.Nested(TermSchema))
    populations = fields.List(fields.Nested(TermSchema))
    services = fields.List(fields.Nested(TermSchema))


class VocabularyQuery(Schema):
    network_id = PublicId(metadata={
        "description": "A network's public id: include the terms this network (and those above it) added "
                       "for their members."})


@blp.route("/vocabularies")
@blp.access(None)
@blp.arguments(VocabularyQuery, location="query")
@blp.response(200, VocabulariesSchema, headers={
    "Content-Language": {"description": "The labels' language", "schema": {"type": "string"}}})
def vocabularies(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """List priority areas, populations and services"""
    language = from_accept_language()
    session = database.session()
    found = directory.vocabulary_for(session, current_actor(), args.get("network_id"))
    networks = public_ids_of(session, Organisation, (t.network_id for terms in found.values() for t in terms))
    keys = {Vocabulary.PRIORITY_AREA: "priority_areas", Vocabulary.POPULATION: "populations",
            Vocabulary.SERVICE: "services"}
    body: dict[str, Any] = {"language": language}
    for vocabulary, key in keys.items():
        body[key] = [{"code": t.code, "label": t.label(language), "network_id": networks.get(t.network_id)}
                     for t in found[vocabulary]]
    return body, {"Content-Language": language, "Vary": "Accept-Language"}


NETWORK_TERMS = "/networks/<public_id:network_id>/terms"
NETWORK_TERM = NETWORK_TERMS + "/<any(population,service):vocabulary>/<string(maxlength=64):code>"
EXTENDERS = "the secretariat of the network or of a network above it"
_LABELS = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                      values=Text(blank=False, validate=validate.Length(min=1, max=200)), required=True,
                      metadata={"description": f"Label per language ({', '.join(LANGUAGES)}); "
                                               "English is required.", "required": [FALLBACK_LANGUAGE]})


class NetworkTermSchema(Schema):
    vocabulary = fields.String(metadata={"description": "population or service."})
    code = fields.String()
    labels = fields.Dict(keys=fields.String(), values=fields.String())
    network_id = PublicId()


class NewTermSchema(Schema):
    vocabulary = fields.String(required=True, validate=validate.OneOf(sorted(v.value for v in EXTENSIBLE)))
    code = Text(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "Lowercase letters, digits and '-', unique across the registry.", "pattern": CODE_RULE.pattern})
    labels = _LABELS


class RelabelSchema(Schema):
    labels = _LABELS


def _term(term: Term, network: Organisation) -> dict[str, Any]:
    return {"vocabulary": term.vocabulary.value, "code": term.code, "labels": term.labels,
            "network_id": network.public_id}


def _etag(term: Term) -> dict[str, Any]:
    return {"term": term.id, "labels": term.labels}


@blp.route(NETWORK_TERMS, methods=["POST"])
@blp.access(Permission.EXTEND_VOCABULARY, EXTENDERS)
@blp.etag
@blp.arguments(NewTermSchema, example={"vocabulary": "service", "code": "sample-night-outreach", "labels": {
    "en": "Night outreach (sample)", "vi": "Tiếp cận ban đêm (mẫu)", "km": "ការចុះជួបពេលយប់ (គំរូ)"}})
@blp.response(201, NetworkTermSchema)
def add_term(body: dict[str, Any], network_id: str) -> dict[str, Any]:
    """Add a population or service for a network's members"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    term = define_term(session, actor, Vocabulary(body["vocabulary"]), body["code"], body["labels"],
                       network_id=network.id)
    blp.set_etag(_etag(term))
    return _term(term, network)


@blp.route(NETWORK_TERM)
@blp.access(None, "anyone who may see the network")
@blp.etag
@blp.response(200, NetworkTermSchema)
def read_term(network_id: str, vocabulary: str, code: str) -> dict[str, Any]:
    """Read a term a network added, with its labels in every language"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    term = find_extension(session, network.id, Vocabulary(vocabulary), code)
    blp.set_etag(_etag(term))
    return _term(term, network)


@blp.route(NETWORK_TERM, methods=["PUT"])
@blp.access(Permission.EXTEND_VOCABULARY, EXTENDERS)
@blp.etag
@blp.arguments(RelabelSchema, example={"labels": {
    "en": "Night-time outreach (sample)", "vi": "Tiếp cận ban đêm (mẫu)", "km": "ការចុះជួបពេលយប់ (គំរូ)"}})
@blp.response(200, NetworkTermSchema)
def relabel(body: dict[str, Any], network_id: str, vocabulary: str, code: str) -> dict[str, Any]:
    """Replace the labels of a term a network added (e.g. a reviewed translation)"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    term = find_extension(session, network.id, Vocabulary(vocabulary), code)
    blp.check_etag(_etag(term))
    relabel_term(session, actor, term, body["labels"])
    blp.set_etag(_etag(term))
    return _term(term, network)
