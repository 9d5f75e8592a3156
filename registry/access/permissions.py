"""Who may do what: the Actor, the one Permission enum, and `can`/`require`.

Every service function asks `require(session, actor, Permission.X, obj)` before it writes, so
the rule for "VNSW's secretariat cannot touch WNU" lives here and nowhere else. A secretariat
administers its network's active subtree: the network itself, every organisation that is its
member (active, suspended or lapsed: still under the secretariat's care) or a member of one of
its member networks, and the organisations it registered, for as long as a registered
organisation has not ended a membership of the network that registered it (withdrawn, expelled,
rejected). An application (applied, verified) grants the network nothing over the applicant:
otherwise filing any organisation's application would hand its contacts and tokens over.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.db import in_chunks
from registry.errors import N_, NotPermitted
from registry.networks import tree as network_tree


class Role(enum.StrEnum):
    SYSTEM = "system"  # the CLI and seed loader run by whoever operates the server
    SECRETARIAT = "secretariat"  # administers one network's subtree
    EDITOR = "editor"  # keeps one organisation's own profile current
    BOARD = "board"  # reads one network's internal view
    ANONYMOUS = "anonymous"


class Permission(enum.StrEnum):
    REGISTER_ORGANISATION = "register_organisation"  # obj: the registering network
    EDIT_PROFILE = "edit_profile"  # obj: the organisation
    ADMINISTER_ORGANISATION = "administer_organisation"  # status, listing; obj: organisation
    APPLY_FOR_MEMBERSHIP = "apply_for_membership"  # obj: the applying organisation
    MANAGE_MEMBERS = "manage_members"  # verify, admit, suspend, ...; obj: the network
    WITHDRAW_MEMBERSHIP = "withdraw_membership"  # obj: the member organisation
    READ_CONTACTS = "read_contacts"  # obj: the organisation
    READ_AUDIT = "read_audit"  # obj: the organisation
    READ_INTERNAL = "read_internal"  # obj: the network
    EXTEND_VOCABULARY = "extend_vocabulary"  # obj: the network
    ISSUE_TOKENS = "issue_tokens"  # obj: the organisation or network the token is for
    PUBLISH_FIELDS = "publish_fields"  # show the public more of a profile; obj: the organisation (itself only)
    MANAGE_GOVERNANCE = "manage_governance"  # obj: the network
    # Who sits on a network's bodies, its elections, candidates and certified results; obj: the network
    READ_GOVERNANCE = "read_governance"
    MANAGE_ELECTIONS = "manage_elections"  # create, move between phases, certify; obj: the network
    NOMINATE = "nominate"  # nominate or second a candidate; obj: the organisation acting
    CAST_BALLOT = "cast_ballot"  # obj: the organisation voting (only its own editor)
    CHECK_ROLL = "check_roll"  # is it on an election's roll; obj: the organisation
    IMPORT_BOUNDARIES = "import_boundaries"  # obj: None


@dataclass(frozen=True)
class Actor:
    """Who is acting. `label` is what the audit log shows; ids scope the role."""

    role: Role
    label: str
    network_id: int | None = None
    organisation_id: int | None = None
    token_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(Role.SYSTEM, label)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(Role.ANONYMOUS, "anonymous")

    @property
    def signed_in(self) -> bool:
        """Whether the actor showed who it is (a token or the dashboard's cookie): the web pages
        send whoever has not to the sign-in page rather than refuse them."""
        return self.role is not Role.ANONYMOUS


def ancestor_network_ids(session: Session, organisation_id: int, *, attached: bool = False) -> set[int]:
    """Every network whose active subtree holds `organisation_id` (see the module's opening).

    `attached`: through every membership that ties it to a network, applications included, and
    every registration: the shape of the tree, which a new membership must not turn into a loop."""
    if attached:
        return network_tree.attached_ancestor_ids(session, [organisation_id])[organisation_id]
    return network_tree.ancestor_ids(session, organisation_id)


class Lineage:
    """The networks above organisations, read for many at once and then remembered: for a run
    of checks (an import) that would otherwise ask `ancestor_network_ids` once a row.

    An organisation the run has checked but not yet written is `assume`d under the network that
    registers it. Whoever moves a membership during the run calls `forget`."""

    def __init__(self, session: Session, *, attached: bool = False) -> None:
        self.session, self.attached = session, attached
        self._known: dict[int, set[int]] = {}
        self._assumed: dict[int, int] = {}  # not yet written -> the network registering it

    def load(self, organisation_ids: Iterable[int]) -> None:
        wanted = sorted(set(organisation_ids) - self._known.keys() - self._assumed.keys())
        if self.attached:
            self._known.update(network_tree.attached_ancestor_ids(self.session, wanted))
            return
        self._known.update((i, set()) for i in wanted)
        for chunk in in_chunks(wanted):
            for descendant_id, ancestor_id in self.session.execute(network_tree.above_each(chunk)):
                self._known[descendant_id].add(ancestor_id)

    def of(self, organisation_id: int) -> set[int]:
        if organisation_id in self._assumed:
            network_id = self._assumed[organisation_id]
            return {network_id} | self.of(network_id)
        if organisation_id not in self._known:
            self.load([organisation_id])
        return self._known[organisation_id]

    def assume(self, organisation_id: int, *, registered_by: int) -> None:
        self._assumed[organisation_id] = registered_by

    def forget(self, organisation_id: int | None = None) -> None:
        """Read again what may have changed: one organisation's lineage (one with nothing below
        it), or all (None)."""
        if organisation_id is None:
            self._known.clear()
            self._assumed.clear()
        else:
            self._known.pop(organisation_id, None)
            self._assumed.pop(organisation_id, None)


def subtree_ids(session: Session, network_id: int) -> set[int]:
    """Every organisation in the network's active subtree but the network itself: the mirror
    image of `ancestor_network_ids`, so X is in subtree_ids(N) exactly when N is in
    ancestor_network_ids(X)."""
    return network_tree.descendant_ids(session, network_id)


def speaks_for(actor: Actor, organisation_id: int | None) -> bool:
    """True when `actor` is the organisation itself: its editor, or for a network its own
    secretariat (and the registry's operators)."""
    if actor.role is Role.SYSTEM:
        return True
    if organisation_id is None:
        return False
    return (actor.role is Role.EDITOR and actor.organisation_id == organisation_id) or (
        actor.role is Role.SECRETARIAT and actor.network_id == organisation_id)


def spoken_for(actor: Actor) -> int | None:
    """The organisation `actor` is (see speaks_for): its editor's organisation, or a
    secretariat's own network; None for anyone else."""
    if actor.role is Role.EDITOR:
        return actor.organisation_id
    if actor.role is Role.SECRETARIAT:
        return actor.network_id
    return None


def administers(session: Session, actor: Actor, organisation_id: int, *, lineage: Lineage | None = None) -> bool:
    """True when `actor` is the secretariat of `organisation_id` or of a network whose active
    subtree holds it."""
    if actor.role is Role.SYSTEM:
        return True
    if actor.role is not Role.SECRETARIAT or actor.network_id is None:
        return False
    if actor.network_id == organisation_id:
        return True
    above = lineage.of(organisation_id) if lineage else ancestor_network_ids(session, organisation_id)
    return actor.network_id in above


def can(
    session: Session, actor: Actor, permission: Permission, obj_id: int | None, *, lineage: Lineage | None = None
) -> bool:
    """The single answer to "may this actor do this to that object?". `lineage`: where a run of
    checks already knows which networks sit above which organisation."""
    if actor.role is Role.SYSTEM:
        return True
    if actor.role is Role.ANONYMOUS:
        return False
    own = actor.role is Role.EDITOR and obj_id is not None and actor.organisation_id == obj_id
    match permission:
        case Permission.EDIT_PROFILE | Permission.APPLY_FOR_MEMBERSHIP | Permission.WITHDRAW_MEMBERSHIP:
            return own or (obj_id is not None and administers(session, actor, obj_id, lineage=lineage))
        case Permission.READ_CONTACTS | Permission.READ_AUDIT:
            return own or (obj_id is not None and administers(session, actor, obj_id, lineage=lineage))
        case Permission.READ_INTERNAL:
            if actor.role is Role.BOARD:
                return actor.network_id == obj_id
            return obj_id is not None and administers(session, actor, obj_id, lineage=lineage)
        case (
            Permission.REGISTER_ORGANISATION
            | Permission.ADMINISTER_ORGANISATION
            | Permission.MANAGE_MEMBERS
            | Permission.EXTEND_VOCABULARY
            | Permission.ISSUE_TOKENS
            | Permission.MANAGE_GOVERNANCE
        ):
            return obj_id is not None and administers(session, actor, obj_id, lineage=lineage)
        case Permission.PUBLISH_FIELDS:
            # What the public learns of an organisation is its own choice: a secretariat above
            # it may only show less (update_profile), never more.
            return speaks_for(actor, obj_id)
        case Permission.IMPORT_BOUNDARIES:
            return actor.role is Role.SECRETARIAT
        case Permission.MANAGE_ELECTIONS:
            return obj_id is not None and administers(session, actor, obj_id, lineage=lineage)
        case Permission.READ_GOVERNANCE:
            # The network's own: its board, its secretariats and the organisations inside it.
            if actor.role is Role.BOARD:
                return actor.network_id == obj_id
            if actor.role is Role.EDITOR and obj_id is not None and actor.organisation_id is not None:
                # Admitted members only: an applicant reads what the public reads until then.
                return own or obj_id in ancestor_network_ids(session, actor.organisation_id)
            return obj_id is not None and administers(session, actor, obj_id, lineage=lineage)
        case Permission.NOMINATE | Permission.CAST_BALLOT:
            # An organisation speaks for itself here; no secretariat acts in its name.
            return own
        case Permission.CHECK_ROLL:
            return own or (obj_id is not None and administers(session, actor, obj_id, lineage=lineage))
    return False


def require(
    session: Session, actor: Actor, permission: Permission, obj_id: int | None, *, lineage: Lineage | None = None
) -> None:
    """Raise NotPermitted unless `can` says yes."""
    if not can(session, actor, permission, obj_id, lineage=lineage):
        raise NotPermitted(N_("%(actor)s may not %(action)s here"),
                           params={"actor": actor.label, "action": permission.value.replace("_", " ")})
