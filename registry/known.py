"""What checks look up, read once for a run of many: vocabulary terms, area codes, the networks
above each organisation and the names used in a network (as far as the caller may see them).

A single service call reads what it needs as it goes; a spreadsheet import checks thousands of
rows against the same terms, areas and networks, and keeps one Known for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import areas, vocabularies
from registry.names import fold
from registry.permissions import Actor, Lineage
from registry.vocabularies import Term, Vocabulary

if TYPE_CHECKING:
    from registry.batch import Batch
    from registry.organisations import Organisation
    from registry.visibility import Reader


class Known:
    """What checks look up, remembered across a run of them: vocabulary terms, area codes, the
    networks above each organisation and the names used in a network. A service call makes its
    own; an import keeps one for all its rows (it changes no term or area, and whoever moves a
    membership says so: `moved`). With a batch, organisations checked but not yet written count.

    `lineage` is the networks whose active subtree holds an organisation (who administers it);
    `structure` also follows applications, for the one check that needs the tree's shape."""

    def __init__(self, session: Session, batch: Batch | None = None) -> None:
        self.session, self.batch = session, batch
        self.lineage = Lineage(session)
        self.structure = Lineage(session, attached=True)
        self._terms: dict[tuple[Vocabulary, frozenset[int]], dict[str, Term]] = {}
        self._areas: dict[str, bool] = {}
        self._names: dict[tuple[frozenset[int], Actor], dict[str, list[tuple[int, str]]]] = {}

    def terms(self, vocabulary: Vocabulary, network_ids: Iterable[int]) -> dict[str, Term]:
        """The terms the networks may use, by code."""
        key = (vocabulary, frozenset(network_ids))
        if key not in self._terms:
            found = vocabularies.terms(self.session, vocabulary, network_ids=key[1])
            self._terms[key] = {t.code: t for t in found}
        return self._terms[key]

    def unknown_areas(self, codes: list[str]) -> list[str]:
        """The codes no boundary set knows, in the order given."""
        asked = [c for c in codes if c not in self._areas]
        if asked:
            unknown = set(areas.unknown_codes(self.session, asked))
            self._areas.update((c, c not in unknown) for c in asked)
        return [c for c in codes if not self._areas[c]]

    def reader(self, actor: Actor) -> Reader:
        """The actor's Reader: the session's one (visibility.reader_for), which forgets what it
        remembered when a membership moves."""
        # Local: visibility reads the models these checks guard; a name check is the one rule
        # below it that needs to know what the caller may see. (The package split removes it.)
        from registry.visibility import reader_for

        return reader_for(self.session, actor)

    def load_names(self, network_ids: Iterable[int], actor: Actor) -> None:
        """Read every name used in these networks that the actor may see at once, for many
        checks against them."""
        from registry.organisations import Organisation

        ids = frozenset(network_ids)
        index: dict[str, list[tuple[int, str]]] = {}
        query = select(Organisation.id, Organisation.name_key, Organisation.name).where(
            in_networks(ids), self.reader(actor).may_see())
        for organisation_id, key, name in self.session.execute(query):
            index.setdefault(key, []).append((organisation_id, name))
        self._names[ids, actor] = index

    def named(self, key: str, network_ids: Iterable[int], actor: Actor) -> list[tuple[int, str]]:
        """(id, name) of the organisations in these networks whose folded name is `key`, of
        those the actor may see: a name taken by an organisation hidden from the caller is
        neither refused nor named, or renaming would confirm who is there."""
        from registry.organisations import Organisation

        ids = frozenset(network_ids)
        if (ids, actor) in self._names:
            found = list(self._names[ids, actor].get(key, ()))
        else:
            query = select(Organisation.id, Organisation.name).where(
                Organisation.name_key == key, in_networks(ids), self.reader(actor).may_see())
            found = [(organisation_id, name) for organisation_id, name in self.session.execute(query)]
        drafts = self.batch.drafts if self.batch else {}
        return found + [drafts[("name", n, key)] for n in ids if ("name", n, key) in drafts]

    def assume(self, organisation_id: int, name: str, *, registered_by: int) -> None:
        """An organisation checked but not yet written: registered by that network, so inside it."""
        self.lineage.assume(organisation_id, registered_by=registered_by)
        self.structure.assume(organisation_id, registered_by=registered_by)
        if self.batch is not None:
            self.batch.drafts[("name", registered_by, fold(name))] = (organisation_id, name)

    def moved(self, network: Organisation, member: Organisation) -> None:
        """A membership moved: the member's lineage (a network's: and everything below it) and
        the names in the network, and who may see whom, may have changed."""
        self.lineage.forget(None if member.is_network else member.id)
        self.structure.forget(None if member.is_network else member.id)
        self._names = {key: index for key, index in self._names.items() if network.id not in key[0]}


def in_networks(network_ids: Iterable[int]) -> Any:
    """Organisations in these networks: attached members (applicants too: two applicants of one
    name would be confused), and those the networks registered."""
    from registry.memberships import ATTACHED_STATUSES, Membership
    from registry.organisations import Organisation

    ids = list(network_ids)
    attached = select(Membership.member_id).where(
        Membership.network_id.in_(ids), Membership.status.in_(ATTACHED_STATUSES))
    return Organisation.id.in_(attached) | Organisation.registered_by_id.in_(ids)
