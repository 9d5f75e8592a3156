"""A network's members as a spreadsheet (CSV, optionally with an HXL hashtag row, or XLSX),
in the import template's columns so that an export can be imported again.

This export is the secretariat's (it carries contact emails), so it needs the right to read
its members' contacts. Every cell that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy.orm import Session

from registry.errors import NotPermitted
from registry.member_import import COLUMNS
from registry.memberships import MembershipStatus, memberships_of
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, can

# HXL hashtags (hxlstandard.org) for each template column.
HXL = {
    "name": "#org+name", "acronym": "#org+acronym", "kind": "#org+type", "country": "#country+code",
    "founding_date": "#date+founded", "sex_worker_led": "#org+sw_led",
    "sex_worker_involvement": "#description+sw_involvement", "populations": "#org+populations+list",
    "services": "#activity+list", "priority_areas": "#sector+nswp+list", "areas_served": "#adm1+code+list",
    "languages": "#meta+languages+list", "drop_in_centres": "#indicator+num+drop_in_centres",
    "website": "#contact+url", "public_listing": "#status+public", "member_since": "#date+joined",
    "contact_email": "#contact+email",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def member_rows(session: Session, actor: Actor, network: Organisation, on: dt.date | None = None) -> list[dict[str, str]]:
    """Active members on `on` (default: now), one dict per row keyed by template header."""
    if not can(session, actor, Permission.MANAGE_MEMBERS, network.id):
        raise NotPermitted(f"{actor.label} may not export {network.name}'s member list")
    rows = []
    for membership in memberships_of(session, network.id):
        if membership.status_on(on) is not MembershipStatus.ACTIVE:
            continue
        member = membership.member
        admitted = [e.effective_on for e in membership.events
                    if e.to_status is MembershipStatus.ACTIVE and e.effective_on]
        values = _values(member)
        values["member_since"] = admitted[-1].isoformat() if admitted else ""
        values["contact_email"] = "; ".join(c.value for c in member.contacts if c.kind.value == "email")
        rows.append({c.header: values.get(c.field, "") for c in COLUMNS})
    return sorted(rows, key=lambda r: r["Name"])


def to_csv(rows: list[dict[str, str]], *, hxl: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    if hxl:
        writer.writerow([HXL[c.field] for c in COLUMNS])
    for row in rows:
        writer.writerow([neutralise(row[c.header]) for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append([neutralise(row[c.header]) for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def neutralise(value: str) -> str:
    """A cell a spreadsheet would evaluate (=, +, -, @, tab, CR first) is prefixed with '."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _values(member: Organisation) -> dict[str, Any]:
    return {
        "name": member.name, "acronym": member.acronym or "", "kind": member.kind.value,
        "country": member.country or "", "founding_date": member.founding_date or "",
        "sex_worker_led": member.sex_worker_led.value if member.sex_worker_led else "",
        "sex_worker_involvement": member.sex_worker_involvement or "",
        "populations": "; ".join(member.populations), "services": "; ".join(member.services),
        "priority_areas": "; ".join(member.priority_areas), "areas_served": "; ".join(member.areas_served),
        "languages": "; ".join(member.languages),
        "drop_in_centres": "" if member.drop_in_centres is None else str(member.drop_in_centres),
        "website": member.website or "", "public_listing": "yes" if member.public_listing else "no",
    }
