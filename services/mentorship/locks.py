"""The lock order of mentorship, in one place, and the one way its transactions take row locks.

Every transaction locks rows in this order, so that no two transactions can wait for each other in a cycle
(a deadlock):

1. the member the transaction is about: the mentee making a request (FOR SHARE), the member an event is
   about (FOR UPDATE; the row is created first when this is the first event about them). One row, before
   any other (in a consumer's batch, one per event: `event_locks`). A mentee's row is locked only here, so
   mentees' rows come before mentors' rows.
2. mentors' `members` rows, in id order when there are several. The capacity ledger (active_mentees,
   R11) is a column of the mentor's row: accepting and concluding move it only while holding the row.
3. requests, each after its mentor's row; in any order among themselves, since their mentor's row (held)
   serializes every transaction that waits for them.
4. mentorships, each after its mentor's row.

A row the transaction already holds may be locked again at any point: that waits for nothing. Upgrading a
FOR SHARE lock to FOR UPDATE would wait, and is refused.

Claims are the exception to "after its mentor": the reminder job claims due requests with FOR UPDATE SKIP
LOCKED and no mentor's row. SKIP LOCKED never waits, so a claim cannot close a cycle; it counts as a
request lock, so that nothing taken after it may wait for a member. (The expiry job locks the mentor's row
first and then claims that mentor's requests, in the order above.)

Writing an institution's name (events naming one) comes after the member's row and nothing is locked after
it; no other lock of mentorship involves institutions.

Every lock of service.py, events.py and jobs.py goes through `locks(session)`, which keeps what the
transaction holds on the session and raises LockOrderError (a programming error) for a lock out of this
order: the order is enforced, not only described.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import orm

from services.mentorship.models import Member, Mentorship, MentorshipRequest

MEMBER, MENTOR, REQUEST, MENTORSHIP = range(4)  # the levels of the order, lowest first
_LEVEL_NAMES = ("member", "mentor", "request", "mentorship")
_KEY = "mentorship.locks"


class LockOrderError(AssertionError):
    """A transaction asked for a lock out of the lock order: a bug in the code that asked."""


class Locks:
    """What one transaction holds, and the only way it takes more."""

    def __init__(self, session: orm.Session, transaction: orm.SessionTransaction):
        self.session = session
        self.transaction = transaction
        self.level = -1  # the highest level locked so far
        self.members: dict[uuid.UUID, bool] = {}  # user id -> held FOR SHARE only
        self.subject: uuid.UUID | None = None  # the member locked at level MEMBER
        self.last_mentor: uuid.UUID | None = None
        self.rows: set[tuple[type, uuid.UUID]] = set()  # requests and mentorships held

    # --- members ------------------------------------------------------------------------------------

    def member(self, user_id: uuid.UUID, *, shared: bool = False) -> Member | None:
        """The row of the member this transaction is about, first of all its locks."""
        if not self._relock(user_id, shared):
            if self.subject is not None:
                raise LockOrderError(f"member {user_id} locked after member {self.subject}: one member a transaction")
            self._check_level(MEMBER, f"member {user_id}")
            self.subject = user_id
        return self._lock_member(user_id, shared, MEMBER)

    def mentor(self, user_id: uuid.UUID, *, shared: bool = False) -> Member | None:
        return self.mentors([user_id], shared=shared)[0]

    def mentors(self, user_ids: Iterable[uuid.UUID], *, shared: bool = False) -> list[Member | None]:
        """Mentors' rows, in id order (the order of the return, too); None for an unknown id."""
        out = []
        for user_id in sorted(set(user_ids)):
            if not self._relock(user_id, shared):
                self._check_level(MENTOR, f"mentor {user_id}")
                if self.last_mentor is not None and user_id < self.last_mentor:
                    raise LockOrderError(f"mentor {user_id} locked after mentor {self.last_mentor}: "
                                         "mentors go in id order")
                self.last_mentor = user_id
            out.append(self._lock_member(user_id, shared, MENTOR))
        return out

    def require(self, user_id: uuid.UUID) -> None:
        """For a write to a member's row (the capacity ledger): the transaction must already hold it."""
        if user_id not in self.members or self.members[user_id]:
            raise LockOrderError(f"member {user_id} written without holding its row FOR UPDATE")

    def _relock(self, user_id: uuid.UUID, shared: bool) -> bool:
        """Whether the row is already held (locking it again waits for nothing)."""
        if user_id not in self.members:
            return False
        if self.members[user_id] and not shared:
            raise LockOrderError(f"member {user_id} held FOR SHARE, then asked FOR UPDATE: an upgrade waits")
        return True

    def _lock_member(self, user_id: uuid.UUID, shared: bool, level: int) -> Member | None:
        stmt = sa.select(Member).where(Member.user_id == user_id).with_for_update(read=shared)
        member = self.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
        self.members[user_id] = self.members.get(user_id, True) and shared
        self.level = max(self.level, level)
        return member

    # --- requests and mentorships ----------------------------------------------------------------------

    def request(self, req: MentorshipRequest) -> MentorshipRequest:
        """A request read without a lock, locked (and read again) after its mentor's row."""
        return self._refresh(req, REQUEST)

    def mentorship(self, ms: Mentorship) -> Mentorship:
        """A mentorship read without a lock, locked (and read again) after its mentor's row."""
        return self._refresh(ms, MENTORSHIP)

    def select(self, stmt: sa.Select) -> list:
        """The requests or mentorships `stmt` selects, locked FOR UPDATE in its order; their mentors' rows
        must be held already."""
        return self._rows(stmt, stmt.with_for_update(), claim=False)

    def claim(self, stmt: sa.Select) -> list:
        """The requests `stmt` selects that no other transaction holds (FOR UPDATE SKIP LOCKED): work one
        job replica takes; waits for nothing, so needs no mentor's row."""
        return self._rows(stmt, stmt.with_for_update(skip_locked=True), claim=True)

    def _refresh(self, row, level: int):
        key = (type(row), row.id)
        if key in self.rows:
            return row
        self._check_level(level, f"{_LEVEL_NAMES[level]} {row.id}")
        self._check_mentor(row)
        self.session.refresh(row, with_for_update=True)
        self._check_mentor(row)  # read again under the lock: its mentor is still the one held
        self.rows.add(key)
        self.level = max(self.level, level)
        return row

    def _rows(self, stmt: sa.Select, locking: sa.Select, *, claim: bool) -> list:
        model = stmt.column_descriptions[0]["entity"]
        level = {MentorshipRequest: REQUEST, Mentorship: MENTORSHIP}[model]
        self._check_level(level, f"{_LEVEL_NAMES[level]} rows")
        rows = list(self.session.execute(locking.execution_options(populate_existing=True)).scalars())
        for row in rows:
            if not claim:
                self._check_mentor(row)
            self.rows.add((model, row.id))
        self.level = max(self.level, level)
        return rows

    def _check_mentor(self, row) -> None:
        if row.mentor_id not in self.members:
            raise LockOrderError(f"{type(row).__name__} {row.id} locked before its mentor {row.mentor_id}")

    def _check_level(self, level: int, what: str) -> None:
        if level < self.level:
            raise LockOrderError(f"{what} locked after a {_LEVEL_NAMES[self.level]} lock: "
                                 "members, then mentors, then requests, then mentorships")


