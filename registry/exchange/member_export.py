"""A network's members as a spreadsheet (CSV, optionally with an HXL hashtag row, or XLSX),
in the import template's columns so that the secretariat's export can be imported again; each
column of codes has a column of their names beside it, in the reader's language, which the
import passes over. Also the template, and the values its columns of codes take.

Every caller gets rows, each narrowed by registry.access.visibility: a row holds only the fields the
caller reads that member at (anonymous callers: members listed publicly, public fields, areas
rolled up to provinces). Contact emails go only to those who may read contacts, and reading
them is logged like any other contact read. Every cell a spreadsheet would run as a formula is
neutralised, and in a workbook every character XML cannot carry is replaced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from registry.access.contact_reads import read_contacts_of
from registry.access.permissions import Actor, Permission, can
from registry.access.profiles import profile_views
from registry.access.visibility import FIELD_TIERS, at_least, reader_for
from registry.errors import N_
from registry.areas.place_names import Listed, list_places
from registry.areas.services import areas_by_code
from registry.db import PAGE_MAX, PAGE_SIZE_MAX
from registry.exchange.spreadsheets import COLUMNS, NAME_COLUMNS, NAMED, VOCABULARIES, Column, NameColumn
from registry.memberships.models import MembershipStatus
from registry.memberships.services import active_memberships
from registry.networks.directory import seen_network
from registry.organisations import known
from registry.organisations.models import Organisation, Visibility
from registry.vocabularies.models import FALLBACK_LANGUAGE
from registry.vocabularies.services import terms, terms_of

# HXL hashtags (hxlstandard.org) for each template column.
HXL = {
    "name": "#org+name", "acronym": "#org+acronym", "kind": "#org+type", "country": "#country+code",
    "founding_date": "#date+founded", "sex_worker_led": "#org+sw_led",
    "sex_worker_involvement": "#description+sw_involvement", "populations": "#org+populations+list",
    "services": "#activity+list", "priority_areas": "#sector+nswp+list", "areas_served": "#adm1+code+list",
    "languages": "#meta+languages+list", "drop_in_centres": "#indicator+num+drop_in_centres",
    "website": "#contact+url", "public_listing": "#status+public", "member_since": "#date+joined",
    "contact_email": "#contact+email", "id": "#org+code",
    "populations_named": "#org+populations+name+list", "services_named": "#activity+name+list",
    "priority_areas_named": "#sector+nswp+name+list", "areas_served_named": "#adm1+name+list",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The template's two columns that are not profile fields, and the visibility entry that decides
# them: when a membership started is part of its history (the "memberships" tier).
_MEMBERSHIP_DATE = "memberships"


def member_rows(session: Session, actor: Actor, network: Organisation, on: dt.date | None = None, *,
                language: str = FALLBACK_LANGUAGE) -> list[dict[str, str]]:
    """Active members on `on` (default: now) that the caller may see, one dict per row keyed by
    template header (in English) and holding only the columns the caller may see for that member,
    each column of codes with a column of their names in `language` beside it."""
    network = seen_network(session, actor, network)
    reader = reader_for(session, actor)
    active = active_memberships(session, network.id, on)
    reader.remember(membership.member_id for membership in active)
    # A member the public sees only if it publishes which networks it belongs to.
    shown = [(membership, reader.tier(membership.member)) for membership in active
             if reader.shows(membership.member, "networks")]
    profiles = profile_views(session, reader, [membership.member for membership, _ in shown])
    lineage = known.lookups(session).lineage
    lineage.load(membership.member_id for membership, _ in shown)  # who reads whose contacts, for all at once
    readable = [m.member for m, _ in shown
                if can(session, actor, Permission.READ_CONTACTS, m.member_id, lineage=lineage)]
    contacts = read_contacts_of(session, actor, readable, lineage=lineage)
    names = _Names(session, network, language, on,
                   {code for profile in profiles for code in profile.get("areas_served") or ()})
    rows = []
    for (membership, tier), profile in zip(shown, profiles, strict=True):
        member = membership.member
        values = _values(profile) | names.beside(profile)
        if at_least(tier, FIELD_TIERS[_MEMBERSHIP_DATE]):
            admitted = [e.effective_on for e in membership.events
                        if e.to_status is MembershipStatus.ACTIVE and e.effective_on]
            values["member_since"] = admitted[-1].isoformat() if admitted else ""
        if member.id in contacts:
            values["contact_email"] = "; ".join(c.value for c in contacts[member.id] if c.kind.value == "email")
        rows.append({c.header: values[c.field] for c in (*COLUMNS, *NAME_COLUMNS) if c.field in values})
    return sorted(rows, key=lambda r: r["Name"])


class _Names:
    """Each code's label (vocabularies) or name (areas) in one language, read once for all rows."""

    def __init__(self, session: Session, network: Organisation, language: str, on: dt.date | None,
                 area_codes: set[str]) -> None:
        lineage = _lineage(session, network)
        found = terms_of(session, VOCABULARIES.values(), network_ids=lineage)
        self.names = {field: {term.code: term.label(language) for term in found[vocabulary]}
                      for field, vocabulary in VOCABULARIES.items()}
        self.names["areas_served"] = {code: area.names.get(language) or area.name
                                      for code, area in areas_by_code(session, area_codes, on).items()}

    def beside(self, profile: dict[str, Any]) -> dict[str, str]:
        """The name cells of the coded fields the reader was shown (a code without a name stays as it is)."""
        return {NAMED[field].field: "; ".join(self.names[field].get(code, code) for code in profile[field] or ())
                for field in NAMED if field in profile}


def _lineage(session: Session, network: Organisation) -> list[int]:
    """The network and those above it: whose vocabulary extensions its members may use."""
    return [network.id, *known.lookups(session).lineage.of(network.id)]


