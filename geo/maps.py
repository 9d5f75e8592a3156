"""Coverage maps: a folium choropleth of one coverage result, or of two dates to compare.

folium and branca compile every element's rendered output again as a Jinja template, so no text
a person or a file wrote (area and organisation names, titles, labels, attributions) may ever
reach them. Their templates see only code-owned strings (element names, colours, numbers); all
other text travels as data, in one JSON blob written into the page after folium has rendered it,
which the page's own script reads and hands to Leaflet as text, never as markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import Element
from folium.map import Layer
from folium.template import Template

from geo import disclosure
from geo.boundaries import BoundarySet
from geo.classes import Classes, classes_of
from geo.coverage import AreaCoverage, AreaStatus, Coverage, View
from geo.inert import RawJSON, escape_text, js_json
from geo.offline import LEAFLET_CSS_URL, LEAFLET_JS_URL, localise_assets
from geo.packing import UNPACK_JS, pack_geometry
from geo.words import gettext as _, ngettext, number

__all__ = ["comparison_map", "coverage_map", "render_map", "view_box"]

NO_MEMBER = "#ffffff"
NO_DATA = "#bdbdbd"
NOT_SHOWN = "#d9d9d9"
UNCODED = "#ececec"
OUTLINE = "#636363"
MAX_NAMES_IN_TOOLTIP = 15
WORLD = (-180.0, -58.0, 180.0, 84.0)
# A view fitted to one small area stops at a zoom where its neighbours still show.
MAX_FIT_ZOOM = 11
# Below this width (CSS pixels) a map opens with its legend folded: a phone.
FOLD_LEGEND_BELOW = 600
# Areas that hold someone: the view is fitted to them and they are labelled where they fit.
_COVERED = (AreaStatus.COUNTED, AreaStatus.MASKED)
DATA_ID = "coverage-map-data"
# Where the title and the data go once folium has rendered the page; folium never sees them.
_DATA_MARKER = "<!-- coverage map data -->"
_INDENT = re.compile(r"\n[ \t]+")

def coverage_map(
    coverage: Coverage,
    *,
    title: str | None = None,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """A choropleth of `coverage` with legend, tooltips and the set's attribution.

    No basemap by default: tiles would be fetched from a third party on every view. Pass a
    configured tile URL (and its attribution) to have one.
    """
    data = _MapData(title, tiles, tiles_attribution, [("", coverage)])
    m = _base_map(data)
    _AreaLayer(0).add_to(m)
    _Legend().add_to(m)
    _fit(m, [coverage])
    return m


def comparison_map(
    layers: Sequence[tuple[str, Coverage]],
    *,
    title: str | None = None,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Several coverage results (e.g. "2012" on the 63 provinces, "2025" on the 34) as layers
    that a layer control switches between; the first is shown."""
    if len(layers) < 2:
        raise ValueError("a comparison needs at least two layers")
    if len({c.view for _, c in layers}) > 1:
        # One page shows one view; a mixed one would publish the internal layer's names, or
        # put exact listed counts beside withheld reach counts.
        raise ValueError("cannot mix views (public and internal, listed and reach) on one map")
    data = _MapData(title, tiles, tiles_attribution, list(layers))
    m = _base_map(data)
    shown = [_AreaLayer(i, show=i == 0).add_to(m) for i in range(len(layers))]
    _LayerSwitch(shown).add_to(m)
    _Legend().add_to(m)
    _fit(m, [c for _, c in layers])
    return m


def render_map(m: folium.Map, *, static_prefix: str | None) -> str:
    """The page as HTML. With `static_prefix` (e.g. "/static/vendor/") every script and
    stylesheet points there instead of a CDN, and any left pointing elsewhere is an error;
    None keeps folium's CDN addresses (a notebook, say), so a caller has to choose."""
    _number_elements(m.get_root())
    # Indentation is a third of what folium writes around the data; scripts and styles read
    # the same without it.
    html = _INDENT.sub("\n", m.get_root().render())
    data = next((c for c in m._children.values() if isinstance(c, _MapData)), None)
    if data is not None:
        # Only now, with folium's templates done, does anyone's text join the page.
        if html.count(_DATA_MARKER) != 1:
            raise RuntimeError("the map page lost its data marker")
        html = html.replace(_DATA_MARKER, data.html())
    return html if static_prefix is None else localise_assets(html, static_prefix)


