"""Controlled vocabularies: NSWP priority areas, populations served and services.

Core terms have no network; a network may add its own populations and services, which its
members (and their members) may then use. The seven priority areas are NSWP's and fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, can, require
from registry.errors import N_, Conflict, NotFound, NotPermitted, ValidationFailed
from registry.vocabularies.models import CODE_RULE, EXTENSIBLE, FALLBACK_LANGUAGE, LANGUAGES, Term, Vocabulary


def define_term(
    session: Session,
    actor: Actor,
    vocabulary: Vocabulary,
    code: str,
    labels: Mapping[str, str],
    *,
    network_id: int | None = None,
    position: int | None = None,
) -> Term:
    """Add a term: core terms by the system only, extensions by a network's secretariat."""
    if network_id is None:
        # Extending the vocabulary of no network: defining the core, the operators' alone.
        if not can(session, actor, Permission.EXTEND_VOCABULARY, None):
            raise NotPermitted(N_("only the registry's operators define core vocabulary terms"))
    else:
        if vocabulary not in EXTENSIBLE:
            raise ValidationFailed.on("vocabulary", N_("%(vocabulary)s cannot be extended"),
                                      vocabulary=vocabulary.value)
        require(session, actor, Permission.EXTEND_VOCABULARY, network_id)
    _check_term(code, labels)
    if session.scalar(select(Term).where(Term.vocabulary == vocabulary, Term.code == code)):
        raise Conflict(N_("%(vocabulary)s %(code)s already exists"),
                       params={"vocabulary": vocabulary.value, "code": repr(code)})
    if position is None:
        position = len(terms(session, vocabulary))
    term = Term(
        vocabulary=vocabulary, code=code, labels=dict(labels), network_id=network_id, position=position
    )
    session.add(term)
    audit.record(session, actor, "define_term", term,
                 {"vocabulary": [None, vocabulary.value], "code": [None, code],
                  "labels": [None, dict(labels)]}, organisation_id=network_id)
    session.flush()  # the caller is given the term with its id
    return term


def relabel_term(session: Session, actor: Actor, term: Term, labels: Mapping[str, str]) -> Term:
    """Replace a term's labels (e.g. a reviewed translation)."""
    if term.network_id is None:
        if not can(session, actor, Permission.EXTEND_VOCABULARY, None):
            raise NotPermitted(N_("only the registry's operators relabel core vocabulary terms"))
    else:
        require(session, actor, Permission.EXTEND_VOCABULARY, term.network_id)
    _check_term(term.code, labels)
    if dict(labels) != term.labels:
        before = term.labels
        term.labels = dict(labels)
        audit.record(session, actor, "relabel_term", term, {"labels": [before, dict(labels)]},
                     organisation_id=term.network_id)
    return term


def find_extension(session: Session, network_id: int, vocabulary: Vocabulary, code: str) -> Term:
    """A term a network added (its own, not one from the core or from another network)."""
    term = session.scalar(select(Term).where(Term.vocabulary == vocabulary, Term.code == code,
                                             Term.network_id == network_id))
    if term is None:
        raise NotFound(N_("this network has added no %(vocabulary)s %(code)s"),
                       params={"vocabulary": vocabulary.value, "code": repr(code)})
    return term


def terms(
    session: Session, vocabulary: Vocabulary, *, network_ids: Iterable[int] = ()
) -> list[Term]:
    """Core terms plus the extensions of the given networks, in display order."""
    ids = list(network_ids)
    query = select(Term).where(Term.vocabulary == vocabulary)
    query = query.where(Term.network_id.is_(None) | Term.network_id.in_(ids))
    return list(session.scalars(query.order_by(Term.position, Term.code)))


def terms_of(
    session: Session, vocabularies: Iterable[Vocabulary], *, network_ids: Iterable[int] = ()
) -> dict[Vocabulary, list[Term]]:
    """`terms` of several vocabularies in one query, by vocabulary."""
    wanted, ids = list(vocabularies), list(network_ids)
    found: dict[Vocabulary, list[Term]] = {v: [] for v in wanted}
    query = select(Term).where(Term.vocabulary.in_(wanted), Term.network_id.is_(None) | Term.network_id.in_(ids))
    for term in session.scalars(query.order_by(Term.position, Term.code)):
        found[term.vocabulary].append(term)
    return found


# A person is told which codes and where the known ones are listed.
_UNKNOWN_CODES = {
    Vocabulary.POPULATION: N_("unknown population code(s): %(codes)s; GET /vocabularies lists the known ones"),
    Vocabulary.SERVICE: N_("unknown service code(s): %(codes)s; GET /vocabularies lists the known ones"),
    Vocabulary.PRIORITY_AREA: N_("unknown priority_area code(s): %(codes)s; GET /vocabularies lists the known ones"),
}


def resolve(
    session: Session, vocabulary: Vocabulary, codes: Iterable[str], *, network_ids: Iterable[int] = (),
    available: Mapping[str, Term] | None = None,
) -> list[Term]:
    """The terms for `codes`, refusing unknown codes (and other networks' extensions).
    `available`: those terms by code, when the caller has already read them."""
    wanted = list(dict.fromkeys(codes))
    known = available if available is not None else {
        t.code: t for t in terms(session, vocabulary, network_ids=network_ids)}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        field = f"{vocabulary.value}s" if vocabulary is not Vocabulary.PRIORITY_AREA else "priority_areas"
        raise ValidationFailed.on(field, _UNKNOWN_CODES[vocabulary], codes=", ".join(unknown))
    return [known[c] for c in wanted]


def _check_term(code: str, labels: Mapping[str, str]) -> None:
    if not CODE_RULE.fullmatch(code) or len(code) > 64:
        raise ValidationFailed.on("code", N_("use lowercase letters, digits and '-' (at most 64)"))
    if not (labels.get(FALLBACK_LANGUAGE) or "").strip():
        raise ValidationFailed.on("labels", N_("an English label is required: add one under \"en\""))
    unknown = sorted(set(labels) - set(LANGUAGES))
    if unknown:
        raise ValidationFailed.on("labels", N_("unsupported language(s): %(languages)s; use %(known)s"),
                                  languages=", ".join(unknown), known=", ".join(LANGUAGES))
