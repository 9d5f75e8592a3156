"""Governing bodies of networks: boards and coordinating committees, their seats and who held them.

VNSW's board of five and WNU's coordinating committee of five are elected by member
organisations. A body has numbered seats; with staggered terms the seats fall into classes
whose terms end in different years, and a seat may be reserved for a region or constituency.
An officeholder is recorded by name or pseudonym only, with the organisation that nominated
them and the first and last day of the term (both inclusive).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, require
from registry.db import today
from registry.elections.models import UNDECIDED_PHASES, Election
from registry.errors import N_, Conflict, NotFound, Said, ValidationFailed
from registry.governance.models import (
    DEFAULT_BREAK_MONTHS, OPEN_SEATS, BodyKind, GoverningBody, Officeholder, Seat, SeatHolding
)
from registry.names import fold
from registry.organisations.models import Organisation
from registry.organisations.rules import PARTIAL_DATE_RULE


# A name or pseudonym, never a way to reach or identify the person: no e-mail, web address or
# phone-like run of digits.
_CONTACT_LIKE = re.compile(r"@|https?://|www\.|\d[\d\s().+\-]{5,}\d", re.IGNORECASE)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: dt.date, months: int | None) -> dt.date | None:
    """The last day of a term of `months` starting on `starts_on`; None for an open-ended one."""
    return None if months is None else add_months(starts_on, months) - dt.timedelta(days=1)


def check_person_name(field: str, name: str) -> str:
    """A candidate's or officeholder's name or pseudonym, trimmed; refused if it carries contacts."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ValidationFailed.on(field, N_("give a name or pseudonym of 1 to 200 characters"))
    if _CONTACT_LIKE.search(name):
        raise ValidationFailed.on(field, N_("a name or pseudonym only: no e-mail, web address or phone number"))
    return name


def _check_constituency(label: str) -> str:
    label = " ".join((label or "").split())
    if not label or len(label) > 100 or fold(label) == OPEN_SEATS:
        raise ValidationFailed.on("constituency", N_("1 to 100 characters, and not %(open)s"), open=repr(OPEN_SEATS))
    return label


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def define_body(
    session: Session,
    actor: Actor,
    network: Organisation,
    *,
    kind: BodyKind | str,
    name: str,
    seats: int,
    term_months: int | None = None,
    term_classes: int = 1,
    term_limit: int | None = None,
    reserved_seats: Mapping[str, int] | None = None,
    established: str | None = None,
    notes: str = "",
) -> GoverningBody:
    """Create a network's board or coordinating committee and its numbered seats.

    Reserved seats take the lowest numbers (constituencies in name order). With `term_classes`
    k > 1 the seats are split into k classes of near-equal size, seat 1 in class 1; configure_seat
    changes a seat's class or constituency.
    """
    require(session, actor, Permission.MANAGE_GOVERNANCE, network.id)
    if not network.is_network:
        raise ValidationFailed.on("network", N_("%(network)s is not a network"), network=network.name)
    problems: dict[str, list[str]] = {}
    try:
        kind = BodyKind(kind)
    except ValueError:
        problems["kind"] = [Said(N_("one of: %(values)s"), values=", ".join(k.value for k in BodyKind))]
    if not name.strip() or len(name) > 300:
        problems["name"] = [Said(N_("give a name of 1 to 300 characters"))]
    if not _whole(seats, 1, 100):
        problems["seats"] = [Said(N_("a whole number from 1 to 100"))]
    if term_months is not None and not _whole(term_months, 1, 240):
        problems["term_months"] = [Said(N_("a whole number of months from 1 to 240"))]
    if not _whole(term_classes, 1, 100) or (_whole(seats, 1, 100) and term_classes > seats):
        problems["term_classes"] = [Said(N_("a whole number from 1 to the number of seats"))]
    elif term_classes > 1 and term_months is None:
        problems["term_classes"] = [Said(N_("staggered terms need a term length (term_months)"))]
    if term_limit is not None and not _whole(term_limit, 1, 20):
        problems["term_limit"] = [Said(N_("a whole number of consecutive terms from 1 to 20"))]
    reserved: dict[str, int] = {}
    for label, count in (reserved_seats or {}).items():
        try:
            label = _check_constituency(label)
        except ValidationFailed as refused:
            problems["reserved_seats"] = [Said(N_("constituency %(label)s: %(reason)s"), label=repr(label),
                                               reason=refused.said)]
            continue
        if not _whole(count, 1, 100):
            problems["reserved_seats"] = [Said(N_("a whole number of seats for %(label)s"), label=repr(label))]
        else:
            reserved[label] = count
    if _whole(seats, 1, 100) and sum(reserved.values()) > seats:
        problems["reserved_seats"] = [Said(N_("more reserved seats than seats"))]
    if established is not None and not PARTIAL_DATE_RULE.fullmatch(established):
        problems["established"] = [Said(N_("use YYYY, YYYY-MM or YYYY-MM-DD"))]
    if problems:
        raise ValidationFailed.of(N_("the governing body"), problems)
    if session.scalar(select(GoverningBody).where(GoverningBody.network_id == network.id,
                                                  GoverningBody.name == name.strip())):
        raise Conflict(N_("%(network)s already has a body named %(name)s"),
                       params={"network": network.name, "name": repr(name)})
    labels = [label for label in sorted(reserved) for _ in range(reserved[label])]
    body = GoverningBody(
        network_id=network.id, kind=kind, name=name.strip(), seats=seats, term_months=term_months,
        term_classes=term_classes, term_limit=term_limit, established=established, notes=notes.strip(),
        seat_plan=[Seat(number=n, term_class=(n - 1) * term_classes // seats + 1,
                        constituency=labels[n - 1] if n <= len(labels) else None)
                   for n in range(1, seats + 1)],
    )
    session.add(body)
    audit.record(session, actor, "define_body", body,
                 {"name": [None, body.name], "kind": [None, kind], "seats": [None, seats],
                  "term_months": [None, term_months], "term_classes": [None, term_classes],
                  "term_limit": [None, term_limit], "reserved_seats": [None, reserved or None],
                  "established": [None, established]},
                 organisation_id=network.id)
    session.flush()  # the caller is given the body with its id
    return body