def _number_elements(root: Element) -> None:
    """Name the page's elements in order instead of by folium's random ids: the same map is then
    the same page, byte for byte, and its ETag (api/headers.py) lets a cache revalidate it."""
    pending, number = [root], 0
    while pending:
        element = pending.pop(0)
        element._id = f"{number:032x}"
        number += 1
        pending.extend(element._children.values())


def _base_map(data: _MapData) -> folium.Map:
    m = folium.Map(location=(0, 0), zoom_start=2, tiles=None, prefer_canvas=True, control_scale=True)
    # A choropleth needs Leaflet alone; dropping jQuery, Bootstrap and the marker fonts keeps
    # the page light and the list of files to serve offline short.
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    m.get_root().header.add_child(folium.Element(_STYLE), name="coverage_style")
    data.add_to(m)  # first: every later script reads it
    if data.has_tiles:
        _Basemap().add_to(m)
    return m


def _fit(m: folium.Map, coverages: Sequence[Coverage]) -> None:
    """The view on opening: the areas that hold someone on any layer; with none, the network's
    countries (the areas in scope); with no scope either, the whole set."""
    m.fit_bounds(view_box(coverages), padding=(8, 8), max_zoom=MAX_FIT_ZOOM)


def view_box(coverages: Sequence[Coverage]) -> list[list[float]]:
    """[[south, west], [north, east]] of what a map of `coverages` opens on (see _fit)."""
    boxes = [box for cov in coverages if (box := _box(cov, _COVERED))]
    if not boxes:
        boxes = [box for cov in coverages if (box := _box(cov, (AreaStatus.NONE, *_COVERED)))]
    if not boxes:
        boxes = [cov.boundary_set.bounds() if cov.boundary_set.country else WORLD for cov in coverages]
        boxes = [b for b in boxes if b] or [WORLD]
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return [[south, west], [north, east]]


def _box(cov: Coverage, statuses: tuple[AreaStatus, ...]) -> tuple[float, float, float, float] | None:
    codes = [a.code for a in cov.areas if a.status in statuses]
    return cov.boundary_set.bounds(codes) if codes else None


def _classes(coverages: Sequence[Coverage]) -> Classes:
    """One set of classes for every layer, from the counts shown (a withheld count is none)."""
    return classes_of(a.count for cov in coverages for a in cov.areas
                      if a.status is AreaStatus.COUNTED and a.count)


def _fill(cov: AreaCoverage, classes: Classes) -> str:
    if cov.status is AreaStatus.NO_DATA:
        return NO_DATA
    if cov.status is AreaStatus.NONE:
        return NO_MEMBER
    if cov.status is AreaStatus.MASKED:
        return NOT_SHOWN
    return classes.colour(cov.count or 0)


def _tooltip(cov: AreaCoverage, public: bool) -> dict[str, Any]:
    """The names a hover lists under the area's state, as plain text the page puts in text nodes."""
    if public or not cov.organisations:
        return {}
    names = list(cov.organisations[:MAX_NAMES_IN_TOOLTIP])
    extra = len(cov.organisations) - len(names)
    return {"names": names + ([ngettext("and %(num)s more", "and %(num)s more", extra)] if extra > 0 else [])}


def _label(cov: AreaCoverage, bset: BoundarySet) -> dict[str, Any]:
    """Where an area that holds someone is labelled (a point inside it), and the count to add
    to its name; the page shows a label only where it fits inside the area."""
    if cov.status not in _COVERED:
        return {}
    lon, lat = bset.label_point(cov.code)
    return {"mark": [lat, lon], "count": number(cov.count) if cov.status is AreaStatus.COUNTED else ""}


def _features(coverage: Coverage, classes: Classes) -> tuple[list[RawJSON], list[list[str]]]:
    """The areas as features, and the states they refer to by index: a colour and what a hover
    says of it ("no listed member organisation" travels once, not once per area of the world)."""
    # Written feature by feature, as maps of 4,000 areas would otherwise spend their time here.
    bset = coverage.boundary_set
    geometry = bset.packed_geometry_json
    states: dict[tuple[str, str], int] = {}

    def state(fill: str, label: str) -> int:
        return states.setdefault((fill, label), len(states))

    features = [({"name": cov.name, "s": state(_fill(cov, classes), cov.label), **_tooltip(cov, coverage.public),
                  **_label(cov, bset)}, geometry[cov.code]) for cov in coverage.areas]
    features += [({"name": shape.name or "", "s": state(UNCODED, "")},
                  json.dumps(pack_geometry(shape.geometry, bset.packing_grid), separators=(",", ":")))
                 for shape in bset.uncoded]
    return ([RawJSON(f'{{"type":"Feature","properties":{js_json(props)},"geometry":{shape}}}')
             for props, shape in features], [list(key) for key in states])


