"""The audit log: every write in the registry goes through `record`.

An entry says who (the actor's label and role), when, what action, on which object, and each
changed field's value before and after. Entries are attached to an organisation where one is
concerned, so an organisation can read its own history.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from json.encoder import c_make_encoder, encode_basestring_ascii
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.attributes import flag_dirty, instance_state

from registry.access.models import AuditEntry, Changes
from registry.access.permissions import Actor
from registry.access.public_ids import new_public_id
from registry.db import utcnow
from registry.rows import insert_rows

_QUEUE = "registry.audit.queue"
_PLAIN = frozenset({str, int, bool, float})


class Audited(Protocol):
    """What an entry is about: a mapped object, or a row a service writes itself (a membership
    `transitions` begins); either names its table (`__tablename__`) and has its id once written."""

    id: int


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """The fields whose value differs, as {field: [before, after]}."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj: Audited,
    changes: Changes | None = None,
    *,
    organisation_id: int | Audited | None = None,
) -> None:
    """Queue one audit entry for `action` on `obj`, written with the session's next flush (one
    executemany for all the entries queued since the last), when `obj` (and the organisation, given
    as an object while it has no id yet) have their ids. Nothing flushes here.

    An entry waits as a tuple of plain values, its changes already JSON text: an import queues
    tens of thousands of them, which the garbage collector then has (almost) nothing to walk in."""
    state = getattr(obj, "_sa_instance_state", None)  # None: a row a service writes itself (its id once written)
    organisation = organisation_id
    if organisation is not None and type(organisation) is not int:
        key = instance_state(organisation).key
        organisation = organisation if key is None else key[1][0]
    object_type: str = type(obj).__tablename__  # type: ignore[attr-defined]
    if state is None:
        object_id = obj if obj.id is None else obj.id
    else:
        object_id = obj if state.key is None else state.key[1][0]
    queued = (new_public_id(), utcnow(), actor.label, actor.role.value, actor.token_id, action, object_type,
              object_id, organisation, _json_text(changes or {}))
    transaction = session.get_nested_transaction() or session.get_transaction()
    runs: list[tuple[SessionTransaction | None, list[tuple[Any, ...]]]] = session.info.setdefault(_QUEUE, [])
    if runs and runs[-1][0] is transaction:
        runs[-1][1].append(queued)
    else:
        runs.append((transaction, [queued]))
    if state is not None and state.persistent and not session.identity_map.check_modified():
        # so that the next flush runs (and writes the entry) though obj itself may not change;
        # one object marked is enough, and ten thousand would each be inspected by the flush
        flag_dirty(obj)


def entry(
    actor: Actor, action: str, object_type: str, object_id: Any, changes: Changes | None, *,
    organisation_id: Any,
) -> dict[str, Any]:
    """The values of one audit entry, taken now; the object and the organisation may still be
    objects, whose ids `stored` reads once they are written."""
    return {"at": utcnow(), "actor": actor.label, "actor_role": actor.role.value, "token_id": actor.token_id,
            "action": action, "object_type": object_type, "object_id": object_id,
            "organisation_id": organisation_id, "changes": changes or {}}


def stored(values: dict[str, Any]) -> dict[str, Any]:
    """An entry's values as the log stores them: ids for objects, each before and after as a plain
    JSON value."""
    obj, organisation = values["object_id"], values["organisation_id"]
    return {**values, "object_id": obj if obj is None or type(obj) is int else obj.id,
            "organisation_id": organisation if organisation is None or type(organisation) is int else organisation.id,
            "changes": _jsonable(values["changes"])}


# The columns an entry is written in, in the order `record` queues their values.
_COLUMNS = ("public_id", "at", "actor", "actor_role", "token_id", "action", "object_type", "object_id",
            "organisation_id", "changes")


def write_queued(session: Session, *, final: bool = False) -> None:
    """Write the entries queued on the session, in the order they were made, in one statement
    (an executemany). The flush hook calls it; so do readers of the log, which must see entries
    of a session that has nothing else to flush. An entry about an object that has no id yet
    (one the unit of work has not written) waits, with every entry queued after it, for the
    next flush; at a commit (`final`) that is a fault, never an entry written without its object."""
    runs = session.info.pop(_QUEUE, None)
    if not runs:
        return
    rows: list[tuple[Any, ...]] = []
    waiting: list[tuple[SessionTransaction | None, list[tuple[Any, ...]]]] = []
    for number, (transaction, queued) in enumerate(runs):
        for position, values in enumerate(queued):
            obj, organisation = values[7], values[8]
            if not (obj is None or type(obj) is int) or not (organisation is None or type(organisation) is int):
                object_id, organisation_id = _id_of(obj), _id_of(organisation)
                if object_id is _UNWRITTEN or organisation_id is _UNWRITTEN:
                    if final:
                        raise RuntimeError(f"an audit entry ({values[5]}) is about an object that was never written")
                    waiting = [(transaction, queued[position:]), *runs[number + 1:]]
                    break
                values = (*values[:7], object_id, organisation_id, values[9])
            rows.append(values)
        if waiting:
            session.info[_QUEUE] = waiting
            break
    if rows:  # their changes JSON text already (record's encoder), as the column keeps them
        insert_rows(session.connection(), AuditEntry.__table__, _COLUMNS, rows, as_stored=frozenset({"changes"}))


_UNWRITTEN = object()


def _id_of(obj: Any) -> Any:
    """An entry's object or organisation as its id (None: none named; _UNWRITTEN: no id yet)."""
    if obj is None or type(obj) is int:
        return obj
    return _UNWRITTEN if obj.id is None else obj.id


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    write_queued(session)


@event.listens_for(Session, "before_commit", insert=True)
def _committing(session: Session) -> None:
    session.flush()  # (a savepoint's too) the entries' objects get their ids, and the hook above writes them
    write_queued(session, final=True)  # entries about objects that nothing else flushed


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget the entries queued inside the transaction (or savepoint) rolled back: its writes are gone."""
    runs = session.info.get(_QUEUE)
    if not runs:
        return
    kept = []
    for transaction, queued in runs:
        inside = transaction
        while inside is not None and inside is not rolled_back:
            inside = inside.parent
        if inside is None:
            kept.append((transaction, queued))
    session.info[_QUEUE] = kept


def history(
    session: Session, *, organisation_id: int | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally for one organisation."""
    write_queued(session)
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == organisation_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _plain(value: Any) -> Any:
    """What JSON cannot hold as it is (a date, a set, an enum that is not a str) as what it can."""
    plain = _jsonable(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not something an audit entry can hold")
    return plain


# json.dumps as it would write _jsonable(changes), made once: dumps builds its C encoder again
# at every call, and an import records some 40,000 changes. A StrEnum is a str to the encoder,
# so only dates and sets reach _plain.
_ENCODE = (c_make_encoder(None, _plain, encode_basestring_ascii, None, ": ", ", ", False, False, True)
           if c_make_encoder is not None else None)


def _json_text(changes: Changes) -> str:
    if _ENCODE is None:
        return json.dumps(_jsonable(changes))
    return "".join(_ENCODE(changes, 0))


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in _PLAIN:
        return value
    # The [before, after] of every change, thousands of them in an import: kept quick.
    if kind is list or kind is tuple:
        return [v if v is None or type(v) in _PLAIN else v._value_ if isinstance(v, enum.StrEnum) else _jsonable(v)
                for v in value]
    if kind is dict:
        return {k if type(k) is str else str(k): v if v is None or type(v) in _PLAIN else _jsonable(v)
                for k, v in value.items()}
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
