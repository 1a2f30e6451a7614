"""Tamper evidence for the audit trail: every event is hash-chained to the one before it.

Design: one chain per case ("case:<id>") plus one "system" chain for events without a case (published
versions). A single global chain would make every transaction in the product queue on one row lock, so two
unrelated cases could never be saved at the same time; per-case chains only serialise writers of the same
case, which the optimistic lock on the instance row serialises already, and a case is the unit an auditor
examines. What a global chain would add - noticing that a whole case disappeared - is covered by the heads
table: verification cross-checks every chain's recorded length and last hash, and every case row must have
a chain.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON of the event's content
(chain, position, case, type, actor, time, task, element, data - never the database id, which is only
known after the insert). A case's chain head (length, last hash) is kept on the case row
(process_instances.chain_length / chain_hash): a step chains its events in memory and moves the head with
the same version-checked UPDATE that saves the step (services/cases/store.save), so a step takes no lock
beyond the one on its case row, and two steps never extend a chain from the same point (the second UPDATE
finds another version and is retried). Events recorded outside a step (claims, hand-overs) are chained at
commit (see audit.record): the case row's head is read with SELECT ... FOR UPDATE - or taken from what
this transaction's save left there - and moved with an UPDATE conditional on the length read. The system
and administrative chains keep a row in audit_chain_heads, locked at commit as the last lock a transaction
takes, so writers neither fork a chain nor deadlock on it. SQLite serialises writers anyway.

Without a secret key someone able to rewrite the database could recompute every hash after a change; the
verifier therefore prints a root digest over all chain heads that can be kept outside the database and
compared later.
"""
import hashlib
import json
from dataclasses import dataclass, field
from itertools import groupby

from types import SimpleNamespace

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ... import clock
from ...i18n import _
from ...models import AdminAuditEvent, AuditChainHead, AuditEvent, ProcessInstance

SYSTEM = "system"
ADMIN = "admin"  # the administrative trail (users, departments, calendar, tokens): its own table and chain


def stream_of(instance_id: int | None) -> str:
    return SYSTEM if instance_id is None else f"case:{instance_id}"


def normalise(data: dict | None) -> dict:
    """The data exactly as it reads back from a JSON column."""
    return json.loads(json.dumps(data or {}, default=str))


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    content = {
        "stream": stream_of(event.instance_id), "seq": event.chain_seq, "instance_id": event.instance_id,
        "type": event.event_type, "actor": event.actor, "at": event.at.isoformat(timespec="microseconds"),
        "task_id": event.task_id, "element_id": event.element_id, "data": event.data,
    }
    return link(prev_hash, content)


def admin_event_hash(event: AdminAuditEvent, prev_hash: str) -> str:
    content = {
        "stream": ADMIN, "seq": event.chain_seq, "action": event.action, "actor": event.actor,
        "at": event.at.isoformat(timespec="microseconds"), "object_type": event.object_type,
        "object_id": event.object_id, "before": event.before, "after": event.after, "reason": event.reason,
    }
    return link(prev_hash, content)


def link(prev_hash: str, content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode("utf-8")).hexdigest()


_HEAD = select(AuditChainHead.length, AuditChainHead.last_hash).with_for_update()


def _lock_head(session: Session, stream: str) -> tuple[int, str]:
    row = session.execute(_HEAD.where(AuditChainHead.stream == stream)).one_or_none()
    if row is not None:  # the usual case: one statement
        return row.length, row.last_hash
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(AuditChainHead).values(stream=stream, length=0, last_hash="")
                    .on_conflict_do_nothing(index_elements=["stream"]))
    row = session.execute(_HEAD.where(AuditChainHead.stream == stream)).one()
    return row.length, row.last_hash


def seal(session: Session, events: list[AuditEvent]) -> None:
    """Give each new event its position and hashes and move the chain heads (inside the transaction)."""
    streams: dict[str, list[AuditEvent]] = {}
    for event in events:
        streams.setdefault(stream_of(event.instance_id), []).append(event)
    for stream in sorted(streams):  # one lock order for every writer
        if stream == SYSTEM:
            extend(session, stream, streams[stream], event_hash)
        else:
            _extend_case(session, streams[stream][0].instance_id, streams[stream])


def chain(events: list, length: int, last: str, hash_of=event_hash) -> tuple[int, str]:
    """Give each event its position and hashes after the head (length, last); returns the new head."""
    for event in events:
        length += 1
        event.chain_seq, event.prev_hash = length, last
        event.event_hash = last = hash_of(event, last)
    return length, last


def extend(session: Session, stream: str, events: list, hash_of) -> None:
    """Append events to a chain with a head row: lock its head, chain the events, move the head."""
    length, last = chain(events, *_lock_head(session, stream), hash_of)
    session.execute(update(AuditChainHead).where(AuditChainHead.stream == stream)
                    .values(length=length, last_hash=last, updated_at=clock.now()))


_CASE_HEADS = "audit_case_heads"  # session.info: case id -> the head this transaction left on its row
_INSTANCES = ProcessInstance.__table__
_CASE_HEAD = (select(_INSTANCES.c.chain_length, _INSTANCES.c.chain_hash)
              .where(_INSTANCES.c.id == bindparam("iid")).with_for_update())
_MOVE_CASE_HEAD = (update(_INSTANCES)
                   .where(_INSTANCES.c.id == bindparam("iid"), _INSTANCES.c.chain_length == bindparam("was"))
                   .values(chain_length=bindparam("length"), chain_hash=bindparam("hash")))


