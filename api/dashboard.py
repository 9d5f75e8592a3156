"""The web dashboard: the public network list and maps, and the board's view of its network.

Server-rendered pages. Who is asking comes from the web session (api/web/signin.py), as on
every page. Maps are separate documents shown in sandboxed frames; their Leaflet files are
served from this app, copied from the installed PyPI package, never from a CDN.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, Response, abort, current_app, make_response, redirect, render_template,
                   request, send_from_directory, url_for)
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database
from api.auth import current_actor
from api.coverage import (MapRequest, area_tallies, configured_tiles, coverage_csv, network_coverage, network_map_html,
                          tally_of)
from api.headers import shown_in_frame
from api.i18n import locale_code
from geo import disclosure
from geo.coverage import AreaStatus, View
from geo.errors import GeoError
from geo.offline import install_assets
from registry.areas import services as areas
from registry.networks import directory
from registry.governance import services as governance
from registry.vocabularies import services as vocabularies
from registry.elections.phases import latest_certified_result
from registry.elections.results import format_result
from registry.errors import NotFound, RegistryError
from registry.organisations.models import Organisation, OrganisationKind
from registry.access.permissions import Permission, can
from registry.networks.summaries import growth, network_summary, public_networks
from registry.vocabularies.models import Vocabulary

blp = Blueprint("dashboard", __name__)
VENDOR_PREFIX = "/static/vendor/"
LEVELS = (("0", _l("countries")), ("1", _l("provinces")), ("2", _l("districts")))


def init_app(app: Flask) -> None:
    """Copy Leaflet from its package into the instance folder and register the pages."""
    vendor = Path(app.instance_path) / "vendor"
    install_assets(vendor)
    app.extensions["registry.vendor_dir"] = vendor
    app.register_blueprint(blp)


@blp.get("/static/vendor/<path:filename>")
def vendor(filename: str) -> Response:
    return send_from_directory(current_app.extensions["registry.vendor_dir"], filename, max_age=86400)


@blp.get("/dashboard/")
def public() -> str:
    return render_template("dashboard/public.html", networks=public_networks(database.session()),
                           threshold=current_app.config["PUBLIC_COUNT_THRESHOLD"], kinds=KINDS)


@blp.get("/dashboard/networks/<public_id:network_id>/map")
def network_map(network_id: str) -> str:
    session = database.session()
    view = _view()
    network = _network(network_id, internal=view is View.INTERNAL)
    form = {key: request.args.get(key, "") for key in ("on", "compare", "level", *_FILTERS)}
    form["level"] = form["level"] or "1"
    if view is View.REACH:
        form = {}  # one table: today, the set in force, no filters
    hidden = [("view", "internal")] if view is View.INTERNAL else []
    views = [] if view is View.INTERNAL or not network.publishes_reach else [
        (View.LISTED.value, _("listed member organisations")),
        (View.REACH.value, _("reach: every member, by province"))]
    lineage = [network.id]
    vocab = [(name, VOCABULARY_NAMES[v], [(t.code, t.label(locale_code()))
                                          for t in vocabularies.terms(session, v, network_ids=lineage)])
             for name, v in _FILTERS.items()]
    query = {**{k: v for k, v in form.items() if v}, **dict(hidden)}
    if view is View.REACH:
        query["view"] = View.REACH.value
    note = disclosure.note(view, current_app.config["PUBLIC_COUNT_THRESHOLD"])
    return render_template("dashboard/map.html", network=network, form=form, hidden=hidden, view=view.value,
                           views=views, note=note, levels=LEVELS, vocabularies=vocab, refusal=None,
                           map_url=url_for("dashboard.map_document", network_id=network.public_id, **query))


@blp.get("/maps/networks/<public_id:network_id>.html")
@shown_in_frame
def map_document(network_id: str) -> Response:
    view = _view()
    network = _network(network_id, internal=view is View.INTERNAL)
    try:
        map_request = _map_request(view)
        html = network_map_html(database.session(), network, map_request, static_prefix=VENDOR_PREFIX,
                                tiles=_tiles())
    except (GeoError, RegistryError, ValueError) as refused:
        reasons = getattr(refused, "reasons", None) or [getattr(refused, "message", str(refused))]
        return make_response(render_template("dashboard/map_refused.html", reasons=reasons), 422)
    return make_response(html)


@blp.get("/dashboard/board/<public_id:network_id>")
def board(network_id: str) -> str | WerkzeugResponse:
    session = database.session()
    if not current_actor().signed_in:
        return redirect(url_for("signin.sign_in"))
    network = _network(network_id, internal=True)
    coverage = network_coverage(session, network, MapRequest(level=1))
    points = growth(session, network)
    first_year_end = points[0].on if points else dt.date.today()
    maps = [(_("Provinces, today and at the end of the first year"),
             url_for("dashboard.map_document", network_id=network.public_id, view="internal",
                     compare=first_year_end.isoformat()))]
    if network.country and any(s.country == network.country for s in areas.sets_for(session, 2, dt.date.today())):
        maps.append((_("Districts"), url_for("dashboard.map_document", network_id=network.public_id,
                                          view="internal", level=2)))
    summary = network_summary(session, network)
    tally = tally_of(coverage)
    language = locale_code()
    labels = {t.code: t.label(language) for t in vocabularies.terms(session, Vocabulary.PRIORITY_AREA)}
    return render_template(
        "dashboard/board.html", network=network, summary=summary, maps=maps, headline=_headline(summary, coverage),
        counted_on=_("Areas are counted on %(boundary_set)s, as the maps count them.", boundary_set=tally.boundary_set),
        by_area=sorted(((a.name, a.code, a.count) for a in coverage.areas if a.status is AreaStatus.COUNTED),
                       key=lambda a: (-(a[2] or 0), a[0])),
        by_priority_area=[(labels.get(code, code), n) for code, n in summary.priority_areas.items()],
        # Each year's areas on the set in force that day, as that day's map counts them.
        growth=[(point, tally.covered)
                for point, tally in zip(points, area_tallies(session, network, [p.on for p in points]), strict=True)],
        bodies=[(body, governance.composition(session, current_actor(), body))
                for body in governance.bodies_of(session, network.id)],
        result=(result := latest_certified_result(session, current_actor(), network)),
        result_text=format_result(result, _, ngettext) if result else None,
        method_label=_(result.method_label) if result else None)


@blp.get("/dashboard/board/<public_id:network_id>/areas.csv")
def board_areas(network_id: str) -> Response | WerkzeugResponse:
    """The board's table of member organisations by area, as a spreadsheet."""
    if not current_actor().signed_in:
        return redirect(url_for("signin.sign_in"))
    network = _network(network_id, internal=True)
    coverage = network_coverage(database.session(), network, MapRequest(level=1))
    response = make_response(coverage_csv(coverage))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="network-{network.public_id}-areas.csv"'
    return response


