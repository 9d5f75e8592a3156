"""The words geo/ writes for a person (legends, tooltips, counts, notes, refusals), in that
person's language.

geo/ has no Flask: a caller that answers a person (api/) hands it a Speaker, with the
translations of the reader's locale, for the length of one answer (`speaking`); without one,
geo/ writes English and the boundary set's own area names. Messages are marked with `gettext`
and `ngettext` below, so `pybabel extract` (babel.cfg) puts them in api/'s catalogs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

__all__ = ["ENGLISH", "N_", "Speaker", "area_name", "gettext", "ngettext", "number", "speaking", "stop", "use"]


@dataclass(frozen=True)
class Speaker:
    gettext: Callable[[str], str]  # the catalog's text for a message, unformatted
    ngettext: Callable[[str, str, int], str]
    number: Callable[[int], str]  # a count as the locale writes it
    language: str | None = None  # for area names (BoundaryArea.names); None: the set's own


ENGLISH = Speaker(lambda message: message, lambda singular, plural, n: singular if n == 1 else plural, str)
_SPEAKER: ContextVar[Speaker] = ContextVar("geo_speaker", default=ENGLISH)


@contextmanager
def speaking(speaker: Speaker) -> Iterator[None]:
    """geo/'s words in `speaker`'s language inside the block (this thread or task only)."""
    token = use(speaker)
    try:
        yield
    finally:
        stop(token)


def use(speaker: Speaker) -> Token[Speaker]:
    """From now on in this thread or task, `speaker`'s language, until `stop(token)`: for a
    caller whose start and end are two hooks (a web request) rather than one block."""
    return _SPEAKER.set(speaker)


def stop(token: Token[Speaker]) -> None:
    _SPEAKER.reset(token)


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is chosen now and translated later (gettext)."""
    return message


def gettext(message: str, **variables: object) -> str:
    text = _SPEAKER.get().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """The form for `n`, with `%(num)s` standing for n as the locale writes it."""
    speaker = _SPEAKER.get()
    return speaker.ngettext(singular, plural, n) % {"num": speaker.number(n), **variables}


def number(n: int) -> str:
    """A count as the reader's locale writes it."""
    return _SPEAKER.get().number(n)


def area_name(name: str, names: Mapping[str, str]) -> str:
    """An area's name in the reader's language where the boundary set has one."""
    language = _SPEAKER.get().language
    return (names.get(language) if language else None) or name