def configure_seat(
    session: Session,
    actor: Actor,
    body: GoverningBody,
    number: int,
    *,
    term_class: int | None = None,
    constituency: str | None = None,
    open_seat: bool = False,
) -> Seat:
    """Move a seat to another term class, reserve it for `constituency`, or make it open again."""

    require(session, actor, Permission.MANAGE_GOVERNANCE, body.network_id)
    seat = next((s for s in body.seat_plan if s.number == number), None)
    if seat is None:
        raise NotFound(N_("%(body)s has no seat %(number)s"), params={"body": body.name, "number": number})
    if session.scalar(select(Election.id).where(Election.body_id == body.id,
                                                Election.phase.in_(UNDECIDED_PHASES))):
        raise Conflict(N_("%(body)s has an election under way; change its seats after it ends"),
                       params={"body": body.name})
    before = {"term_class": seat.term_class, "constituency": seat.constituency}
    if term_class is not None:
        if not _whole(term_class, 1, body.term_classes):
            raise ValidationFailed.on("term_class", N_("a class from 1 to %(classes)s"), classes=body.term_classes)
        seat.term_class = term_class
    if open_seat and constituency is not None:
        raise ValidationFailed.on("constituency", N_("a seat is either open or reserved, not both"))
    if open_seat:
        seat.constituency = None
    elif constituency is not None:
        seat.constituency = _check_constituency(constituency)
    audit.record(session, actor, "configure_seat", seat,
                 audit.diff(before, {"term_class": seat.term_class, "constituency": seat.constituency}),
                 organisation_id=body.network_id)
    return seat


def record_officeholder(
    session: Session,
    actor: Actor,
    body: GoverningBody,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    nominated_by: Organisation | None = None,
    seat_number: int | None = None,
) -> Officeholder:
    """Record who held a seat (past or present). Without `seat_number`, the lowest-numbered
    seat vacant for the whole term is taken."""
    require(session, actor, Permission.MANAGE_GOVERNANCE, body.network_id)
    name = check_person_name("name", name)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed.on("ends_on", N_("a term cannot end before it starts"))
    holders = _officeholders(session, body)
    free = [s for s in body.seat_plan if not any(_overlap(h, starts_on, ends_on) for h in holders
                                                  if h.seat_id == s.id)]
    if seat_number is not None:
        if seat_number not in {s.number for s in body.seat_plan}:
            # A seat named in the request's body, not its address: the request is refused, not "not found".
            raise ValidationFailed.on("seat_number", N_("%(body)s has no seat %(number)s"), body=body.name,
                                      number=seat_number)
        free = [s for s in free if s.number == seat_number]
    if not free:
        if seat_number is not None:
            raise Conflict(N_("seat %(number)s of %(body)s is held by someone else during that term"),
                           params={"number": seat_number, "body": body.name})
        raise Conflict(N_("every seat of %(body)s is held by someone else during that term"),
                       params={"body": body.name})
    holder = seat_officeholder(session, actor, body, free[0], name=name, starts_on=starts_on,
                               ends_on=ends_on, nominated_by_id=nominated_by.id if nominated_by else None)
    session.flush()  # the caller is given the term with its id
    return holder


