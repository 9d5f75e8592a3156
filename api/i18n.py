"""The language a person reads the registry in (Flask-Babel).

A page's locale is the person's own choice (the switcher on every page, kept in a cookie),
then their browser's Accept-Language, then English; the JSON API follows Accept-Language only.
The locales are the registry's data languages (registry.vocabularies.LANGUAGES), so a chosen
locale also picks vocabulary labels and area names. Chinese is `zh`, written in simplified
characters: it is the code the data's labels use, and a browser's zh-CN, zh-TW or zh-Hans all
fall back to it.

The switcher is a plain link (GET /language/<locale>), not a form: it works without script,
needs no session cookie (so public pages stay cacheable and set no cookie), and changing a
display language is no state worth forging. It only ever redirects to a path on this site.
Catalogs live in api/translations and are compiled at install time (`make install`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import Token
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import Translations
from flask import Blueprint, Flask, Response, g, has_request_context, redirect, request
from flask_babel import Babel, format_number, get_locale, get_translations, gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from geo import words
from registry.exchange.spreadsheets import COLUMNS, NAME_COLUMNS
from registry.errors import Named, Said
from registry.names import fold
from registry.vocabularies.models import FALLBACK_LANGUAGE, LANGUAGES

TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "registry_locale"
COOKIE_SECONDS = 365 * 24 * 3600
LOCALES = LANGUAGES

blp = Blueprint("language", __name__)


def select_locale() -> str:
    """The cookie's choice (pages only), then Accept-Language, then English (and English for a
    command, which has no request)."""
    if not has_request_context():
        return FALLBACK_LANGUAGE
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES and not request.path.startswith("/api/"):
        return chosen
    return from_accept_language()


def from_accept_language() -> str:
    """The first language the browser accepts (by quality) that the registry speaks, "fr-CA"
    counting as "fr": werkzeug's best_match would prefer an exact "vi;q=0.5" to it."""
    for tag, _quality in request.accept_languages:  # highest quality first
        for candidate in (tag.lower(), tag.lower().replace("_", "-").split("-")[0]):
            if candidate in LOCALES:
                return candidate
    return FALLBACK_LANGUAGE


def locale_code() -> str:
    """The request's locale as the data's language code (e.g. "vi"), for labels and names."""
    return str(get_locale() or FALLBACK_LANGUAGE)


@functools.cache
def _catalog(code: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [code])


def say(text: object) -> str:
    """Words the registry made for a person (registry.errors.Said), in the reader's language,
    their Said parameters too, and the names in them (Named) in it where the data has them; any
    other text as it was written (what a person typed is never
    read as a message id)."""
    if isinstance(text, Named):
        return text.names.get(locale_code(), str(text))
    if not isinstance(text, Said):
        return str(text)
    return gettext(text.template, **{key: say(value) if isinstance(value, Said | Named) else value
                                    for key, value in text.params.items()})


def say_message(message: str, **params: object) -> str:
    """A message id and its parameters in the reader's language, Said parameters too."""
    return say(Said(message, **params))


def saying_in(code: str) -> Callable[[str], str]:
    """A message id said in one locale's words, for what is written outside a request (a
    command's export in the operator's chosen language)."""
    return _catalog(code).gettext


def in_every_language(message: str) -> frozenset[str]:
    """`message` as every catalog says it (English included), for input that may come in any
    of them: a spreadsheet's headers, written from the template in its reader's language."""
    return frozenset({message, *(_catalog(code).gettext(message) for code in LOCALES)})


@functools.cache
def template_headers() -> dict[str, str]:
    """The import template's headers, and an export's columns of names, in every language
    (folded header -> field), so that a template or export downloaded in Khmer imports, whoever
    uploads it."""
    return {fold(text): column.field for column in (*COLUMNS, *NAME_COLUMNS)
            for text in in_every_language(column.header)}


def choices() -> list[tuple[str, str]]:
    """Each locale with its name in its own language, for the switcher."""
    return [(code, Locale.parse(code).get_display_name(code)) for code in LOCALES]


@blp.get("/language/<code>")
def choose(code: str) -> WerkzeugResponse:
    back = request.args.get("next", "/")
    # Only a path on this site: never "//elsewhere", nor a backslash, space or control character,
    # which browsers drop or read as "/" ("/<tab>/elsewhere" is followed off-site).
    if (not back.startswith("/") or back.startswith("//")
            or any(c == "\\" or ord(c) <= 0x20 or ord(c) == 0x7F for c in back)):
        back = "/"
    response = redirect(back)
    if code in LOCALES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/")
    return response


def _speak_to_the_reader() -> None:
    """geo/ writes its legends, tooltips and counts in the request's language (geo.words)."""
    translations = get_translations()
    g.geo_speaker = words.use(words.Speaker(translations.gettext, translations.ngettext, format_number,
                                            locale_code()))


def _stop_speaking(_error: BaseException | None) -> None:
    token: Token[words.Speaker] | None = g.pop("geo_speaker", None)
    if token is not None:
        words.stop(token)


def _say_which_language(response: Response) -> Response:
    """A cache keeps one copy per language: the answer depends on Accept-Language, and a
    page's on the language cookie too."""
    response.vary.add("Accept-Language")
    if not request.path.startswith("/api/"):
        response.vary.add("Cookie")
    response.headers.setdefault("Content-Language", locale_code())
    return response


def _context() -> dict[str, Any]:
    return {"languages": choices(), "locale": locale_code()}


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    # Whitespace in {% trans %} blocks is folded, as `pybabel extract` (babel.cfg) folds it.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_context)
    app.before_request(_speak_to_the_reader)
    app.after_request(_say_which_language)
    app.teardown_request(_stop_speaking)
    app.register_blueprint(blp)
