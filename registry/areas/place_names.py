"""Places by name, in every script: the one resolver that turns what a person writes ("ភ្នំពេញ",
"ខណ្ឌចំការមន", "tỉnh Bắc Ninh", "ແຂວງວຽງຈັນ", "Daun Penh") into an area code.

A name is compared folded (registry.names.fold: case, diacritics and punctuation away), with and
without the administrative words each language puts before or after it. Khmer and Lao write no
space between the word and the name, so there the word is cut from the front as it stands. The
word also says what kind of place is meant ("ខេត្ត" a province, "ខណ្ឌ" a khan, "ນະຄອນຫຼວງ" the
capital): where a name fits several places, the kind narrows them, and whatever still remains is
answered with each candidate's name, level and parent so that a person can choose.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry.areas.models import AREA_CODE, Area, BoundarySet
from registry.db import Page, check_page
from registry.errors import N_, Named, Said, joined
from registry.names import fold

Kind = Literal["capital", "province", "district"]

# Administrative words, as written before (or, in English and French, after) a name, and the kind
# of place each one names; None where the word is used for places of more than one kind
# ("thành phố" and "ក្រុង" are both provinces and towns within them).
_WORDS: dict[str, Kind | None] = {
    # Vietnamese
    "tỉnh": "province", "thành phố": None, "tp": None, "thủ đô": "capital",
    "quận": "district", "huyện": "district", "thị xã": "district",
    # Khmer
    "រាជធានី": "capital", "ខេត្ត": "province", "ក្រុង": None, "ខណ្ឌ": "district", "ស្រុក": "district",
    # Lao
    "ນະຄອນຫຼວງ": "capital", "ແຂວງ": "province", "ເມືອງ": "district", "ນະຄອນ": None,
    # Latin-script romanisations and English, French, Spanish
    "khett": "province", "khet": "province", "reach thani": "capital", "krong": None,
    "khan": "district", "srok": "district", "khaeng": "province", "muang": "district",
    "province": "province", "province of": "province", "provincia": "province",
    "provincia de": "province", "province de": "province", "capital": "capital",
    "capital city": "capital", "prefecture": "capital", "municipality": None, "city": None,
    "city of": None, "ville de": None, "district": "district", "district de": "district",
}
_FOLDED_WORDS = sorted(((fold(w), k) for w in _WORDS for k in [_WORDS[w]]), key=lambda p: -len(p[0]))
_SCRIPTS_WITHOUT_SPACES = re.compile(r"^[\u1780-\u17ff\u0e80-\u0eff]")

# Spellings people use that no boundary file gives: romanisations of Khmer and Lao names, and
# names in common use. Keyed by code; each is matched folded, like every other name.
ALIASES: dict[str, tuple[str, ...]] = {
    "KH-1201": ("Chamkarmon", "Chamkar Morn"),
    "KH-1202": ("Daun Penh", "Don Penh"),
    "KH-1203": ("7 Makara", "Prampi Makara", "Prampir Makara"),
    "KH-1204": ("Toul Kork", "Tuol Kork", "Toul Kok"),
    "KH-1207": ("Russei Keo", "Ruessei Kaev", "Russey Kaev"),
    "KH-1208": ("Sen Sok", "Sensok", "Sen Sokh"),
    "KH-1209": ("Por Sen Chey", "Posenchey", "Pur Senchey", "Por Senchey"),
    "KH-1211": ("Chroy Changvar", "Chrouy Changva"),
    "KH-1212": ("Prek Pnov", "Prek Phnov"),
    "KH-10": ("Kratié", "Kracheh"),
    "KH-11": ("Mondulkiri", "Mondolkiri"),
    "KH-16": ("Ratanakiri", "Rattanakiri"),
    "KH-17": ("Siem Reap", "Siem Reab"),
    "KH-18": ("Preah Sihanouk", "Kampong Som"),
    "KH-22": ("Oddar Meanchey", "Oddar Mean Chey"),
    "KH-25": ("Tbong Khmum",),
    "LA-CH": ("Champassak", "Champasack"),
    "LA-LP": ("Louang Prabang", "Louangphabang"),
    "LA-OU": ("Oudomxai", "Oudomsay"),
    "LA-VT": ("Vientiane Prefecture", "Vientiane Capital", "Viangchan Capital"),
    "LA-XA": ("Sainyabuli", "Xayabury", "Xayaboury"),
    "VN-SG": ("Ho Chi Minh City", "HCMC", "TPHCM", "TP HCM", "Sai Gon", "Saigon"),
    "VN-HN": ("Hanoi",),
}
# Romanisations that differ in one regular way ("Kompong Cham" for "Kampong Cham").
_VARIANTS = ((re.compile(r"\bkompong\b"), "kampong"), (re.compile(r"\bkampung\b"), "kampong"))


@dataclass(frozen=True)
class Place:
    """An area as the resolver knows it: its code, a name for people, where it sits."""

    code: str
    name: str
    level: int
    country: str
    parent_code: str | None = None
    names: dict[str, str] = field(default_factory=dict, compare=False)

    def kinds(self) -> set[Kind]:
        """What its own names call it: a capital, a province, a district (by level if silent)."""
        said = {kind for text in (self.name, *self.names.values()) if (kind := _split(text)[0])}
        return said or {"district" if self.level >= 2 else "province"}

    def label(self, language: str | None = None, parent: Place | None = None) -> Said:
        """"Battambang (district of Battambang, KH-0203)" for a person choosing between places."""
        if parent is None:
            return Said(_LABELS[self.level >= 2, False], name=self.named(language), code=self.code)
        return Said(_LABELS[self.level >= 2, True], name=self.named(language), code=self.code,
                    parent=parent.named(language))

    def named(self, language: str | None = None) -> str:
        """Its name in `language`, or, with none given, its name as the reader's language has it."""
        return self.names.get(language, self.name) if language else Named(self.name, self.names)