def seat_officeholder(
    session: Session,
    actor: Actor,
    body: GoverningBody,
    seat: Seat,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    nominated_by_id: int | None,
    election_id: int | None = None,
) -> Officeholder:
    """Write one term on a seat the caller has checked is free (record_officeholder, certification)."""
    holder = Officeholder(body_id=body.id, seat=seat, name=name, name_key=fold(name),
                          nominated_by_id=nominated_by_id, starts_on=starts_on, ends_on=ends_on,
                          election_id=election_id)
    session.add(holder)
    audit.record(session, actor, "seat_officeholder", holder,
                 {"name": [None, name], "seat": [None, seat.number], "starts_on": [None, starts_on],
                  "ends_on": [None, ends_on], "nominated_by_id": [None, nominated_by_id],
                  "election_id": [None, election_id]},
                 organisation_id=body.network_id)
    return holder


def end_term(
    session: Session, actor: Actor, holder: Officeholder, *, last_day: dt.date, reason: str = ""
) -> Officeholder:
    """End a term early (resignation, replacement) or close an open-ended one."""
    body = session.get_one(GoverningBody, holder.body_id)
    require(session, actor, Permission.MANAGE_GOVERNANCE, body.network_id)
    if last_day < holder.starts_on:
        raise ValidationFailed.on("last_day", N_("a term cannot end before it starts"))
    if holder.ends_on is not None and last_day > holder.ends_on:
        raise ValidationFailed.on("last_day", N_("the term already ends on %(date)s"), date=holder.ends_on.isoformat())
    if len(reason) > 2000:
        raise ValidationFailed.on("reason", N_("at most 2000 characters"))
    before = {"ends_on": holder.ends_on, "left_reason": holder.left_reason}
    holder.ends_on, holder.left_reason = last_day, reason.strip()
    audit.record(session, actor, "end_term", holder,
                 audit.diff(before, {"ends_on": last_day, "left_reason": holder.left_reason}),
                 organisation_id=body.network_id)
    return holder


def bodies_of(session: Session, network_id: int) -> list[GoverningBody]:
    return list(session.scalars(
        select(GoverningBody).where(GoverningBody.network_id == network_id).order_by(GoverningBody.id)
    ))


def composition(
    session: Session, actor: Actor, body: GoverningBody, on: dt.date | None = None
) -> list[SeatHolding]:
    """Every seat of the body and who held it on `on` (default: today)."""
    require(session, actor, Permission.READ_GOVERNANCE, body.network_id)
    on = on or today()
    holders = _officeholders(session, body)
    return [SeatHolding(seat, next((h for h in holders if h.seat_id == seat.id and h.holds_on(on)), None))
            for seat in body.seat_plan]


def officeholders_of(session: Session, actor: Actor, body: GoverningBody) -> list[Officeholder]:
    """Every term ever recorded on the body, earliest first."""
    require(session, actor, Permission.READ_GOVERNANCE, body.network_id)
    return _officeholders(session, body)


def consecutive_terms(session: Session, body: GoverningBody, name: str, *, before: dt.date) -> int:
    """How many consecutive terms on `body` the person called `name` will have served when a
    new term starts on `before` (terms still running then count).

    Terms are consecutive unless the person held no seat on the body for at least one term
    length (DEFAULT_BREAK_MONTHS when the body has none). A person is known by fold(name), so a
    change of pseudonym starts a new record, and two people sharing a name share one.
    """
    key = fold(name)
    terms = sorted((h for h in _officeholders(session, body) if h.name_key == key and h.starts_on < before),
                   key=lambda h: h.starts_on, reverse=True)
    gap_months = body.term_months or DEFAULT_BREAK_MONTHS
    count, resumed = 0, before
    for term in terms:
        ended = term.ends_on if term.ends_on is not None and term.ends_on < resumed else resumed
        if add_months(ended, gap_months) < resumed:
            break
        count, resumed = count + 1, min(resumed, term.starts_on)
    return count


def _officeholders(session: Session, body: GoverningBody) -> list[Officeholder]:
    return list(session.scalars(
        select(Officeholder).where(Officeholder.body_id == body.id)
        .order_by(Officeholder.starts_on, Officeholder.id)
    ))


def _overlap(holder: Officeholder, starts_on: dt.date, ends_on: dt.date | None) -> bool:
    return (holder.ends_on is None or starts_on <= holder.ends_on) and (ends_on is None or holder.starts_on <= ends_on)
