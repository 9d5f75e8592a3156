"""Coverage maps: a folium choropleth of one coverage result, or of two dates to compare.

folium escapes nothing, so every string a person typed (area and organisation names, titles,
layer labels, attributions) passes through escape_text before it reaches the page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
from folium.map import Layer
from folium.template import Template

from geo.coverage import AreaCoverage, AreaStatus, Coverage
from geo.offline import LEAFLET_CSS_URL, LEAFLET_JS_URL, localise_assets

__all__ = ["comparison_map", "coverage_map", "escape_text", "render_map"]

# Fixed class breaks, so two dates (or two networks) are coloured alike: 1-4, 5-9, 10-19, 20-49, 50+.
BREAKS = (1, 5, 10, 20, 50)
PALETTE = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
NO_MEMBER = "#ffffff"
NO_DATA = "#bdbdbd"
UNCODED = "#ececec"
OUTLINE = "#636363"
MAX_NAMES_IN_TOOLTIP = 15
WORLD = (-180.0, -58.0, 180.0, 84.0)

_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    # Inside a JS template literal a backtick ends the string and ${ starts code; folium puts
    # some strings into such literals, and a backslash could escape what follows.
    "`": "&#96;", "$": "&#36;", "\\": "&#92;",
    # Line breaks (and U+2028/2029) end a JS string literal early.
    "\n": "&#10;", "\r": "&#13;", "\u2028": "&#8232;", "\u2029": "&#8233;",
})


def escape_text(value: object) -> str:
    """The one escape for user text bound for a map: safe as HTML, in attributes and in JS
    strings or template literals, and still read correctly once the browser decodes it."""
    return str(value).translate(_ESCAPES)


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
    m = _base_map(tiles, tiles_attribution, title)
    _AreaLayer(coverage, name=escape_text(coverage.boundary_set.title), control=False).add_to(m)
    _Legend(title, [("", coverage)], coverage.public, coverage.threshold).add_to(m)
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
    that a LayerControl switches between; the first is shown."""
    if len(layers) < 2:
        raise ValueError("a comparison needs at least two layers")
    if len({c.public for _, c in layers}) > 1:
        # One page is either public or not; a mixed one would publish the internal layer's names.
        raise ValueError("cannot mix public and internal coverage on one map")
    m = _base_map(tiles, tiles_attribution, title)
    for i, (label, coverage) in enumerate(layers):
        _AreaLayer(coverage, name=escape_text(label), show=i == 0).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _Legend(title, list(layers), layers[0][1].public, min(c.threshold for _, c in layers)).add_to(m)
    _fit(m, [c for _, c in layers])
    return m


def render_map(m: folium.Map, *, static_prefix: str | None) -> str:
    """The page as HTML. With `static_prefix` (e.g. "/static/vendor/") every script and
    stylesheet points there instead of a CDN, and any left pointing elsewhere is an error;
    None keeps folium's CDN addresses (a notebook, say), so a caller has to choose."""
    html = m.get_root().render()
    return html if static_prefix is None else localise_assets(html, static_prefix)


def _base_map(tiles: str | None, tiles_attribution: str | None, title: str | None) -> folium.Map:
    if tiles and not tiles_attribution:
        raise ValueError("a tile layer needs its attribution")
    m = folium.Map(location=(0, 0), zoom_start=2, tiles=None, prefer_canvas=True, control_scale=True)
    # A choropleth needs Leaflet alone; dropping jQuery, Bootstrap and the marker fonts keeps
    # the page light and the list of files to serve offline short.
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    m.get_root().header.add_child(folium.Element(_STYLE), name="coverage_style")
    if tiles:
        folium.TileLayer(tiles, attr=escape_text(tiles_attribution), name="basemap",
                         control=False).add_to(m)
    if title:
        m.get_root().title = escape_text(title)
    return m


def _fit(m: folium.Map, coverages: Sequence[Coverage]) -> None:
    boxes = []
    for cov in coverages:
        shown = [a.code for a in cov.areas if a.status is not AreaStatus.NO_DATA]
        in_country = cov.boundary_set.country is not None
        if shown and (in_country or len(shown) < len(cov.areas)):
            boxes.append(cov.boundary_set.bounds(shown))
        else:
            boxes.append(cov.boundary_set.bounds() if in_country else WORLD)
    boxes = [b for b in boxes if b]
    if boxes:
        west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
        east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
        m.fit_bounds([[south, west], [north, east]])


