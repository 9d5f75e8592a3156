"""Where a network reaches: member organisations per area on a date, as JSON and GeoJSON.

The caller's view is decided once, in api.coverage.coverage_for, and what each view shows in
geo.disclosure: the network's board and secretariat get the internal view (names, districts);
everyone else the listed view (only organisations listed publicly, exact, no names, provinces at
most), or, asked for and where the network publishes it, the reach view (every active member,
today, by province, small counts withheld).
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.coverage import MapRequest, coverage_for
from api.extensions import Blueprint, Schema, Text
from geo.coverage import AreaStatus, Coverage, View

blp = Blueprint("coverage", __name__, url_prefix="/api/v1",
                description="Coverage of a network's member organisations per area")

NETWORK = "/networks/<public_id:network_id>"
WHO = ("anyone who may see the network; its board and secretariat get names and districts, "
       "everyone else only publicly listed organisations (or, for a network that publishes it, its "
       "reach), without names, at province level at most")


class CoverageQuery(Schema):
    view = fields.Enum(View, by_value=True, validate=validate.OneOf([View.LISTED, View.REACH]), metadata={
        "description": "listed: only organisations listed publicly, exact. reach: every active member, "
                       "today, by province (countries for a regional network), small counts withheld; "
                       "only for a network that publishes its reach. Default: the internal view for the "
                       "network's board and secretariat, listed for everyone else."})
    level = fields.Integer(validate=validate.Range(0, 2), metadata={
        "description": "0 countries, 1 provinces (the default), 2 districts."})
    set = Text(validate=validate.Length(1, 64), metadata={
        "description": "A boundary set key, e.g. vn-63-2008 (default: the set valid on the date)."})
    on = fields.Date(metadata={"description": "As of this date (default: today)."})
    priority_area = Text(validate=validate.Length(1, 64))
    population = Text(validate=validate.Length(1, 64))
    service = Text(validate=validate.Length(1, 64))


class AreaCoverageSchema(Schema):
    code = fields.String()
    name = fields.String()
    status = fields.Enum(AreaStatus, by_value=True, metadata={
        "description": "no_data (outside what the network covers), none, masked (withheld, reach "
                       "view only) or counted."})
    count = fields.Integer(allow_none=True, metadata={"description": "None when withheld or no data."})
    label = fields.String(metadata={"example": "3 listed member organisations"})
    organisations = fields.List(fields.String(), metadata={"description": "Internal view only."})


class BoundarySetSchema(Schema):
    key = fields.String(attribute="id")
    title = fields.String()
    level = fields.Integer()
    attribution = fields.String()


class CoverageSchema(Schema):
    summary = fields.String(metadata={"example": "23 listed member organisations in 15 of 34 provinces"})
    view = fields.Enum(View, by_value=True, metadata={"description": "internal, listed or reach."})
    note = fields.String(metadata={"description": "What this view counts, in one sentence."})
    public = fields.Boolean(metadata={"description": "True for the listed and reach views (no names)."})
    threshold = fields.Integer(allow_none=True, metadata={
        "description": "Reach view: counts below this are withheld. None in the other views."})
    organisations = fields.Integer(allow_none=True, metadata={"description": "None when withheld."})
    areas_covered = fields.Integer()
    areas_in_scope = fields.Integer()
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    boundary_set = fields.Nested(BoundarySetSchema)
    gaps = fields.List(fields.String(), metadata={
        "description": "Codes of areas where the view counts no organisation (in the listed view: no "
                       "listed member organisation)."})
    areas = fields.List(fields.Nested(AreaCoverageSchema))


class GeoJSONSchema(Schema):
    """A FeatureCollection; the set and the totals travel as GeoJSON foreign members."""

    type = fields.String(metadata={"example": "FeatureCollection"})
    boundary_set = fields.String(metadata={"example": "vn-34-2025"})
    attribution = fields.String()
    view = fields.Enum(View, by_value=True)
    note = fields.String()
    public = fields.Boolean()
    threshold = fields.Integer(allow_none=True)
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    summary = fields.String()
    organisations = fields.Integer(allow_none=True)
    areas_covered = fields.Integer()
    areas_in_scope = fields.Integer()
    not_on_map = fields.Integer(allow_none=True)
    features = fields.List(fields.Dict(), metadata={
        "description": "One Feature per area: properties code, name, status, count, label "
                       "(and organisations in the internal view)."})


def _coverage(args: dict[str, Any], network_id: str) -> Coverage:
    from flask import current_app

    request = MapRequest(level=args.get("level"), set_key=args.get("set"), on=args.get("on"),
                         threshold=current_app.config["PUBLIC_COUNT_THRESHOLD"],
                         priority_area=args.get("priority_area"), population=args.get("population"),
                         service=args.get("service"))
    return coverage_for(database.session(), current_actor(), network_id, request, args.get("view"))


@blp.route(NETWORK + "/coverage")
@blp.access(None, WHO)
@blp.arguments(CoverageQuery, location="query")
@blp.response(200, CoverageSchema)
def coverage(args: dict[str, Any], network_id: str) -> dict[str, Any]:
    """Member organisations per area, with totals and gaps"""
    found = _coverage(args, network_id)
    return {"summary": found.summary(), "view": found.view, "note": found.note, "public": found.public,
            "threshold": found.threshold if found.view is View.REACH else None,
            "organisations": found.organisations, "areas_covered": found.areas_covered,
            "areas_in_scope": found.areas_in_scope, "filters": found.filters,
            "boundary_set": found.boundary_set, "gaps": [a.code for a in found.gaps()], "areas": found.areas}


@blp.route(NETWORK + "/coverage.geojson")
@blp.access(None, WHO)
@blp.arguments(CoverageQuery, location="query")
@blp.response(200, GeoJSONSchema, content_type="application/geo+json")
def coverage_geojson(args: dict[str, Any], network_id: str) -> Response:
    """The same coverage as a GeoJSON FeatureCollection of areas"""
    # A Response passes flask-smorest untouched, so it keeps GeoJSON's own media type.
    return Response(json.dumps(_coverage(args, network_id).to_geojson()), mimetype="application/geo+json")
