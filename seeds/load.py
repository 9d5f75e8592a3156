"""Loads the seed data through the registry's own service functions, never raw inserts.

Order: boundary sets (the gazetteer), vocabularies, the real organisations from the seed
documents, then the clearly labelled sample network. Every step first looks for what is
already there, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.areas import services as areas
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.vocabularies import services as vocabularies
from registry.memberships.models import MembershipAction, MembershipStatus
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from registry.vocabularies.models import Vocabulary

HERE = Path(__file__).resolve().parent
Progress = Callable[[str, int, int], None]  # step, done, total


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [f"{k}: {self.created[k]} created, {self.updated[k]} updated, {self.unchanged[k]} unchanged"
                for k in kinds]

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))


def read_yaml(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def load_all(
    session: Session,
    actor: Actor,
    *,
    sample: bool = True,
    bundled: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load everything; `bundled` limits which bundled boundary sets are read (tests use few)."""
    report = LoadReport()
    tick = progress or (lambda step, done, total: None)
    load_boundaries(session, actor, report, bundled=bundled, progress=tick)
    load_vocabularies(session, actor, report)
    tick("vocabularies", 1, 1)
    load_organisations(session, actor, report, progress=tick)
    if sample:
        load_sample(session, actor, report, progress=tick)
    return report


def load_boundaries(
    session: Session, actor: Actor, report: LoadReport, *, bundled: Iterable[str] | None,
    progress: Progress,
) -> None:
    from seeds.boundaries import bundled_records, gazetteer_records

    sets = list(bundled_records(bundled)) + list(gazetteer_records(read_yaml("gazetteer.yaml")))
    for done, (spec, records) in enumerate(sets, start=1):
        if areas.boundary_set(session, spec["key"]) is not None:
            report.unchanged["boundary set"] += 1
        else:
            areas.import_boundary_set(session, actor, areas=records(), **spec)
            report.created["boundary set"] += 1
        progress("boundary sets", done, len(sets))


def load_vocabularies(session: Session, actor: Actor, report: LoadReport) -> None:
    data = read_yaml("vocabularies.yaml")
    for key, vocabulary in (("priority_areas", Vocabulary.PRIORITY_AREA),
                            ("populations", Vocabulary.POPULATION), ("services", Vocabulary.SERVICE)):
        existing = {t.code: t for t in vocabularies.terms(session, vocabulary)}
        for position, item in enumerate(data[key]):
            term = existing.get(item["code"])
            if term is None:
                vocabularies.define_term(session, actor, vocabulary, item["code"], item["labels"],
                                         position=position)
                report.created["term"] += 1
            elif term.labels != item["labels"]:
                vocabularies.relabel_term(session, actor, term, item["labels"])
                report.updated["term"] += 1
            else:
                report.unchanged["term"] += 1


_NOT_PROFILE = {"key", "kind", "memberships", "governing_bodies", "source", "contact",
                "applied_on", "admitted_on"}


def load_organisations(session: Session, actor: Actor, report: LoadReport, *, progress: Progress) -> None:
    data = read_yaml("organisations.yaml")["organisations"]
    by_key: dict[str, Organisation] = {}
    for done, item in enumerate(data, start=1):
        by_key[item["key"]] = _ensure_organisation(session, actor, report, item, network=None)
        progress("organisations", done, len(data))
    for item in data:
        organisation = by_key[item["key"]]
        for link in item.get("memberships", []):
            _ensure_active(session, actor, report, by_key[link["network"]], organisation,
                           undated=True, reason=link["reason"])
        for body in item.get("governing_bodies", []):
            known = {b.name for b in governance.bodies_of(session, organisation.id)}
            if body["name"] in known:
                report.unchanged["governing body"] += 1
            else:
                governance.define_body(session, actor, organisation, **body)
                report.created["governing body"] += 1


def load_sample(session: Session, actor: Actor, report: LoadReport, *, progress: Progress) -> None:
    data = read_yaml("sample_network.yaml")["networks"]
    total = sum(len(v) for v in data.values())
    done = 0
    for network_key, members in data.items():
        network = _find(session, network_key.upper())
        for item in members:
            member = _ensure_organisation(session, actor, report, item, network=network, sample=True)
            if not member.contacts:
                organisations.add_contact(session, actor, member, kind="email", value=item["contact"],
                                          label="sample contact")
            _ensure_active(session, actor, report, network, member, undated=False,
                           applied_on=dt.date.fromisoformat(item["applied_on"]),
                           admitted_on=dt.date.fromisoformat(item["admitted_on"]),
                           reason="sample data")
            done += 1
            progress("sample network", done, total)


def _find(session: Session, acronym: str) -> Organisation:
    query = select(Organisation).where(Organisation.acronym == acronym, Organisation.is_sample.is_(False))
    organisation = session.scalar(query)
    if organisation is None:
        raise LookupError(f"seed organisation {acronym} is missing; load organisations first")
    return organisation


def _ensure_organisation(
    session: Session, actor: Actor, report: LoadReport, item: dict[str, Any],
    *, network: Organisation | None, sample: bool = False,
) -> Organisation:
    profile = {k: v for k, v in item.items() if k not in _NOT_PROFILE}
    kind = item.get("kind", "community_organisation")
    if sample and network is not None:
        profile.setdefault("country", network.country)  # sample members sit in their network's country
    existing = session.scalar(select(Organisation).where(
        Organisation.name == item["name"],
        Organisation.registered_by_id.is_(None) if network is None
        else Organisation.registered_by_id == network.id,
    ))
    if existing is None:
        report.created["organisation"] += 1
        return organisations.register_organisation(session, actor, network=network, kind=kind,
                                                   is_sample=sample, **profile)
    before = existing.version
    organisations.update_profile(session, actor, existing, profile)
    session.flush()
    (report.updated if existing.version != before else report.unchanged)["organisation"] += 1
    return existing


def _ensure_active(
    session: Session, actor: Actor, report: LoadReport, network: Organisation, member: Organisation,
    *, undated: bool, reason: str, applied_on: dt.date | None = None, admitted_on: dt.date | None = None,
) -> None:
    membership = memberships.get_membership(session, network, member)
    if membership is not None and membership.status is MembershipStatus.ACTIVE:
        report.unchanged["membership"] += 1
        return
    steps = [(MembershipAction.APPLY, applied_on), (MembershipAction.VERIFY, applied_on),
             (MembershipAction.ADMIT, admitted_on)]
    current = membership.status if membership else None
    order = [None, MembershipStatus.APPLIED, MembershipStatus.VERIFIED]
    start = order.index(current) if current in order else 0
    for action, on in steps[start:]:
        memberships.transition(session, actor, network, member, action, on=on, undated=undated,
                               reason=reason)
    report.created["membership"] += 1
