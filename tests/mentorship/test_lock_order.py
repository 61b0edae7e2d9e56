"""The lock order (services/mentorship/locks.py) is enforced, not only described: the helper refuses a lock
out of order in a real PostgreSQL transaction, takes several mentors' rows in id order whatever order it is
given, and is the only code of service.py, events.py and jobs.py that locks rows."""
from __future__ import annotations

import ast
import contextlib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.mentorship import service
from services.mentorship.events import handlers
from shared.events import envelope
from services.mentorship.locks import LockOrderError, lock, locks
from services.mentorship.models import Mentorship, MentorshipRequest

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def transaction(database):
    """A session whose transaction is rolled back at the end: the locks are all these tests take."""
    with database.sessions() as session:
        try:
            yield session
        finally:
            session.rollback()


def test_a_lock_out_of_order_is_refused(world, mentorship_db):
    mentor, other, mentee = world.mentor(), world.mentor(), world.mentee()
    request_id = uuid.UUID(world.create(mentee, mentor))
    world.accept(mentor, request_id)
    low, high = sorted([mentor.id, other.id])

    with transaction(mentorship_db) as session:  # a request before its mentor's row
        req = session.get(MentorshipRequest, request_id)
        with pytest.raises(LockOrderError, match="before its mentor"):
            locks(session).request(req)

    with transaction(mentorship_db) as session:  # a mentor's row after a request's
        req = session.get(MentorshipRequest, request_id)
        held = lock(session, mentors=[mentor.id], requests=[req])
        with pytest.raises(LockOrderError, match="after a request lock"):
            held.mentor(other.id)
        held.mentor(mentor.id)  # one already held: locking it again waits for nothing

    with transaction(mentorship_db) as session:  # a lower-id mentor after a higher one
        locks(session).mentor(high)
        with pytest.raises(LockOrderError, match="id order"):
            locks(session).mentor(low)

    with transaction(mentorship_db) as session:  # a request after a mentorship
        ms = session.execute(sa.select(Mentorship).where(Mentorship.request_id == request_id)).scalar_one()
        held = lock(session, mentors=[mentor.id], mentorships=[ms])
        with pytest.raises(LockOrderError, match="after a mentorship lock"):
            held.select(sa.select(MentorshipRequest).where(MentorshipRequest.mentor_id == mentor.id))

    with transaction(mentorship_db) as session:  # the member a transaction is about, after a mentor
        locks(session).mentor(mentor.id)
        with pytest.raises(LockOrderError, match="after a mentor lock"):
            locks(session).member(mentee.id)

    with transaction(mentorship_db) as session:  # FOR SHARE, then FOR UPDATE: an upgrade waits
        locks(session).mentor(mentor.id, shared=True)
        with pytest.raises(LockOrderError, match="upgrade"):
            locks(session).mentor(mentor.id)

    with transaction(mentorship_db) as session:  # the capacity ledger moved without the mentor's row
        ms = session.execute(sa.select(Mentorship).where(Mentorship.request_id == request_id)).scalar_one()
        with pytest.raises(LockOrderError, match="without holding its row"):
            service._conclude(session, ms, "mentor", "done")

    with transaction(mentorship_db) as session:  # a new transaction starts holding nothing
        locks(session).mentor(high)
        session.rollback()
        locks(session).mentor(low)


def test_several_mentors_are_locked_in_id_order(world, mentorship_db):
    mentors = [world.mentor().id for _ in range(4)]
    given = [mentors[2], mentors[0], mentors[3], mentors[1], mentors[0]]
    locked: list[uuid.UUID] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FOR UPDATE" in statement and "members" in statement:
            locked.extend(v for v in parameters.values() if isinstance(v, uuid.UUID))

    # On every engine: in the fast tier the session runs on the test's own connection (shared.testing.RolledBack)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        with transaction(mentorship_db) as session:
            rows = lock(session, mentors=given).mentors(given)  # the second time: held already
            assert [m.user_id for m in rows] == sorted(mentors)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert locked[:4] == sorted(mentors), locked


def test_a_consumer_batch_handles_events_about_several_members_in_one_transaction(mentorship_db):
    """As the consumer's fast path does: one transaction, the events one after another, whatever their
    members' ids; each event's handler starts the lock order afresh (locks.event_locks)."""
    institution = uuid.uuid4()
    people = sorted(uuid.uuid4() for _ in range(3))
    bodies = [envelope.build("MentorEnrolled", {"user_id": uid, "institution_id": institution, "name": f"Dr. {n}",
                                                "email": f"batch-{uid.hex[:8]}@example.org"})
              for n, uid in enumerate(reversed(people))]
    bodies.append(envelope.build("TrainingCompleted", {
        "user_id": people[-1], "institution_id": institution, "track": "mentor", "curriculum_version": 1,
        "completed_at": "2026-01-01T00:00:00+00:00"}))
    events = [envelope.parse(body) for body in bodies]
    with transaction(mentorship_db) as session:
        with handlers.batch(session, events):
            for event in events:
                handlers.get(event.type.type)(session, event)
        statuses = session.execute(sa.text("SELECT user_id, status, trained_at IS NOT NULL FROM members "
                                           "WHERE user_id = ANY(:ids) ORDER BY user_id"), {"ids": people}).all()
    assert [(s, t) for _, s, t in statuses] == [("active", False), ("active", False), ("active", True)]


def _locking_calls(path: Path) -> list[str]:
    """Where the module locks rows itself: with_for_update (a call or a keyword), the old lock helpers,
    and SQL text saying FOR UPDATE / FOR SHARE outside docstrings."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
            node.arg if isinstance(node, ast.keyword) else None
        if name in ("with_for_update", "lock_member", "lock_mentors", "skip_locked"):
            found.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {name}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and ("FOR UPDATE" in node.value.upper() or "FOR SHARE" in node.value.upper()):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    return found


def test_only_the_helper_locks_rows():
    package = ROOT / "services" / "mentorship"
    for name in ("service.py", "events.py", "jobs.py"):
        assert _locking_calls(package / name) == [], name
    assert _locking_calls(package / "locks.py")  # the check finds what it looks for