def moved_case_head(session: Session, instance_id: int, length: int, last: str) -> None:
    """This transaction moved the case's head to (length, last) and holds the case row."""
    session.info.setdefault(_CASE_HEADS, {})[instance_id] = (length, last)


def forget_case_heads(session: Session) -> None:
    """The transaction ended: the heads it moved are no longer held."""
    session.info.pop(_CASE_HEADS, None)


def _extend_case(session: Session, instance_id: int, events: list) -> None:
    """Append events to a case's chain whose head is on the case row."""
    conn = session.connection()
    head = session.info.get(_CASE_HEADS, {}).get(instance_id)
    if head is None:
        head = tuple(conn.execute(_CASE_HEAD, {"iid": instance_id}).one())
    length, last = chain(events, *head)
    if conn.execute(_MOVE_CASE_HEAD, {"iid": instance_id, "was": head[0], "length": length,
                                      "hash": last}).rowcount != 1:
        raise StaleDataError(f"the audit chain of case {instance_id} moved concurrently")
    moved_case_head(session, instance_id, length, last)
    loaded = session.identity_map.get(session.identity_key(ProcessInstance, instance_id))
    if loaded is not None:  # the loaded case row shows the head as it is now
        set_committed_value(loaded, "chain_length", length)
        set_committed_value(loaded, "chain_hash", last)


@dataclass
class Problem:
    stream: str
    message: str
    event_id: int | None = None
    seq: int | None = None


@dataclass
class Verification:
    checked: int = 0
    chains: int = 0
    unchained: int = 0
    root: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        with_id = [p for p in self.problems if p.event_id is not None]
        return min(with_id, key=lambda p: p.event_id) if with_id else (self.problems or [None])[0]


def _check_chain(stream: str, rows: list, head, result: Verification, hash_of=event_hash) -> None:
    chained = sorted((r for r in rows if r.chain_seq is not None), key=lambda r: (r.chain_seq, r.id))
    first_chained = min((r.id for r in chained), default=None)
    for row in rows:
        if row.chain_seq is None:
            result.unchained += 1
            if first_chained is not None and row.id > first_chained:
                result.problems.append(Problem(stream, _("the event carries no chain position although the "
                                                         "chain had begun: it was altered"), row.id))
    last, expected = "", 1
    for row in chained:
        result.checked += 1
        if row.chain_seq != expected:
            message = (_("positions %(a)s to %(b)s of the chain are missing before this event: events were "
                         "deleted", a=expected, b=row.chain_seq - 1) if row.chain_seq > expected
                       else _("position %(n)s occurs twice in the chain", n=row.chain_seq))
            result.problems.append(Problem(stream, message, row.id, row.chain_seq))
        elif row.prev_hash != last:
            result.problems.append(Problem(stream, _("the link to the previous event does not match: the "
                                                     "previous event was altered or deleted"), row.id, row.chain_seq))
        elif hash_of(row, last) != row.event_hash:
            result.problems.append(Problem(stream, _("the event's content does not match its hash: the row "
                                                     "was altered"), row.id, row.chain_seq))
        last, expected = row.event_hash or "", max(expected, row.chain_seq) + 1
    if head is None:
        if chained:
            result.problems.append(Problem(stream, _("the chain head is missing"), chained[-1].id))
        return
    if head.length != expected - 1 or head.last_hash != last:
        after = chained[-1].id if chained else None
        message = (_("%(n)s event(s) at the end of the chain are missing (the chain head records %(m)s)",
                     n=head.length - (expected - 1), m=head.length) if head.length > expected - 1
                   else _("the chain head does not match the last event"))
        result.problems.append(Problem(stream, message, after, head.length))


def _case_heads(session: Session) -> dict:
    """Each case's chain head as stored on its row (None for a case without chained events)."""
    return {stream_of(iid): SimpleNamespace(length=length, last_hash=last) if length else None
            for iid, length, last in session.execute(select(ProcessInstance.id, ProcessInstance.chain_length,
                                                            ProcessInstance.chain_hash))}


def verify(session: Session) -> Verification:
    result = Verification()
    heads = {h.stream: h for h in session.scalars(select(AuditChainHead))}
    case_rows = _case_heads(session)
    for stream, head in case_rows.items():  # the case rows hold the heads of the case chains
        if head is not None or stream not in heads:
            heads[stream] = head
    heads = {stream: head for stream, head in heads.items() if head is not None}
    query = select(AuditEvent).order_by(AuditEvent.instance_id.is_not(None), AuditEvent.instance_id,
                                        AuditEvent.id)
    seen = set()
    events = session.scalars(query.execution_options(yield_per=2000))
    for instance_id, rows in groupby(events, key=lambda e: e.instance_id):
        stream = stream_of(instance_id)
        seen.add(stream)
        _check_chain(stream, list(rows), heads.get(stream), result)
    seen.add(ADMIN)
    admin_rows = list(session.scalars(select(AdminAuditEvent).order_by(AdminAuditEvent.id)))
    if admin_rows or ADMIN in heads:
        _check_chain(ADMIN, admin_rows, heads.get(ADMIN), result, admin_event_hash)
    for stream, head in heads.items():
        if stream not in seen and head.length:
            _check_chain(stream, [], head, result)
    for stream in case_rows:
        if stream not in heads and stream not in seen:
            result.problems.append(Problem(stream, _("the case has no audit events at all")))
    result.chains = len(heads)
    digest = hashlib.sha256()
    for stream in sorted(heads):
        digest.update(f"{stream}:{heads[stream].length}:{heads[stream].last_hash}\n".encode())
    result.root = digest.hexdigest()
    return result
