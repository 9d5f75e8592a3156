"""What a valid organisation profile is: the field lists and one validator per field, and how
validated values become a row, a contact and what the audit log compares.

Kept apart from the model so that the API's schemas, the spreadsheet import and the service
functions all refuse the same values with the same messages, and write the same rows whether
one at a time or a spreadsheet of them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import pycountry
from sqlalchemy.orm import Session

from registry.access.permissions import Actor
from registry.areas import services as areas
from registry.areas.place_names import AmbiguousPlace, PlaceNotFound
from registry.errors import N_, Conflict, Said, ValidationFailed
from registry.names import fold
from registry.organisations import models as organisations
from registry.organisations.known import Known, lookups
from registry.organisations.models import (
    CONTACT_TIERS, DEFAULT_PUBLISHED, PUBLISHABLE_FIELDS, TERM_FIELDS, ContactKind, Organisation, OrganisationStatus,
    Visibility
)
from registry.vocabularies import services as vocabularies
from registry.vocabularies.models import Term, Vocabulary


PARTIAL_DATE_RULE = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?$")
_MAX_DROP_IN_CENTRES = 10_000


def validate_profile(
    session: Session,
    organisation: Organisation | None,
    values: Mapping[str, Any],
    lineage: Iterable[int],
    *,
    fields: Iterable[str],
    creating: bool = False,
) -> dict[str, Any]:
    """Check every value; return them normalised or raise one ValidationFailed naming each field."""
    known = lookups(session)
    allowed = set(fields)
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    lineage = list(lineage)
    for key, value in values.items():
        if key not in allowed:
            problems[key] = [Said(N_("unknown field"))]
            continue
        try:
            clean[key] = _VALIDATORS[key](known, value, lineage)
        except ValidationFailed as refused:
            problems.setdefault(key, []).extend(refused.fields.get(key) or [refused.said])
    kind = clean.get("kind", organisation.kind if organisation else None)
    country = clean.get("country", organisation.country if organisation else None)
    if creating and "name" not in clean and "name" not in problems:
        problems["name"] = [Said(N_("a name is required"))]
    if kind is not None and not _network_above_country(kind) and not country and "country" not in problems:
        problems["country"] = [Said(N_("community organisations and national networks need a country"))]
    reach = clean.get("publishes_reach", organisation.publishes_reach if organisation else False)
    if reach and str(kind) == "community_organisation":
        problems["publishes_reach"] = [Said(N_("only a network publishes its reach"))]
    if problems:
        raise ValidationFailed.of(N_("the profile"), problems)
    return clean


def check_name_free(
    session: Session, actor: Actor, name: str, network_ids: Iterable[int], *, exclude_id: int | None
) -> None:
    """Refuse a name that another organisation in any of these networks already uses (folded),
    of the organisations the actor may see (Known.named)."""
    ids = list(network_ids)
    if not ids:
        return
    named = lookups(session).named(fold(name), ids, actor)
    clash = next((other for organisation_id, other in named if organisation_id != exclude_id), None)
    if clash is not None:
        raise name_taken(clash)


def name_taken(other: str) -> Conflict:
    """The refusal of a name another organisation in the network uses (folded alike)."""
    return Conflict(N_("an organisation named %(name)r is already in this network"), params={"name": other},
                    fields={"name": [Said(N_("already used in this network"))]})


def new_columns(
    values: Mapping[str, Any], network: Organisation | None, is_sample: bool
) -> tuple[dict[str, Any], list[Term], list[str]]:
    """A new organisation's columns, terms and area codes, from validated values."""
    columns: dict[str, Any] = {
        "registered_by_id": network.id if network else None, "is_sample": is_sample, "name": "",
        "name_translations": {}, "languages": [], "sex_worker_involvement": "", "public_listing": False,
        "published_fields": list(DEFAULT_PUBLISHED), "publishes_reach": False, "status": OrganisationStatus.ACTIVE,
    }
    terms: list[Term] = []
    area_codes: list[str] = []
    for key, value in values.items():
        if key in TERM_FIELDS:
            terms += value
        elif key == "areas_served":
            area_codes = list(value)
        else:
            columns[key] = value
    columns.update(search_keys(columns["name"], columns.get("acronym"), columns["name_translations"]))
    return columns, terms, area_codes


def search_keys(name: str, acronym: str | None, translations: Mapping[str, str]) -> dict[str, str]:
    """The folded name (duplicate checks) and search text an organisation's names give."""
    parts = [name, acronym or "", *translations.values()]
    return {"name_key": fold(name), "search_text": " | ".join(fold(p) for p in parts if p)}


