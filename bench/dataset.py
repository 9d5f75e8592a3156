"""The benchmarks' synthetic registry: 10,000 sample organisations and 100,000 membership events,
built on a database that Alembic migrated and the seeds loaded (`build`), on SQLite or on a
scratch PostgreSQL database (registry.db.scratch_database).

Every name reads "Sample bench …", every row is `is_sample`, every contact is at example.org
and sealed, as add_contact seals it, with the keys the caller gives (the servers that read the
dataset need the same key file).
The organisations' profiles use the seeds' vocabularies and the gazetteer's real admin-1 codes
(and Phnom Penh's khans), spread over twelve countries; each country has three sample national
networks, themselves members of APNSW. Memberships follow the lifecycle table of
registry.memberships step by step (apply, verify, admit, suspend, reinstate, ...).

Going through the service functions would take minutes (each writes its audit entry and
flushes), so the rows are inserted in bulk, exactly as the service functions would write them:
the codes are resolved by the domain's own validators and every membership move is checked
against LIFECYCLE. What is left out on purpose: the audit entries of these fixtures.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.networks import tree as network_tree
from registry.areas.models import Area
from registry.db import make_engine, make_sessionmaker, today, utcnow
from registry.memberships.models import LIFECYCLE, REASON_REQUIRED, Membership, MembershipAction, MembershipEvent
from registry.memberships.models import MembershipStatus as S
from registry.migrate import upgrade
from registry.names import fold
from registry.organisations.models import ADMIN_FIELDS, PROFILE_FIELDS
from registry.organisations.rules import validate_profile
from registry.organisations.models import (
    Contact, ContactKind, Organisation, OrganisationArea, OrganisationKind, OrganisationStatus, OrganisationTerm,
    Visibility
)
from registry.access.permissions import Actor
from registry.access.sealing import KeySource, ring_of, seal_contact, use_keys
from seeds.load import load_all

ORGANISATIONS = 10_000
EVENTS = 100_000
NETWORKS_PER_COUNTRY = 3
# Country: the language its sample organisations work in (besides English).
COUNTRIES = {"VN": "vi", "KH": "km", "LA": "lo", "TH": "th", "MM": "my", "ID": "id",
             "PH": "tl", "MY": "ms", "IN": "hi", "NP": "ne", "BD": "bn", "CN": "zh"}
A = MembershipAction
# A membership's next move, by its current state, with how often members make it.
MOVES: dict[S | None, list[tuple[MembershipAction, int]]] = {
    None: [(A.APPLY, 1)],
    S.APPLIED: [(A.VERIFY, 18), (A.REJECT, 1), (A.WITHDRAW, 1)],
    S.VERIFIED: [(A.ADMIT, 19), (A.REJECT, 1)],
    S.ACTIVE: [(A.SUSPEND, 8), (A.LAPSE, 8), (A.WITHDRAW, 2), (A.EXPEL, 2)],
    S.SUSPENDED: [(A.REINSTATE, 16), (A.LAPSE, 2), (A.WITHDRAW, 1), (A.EXPEL, 1)],
    S.LAPSED: [(A.REINSTATE, 18), (A.WITHDRAW, 1), (A.EXPEL, 1)],
    S.WITHDRAWN: [(A.APPLY, 1)],
    S.REJECTED: [(A.APPLY, 1)],
    S.EXPELLED: [(A.REINSTATE, 1), (A.APPLY, 1)],
}
ACTOR = Actor.system("bench dataset")


@dataclass(frozen=True)
class Dataset:
    url: str
    organisations: int
    networks: int
    memberships: int
    events: int
    seconds: float


def build(url: str, *, keys: KeySource, organisations: int = ORGANISATIONS, events: int = EVENTS,
          seed: int = 7) -> Dataset:
    """Migrate `url` (an empty database), load the seeds but their sample network, then add the
    synthetic organisations, their contacts sealed with `keys`."""
    import time

    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    try:
        with use_keys(make_sessionmaker(engine)(), keys) as session:
            load_all(session, ACTOR, sample=False)  # the synthetic organisations are the sample
            session.commit()
            counts = _populate(session, random.Random(seed), organisations, events)
            session.commit()
    finally:
        engine.dispose()
    return Dataset(url, *counts, seconds=time.perf_counter() - started)


def _populate(session: Session, rng: random.Random, organisations: int, events: int) -> tuple[int, int, int, int]:
    apnsw = session.scalar(select(Organisation).where(Organisation.acronym == "APNSW",
                                                      Organisation.is_sample.is_(False)))
    assert apnsw is not None, "the seeds define APNSW"
    areas = _areas_by_country(session)
    vocabulary = _vocabulary(session, areas)
    now = utcnow()
    countries = [c for c in COUNTRIES if areas[c]]
    networks = [(country, n) for country in countries for n in range(1, NETWORKS_PER_COUNTRY + 1)]
    network_rows = [_network_row(country, n, apnsw.id, now) for country, n in networks]
    network_ids = _insert_returning_ids(session, Organisation, network_rows)
    by_country: dict[str, list[int]] = {}
    for (country, _), nid in zip(networks, network_ids, strict=True):
        by_country.setdefault(country, []).append(nid)

    profiles = [_profile(rng, n, countries[n % len(countries)], areas, vocabulary)
                for n in range(1, organisations - len(networks) + 1)]
    rows = [_organisation_row(rng, p, by_country[p["country"]][0], now) for p in profiles]
    ids = _insert_returning_ids(session, Organisation, rows)
    session.execute(insert(OrganisationTerm), [
        {"organisation_id": oid, "term_id": vocabulary[v][code]}
        for oid, p in zip(ids, profiles, strict=True)
        for v in ("priority_areas", "populations", "services") for code in p[v]])
    session.execute(insert(OrganisationArea), [
        {"organisation_id": oid, "area_code": code}
        for oid, p in zip(ids, profiles, strict=True) for code in p["areas_served"]])
    ring = ring_of(session)
    contacts = [{"organisation_id": oid, "kind": ContactKind.EMAIL, "label": "sample contact",
                 "visibility": Visibility.PUBLIC if n % 5 == 0 else Visibility.SECRETARIAT,
                 "value": f"bench-cbo-{n:05d}@example.org"} for n, oid in enumerate(ids, start=1)]
    for contact in contacts:
        sealed = seal_contact(ring, contact["organisation_id"], contact["kind"], contact["visibility"],
                              contact.pop("value"))
        contact.update(sealed_value=sealed.value, value_index=sealed.index)
    session.execute(insert(Contact), contacts)

    # Memberships: each network in APNSW, then every CBO in one to three of its country's networks.
    plans: list[tuple[int, int, list[MembershipAction]]] = [
        (apnsw.id, nid, [A.APPLY, A.VERIFY, A.ADMIT]) for nid in network_ids]
    for oid, profile in zip(ids, profiles, strict=True):
        joined = rng.sample(by_country[profile["country"]], rng.choice((1, 2, 2, 3, 3)))
        plans += [(nid, oid, _walk(rng, None, rng.choice((3, 3, 3, 4, 5, 5, 6, 7)))) for nid in joined]
    _fit(rng, plans, events, keep=len(network_ids))
    membership_count, event_count = _insert_memberships(session, rng, plans, now)
    network_tree.rebuild(session)  # written behind the services: the tree's table, all at once
    return len(network_ids) + len(ids), len(network_ids), membership_count, event_count


def _areas_by_country(session: Session) -> dict[str, list[str]]:
    """Each country's provinces (admin-1, from any boundary set), and Phnom Penh's khans."""
    found: dict[str, set[str]] = {c: set() for c in COUNTRIES}
    for code, country, level in session.execute(
            select(Area.code, Area.country, Area.level).where(Area.country.in_(list(COUNTRIES)))):
        if level == 1 or (level == 2 and code.startswith("KH-12")):
            found[country].add(code)
    return {c: sorted(codes) for c, codes in found.items()}


def _vocabulary(session: Session, areas: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Every term code by vocabulary, resolved (and every area code checked) by the domain's
    own profile validator, so the dataset uses nothing an editor could not."""
    from registry.vocabularies.models import Term, Vocabulary

    codes = {v: [t.code for t in session.scalars(select(Term).where(Term.vocabulary == v, Term.network_id.is_(None)))]
             for v in Vocabulary}
    every_area = sorted({c for cs in areas.values() for c in cs})
    clean = validate_profile(session, None, {
        "kind": OrganisationKind.COMMUNITY_ORGANISATION, "country": "VN", "name": "Sample bench CBO",
        "priority_areas": codes[Vocabulary.PRIORITY_AREA], "populations": codes[Vocabulary.POPULATION],
        "services": codes[Vocabulary.SERVICE], "areas_served": every_area,
        "languages": ["en", *COUNTRIES.values()],
    }, [], fields=(*PROFILE_FIELDS, *ADMIN_FIELDS), creating=True)
    return {key: {t.code: t.id for t in clean[key]} for key in ("priority_areas", "populations", "services")}