# (a district?, has a parent?) -> how a candidate is named to a person choosing between places.
_LABELS = {(False, False): N_("%(name)s (province, %(code)s)"),
           (False, True): N_("%(name)s (province of %(parent)s, %(code)s)"),
           (True, False): N_("%(name)s (district, %(code)s)"),
           (True, True): N_("%(name)s (district of %(parent)s, %(code)s)")}


class PlaceNotFound(ValueError):
    """No known area has that name; `said` says so to a person."""

    def __init__(self, said: Said) -> None:
        super().__init__(said)
        self.said = said


class AmbiguousPlace(ValueError):
    """More than one area has that name; `candidates` are them, best known first."""

    def __init__(self, said: Said, candidates: list[Place]) -> None:
        super().__init__(said)
        self.said, self.candidates = said, candidates


class PlaceNames:
    """Every known area under every name it goes by; made once per import or request."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places: dict[str, Place] = {}
        for place in places:  # one place per code: sets valid today come first (see `load`)
            self.places.setdefault(place.code, place)
        self._by_name: dict[str, set[str]] = {}
        for place in self.places.values():
            for text in (place.code, place.name, *place.names.values(), *ALIASES.get(place.code, ())):
                kind, bare = _split(text)
                for key in {_key(text), _key(bare)}:
                    if key:
                        self._by_name.setdefault(key, set()).add(place.code)

    @classmethod
    def load(cls, session: Session, *, countries: Iterable[str] | None = None,
             on: dt.date | None = None) -> PlaceNames:
        """The areas of every boundary set (those valid on `on`, today by default, first)."""
        on = on or dt.date.today()
        query = select(Area.code, Area.name, Area.names, Area.level, Area.country, Area.parent_code,
                       BoundarySet.valid_from, BoundarySet.valid_to, BoundarySet.country).join(BoundarySet)
        if countries is not None:
            query = query.where(Area.country.in_(list(countries)))
        rows = session.execute(query).all()

        def rank(row: tuple) -> tuple[bool, bool]:
            valid = (row[6] is None or row[6] <= on) and (row[7] is None or on <= row[7])
            return (not valid, row[8] is None)  # valid first; a country's own set before the world's

        return cls(Place(code, name, level, country, parent, dict(names or {}))
                   for code, name, names, level, country, parent, *_ in sorted(rows, key=rank))

    def candidates(self, text: str, *, country: str | None = None) -> list[Place]:
        """Every place `text` may name, narrowed by the kind its administrative word says and by
        `country` wherever that leaves any."""
        kind, bare = _split(text)
        codes = self._by_name.get(_key(text), set()) | self._by_name.get(_key(bare), set())
        found = [self.places[c] for c in sorted(codes)]
        for keep in (lambda p: country is None or p.country == country,
                     lambda p: kind is None or kind in p.kinds()):
            narrower = [p for p in found if keep(p)]
            found = narrower or found
        return sorted(found, key=lambda p: (p.level, p.code))

    def resolve(self, text: str, *, country: str | None = None, language: str | None = None) -> str:
        """The one code `text` names (a code itself, or a name in any script); PlaceNotFound or
        AmbiguousPlace, whose message names the candidates so a person can choose."""
        code = text.strip().upper()
        if AREA_CODE.match(code) and code in self.places:
            return code
        found = self.candidates(text, country=country)
        if not found:
            raise PlaceNotFound(Said(N_("no place called %(text)r is known: check the spelling, or write "
                                        "its code"), text=text.strip()))
        if len(found) > 1:
            choices = joined([p.label(language, self.places.get(p.parent_code or "")) for p in found],
                             N_("%(one)s or %(other)s"))
            raise AmbiguousPlace(Said(N_("%(text)r could be %(choices)s: write the code"), text=text.strip(),
                                      choices=choices), found)
        return found[0].code


def _split(text: str) -> tuple[Kind | None, str]:
    """(the kind its administrative word names, the name without the word)."""
    folded = fold(text)
    for word, kind in _FOLDED_WORDS:
        if not word:
            continue
        glued = bool(_SCRIPTS_WITHOUT_SPACES.match(word))
        if folded.startswith(word + " ") or (glued and folded.startswith(word) and len(folded) > len(word)):
            return kind, folded[len(word):].strip()
        if folded.endswith(" " + word):
            return kind, folded[: -len(word)].strip()
    return None, folded


def _key(text: str) -> str:
    key = fold(text)
    for pattern, replacement in _VARIANTS:
        key = pattern.sub(replacement, key)
    return key.replace(" ", "")


@dataclass(frozen=True)
class Listed:
    """One area in the gazetteer's list: the area, and the boundary set it was taken from."""

    area: Area
    boundary_set: BoundarySet