class _MapData(folium.MacroElement):
    """The page's text and shapes as data; the other elements' scripts read it by index."""

    _template = Template("""
        {% macro header(this, kwargs) %}""" + _DATA_MARKER + """{% endmacro %}
        {% macro script(this, kwargs) %}""" + """
        var coverage_map_data = JSON.parse(document.getElementById(\"""" + DATA_ID + """\").textContent);
        function coverage_html(text) {
            var box = document.createElement("div");
            box.textContent = text;
            return box.innerHTML;
        }
        """ + UNPACK_JS + """
        // Each area that holds someone gets its name (and count) as a label, shown only at the
        // zooms where the label fits inside the area's outline.
        function coverage_labels(map, areas) {
            var labels = [];
            areas.eachLayer(function (area) {
                var p = area.feature.properties;
                if (!p.mark) { return; }
                var text = document.createElement("span");
                text.textContent = p.name;
                if (p.count) {
                    var count = document.createElement("b");
                    count.textContent = p.count;
                    text.appendChild(document.createElement("br"));
                    text.appendChild(count);
                }
                var icon = L.divIcon({html: text, className: "coverage-label", iconSize: null});
                labels.push([L.marker(p.mark, {icon: icon, interactive: false, keyboard: false}), area, text]);
            });
            labels.forEach(function (label) { areas.addLayer(label[0]); });
            function fit() {
                labels.forEach(function (label) {
                    if (!label[0].getElement()) { return; }
                    var box = label[1].getBounds();
                    var ne = map.latLngToContainerPoint(box.getNorthEast());
                    var sw = map.latLngToContainerPoint(box.getSouthWest());
                    var fits = label[2].offsetWidth <= ne.x - sw.x && label[2].offsetHeight <= sw.y - ne.y;
                    label[0].getElement().classList.toggle("coverage-label-hidden", !fits);
                });
            }
            map.on("zoomend moveend", fit);
            areas.on("add", fit);
            map.whenReady(fit);
        }
        function coverage_tooltip(p) {
            if (!p.name && !p.lines.length) { return null; }
            var box = document.createElement("div");
            var name = document.createElement("strong");
            name.textContent = p.name;
            box.appendChild(name);
            p.lines.forEach(function (line) {
                box.appendChild(document.createElement("br"));
                box.appendChild(document.createTextNode(line));
            });
            return box;
        }
        {% endmacro %}
    """)

    def __init__(self, title: str | None, tiles: str | None, tiles_attribution: str | None,
                 layers: list[tuple[str, Coverage]]):
        super().__init__()
        self._name = "MapData"
        if tiles and not tiles_attribution:
            raise ValueError("a tile layer needs its attribution")
        self.title = title
        self.has_tiles = bool(tiles)
        classes = _classes([cov for _, cov in layers])
        self.value = {
            "tiles": {"url": tiles, "attribution": tiles_attribution} if tiles else None,
            "layers": [self._layer(label, cov, classes) for label, cov in layers],
            "legend": _legend(title, layers, classes),
        }

    @staticmethod
    def _layer(label: str, cov: Coverage, classes: Classes) -> dict[str, Any]:
        features, states = _features(cov, classes)
        return {"label": label, "boundaries": cov.boundary_set.title, "grid": cov.boundary_set.packing_grid,
                "attribution": cov.boundary_set.attribution, "states": states,
                "features": {"type": "FeatureCollection", "features": features}}

    def html(self) -> str:
        """The title and the data blob, for the page's head."""
        title = f"<title>{escape_text(self.title)}</title>" if self.title else ""
        blob = js_json(self.value)
        # Geometry came through as raw JSON: make sure it cannot close the script either.
        blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return f'{title}<script type="application/json" id="{DATA_ID}">{blob}</script>'