def _network_row(country: str, n: int, apnsw_id: int, now: dt.datetime) -> dict[str, Any]:
    name = f"Sample bench network {country} {n}"
    return {**_blank(name, now), "kind": OrganisationKind.NATIONAL_NETWORK, "country": country,
            "languages": ["en", COUNTRIES[country]], "public_listing": True, "sex_worker_led": "yes",
            "registered_by_id": apnsw_id, "version": 1}


def _profile(rng: random.Random, n: int, country: str, areas: dict[str, list[str]],
             vocabulary: dict[str, dict[str, int]]) -> dict[str, Any]:
    def some(key: str, most: int) -> list[str]:
        return rng.sample(sorted(vocabulary[key]), rng.randint(1, most))

    return {"name": f"Sample bench CBO {n:05d}", "country": country,
            "priority_areas": some("priority_areas", 4), "populations": some("populations", 3),
            "services": some("services", 4), "areas_served": rng.sample(areas[country], rng.randint(1, 3)),
            "languages": ["en", COUNTRIES[country]] if rng.random() < 0.7 else [COUNTRIES[country]]}


def _organisation_row(rng: random.Random, profile: dict[str, Any], network_id: int,
                      now: dt.datetime) -> dict[str, Any]:
    status = rng.choices(list(OrganisationStatus), weights=(95, 4, 1))[0]
    founded = rng.randint(1995, 2024)
    return {
        **_blank(profile["name"], now), "kind": OrganisationKind.COMMUNITY_ORGANISATION,
        "country": profile["country"], "languages": profile["languages"], "status": status,
        "founding_date": f"{founded}" if rng.random() < 0.5 else f"{founded}-{rng.randint(1, 12):02d}",
        "sex_worker_led": rng.choice(("yes", "yes", "yes", "partly")),
        "drop_in_centres": rng.randint(0, 3),
        "website": f"https://example.org/{fold(profile['name']).replace(' ', '-')}" if rng.random() < 0.3 else None,
        # Delisting unpublishes (organisations.set_status).
        "public_listing": status is not OrganisationStatus.DELISTED and rng.random() < 0.8,
        "registered_by_id": network_id,
        "version": 2,  # registered, then its contact added (which touches updated_at)
    }