def _fill(cov: AreaCoverage) -> str:
    if cov.status is AreaStatus.NO_DATA:
        return NO_DATA
    if cov.status is AreaStatus.NONE:
        return NO_MEMBER
    if cov.status is AreaStatus.MASKED:
        return PALETTE[0]
    return PALETTE[sum(cov.count >= b for b in BREAKS) - 1]


def _tooltip(cov: AreaCoverage, public: bool) -> str:
    lines = [f"<strong>{escape_text(cov.name)}</strong>", escape_text(cov.label)]
    if not public and cov.organisations:
        names = [escape_text(n) for n in cov.organisations[:MAX_NAMES_IN_TOOLTIP]]
        extra = len(cov.organisations) - len(names)
        lines.append("<br>".join(names + ([f"and {extra} more"] if extra > 0 else [])))
    return "<br>".join(lines)


def _features_json(coverage: Coverage) -> str:
    bset = coverage.boundary_set
    geometry = bset.geometry_json
    parts = []
    for cov in coverage.areas:
        props = {"fill": _fill(cov), "tip": _tooltip(cov, coverage.public)}
        parts.append(f'{{"type":"Feature","properties":{_js_json(props)},"geometry":{geometry[cov.code]}}}')
    for shape in bset.uncoded:
        props = {"fill": UNCODED, "tip": escape_text(shape.name) if shape.name else ""}
        parts.append(f'{{"type":"Feature","properties":{_js_json(props)},'
                     f'"geometry":{json.dumps(shape.geometry, separators=(",", ":"))}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def _js_json(value: Any) -> str:
    # Safe inside <script>: no "</script>", no HTML entities, no line separators JS dislikes.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


class _AreaLayer(Layer):
    """The areas of one coverage result as a Leaflet GeoJSON layer, geometry embedded once."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_js }}, {
            attribution: {{ this.attribution_js }},
            style: function (f) {
                return {fillColor: f.properties.fill, fillOpacity: 0.85, color: "{{ this.outline }}",
                        weight: 0.5, opacity: 0.8};
            },
            onEachFeature: function (f, layer) {
                if (f.properties.tip) { layer.bindTooltip(f.properties.tip, {sticky: true}); }
                layer.on({
                    mouseover: function (e) { e.target.setStyle({weight: 2}); },
                    mouseout: function (e) { e.target.setStyle({weight: 0.5}); }
                });
            }
        });
        {% endmacro %}
    """)

    def __init__(self, coverage: Coverage, *, name: str, show: bool = True, control: bool = True):
        super().__init__(name=name, overlay=False, control=control, show=show)
        self._name = "AreaLayer"
        self.data_js = _features_json(coverage)
        self.attribution_js = _js_json(escape_text(coverage.boundary_set.attribution))
        self.outline = OUTLINE


class _Legend(folium.MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "coverage-legend");
            div.innerHTML = {{ this.html_js }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, title: str | None, layers: Sequence[tuple[str, Coverage]], public: bool,
                 threshold: int):
        super().__init__()
        self._name = "Legend"
        rows = [(NO_DATA, "no data"), (NO_MEMBER, "no member organisation")]
        bands = [f"{lo}–{hi - 1}" for lo, hi in zip(BREAKS, BREAKS[1:])] + [f"{BREAKS[-1]} or more"]
        if public:
            bands[0] = f"fewer than {threshold}"
        rows += list(zip(PALETTE, bands))
        html = [f"<div class='coverage-title'>{escape_text(title)}</div>"] if title else []
        html += [f"<div>{escape_text(label + ': ' if label else '')}{escape_text(cov.summary())}</div>"
                 for label, cov in layers]
        html += [f"<div><i style='background:{colour}'></i>{escape_text(text)}</div>" for colour, text in rows]
        if public:
            html.append(f"<div class='coverage-note'>Counts below {threshold} are not shown.</div>")
        self.html_js = _js_json("".join(html))


_STYLE = """<style>
.coverage-legend { background: #fff; padding: 6px 10px; font: 12px/1.5 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,.3); max-width: 22em; }
.coverage-legend i { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  border: 1px solid #636363; vertical-align: middle; }
.coverage-title { font-weight: bold; font-size: 14px; margin-bottom: 4px; }
.coverage-note { color: #555; margin-top: 4px; }
.folium-map.leaflet-container { background: #f4f8fb; }
</style>"""
