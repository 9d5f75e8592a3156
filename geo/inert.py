"""People's and files' text made inert on a map page: one escape for text bound for HTML, and
JSON written so that it can neither close the page's <script> nor open a template tag when
folium and branca compile the page again (geo/maps.py puts every such text in one JSON blob)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["RawJSON", "escape_text", "js_json"]

_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    # Inside a JS template literal a backtick ends the string and ${ starts code, and a
    # backslash could escape what follows.
    "`": "&#96;", "$": "&#36;", "\\": "&#92;",
    # Line breaks (and U+2028/2029) end a JS string literal early.
    "\n": "&#10;", "\r": "&#13;", "\u2028": "&#8232;", "\u2029": "&#8233;",
    # A second line behind keeping people's text out of templates: no {{, {% or {# can form.
    "{": "&#123;", "}": "&#125;",
})

# The same characters inside a JSON string: safe in <script>, and no template opener can form.
_JSON_STRING_ESCAPES = str.maketrans({
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "`": "\\u0060", "$": "\\u0024",
    "{": "\\u007b", "}": "\\u007d", "\u2028": "\\u2028", "\u2029": "\\u2029",
})


def escape_text(value: object) -> str:
    """The one escape for user text bound for HTML: safe as HTML, in attributes and in JS
    strings or template literals, unable to open a template tag, and still read correctly once
    the browser decodes it."""
    return str(value).translate(_ESCAPES)


@dataclass(frozen=True)
class RawJSON:
    """JSON text already made safe (a feature, its geometry cached per boundary set)."""

    text: str


def js_json(value: Any) -> str:
    """JSON text safe inside <script>: no "</script>", no HTML entities, no line separators JS
    dislikes, and no "{{", "{%" or "{#" (braces inside strings are written as \\u007b/\\u007d;
    JSON's own braces are always followed by a quote or another brace)."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, dict) and not any(isinstance(v, (dict, RawJSON)) or _nested(v) for v in value.values()):
        # A flat object: its only structural braces are the outer two, so everything between
        # them may be escaped as string content (JSON's other structure has none of these).
        text = json.dumps({str(k): v for k, v in value.items()}, ensure_ascii=False, separators=(",", ":"))
        return "{" + text[1:-1].translate(_JSON_STRING_ESCAPES) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{js_json(str(k))}:{js_json(v)}" for k, v in value.items()) + "}"
    if _nested(value):
        return "[" + ",".join(js_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_JSON_STRING_ESCAPES)


def _nested(value: Any) -> bool:
    """A list holding an object (or raw JSON), which has structural braces of its own."""
    return isinstance(value, (list, tuple)) and any(isinstance(v, (dict, RawJSON)) or _nested(v) for v in value)