def _blank(name: str, now: dt.datetime) -> dict[str, Any]:
    """The columns register_organisation fills the same way for every organisation."""
    return {"name": name, "name_key": fold(name), "search_text": fold(name), "name_translations": {},
            "acronym": None, "founding_date": None, "sex_worker_led": None, "sex_worker_involvement": "",
            "drop_in_centres": None, "website": None, "status": OrganisationStatus.ACTIVE, "is_sample": True,
            "created_at": now, "updated_at": now}


def _walk(rng: random.Random, state: S | None, steps: int) -> list[MembershipAction]:
    moves = []
    for _ in range(steps):
        choices = MOVES[state]
        action = rng.choices([a for a, _ in choices], weights=[w for _, w in choices])[0]
        state = LIFECYCLE[action][1]
        moves.append(action)
    return moves


def _state_after(moves: list[MembershipAction]) -> S | None:
    state = None
    for action in moves:
        allowed_from, target = LIFECYCLE[action]
        if state not in allowed_from:
            raise AssertionError(f"{action.value} from {state}: not a legal move")
        state = target
    return state


def _fit(rng: random.Random, plans: list[tuple[int, int, list[MembershipAction]]], events: int, *,
         keep: int) -> None:
    """Lengthen or shorten histories (a prefix of a legal history is legal) to exactly `events`,
    leaving the first `keep` alone."""
    total = sum(len(moves) for _, _, moves in plans)
    while total != events:
        _, _, moves = plans[rng.randrange(keep, len(plans))]
        if total < events:
            moves += _walk(rng, _state_after(moves), 1)
            total += 1
        elif len(moves) > 1:
            moves.pop()
            total -= 1


def _insert_memberships(session: Session, rng: random.Random,
                        plans: list[tuple[int, int, list[MembershipAction]]], now: dt.datetime) -> tuple[int, int]:
    last_day = today()
    histories = []
    for network_id, member_id, moves in plans:
        day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(8000))
        history, state = [], None
        for action in moves:
            allowed_from, target = LIFECYCLE[action]
            if state not in allowed_from:
                raise AssertionError(f"{action.value} from {state}: not a legal move")
            history.append({"action": action, "from_status": state, "to_status": target,
                            "effective_on": min(day, last_day), "recorded_at": now,
                            "actor": ACTOR.label, "actor_role": ACTOR.role.value,
                            "reason": "sample data" if action in REASON_REQUIRED else ""})
            state = target
            day += dt.timedelta(days=rng.randint(15, 400))
        histories.append(history)
    rows = [{"network_id": network_id, "member_id": member_id, "status": history[-1]["to_status"],
             "status_since": history[-1]["effective_on"], "created_at": now, "updated_at": now,
             "version": len(history)}  # one update per move after the first
            for (network_id, member_id, _), history in zip(plans, histories, strict=True)]
    ids = _insert_returning_ids(session, Membership, rows)
    events = [{**event, "membership_id": mid} for mid, history in zip(ids, histories, strict=True)
              for event in history]
    for start in range(0, len(events), 20_000):
        session.execute(insert(MembershipEvent), events[start:start + 20_000])
    return len(ids), len(events)


def _insert_returning_ids(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), 5_000):
        # Core, not the ORM's bulk insert, which would reset the version counters to 1.
        table = model.__table__
        ids += session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               rows[start:start + 5_000]).all()
    return ids


if __name__ == "__main__":
    import sys
    import tempfile
    from pathlib import Path

    from registry.access.contact_keys import KeyFile

    folder = Path(tempfile.mkdtemp())
    target = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.sqlite"
    print(build(target, keys=KeyFile(folder / "contact-keys.json")), f"(contact keys: {folder}/contact-keys.json)")
