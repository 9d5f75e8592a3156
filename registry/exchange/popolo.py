"""A network as Popolo-shaped JSON (popoloproject.com): its member organisations and their
memberships, its governing bodies' seats as posts with their officeholders, and certified
election results as vote events with counts.

What goes in is what the caller may see, decided where it always is: each organisation through
registry.access.visibility (fields, rolled-up areas), membership start dates at the tier of a
membership's history, and bodies, officeholders and results only for those who may read the
network's governance. Contacts are never part of it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Permission, can
from registry.access.profiles import profile_views
from registry.access.visibility import FIELD_TIERS, Reader, at_least, reader_for
from registry.elections.models import Election, ElectionPhase
from registry.elections.phases import elections_of
from registry.elections.results import published_result
from registry.governance.models import OPEN_SEATS
from registry.governance.services import bodies_of, officeholders_of
from registry.memberships.models import MembershipStatus
from registry.memberships.services import active_memberships
from registry.names import fold
from registry.networks.directory import find_network
from registry.organisations.models import Organisation

# Profile fields that Popolo has no property for, carried as they are.
_EXTRA = ("country", "is_sample", "sex_worker_led", "populations", "services", "priority_areas",
          "areas_served", "languages", "drop_in_centres", "sex_worker_involvement")


def organization_id(organisation: Organisation) -> str:
    return f"organization-{organisation.public_id}"


def network_popolo(session: Session, actor: Actor, network_id: str, on: dt.date | None = None) -> dict[str, Any]:
    """The network and its active members on `on` (default: today), as the caller may see them."""
    network = find_network(session, actor, network_id)
    reader = reader_for(session, actor)
    active = active_memberships(session, network.id, on)
    reader.remember(membership.member_id for membership in active)
    # A member the public sees only if it publishes which networks it belongs to.
    shown = [(membership, reader.tier(membership.member)) for membership in active
             if reader.shows(membership.member, "networks")]
    everyone = [network, *(membership.member for membership, _ in shown)]
    organizations = [_organization(o, profile)
                     for o, profile in zip(everyone, profile_views(session, reader, everyone), strict=True)]
    memberships: list[dict[str, Any]] = []
    for membership, tier in shown:
        member = membership.member
        entry: dict[str, Any] = {
            "id": f"membership-{membership.public_id}", "organization_id": organization_id(network),
            "member": {"@type": "Organization", "id": organization_id(member)}, "role": "member"}
        if at_least(tier, FIELD_TIERS["memberships"]):
            admitted = [e.effective_on for e in membership.events if e.to_status is MembershipStatus.ACTIVE
                        and e.effective_on and (on is None or e.effective_on <= on)]
            if admitted:
                entry["start_date"] = admitted[-1].isoformat()
        memberships.append(entry)
    organizations[1:] = sorted(organizations[1:], key=lambda o: (fold(o["name"]), o["id"]))
    document: dict[str, Any] = {"organizations": organizations, "persons": [], "posts": [],
                                "memberships": memberships, "vote_events": []}
    if can(session, actor, Permission.READ_GOVERNANCE, network.id):
        _governance(session, actor, reader, network, document)
    return document


def _organization(organisation: Organisation, profile: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": organization_id(organisation), "name": profile["name"],
        "classification": profile["kind"].value,
        "identifiers": [{"scheme": "registry", "identifier": organisation.public_id}],
    }
    other_names = [{"name": name, "note": f"name in {language}"}
                   for language, name in sorted((profile.get("name_translations") or {}).items())]
    if profile.get("acronym"):
        other_names.append({"name": profile["acronym"], "note": "acronym"})
    if other_names:
        found["other_names"] = other_names
    if profile.get("founding_date"):
        found["founding_date"] = profile["founding_date"]  # YYYY, YYYY-MM or YYYY-MM-DD, as Popolo's
    if profile.get("website"):
        found["links"] = [{"url": profile["website"], "note": "website"}]
    for field in _EXTRA:
        if field in profile:
            value = profile[field]
            found[field] = getattr(value, "value", value)
    return found


def _governance(session: Session, actor: Actor, reader: Reader, network: Organisation,
                document: dict[str, Any]) -> None:
    persons: dict[str, str] = {}  # fold(name) -> person id: governance knows a person by name
    for body in bodies_of(session, network.id):
        body_id = f"body-{body.public_id}"
        entry: dict[str, Any] = {"id": body_id, "name": body.name, "classification": body.kind.value,
                                 "parent_id": organization_id(network)}
        if body.established:
            entry["founding_date"] = body.established
        document["organizations"].append(entry)
        for seat in body.seat_plan:
            post = {"id": f"post-{seat.public_id}", "organization_id": body_id, "role": "member",
                    "label": f"{body.name}, seat {seat.number}"}
            if seat.constituency:
                post["other_label"] = f"reserved for {seat.constituency}"
            document["posts"].append(post)
        for holder in officeholders_of(session, actor, body):
            if holder.name_key not in persons:
                persons[holder.name_key] = f"person-{len(persons) + 1}"
                document["persons"].append({"id": persons[holder.name_key], "name": holder.name})
            person = persons[holder.name_key]
            term: dict[str, Any] = {"id": f"officeholder-{holder.public_id}", "person_id": person,
                                    "organization_id": body_id, "post_id": f"post-{holder.seat.public_id}",
                                    "role": "member", "start_date": holder.starts_on.isoformat()}
            if holder.ends_on is not None:
                term["end_date"] = holder.ends_on.isoformat()
            if holder.nominated_by is not None and reader.tier(holder.nominated_by) is not None:
                term["on_behalf_of_id"] = organization_id(holder.nominated_by)
            document["memberships"].append(term)
    for election in reversed(elections_of(session, actor, network)):  # oldest first
        if election.phase is not ElectionPhase.CERTIFIED or election.result is None:
            continue
        document["vote_events"] += _vote_events(session, actor, election)


def _vote_events(session: Session, actor: Actor, election: Election) -> list[dict[str, Any]]:
    """One vote event per seat group counted: the first-preference (or plurality) counts per
    candidate, the turnout, and who was elected."""
    result = published_result(session, actor, election)
    events = []
    for count in result.counts:
        group = count["seats_for"]
        first = count["rounds"][0]["votes"] if count["rounds"] else {}
        elected = [e.name for e in result.elected if e.seats_for == group]
        events.append({
            "id": f"vote-event-{election.public_id}-{fold(group).replace(' ', '-')}",
            "organization_id": f"body-{election.body.public_id}",
            "identifier": election.public_id,
            "motion": {"text": f"{result.title}: "
                               + ("open seats" if group == OPEN_SEATS else f"seats reserved for {group}")},
            "start_date": result.certified_on.isoformat() if result.certified_on else None,
            "result": "elected: " + ", ".join(elected) if elected else "nobody elected",
            "counts": [{"option": result.candidates.get(str(candidate), str(candidate)), "value": _number(votes)}
                       for candidate, votes in first.items()],
            "method": result.method, "seats": count["seats"], "quota": count["quota"],
            "valid_ballots": count["valid_ballots"], "abstentions": count["abstentions"],
            "roll": result.roll, "turnout": result.turnout, "quorum_met": result.quorum_met,
            "elected": elected,
        })
    return events


def _number(votes: str | int) -> int | str:
    """A count as a whole number when it is one (first preferences are); otherwise the exact text."""
    value = Decimal(str(votes))
    return int(value) if value == value.to_integral_value() else str(votes)
