"""The benchmarks' synthetic registry: 10,000 sample organisations and 100,000 membership events
(or any size: `python -m bench.dataset --organisations 100000`), built on a database that
Alembic migrated and the seeds loaded (`build`), on SQLite or on a scratch PostgreSQL database
(registry.db.scratch_database).

Every name reads "Sample bench …", every row is `is_sample`, every contact is at example.org
and sealed with the keys the caller gives (the servers that read the dataset need the same key
file). The organisations' profiles use the seeds' vocabularies and the gazetteer's real admin-1
codes (and Phnom Penh's khans), spread over twelve countries; each country has three sample
national networks, themselves members of APNSW. Memberships follow the lifecycle table of
registry.memberships step by step (apply, verify, admit, suspend, reinstate, ...).

It is written as the spreadsheet import writes: through the many-item service functions
(register_organisations, add_contacts, transitions), so every row is checked as an editor's
would be, and the audit log and the network tree hold what they would hold in use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.access.contact_keys import KeyFile
from registry.access.permissions import Actor
from registry.access.sealing import KeySource, use_keys
from registry.areas.models import Area
from registry.db import make_engine, make_sessionmaker, today
from registry.memberships import services as memberships
from registry.memberships.models import LIFECYCLE, REASON_REQUIRED, MembershipAction
from registry.memberships.models import MembershipStatus as S
from registry.migrate import upgrade
from registry.names import fold
from registry.organisations import services as organisations
from registry.organisations.known import lookups
from registry.organisations.models import Organisation, OrganisationKind, OrganisationStatus, Visibility
from registry.vocabularies.models import Term, Vocabulary
from seeds.load import load_all

ORGANISATIONS = 10_000
EVENTS_PER_ORGANISATION = 10
EVENTS = ORGANISATIONS * EVENTS_PER_ORGANISATION
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
# Registrations and contacts go to the services this many at a time: one flush per batch, as the
# import flushes per file, not one for the whole registry.
BATCH = 2_000


@dataclass(frozen=True)
class Dataset:
    url: str
    organisations: int
    networks: int
    memberships: int
    events: int
    seconds: float
    cpu_seconds: float


# A membership to make: (network, member, its moves in order, each with the day it took effect).
Plan = tuple[Organisation, Organisation, list[tuple[MembershipAction, dt.date]]]


def build(url: str, *, keys: KeySource, organisations: int = ORGANISATIONS, events: int | None = None,
          seed: int = 7) -> Dataset:
    """Migrate `url` (an empty database), load the seeds but their sample network, then add the
    synthetic organisations (and `events` membership moves, ten per organisation unless told),
    their contacts sealed with `keys`; ANALYZE last, as after any bulk load."""
    started, cpu_started = time.perf_counter(), time.process_time()
    upgrade(url)
    engine = make_engine(url)
    try:
        with use_keys(make_sessionmaker(engine)(), keys) as session:
            load_all(session, ACTOR, sample=False)  # the synthetic organisations are the sample
            session.commit()
            counts = _populate(session, random.Random(seed), organisations,
                               organisations * EVENTS_PER_ORGANISATION if events is None else events)
            session.commit()
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    finally:
        engine.dispose()
    return Dataset(url, *counts, seconds=time.perf_counter() - started,
                   cpu_seconds=time.process_time() - cpu_started)


def _populate(session: Session, rng: random.Random, size: int, events: int) -> tuple[int, int, int, int]:
    apnsw = session.scalar(select(Organisation).where(Organisation.acronym == "APNSW",
                                                      Organisation.is_sample.is_(False)))
    assert apnsw is not None, "the seeds define APNSW"
    areas = _areas_by_country(session)
    vocabulary = _vocabulary(session)
    countries = [c for c in COUNTRIES if areas[c]]
    networks = _register(session, apnsw, [_network_profile(country, n) for country in countries
                                          for n in range(1, NETWORKS_PER_COUNTRY + 1)])
    by_country: dict[str, list[Organisation]] = {}
    for network in networks:
        by_country.setdefault(network.country, []).append(network)

    # Each community organisation registered by its country's first network.
    profiles = [_profile(rng, n, countries[n % len(countries)], areas, vocabulary)
                for n in range(1, size - len(networks) + 1)]
    cbos: list[Organisation] = []
    for country in countries:
        cbos += _register(session, by_country[country][0], [p for p in profiles if p["country"] == country])
    cbos.sort(key=lambda o: o.name_key)
    _set_statuses(session, rng, cbos)
    for start in range(0, len(cbos), BATCH):
        organisations.add_contacts(session, ACTOR, [
            (cbo, {"kind": "email", "value": f"{fold(cbo.name).replace(' ', '-')}@example.org",
                   "label": "sample contact", "visibility": Visibility.PUBLIC if n % 5 == 0 else Visibility.SECRETARIAT})
            for n, cbo in enumerate(cbos[start:start + BATCH], start=start + 1)])

    # Memberships: each network in APNSW, then every CBO in one to three of its country's networks.
    plans: list[tuple[Organisation, Organisation, list[MembershipAction]]] = [
        (apnsw, network, [A.APPLY, A.VERIFY, A.ADMIT]) for network in networks]
    for cbo in cbos:
        joined = rng.sample(by_country[cbo.country], rng.choice((1, 2, 2, 3, 3)))
        plans += [(network, cbo, _walk(rng, None, rng.choice((3, 3, 3, 4, 5, 5, 6, 7)))) for network in joined]
    _fit(rng, plans, events, keep=len(networks))
    dated = _dated(rng, plans)
    moved = _move(session, dated[:len(networks)])  # the networks join APNSW before their members move
    moved += _move(session, dated[len(networks):])
    return len(networks) + len(cbos), len(networks), len(plans), moved


def _register(session: Session, network: Organisation, profiles: list[dict[str, Any]]) -> list[Organisation]:
    made: list[Organisation] = []
    for start in range(0, len(profiles), BATCH):
        made += organisations.register_organisations(  # type: ignore[arg-type]  # refusals raise
            session, ACTOR, network=network, profiles=profiles[start:start + BATCH], is_sample=True)
    session.flush()
    return made


def _set_statuses(session: Session, rng: random.Random, cbos: list[Organisation]) -> None:
    """A few dormant or delisted, as the secretariats mark them (delisting also unpublishes)."""
    for cbo in cbos:
        status = rng.choices(list(OrganisationStatus), weights=(95, 4, 1))[0]
        if status is not OrganisationStatus.ACTIVE:
            organisations.set_status(session, ACTOR, cbo, status, reason="sample data")


def _areas_by_country(session: Session) -> dict[str, list[str]]:
    """Each country's provinces (admin-1, from any boundary set), and Phnom Penh's khans."""
    found: dict[str, set[str]] = {c: set() for c in COUNTRIES}
    for code, country, level in session.execute(
            select(Area.code, Area.country, Area.level).where(Area.country.in_(list(COUNTRIES)))):
        if level == 1 or (level == 2 and code.startswith("KH-12")):
            found[country].add(code)
    return {c: sorted(codes) for c, codes in found.items()}


def _vocabulary(session: Session) -> dict[str, list[str]]:
    """Every shared term code by profile field (register_organisations checks the codes)."""
    fields = {"priority_areas": Vocabulary.PRIORITY_AREA, "populations": Vocabulary.POPULATION,
              "services": Vocabulary.SERVICE}
    return {field: sorted(session.scalars(select(Term.code).where(Term.vocabulary == vocabulary,
                                                                  Term.network_id.is_(None))))
            for field, vocabulary in fields.items()}


def _network_profile(country: str, n: int) -> dict[str, Any]:
    return {"kind": OrganisationKind.NATIONAL_NETWORK, "country": country, "name": f"Sample bench network {country} {n}",
            "languages": ["en", COUNTRIES[country]], "public_listing": True, "sex_worker_led": "yes"}


def _profile(rng: random.Random, n: int, country: str, areas: dict[str, list[str]],
             vocabulary: dict[str, list[str]]) -> dict[str, Any]:
    def some(key: str, most: int) -> list[str]:
        return rng.sample(vocabulary[key], rng.randint(1, most))

    name = f"Sample bench CBO {n:05d}"
    founded = rng.randint(1995, 2024)
    return {"kind": OrganisationKind.COMMUNITY_ORGANISATION, "name": name, "country": country,
            "priority_areas": some("priority_areas", 4), "populations": some("populations", 3),
            "services": some("services", 4), "areas_served": rng.sample(areas[country], rng.randint(1, 3)),
            "languages": ["en", COUNTRIES[country]] if rng.random() < 0.7 else [COUNTRIES[country]],
            "founding_date": f"{founded}" if rng.random() < 0.5 else f"{founded}-{rng.randint(1, 12):02d}",
            "sex_worker_led": rng.choice(("yes", "yes", "yes", "partly")), "drop_in_centres": rng.randint(0, 3),
            "website": f"https://example.org/{fold(name).replace(' ', '-')}" if rng.random() < 0.3 else None,
            "public_listing": rng.random() < 0.8}


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
        state = LIFECYCLE[action][1]
    return state


def _fit(rng: random.Random, plans: list[tuple[Organisation, Organisation, list[MembershipAction]]], events: int, *,
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


def _dated(rng: random.Random, plans: list[tuple[Organisation, Organisation, list[MembershipAction]]]) -> list[Plan]:
    """Each move on the first of a month, two weeks to thirteen months after the one before (none
    later than today). Months, as members' papers record them, so that the network tree's links,
    dated, are settled for many members at once."""
    last_day = today()
    dated: list[Plan] = []
    for network, member, moves in plans:
        month = rng.randrange(12 * 2000, 12 * 2022)
        history = []
        for action in moves:
            history.append((action, min(dt.date(month // 12, month % 12 + 1, 1), last_day)))
            month += rng.randint(1, 13)
        dated.append((network, member, history))
    return dated


def _move(session: Session, plans: list[Plan]) -> int:
    """Every network's moves in one `transitions` call, in the order they took effect."""
    by_network: dict[Organisation, list[tuple[dt.date, int, int, memberships.Change]]] = {}
    for index, (network, member, history) in enumerate(plans):
        for step, (action, on) in enumerate(history):
            reason = "sample data" if action in REASON_REQUIRED else ""
            by_network.setdefault(network, []).append(
                (on, index, step, memberships.Change(member, action, on=on, reason=reason)))
    for network, changes in by_network.items():
        changes.sort(key=lambda c: c[:3])
        lookups(session).load_names([network.id], ACTOR)  # as the import reads them: once for the lot
        memberships.transitions(session, ACTOR, network, [change for *_, change in changes])
    return sum(len(changes) for changes in by_network.values())


def bounded(least: int, most: int) -> Any:
    """An argparse type: a whole number from `least` to `most`."""

    def number(given: str) -> int:
        value = int(given)
        if not least <= value <= most:
            raise argparse.ArgumentTypeError(f"from {least:,} to {most:,}")
        return value

    return number


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="an empty database (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--organisations", type=bounded(40, 1_000_000), default=ORGANISATIONS, metavar="N",
                        help=f"how many organisations (default {ORGANISATIONS:,}; 100000 for the large size)")
    parser.add_argument("--events", type=bounded(1, 10_000_000), default=None, metavar="N",
                        help=f"how many membership moves (default {EVENTS_PER_ORGANISATION} per organisation)")
    parser.add_argument("--keys", type=Path, default=None, metavar="FILE",
                        help="the contact key file (default: a new one beside the SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> Dataset:
    args = parse(argv)
    folder = Path(tempfile.mkdtemp())
    keys = args.keys or folder / "contact-keys.json"
    built = build(args.url or f"sqlite:///{folder}/bench.sqlite", keys=KeyFile(keys),
                  organisations=args.organisations, events=args.events, seed=args.seed)
    print(built, f"(contact keys: {keys})")
    return built


if __name__ == "__main__":
    main()