def columns_of(rows: list[dict[str, str]]) -> list[Column | NameColumn]:
    """The template columns any row holds, in template order, each column of codes followed by
    its column of names (no rows: the public ones)."""
    if not rows:
        shown = [c for c in COLUMNS if FIELD_TIERS.get(c.field) is Visibility.PUBLIC]
    else:
        shown = [c for c in COLUMNS if any(c.header in row for row in rows)]
    return [named for c in shown for named in ((c, NAMED[c.field]) if c.field in NAMED else (c,))]


# Excel reads a CSV file without a byte-order mark in the machine's legacy code page, and
# Vietnamese, Khmer and Lao come out garbled; with one it reads UTF-8. Other tools may want none.
BOM = "\ufeff"


def to_csv(rows: list[dict[str, str]], *, hxl: bool = False, bom: bool = True,
           say: Callable[[str], str] = str) -> bytes:
    """`say` puts the headers in the reader's language, as the template's (the import reads them in any)."""
    columns = columns_of(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([say(c.header) for c in columns])
    if hxl:
        writer.writerow([HXL[c.field] for c in columns])
    for row in rows:
        writer.writerow([neutralise(row.get(c.header, "")) for c in columns])
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, str]], say: Callable[[str], str] = str) -> bytes:
    from openpyxl import Workbook

    columns = columns_of(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append([say(c.header) for c in columns])
    for row in rows:
        sheet.append([xml_text(neutralise(row.get(c.header, ""))) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xml_text(value: str) -> str:
    """A cell as XML 1.0 can carry it: a character it forbids (most C0 controls, U+FFFE, U+FFFF,
    a lone surrogate) becomes U+FFFD. Text stored before the registry refused them may hold
    them; openpyxl refuses some and writes the others into a workbook no reader opens."""
    return _NOT_XML.sub("\ufffd", value)


def neutralise(value: str) -> str:
    """A cell a spreadsheet would evaluate (=, +, -, @, tab, CR first) is prefixed with '."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _values(profile: dict[str, Any]) -> dict[str, str]:
    """The template cells of the profile fields a reader was shown (absent fields stay absent)."""
    cells: dict[str, str] = {}
    for field, value in profile.items():
        if value is None:
            cells[field] = ""
        elif field in ("populations", "services", "priority_areas", "areas_served", "languages"):
            cells[field] = "; ".join(value)
        elif field == "public_listing":
            cells[field] = "yes" if value else "no"
        elif isinstance(value, bool | int | str) or hasattr(value, "value"):
            cells[field] = str(getattr(value, "value", value))
    return cells


# The template's help row starts with "#", which the import skips as it skips an HXL row.
TEMPLATE_NOTE = "# "


def template_csv(say: Callable[[str], str] = str, *, bom: bool = True) -> bytes:
    """The empty import template: the headers, then a row of help (skipped on import). `say`
    puts the template's words (N_) in the reader's language; the import knows its headers in
    every language the caller names (import_members' `headers`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([say(c.header) for c in COLUMNS])
    writer.writerow([TEMPLATE_NOTE + say(COLUMNS[0].help), *(say(c.help) for c in COLUMNS[1:])])
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


_YES_NO = {"sex_worker_led": (N_("yes"), N_("partly"), N_("no")), "public_listing": (N_("yes"), N_("no"))}


def allowed_values(session: Session, network: Organisation | None, language: str = FALLBACK_LANGUAGE,
                   say: Callable[[str], str] = str) -> list[tuple[str, str, str]]:
    """What a person may write in the template's columns of codes, as (column header, value,
    what it means in `language`) rows: each vocabulary's codes with their labels (the network's
    own terms included), the areas in force in the network's country, and the yes/no columns.
    Without a network: the core vocabularies and the yes/no columns."""
    headers = {c.field: say(c.header) for c in COLUMNS}
    lineage = _lineage(session, network) if network else []
    rows = [(headers[field], term.code, term.label(language))
            for field, vocabulary in VOCABULARIES.items() for term in terms(session, vocabulary, network_ids=lineage)]
    if network is not None and network.country:
        listed: list[Listed] = []
        for page in range(1, PAGE_MAX + 1):  # a country's areas are counted in hundreds
            places = list_places(session, country=network.country, page=page, page_size=PAGE_SIZE_MAX)
            listed += places.items
            if len(listed) >= places.total or not places.items:
                break
        rows += [(headers["areas_served"], p.area.code, p.area.names.get(language) or p.area.name) for p in listed]
    rows += [(headers[field], value, say(value)) for field, values in _YES_NO.items() for value in values]
    return rows


def template_xlsx(say: Callable[[str], str] = str, allowed: list[tuple[str, str, str]] | None = None) -> bytes:
    """The empty import template as a workbook: the members sheet (headers and the help row)
    first, as the import reads only the first sheet, then a sheet explaining each column, then
    the `allowed` values (allowed_values) to pick from."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    members = workbook.create_sheet("members")
    members.append([say(c.header) for c in COLUMNS])
    members.append([TEMPLATE_NOTE + say(COLUMNS[0].help), *(say(c.help) for c in COLUMNS[1:])])
    guide = workbook.create_sheet("help")
    guide.append([say(N_("Column")), say(N_("What to write")), say(N_("Also recognised as"))])
    for column in COLUMNS:
        guide.append([say(column.header), say(column.help), "; ".join(column.aliases)])
    guide.append([])
    guide.append([say(N_("Separate several values in one cell with ; (or a line break). The row starting "
                         "with # is skipped on import; write members from the row after it."))])
    values = workbook.create_sheet("values")
    values.append([say(N_("Column")), say(N_("Value")), say(N_("What it means"))])
    for row in allowed or ():
        values.append([xml_text(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