def locks(session: orm.Session) -> Locks:
    """The locks of the session's current transaction (a new transaction starts with none)."""
    session.connection()  # begins the transaction when none is under way, so that it can be told apart
    transaction = session.get_transaction()
    held = session.info.get(_KEY)
    if held is None or held.transaction is not transaction:
        held = session.info[_KEY] = Locks(session, transaction)
    return held


def event_locks(session: orm.Session, user_id: uuid.UUID) -> Locks:
    """The locks of a consumed event's handler, about the member `user_id`. A consumer handles a batch of
    events one after another in one transaction (shared/events/consumer.py), so the handler of each event
    about another member starts the order afresh, while the rows of the batch's earlier events stay locked
    until it commits. Two consumers whose batches lock the same members in different orders can therefore
    deadlock, as before this helper: PostgreSQL ends one, and its consumer handles that batch again (a
    database error, so nothing is acknowledged and nothing is lost)."""
    held = locks(session)
    if held.subject is not None and held.subject != user_id:
        held = session.info[_KEY] = Locks(session, held.transaction)
    return held


def lock(session: orm.Session, *, member: uuid.UUID | None = None, mentors: Iterable[uuid.UUID] = (),
         requests: Iterable[MentorshipRequest] = (), mentorships: Iterable[Mentorship] = (),
         shared: bool = False) -> Locks:
    """Take the locks a use case needs, in the order: the member it is about, the mentors (in id order),
    the requests, the mentorships (each read before without a lock, read again under it). `shared`: the
    members' rows FOR SHARE. Returns the transaction's Locks; the rows locked are refreshed in place."""
    held = locks(session)
    if member is not None:
        held.member(member, shared=shared)
    held.mentors(mentors, shared=shared)
    for req in requests:
        held.request(req)
    for ms in mentorships:
        held.mentorship(ms)
    return held
