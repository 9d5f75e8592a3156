"""A network's members as a spreadsheet (CSV, optionally with an HXL hashtag row, or XLSX),
in the import template's columns so that the secretariat's export can be imported again.

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

from registry.access.contact_reads import read_contacts
from registry.access.permissions import Actor, Permission, can
from registry.access.visibility import FIELD_TIERS, at_least, profile_views, reader_for
from registry.errors import N_
from registry.exchange.spreadsheets import COLUMNS, Column
from registry.memberships.models import MembershipStatus
from registry.memberships.services import memberships_of
from registry.networks.directory import find_network
from registry.organisations.models import Organisation, Visibility

# HXL hashtags (hxlstandard.org) for each template column.
HXL = {
    "name": "#org+name", "acronym": "#org+acronym", "kind": "#org+type", "country": "#country+code",
    "founding_date": "#date+founded", "sex_worker_led": "#org+sw_led",
    "sex_worker_involvement": "#description+sw_involvement", "populations": "#org+populations+list",
    "services": "#activity+list", "priority_areas": "#sector+nswp+list", "areas_served": "#adm1+code+list",
    "languages": "#meta+languages+list", "drop_in_centres": "#indicator+num+drop_in_centres",
    "website": "#contact+url", "public_listing": "#status+public", "member_since": "#date+joined",
    "contact_email": "#contact+email", "id": "#org+code",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The template's two columns that are not profile fields, and the visibility entry that decides
# them: when a membership started is part of its history (the "memberships" tier).
_MEMBERSHIP_DATE = "memberships"


def member_rows(session: Session, actor: Actor, network: Organisation, on: dt.date | None = None) -> list[dict[str, str]]:
    """Active members on `on` (default: now) that the caller may see, one dict per row keyed by
    template header and holding only the columns the caller may see for that member."""
    network = find_network(session, actor, network.public_id)
    reader = reader_for(session, actor)
    everyone_in = memberships_of(session, network.id)
    reader.remember(membership.member_id for membership in everyone_in)
    # A member the public sees only if it publishes which networks it belongs to.
    shown = [(membership, reader.tier(membership.member)) for membership in everyone_in
             if membership.status_on(on) is MembershipStatus.ACTIVE and reader.shows(membership.member, "networks")]
    profiles = profile_views(session, reader, [membership.member for membership, _ in shown])
    rows = []
    for (membership, tier), profile in zip(shown, profiles, strict=True):
        member = membership.member
        values = _values(profile)
        if at_least(tier, FIELD_TIERS[_MEMBERSHIP_DATE]):
            admitted = [e.effective_on for e in membership.events
                        if e.to_status is MembershipStatus.ACTIVE and e.effective_on]
            values["member_since"] = admitted[-1].isoformat() if admitted else ""
        if can(session, actor, Permission.READ_CONTACTS, member.id):
            values["contact_email"] = "; ".join(
                c.value for c in read_contacts(session, actor, member) if c.kind.value == "email")
        rows.append({c.header: values[c.field] for c in COLUMNS if c.field in values})
    return sorted(rows, key=lambda r: r["Name"])


def columns_of(rows: list[dict[str, str]]) -> list[Column]:
    """The template columns any row holds, in template order (no rows: the public ones)."""
    if not rows:
        return [c for c in COLUMNS if FIELD_TIERS.get(c.field) is Visibility.PUBLIC]
    return [c for c in COLUMNS if any(c.header in row for row in rows)]


# Excel reads a CSV file without a byte-order mark in the machine's legacy code page, and
# Vietnamese, Khmer and Lao come out garbled; with one it reads UTF-8. Other tools may want none.
BOM = "\ufeff"


def to_csv(rows: list[dict[str, str]], *, hxl: bool = False, bom: bool = True) -> bytes:
    columns = columns_of(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    if hxl:
        writer.writerow([HXL[c.field] for c in columns])
    for row in rows:
        writer.writerow([neutralise(row.get(c.header, "")) for c in columns])
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    columns = columns_of(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append([c.header for c in columns])
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


def template_xlsx(say: Callable[[str], str] = str) -> bytes:
    """The empty import template as a workbook: the members sheet (headers and the help row)
    first, as the import reads only the first sheet, then a sheet explaining each column."""
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
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