class _Basemap(folium.MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        L.tileLayer(coverage_map_data.tiles.url, {
            attribution: coverage_html(coverage_map_data.tiles.attribution)
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "Basemap"


class _AreaLayer(Layer):
    """The areas of one coverage result (layer `index` of the data) as a Leaflet GeoJSON layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(coverage_shapes(coverage_map_data.layers[{{ this.index }}]), {
            attribution: coverage_html(coverage_map_data.layers[{{ this.index }}].attribution),
            style: function (f) {
                return {fillColor: f.properties.fill, fillOpacity: 0.85, color: "{{ this.outline }}",
                        weight: 0.5, opacity: 0.8};
            },
            onEachFeature: function (f, layer) {
                var tip = coverage_tooltip(f.properties);
                if (tip) { layer.bindTooltip(tip, {sticky: true}); }
                layer.on({
                    mouseover: function (e) { e.target.setStyle({weight: 2}); },
                    mouseout: function (e) { e.target.setStyle({weight: 0.5}); }
                });
            }
        });
        coverage_labels({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, index: int, *, show: bool = True):
        super().__init__(name=f"layer-{index}", overlay=False, control=False, show=show)
        self._name = "AreaLayer"
        self.index = int(index)
        self.outline = OUTLINE


class _LayerSwitch(folium.MacroElement):
    """Leaflet's layer control, labelled from the data (Leaflet writes labels as HTML, so each
    is escaped by the browser's own text-to-HTML first)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control.layers(null, null, {collapsed: false});
        {%- for layer in this.layers %}
        {{ this.get_name() }}.addBaseLayer({{ layer.get_name() }},
            coverage_html(coverage_map_data.layers[{{ layer.index }}].label));
        {%- endfor %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, layers: Sequence[_AreaLayer]):
        super().__init__()
        self._name = "LayerSwitch"
        self.layers = list(layers)


class _Legend(folium.MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var legend = coverage_map_data.legend;
            // A <details> folds and unfolds without any script; it opens folded on a phone.
            var div = L.DomUtil.create("details", "coverage-legend");
            var narrow = window.matchMedia("(max-width: " + legend.fold_below + "px)");
            var chosen = false;
            div.open = !narrow.matches;
            // The frame may be laid out at its default size first: follow its width until the
            // reader opens or folds the legend themself.
            narrow.addEventListener("change", function (e) { if (!chosen) { div.open = !e.matches; } });
            var summary = L.DomUtil.create("summary", "", div);
            summary.textContent = legend.toggle;
            summary.addEventListener("click", function () { chosen = true; });
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            function line(css, text) {
                var row = L.DomUtil.create("div", css, div);
                row.textContent = text;
                return row;
            }
            if (legend.title) { line("coverage-title", legend.title); }
            legend.lines.forEach(function (text) { line("", text); });
            legend.sets.forEach(function (text) { line("coverage-note", text); });
            legend.rows.forEach(function (row) {
                var swatch = document.createElement("i");
                swatch.style.background = row[0];
                line("", row[1]).prepend(swatch);
            });
            legend.notes.forEach(function (text) { line("coverage-note", text); });
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "Legend"


def _legend(title: str | None, layers: Sequence[tuple[str, Coverage]], classes: Classes) -> dict[str, Any]:
    first = layers[0][1]
    # The classes as the counts they hold: "1", "2", "4" when there are few, "5–9" when grouped.
    bands = [number(low) if low == high else f"{number(low)}–{number(high)}" for low, high in classes.ranges]
    rows = [(NO_DATA, disclosure.no_data()), (NO_MEMBER, disclosure.nobody(first.view)),
            *zip(classes.colours, bands)]
    if first.view is View.REACH:
        rows.append((NOT_SHOWN, disclosure.not_shown()))
    return {
        "toggle": _("Legend"),
        "fold_below": FOLD_LEGEND_BELOW,
        "title": title or "",
        "lines": [f"{label + ': ' if label else ''}{cov.summary()}" for label, cov in layers],
        # Which boundary set each count was made on (a comparison may span two).
        "sets": list(dict.fromkeys(cov.boundary_set.title for _, cov in layers)),
        "rows": rows,
        "notes": [] if first.view is View.INTERNAL else [first.note],
    }


_STYLE = """<style>
.coverage-legend { background: #fff; padding: 6px 10px; font: 12px/1.5 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,.3); max-width: min(22em, calc(100vw - 30px));
  max-height: calc(100vh - 40px); overflow-y: auto; }
.coverage-legend summary { cursor: pointer; font-weight: bold; }
.coverage-label { pointer-events: none; }
.coverage-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  text-align: center; font: 11px/1.2 sans-serif; color: #111;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.coverage-label-hidden { visibility: hidden; }
.coverage-legend i { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  border: 1px solid #636363; vertical-align: middle; }
.coverage-title { font-weight: bold; font-size: 14px; margin-bottom: 4px; }
.coverage-note { color: #555; margin-top: 4px; }
.folium-map.leaflet-container { background: #f4f8fb; }
</style>"""