def _headline(summary: Any, coverage: Any) -> str:
    """e.g. "32 member organisations in 21 of 34 provinces (1 country) today.", in the reader's
    language, the areas counted as the map counts them."""
    return _("%(members)s in %(areas)s (%(countries)s) today.",
             members=ngettext("%(num)s member organisation", "%(num)s member organisations", summary.members),
             areas=disclosure.areas(coverage.areas_covered, coverage.areas_in_scope, coverage.boundary_set.level),
             countries=ngettext("%(num)s country", "%(num)s countries", len(summary.countries)))


VOCABULARY_NAMES = {Vocabulary.PRIORITY_AREA: _l("priority area"), Vocabulary.POPULATION: _l("population"),
                    Vocabulary.SERVICE: _l("service")}
KINDS = {OrganisationKind.COMMUNITY_ORGANISATION: _l("community organisation"),
         OrganisationKind.NATIONAL_NETWORK: _l("national network"),
         OrganisationKind.REGIONAL_NETWORK: _l("regional network"),
         OrganisationKind.GLOBAL_NETWORK: _l("global network")}
_FILTERS = {"priority_area": Vocabulary.PRIORITY_AREA, "population": Vocabulary.POPULATION,
            "service": Vocabulary.SERVICE}


def _network(network_id: str, *, internal: bool) -> Organisation:
    """The network if the caller may see it: listed publicly, or (internal) readable by its board.
    One the caller may not know of is not found, exactly as one that does not exist."""
    session = database.session()
    try:
        network = directory.find_network(session, current_actor(), network_id)
    except NotFound:
        abort(404)
    if internal:
        if not can(session, current_actor(), Permission.READ_INTERNAL, network.id):
            abort(403)
    elif not network.listed_publicly:
        abort(404)  # an unlisted network does not exist for the public
    return network


def _view() -> View:
    """The view a page asks for: internal (the board's, checked by _network), reach, or by
    default the listed view."""
    asked = request.args.get("view")
    return View(asked) if asked in (View.INTERNAL, View.REACH) else View.LISTED


def _map_request(view: View) -> MapRequest:
    args = request.args
    try:
        level = int(args["level"]) if args.get("level") else None
        on = dt.date.fromisoformat(args["on"]) if args.get("on") else None
        compare = dt.date.fromisoformat(args["compare"]) if args.get("compare") else None
    except ValueError:
        raise ValueError(_("the level is 0, 1 or 2, and dates are written YYYY-MM-DD")) from None
    if level not in (None, 0, 1, 2):
        raise ValueError(_("the level is 0, 1 or 2, and dates are written YYYY-MM-DD"))
    return MapRequest(level=level, on=on, compare_on=compare, view=view,
                      threshold=current_app.config["PUBLIC_COUNT_THRESHOLD"],
                      **{k: args.get(k) or None for k in _FILTERS})


def _tiles() -> tuple[str, str] | None:
    return configured_tiles(current_app.config)