def list_places(session: Session, *, country: str | None = None, level: int | None = None,
                on: dt.date | None = None, name: str | None = None, page: int = 1,
                page_size: int = 50) -> Page[Listed]:
    """The areas of the boundary sets in force on `on` (today by default), one per code (a
    country's own set instead of the world's), filtered by country, level and a name in any script.
    The gazetteer is public knowledge: no caller sees more or less of it than another."""
    check_page(page, page_size)
    on = on or dt.date.today()
    other, other_set, own_set = aliased(Area), aliased(BoundarySet), aliased(BoundarySet)
    query = (select(Area, BoundarySet).join(BoundarySet)
             .where(_in_force(BoundarySet, on))
             # A country's own set replaces the world's for that country, at its level...
             .where(~and_(BoundarySet.country.is_(None), exists().where(
                 own_set.country == Area.country, own_set.level == BoundarySet.level, _in_force(own_set, on))))
             # ... and of two sets of the same standing that both know a code, the older one speaks.
             .where(~exists().where(
                 other.code == Area.code, other.boundary_set_id == other_set.id, _in_force(other_set, on),
                 other_set.country.is_(None) == BoundarySet.country.is_(None), other_set.id < BoundarySet.id)))
    if country is not None:
        query = query.where(Area.country == country.upper())
    if level is not None:
        query = query.where(Area.level == level)
    if name is not None:
        codes = [p.code for p in PlaceNames.load(session, countries=[country.upper()] if country else None,
                                                 on=on).candidates(name)]
        query = query.where(Area.code.in_(codes))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Area.country, Area.level, Area.code)
                           .limit(page_size).offset((page - 1) * page_size)).all()
    return Page([Listed(area, boundary_set) for area, boundary_set in rows], total, page, page_size)


def _in_force(boundary_set: Any, on: dt.date) -> ColumnElement[bool]:
    return and_(or_(boundary_set.valid_from.is_(None), boundary_set.valid_from <= on),
                or_(boundary_set.valid_to.is_(None), on <= boundary_set.valid_to))
