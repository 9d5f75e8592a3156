"""Seating a certified election's winners: each takes a seat and a term on the body.

Winners of a constituency's count take that constituency's reserved seats; winners of the
open count take the open seats in the order the count elected them, lowest term class first
(then lowest seat number). A term runs from the election's term start (or the day of
certification) for the body's term length. When an election fills every seat of a body with
k staggered classes at once, class c's first term is shortened to (k - c + 1)/k of a term,
so the classes fall due in different years afterwards: the first elected get the longest terms.
Whoever still held a seat being filled leaves it the day before the new term starts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access.permissions import Actor
from registry.elections.ballots import ballot_ids
from registry.elections.models import Election
from registry.errors import N_, Conflict
from registry.governance.models import OPEN_SEATS, GoverningBody, Officeholder, Seat
from registry.governance.services import end_term, seat_officeholder, term_end


def seats_up(election: Election) -> list[Seat]:
    """The seats the election fills, in the order open winners take them."""
    return sorted((s for s in election.body.seat_plan if election.term_class in (None, s.term_class)),
                  key=lambda s: (s.term_class, s.number))


def term_months(body: GoverningBody, election: Election, seat: Seat) -> int | None:
    if body.term_months is None:
        return None
    if election.term_class is None and body.term_classes > 1:
        return body.term_months * (body.term_classes - seat.term_class + 1) // body.term_classes
    return body.term_months


def seat_winners(session: Session, actor: Actor, election: Election, starts_on: dt.date) -> list[Officeholder]:
    """Make every winner in the election's result an officeholder (called on certification)."""
    if election.result is None:
        raise Conflict(N_("%(title)s has not been counted"), params={"title": election.title})
    body = election.body
    free = seats_up(election)
    nominations = ballot_ids(election)  # as the result names them
    seated = []
    for winner in election.result["elected"]:
        constituency = None if winner["seats_for"] == OPEN_SEATS else winner["seats_for"]
        seat = next((s for s in free if s.constituency == constituency), None)
        if seat is None:
            raise Conflict(N_("%(body)s has no free seat left for %(group)s"),
                           params={"body": election.body.name, "group": winner["seats_for"]})
        free.remove(seat)
        _vacate(session, actor, seat, starts_on, election)
        nomination = nominations[winner["nomination_id"]]
        seated.append(seat_officeholder(
            session, actor, body, seat, name=nomination.name, starts_on=starts_on,
            ends_on=term_end(starts_on, term_months(body, election, seat)),
            nominated_by_id=nomination.nominated_by_id, election_id=election.id,
        ))
    return seated


def _vacate(session: Session, actor: Actor, seat: Seat, starts_on: dt.date, election: Election) -> None:
    for holder in session.scalars(select(Officeholder).where(Officeholder.seat_id == seat.id)):
        if holder.ends_on is not None and holder.ends_on < starts_on:
            continue
        if holder.starts_on >= starts_on:
            raise Conflict(N_("seat %(number)s already has a term starting on %(date)s"),
                           params={"number": seat.number, "date": holder.starts_on.isoformat()})
        end_term(session, actor, holder, last_day=starts_on - dt.timedelta(days=1),
                 reason=f"succeeded by the winner of {election.title}")
