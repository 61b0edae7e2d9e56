"""The revocation mechanism in one process, on a real PostgreSQL: the per-process copy of
`revoked_subjects` (what it refuses, what it reads and when), the consumers' handler in every service,
and `require` answering a revoked token with a 401 problem."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from mmm.services import load
from shared import config, revocation
from shared.app import db_of
from shared.events import envelope, registry
from shared.revocation import RevocationList, handle_sessions_revoked, store

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end


@pytest.fixture(scope="module")
def app(service_app):
    return service_app("evaluation")


@pytest.fixture()
def engine(app):
    return db_of(app).engine


def _store(engine, subject: uuid.UUID, at: datetime) -> None:
    with orm.Session(engine) as session:
        store(session, subject, at)
        session.commit()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def test_tokens_issued_before_the_user_or_session_was_revoked_are_refused(engine):
    user, session_id, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = _now()
    _store(engine, user, at)
    _store(engine, session_id, at)
    revoked = RevocationList(engine, refresh_every=0)
    t = at.timestamp()
    assert revoked.refuses(user, None, t - 0.001)
    assert not revoked.refuses(user, None, t + 0.001)  # issued after (a new sign-in)
    assert revoked.refuses(other, session_id, t - 10)  # the session signed out
    assert not revoked.refuses(other, uuid.uuid4(), t - 10)
    assert not revoked.refuses(other, None, t - 10)
    assert not revoked.refuses(user, None, None)  # no iat: refused earlier, by the verifier


def test_a_later_revocation_wins_and_an_earlier_one_arriving_late_changes_nothing(engine):
    user = uuid.uuid4()
    later = _now()
    _store(engine, user, later)
    _store(engine, user, later - timedelta(minutes=5))
    revoked = RevocationList(engine, refresh_every=0)
    revoked.refresh()
    assert revoked.not_before(user) == pytest.approx(later.timestamp(), abs=1e-6)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT not_before FROM revoked_subjects WHERE subject_id = :s"),
                           {"s": user}) == later


def test_each_read_takes_only_what_changed_and_a_late_commit_is_not_missed(engine):
    revoked = RevocationList(engine, refresh_every=0)
    revoked.refresh()
    assert revoked.refresh() == 0  # nothing new
    early, late = uuid.uuid4(), uuid.uuid4()
    # `early` is written by a transaction that began first (lower transaction id) and commits last
    with orm.Session(engine) as slow:
        store(slow, early, _now())
        _store(engine, late, _now())
        assert revoked.refresh() == 1
        assert revoked.not_before(late) is not None and revoked.not_before(early) is None
        slow.commit()
    assert revoked.refresh() == 1
    assert revoked.not_before(early) is not None
    assert revoked.refresh() == 0


def test_the_table_is_read_at_most_once_per_interval(engine):
    revoked = RevocationList(engine, refresh_every=1.0)
    revoked.refresh_if_due()
    user = uuid.uuid4()
    issued = time.time() - 1
    _store(engine, user, _now())
    assert not revoked.refuses(user, None, issued)  # read less than a second ago: not yet known
    deadline = time.monotonic() + 3
    while not revoked.refuses(user, None, issued):
        assert time.monotonic() < deadline, "not read again after the interval"
        time.sleep(0.05)


def test_an_unreachable_database_keeps_what_was_known_and_refuses_nobody_else(engine):
    user = uuid.uuid4()
    _store(engine, user, _now())
    revoked = RevocationList(engine, refresh_every=0)
    assert revoked.refuses(user, None, time.time() - 60)
    unreachable = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_pre_ping=False)
    revoked._engine = unreachable
    assert revoked.refresh() == -1
    assert revoked.refuses(user, None, time.time() - 60)  # still refused
    assert not revoked.refuses(uuid.uuid4(), None, time.time() - 60)
    assert RevocationList(unreachable, refresh_every=0).refresh() == -1  # never read: no exception either
    unreachable.dispose()


def test_every_service_but_identity_consumes_sessions_revoked_with_the_shared_handler():
    et = registry.by_name("SessionsRevoked")
    assert et.service == "identity"
    for name in config.SERVICES:
        handler = load(name).handlers.get(et.type)
        if name == "identity":
            assert handler is None  # identity writes its table in the revoking transaction
        else:
            assert handler is handle_sessions_revoked, name
            assert et.routing_key in load(name).handlers.routing_keys()


def test_the_handler_stores_the_user_or_the_session(engine):
    user, session_id = uuid.uuid4(), uuid.uuid4()
    at = _now()
    for data in ({"user_id": user, "not_before": at, "reason": "deactivated"},
                 {"user_id": uuid.uuid4(), "session_id": session_id, "not_before": at, "reason": "signed-out"}):
        event = envelope.parse(envelope.build("SessionsRevoked", data))
        with orm.Session(engine) as session:
            handle_sessions_revoked(session, event)
            session.commit()
    revoked = RevocationList(engine, refresh_every=0)
    revoked.refresh()
    assert revoked.not_before(user) == pytest.approx(at.timestamp(), abs=1e-6)
    assert revoked.not_before(session_id) == pytest.approx(at.timestamp(), abs=1e-6)


def test_require_answers_a_revoked_token_with_a_401_problem(app, engine, signing_keys):
    client = app.test_client()
    user, other = uuid.uuid4(), uuid.uuid4()
    before = signing_keys.mint("mentor", sub=user, iat=time.time() - 1)
    bystander = signing_keys.mint("mentee", sub=other, iat=time.time() - 1)

    def get(token):
        return client.get("/api/v1/evaluation/evaluation-form", headers={"Authorization": f"Bearer {token}"})

    assert get(before).status_code == 200
    _store(engine, user, _now())
    deadline = time.monotonic() + revocation.for_app(app).refresh_every + 1
    while (r := get(before)).status_code == 200:
        assert time.monotonic() < deadline, "a revoked token was still served"
        time.sleep(0.05)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert r.get_json()["detail"] == revocation.DETAIL
    assert get(bystander).status_code == 200
    assert get(signing_keys.mint("mentor", sub=user, iat=time.time())).status_code == 200  # signed in again


def test_revocations_older_than_any_valid_token_are_forgotten(engine, monkeypatch):
    monkeypatch.setenv("AUTH_REVOCATION_KEEP", "PT10M")
    old, recent = uuid.uuid4(), uuid.uuid4()
    _store(engine, old, _now() - timedelta(minutes=11))  # an event arriving very late: deleted at once
    _store(engine, recent, _now() - timedelta(minutes=9))
    with engine.connect() as conn:
        kept = set(conn.scalars(sa.text("SELECT subject_id FROM revoked_subjects WHERE subject_id IN (:a, :b)"),
                                {"a": old, "b": recent}))
    assert kept == {recent}
    revoked = RevocationList(engine, refresh_every=0)
    revoked.refresh()
    assert revoked.not_before(recent) is not None and revoked.not_before(old) is None