def contact_values(kind: Any, value: str | None, label: str, visibility: Any) -> dict[str, Any]:
    """A contact's values, checked and normalised (`value` None: a change that leaves it alone)."""
    problems: dict[str, list[str]] = {}
    try:
        kind = ContactKind(kind)
    except ValueError:
        problems["kind"] = [Said(N_("one of: %(values)s"), values=", ".join(k.value for k in ContactKind))]
    try:
        visibility = Visibility(visibility)
        if visibility not in CONTACT_TIERS:
            raise ValueError
    except ValueError:
        problems["visibility"] = [Said(N_("contacts are public, secretariat or self only"))]
    if value is not None:
        value = contact_value(value)
        if not value or len(value) > 300:
            problems["value"] = [Said(N_("give a value of 1 to 300 characters"))]
        elif not storable(value):
            problems["value"] = [Said(N_("contains control characters or invalid code points"))]
    if len(label or "") > 100:
        problems["label"] = [Said(N_("at most 100 characters"))]
    elif not storable(label or ""):
        problems["label"] = [Said(N_("contains control characters or invalid code points"))]
    if problems:
        raise ValidationFailed.of(N_("the contact"), problems)
    return {"kind": kind, "value": value, "label": (label or "").strip(), "visibility": visibility}


def contact_value(value: str | None) -> str:
    """A contact's value as it is kept (and echoed to the one who wrote it)."""
    return (value or "").strip()


# What the audit log keeps of a contact's value: that it changed. Not the value, not even sealed:
# the log outlives the contact, and an address an organisation removes must then be gone.
VALUE_NOT_LOGGED = "(not logged: contact values are kept sealed, in the contact only)"
_CONTACT_AUDITED = ("kind", "label", "visibility")


def contact_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, *,
                    value_changed: bool) -> dict[str, list[Any]]:
    """A contact's change as the audit log records it: kind, label and tier before and after
    (None: added or removed), and, when the value changed, a note in its place."""
    was = dict(before or dict.fromkeys(_CONTACT_AUDITED))
    now = dict(after or dict.fromkeys(_CONTACT_AUDITED))
    changes = {k: [was[k], now[k]] for k in _CONTACT_AUDITED if was[k] != now[k]}
    if value_changed:
        changes["value"] = [None if before is None else VALUE_NOT_LOGGED, None if after is None else VALUE_NOT_LOGGED]
    return changes


def storable(text: str, *, multiline: bool = False) -> bool:
    """Text the registry keeps: no control characters (PostgreSQL refuses NUL, XML, which the
    XLSX export is, most of the others), no lone surrogates (no database can store them) and no
    noncharacters (U+FFFE, U+FFFF and their kin, which XML forbids or discourages and no text
    means); `multiline` text may hold line breaks and tabs."""
    if text.isprintable():  # no control character, surrogate or noncharacter: most text, checked by the thousand on import
        return True
    return not any(_unstorable(c, multiline) for c in text)


def _unstorable(character: str, multiline: bool) -> bool:
    category = unicodedata.category(character)
    if category == "Cc":
        return not (multiline and character in "\n\t\r")
    return category == "Cs" or noncharacter(character)


def noncharacter(character: str) -> bool:
    """U+FDD0 to U+FDEF, and the last two code points of every plane (U+FFFE, U+1FFFF, ...)."""
    code = ord(character)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _network_above_country(kind: Any) -> bool:
    return str(kind) in ("regional_network", "global_network")


def _text(max_length: int, *, required: bool = False, multiline: bool = False) -> Callable[..., Any]:
    def check(_known: Known, value: Any, _lineage: list[int]) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise ValidationFailed(N_("expected text"))
        value = unicodedata.normalize("NFC", value).strip()
        if required and not value:
            raise ValidationFailed(N_("must not be empty"))
        if len(value) > max_length:
            raise ValidationFailed(N_("at most %(most)s characters"), params={"most": max_length})
        if not storable(value, multiline=multiline):
            raise ValidationFailed(N_("contains control characters or invalid code points"))
        if not value and not required:
            return "" if multiline else None
        return value
    return check


def _enum(enum_name: str, nullable: bool = True) -> Callable[..., Any]:
    def check(_known: Known, value: Any, _lineage: list[int]) -> Any:
        enum_cls = getattr(organisations, enum_name)
        if value is None and nullable:
            return None
        try:
            return enum_cls(value)
        except ValueError:
            choices = ", ".join(m.value for m in enum_cls)
            raise ValidationFailed(N_("one of: %(choices)s"), params={"choices": choices}) from None
    return check


def _country(_known: Known, value: Any, _lineage: list[int]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValidationFailed(N_("%(value)r is not an ISO 3166-1 alpha-2 country code (VN, KH, LA...)"),
                               params={"value": value})
    return value.upper()


def _language(code: Any) -> str:
    if not isinstance(code, str) or not (
        (len(code) == 2 and pycountry.languages.get(alpha_2=code.lower()))
        or (len(code) == 3 and pycountry.languages.get(alpha_3=code.lower()))
    ):
        raise ValidationFailed(N_("%(code)r is not an ISO 639 language code (vi, km, lo, en...)"),
                               params={"code": code})
    return code.lower()


def _languages(_known: Known, value: Any, _lineage: list[int]) -> list[str]:
    if not isinstance(value, list):
        raise ValidationFailed(N_("expected a list of language codes"))
    return list(dict.fromkeys(_language(code) for code in value))


def _translations(known: Known, value: Any, lineage: list[int]) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValidationFailed(N_("expected {language code: name}"))
    name = _text(300, required=True)
    return {_language(lang): name(known, text, lineage) for lang, text in sorted(value.items())}


def _founding_date(_known: Known, value: Any, _lineage: list[int]) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:04d}"
    if not isinstance(value, str) or not PARTIAL_DATE_RULE.fullmatch(value):
        raise ValidationFailed(N_("use YYYY, YYYY-MM or YYYY-MM-DD"))
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        first_day = dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        raise ValidationFailed(N_("%(value)s is not a calendar date: use YYYY, YYYY-MM or YYYY-MM-DD"),
                               params={"value": value}) from None
    if first_day > dt.date.today() or parts[0] < 1800:
        raise ValidationFailed(N_("%(value)s is not a plausible founding date: give a past date after 1800"),
                               params={"value": value})
    return value


def _terms(vocabulary: Vocabulary) -> Callable[..., Any]:
    def check(known: Known, value: Any, lineage: list[int]) -> list[Any]:
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise ValidationFailed(N_("expected a list of codes"))
        try:
            return vocabularies.resolve(known.session, vocabulary, value, available=known.terms(vocabulary, lineage))
        except ValidationFailed as refused:  # the vocabulary's words, said in the reader's language
            raise ValidationFailed(refused.template, params=refused.params) from None
    return check


def _areas(known: Known, value: Any, _lineage: list[int]) -> list[str]:
    """Area codes, or places as people write them in any script (registry.areas.place_names): what is
    stored is always the code."""
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValidationFailed(N_("expected a list of area codes or place names"))
    given = list(dict.fromkeys(c.strip() for c in value))
    shaped = [c.upper() for c in given if areas.AREA_CODE.match(c.upper())]
    unknown = set(known.unknown_areas(shaped))
    codes, problems = [], []
    for text in given:
        if areas.AREA_CODE.match(text.upper()) and text.upper() not in unknown:
            codes.append(text.upper())
            continue
        try:
            codes.append(known.places().resolve(text))
        except (PlaceNotFound, AmbiguousPlace) as wrong:  # the message names the candidates
            problems.append(wrong.said)
    if problems:  # one message per place, each said in the reader's language
        raise ValidationFailed("; ".join(problems), fields={"areas_served": problems})
    return list(dict.fromkeys(codes))


def _drop_in_centres(_known: Known, value: Any, _lineage: list[int]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DROP_IN_CENTRES:
        raise ValidationFailed(N_("a whole number from 0 to %(most)s"), params={"most": _MAX_DROP_IN_CENTRES})
    return value


def _website(_known: Known, value: Any, _lineage: list[int]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 300:
        raise ValidationFailed(N_("a web address of at most 300 characters"))
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
        raise ValidationFailed(N_("a web address starting with https:// or http://"))
    return value.strip()


def _published_fields(_known: Known, value: Any, _lineage: list[int]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        raise ValidationFailed(N_("expected a list of field names"))
    unknown = sorted(set(value) - set(PUBLISHABLE_FIELDS))
    if unknown:
        raise ValidationFailed(N_("not fields an organisation chooses to publish: %(unknown)s (choose from "
                                  "%(known)s)"), params={"unknown": ", ".join(unknown),
                                                         "known": ", ".join(PUBLISHABLE_FIELDS)})
    return [f for f in PUBLISHABLE_FIELDS if f in value]  # one order, so the audit log compares sets


def _flag(_known: Known, value: Any, _lineage: list[int]) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(N_("true or false"))
    return value


_VALIDATORS: dict[str, Callable[[Known, Any, list[int]], Any]] = {
    "kind": _enum("OrganisationKind", nullable=False),
    "name": _text(300, required=True),
    "name_translations": _translations,
    "acronym": _text(30),
    "country": _country,
    "founding_date": _founding_date,
    "sex_worker_led": _enum("SexWorkerLed"),
    "sex_worker_involvement": _text(5000, multiline=True),
    "populations": _terms(Vocabulary.POPULATION),
    "services": _terms(Vocabulary.SERVICE),
    "priority_areas": _terms(Vocabulary.PRIORITY_AREA),
    "areas_served": _areas,
    "languages": _languages,
    "drop_in_centres": _drop_in_centres,
    "website": _website,
    "public_listing": _flag,
    "published_fields": _published_fields,
    "publishes_reach": _flag,
}
