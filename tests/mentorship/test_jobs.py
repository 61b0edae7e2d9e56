"""Deadlines and responsiveness (R12) with durations shrunk to fractions of a second: each request is
reminded once and expired once even with two workers running the jobs at the same time; expired
requests are strikes, and reaching the threshold reports the mentor unresponsive once."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from services.mentorship import jobs, service
from services.mentorship.settings import Settings
from shared.jobs import JobRunner
from shared.testing import run_together
from tests.mentorship.conftest import apply, count, outbox

pytestmark = pytest.mark.slow  # job runners in threads, as worker replicas run them

FAST = Settings(respond_by=timedelta(seconds=1), remind_after=timedelta(seconds=0.3), strikes=2,
                strike_window=timedelta(days=180), job_interval=timedelta(seconds=0.2))
# reminders come after 0.3 s, with room before the deadline however slowly a loaded machine seeds
ROOMY = Settings(respond_by=timedelta(seconds=3), remind_after=timedelta(seconds=0.3), strikes=2,
                 strike_window=timedelta(days=180), job_interval=timedelta(seconds=0.2))
# as two workers run the jobs: the service's own strikes and window, its jobs running every 0.1 s
EVERY_100MS = replace(ROOMY, job_interval=timedelta(seconds=0.1))




def test_reminded_once_then_expired_once_with_two_workers(world, mentorship_db):
    mentors = [world.mentor() for _ in range(4)]
    pairs = [(world.mentee(), m) for m in mentors for _ in range(3)]
    ids = [world.create(mentee, mentor, ROOMY) for mentee, mentor in pairs]
    time.sleep(0.4)
    run_together(lambda: jobs.send_reminders(mentorship_db, ROOMY))
    run_together(lambda: jobs.send_reminders(mentorship_db, ROOMY))
    for rid in ids:
        assert len(outbox(mentorship_db, "RequestReminderDue", request_id=rid)) == 1
    assert not any(outbox(mentorship_db, "RequestExpired", request_id=rid) for rid in ids)
    time.sleep(3)
    run_together(lambda: jobs.expire_requests(mentorship_db, FAST), n=3)
    run_together(lambda: jobs.expire_requests(mentorship_db, FAST))
    for rid in ids:
        [ev] = outbox(mentorship_db, "RequestExpired", request_id=rid)
        assert ev["subject"] == f"requests/{rid}"
    assert count(mentorship_db, "SELECT count(*) FROM requests WHERE id = ANY(CAST(:ids AS uuid[])) "
                                "AND status = 'expired'", ids=ids) == len(ids)
    # three strikes each, but each mentor is reported once
    for m in mentors:
        [ev] = outbox(mentorship_db, "MentorUnresponsive", mentor_id=m.id)
        assert ev["data"]["strikes"] == 3 and len(ev["data"]["expired_request_ids"]) == 3
    # an expired request is final: it cannot be answered
    late = world.post(f"/requests/{ids[0]}/accept", {}, mentors[0], expect=409).get_json()
    assert late["detail"] == "This request expired: you did not answer it by its deadline."
    assert late["reason"] == "expired" and late["request_status"] == "expired"


def test_two_job_runners_expire_each_request_once(world, mentorship_db):
    mentor = world.mentor()
    mentees = [world.mentee() for _ in range(5)]
    ids = [world.create(mentee, mentor, ROOMY) for mentee in mentees]
    stop = threading.Event()
    runners = [JobRunner("mentorship", mentorship_db, jobs.jobs(EVERY_100MS), tick=0.05) for _ in range(2)]
    threads = [threading.Thread(target=r.run, args=(stop,), daemon=True) for r in runners]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline and count(
                mentorship_db, "SELECT count(*) FROM requests WHERE mentor_id = :m AND status = 'expired'",
                m=mentor.id) < 5:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    for rid in ids:
        assert len(outbox(mentorship_db, "RequestReminderDue", request_id=rid)) == 1
        assert len(outbox(mentorship_db, "RequestExpired", request_id=rid)) == 1
    assert len(outbox(mentorship_db, "MentorUnresponsive", mentor_id=mentor.id)) == 1


def test_strikes_threshold_window_and_reinstatement(world, mentorship_db):
    mentor = world.mentor()
    first = world.create(world.mentee(), mentor, FAST)
    time.sleep(1.1)
    jobs.expire_requests(mentorship_db, FAST)
    assert outbox(mentorship_db, "MentorUnresponsive", mentor_id=mentor.id) == []  # one strike of two
    # answered and automatically declined requests are no strikes
    answered = world.create(world.mentee(), mentor, FAST)
    world.post(f"/requests/{answered}/decline", {"reason": "not my field"}, mentor, expect=200)
    second = world.create(world.mentee(), mentor, FAST)
    time.sleep(1.1)
    jobs.expire_requests(mentorship_db, FAST)
    [ev] = outbox(mentorship_db, "MentorUnresponsive", mentor_id=mentor.id)
    assert sorted(ev["data"]["expired_request_ids"]) == sorted([first, second])
    assert ev["data"]["institution_id"] == str(mentor.institution_id) and ev["data"]["window_days"] == 180
    # with the date each expired, so identity can tell the mentor why they were ejected
    with mentorship_db.sessions() as conn:
        closed = {str(r.id): r.closed_at for r in conn.execute(sa.text(
            "SELECT id, closed_at FROM requests WHERE id::text IN (:a, :b)"), {"a": first, "b": second})}
    assert [e["request_id"] for e in ev["data"]["expiries"]] == [first, second]  # in the order they expired
    assert {e["request_id"]: datetime.fromisoformat(e["expired_at"]) for e in ev["data"]["expiries"]} == closed
    # identity ejects, an operator reinstates: strikes count afresh
    apply(mentorship_db, "MentorEjected", {"user_id": mentor.id, "institution_id": mentor.institution_id,
                                           "reason": "unresponsive"})
    apply(mentorship_db, "MentorReinstated", {"user_id": mentor.id, "institution_id": mentor.institution_id,
                                              "reason": "on leave"})
    third = world.create(world.mentee(), mentor, FAST)
    time.sleep(1.1)
    jobs.expire_requests(mentorship_db, FAST)
    assert len(outbox(mentorship_db, "RequestExpired", request_id=third)) == 1
    assert len(outbox(mentorship_db, "MentorUnresponsive", mentor_id=mentor.id)) == 1
    fourth = world.create(world.mentee(), mentor, FAST)
    time.sleep(1.1)
    jobs.expire_requests(mentorship_db, FAST)
    second_report = outbox(mentorship_db, "MentorUnresponsive", mentor_id=mentor.id)[1]
    assert sorted(second_report["data"]["expired_request_ids"]) == sorted([third, fourth])
    # strikes older than the window do not count. Each request falls due and expires in one transaction,
    # so that no other worker on this database (the session's platform) expires it with its own window.
    short = Settings(respond_by=timedelta(days=14), remind_after=timedelta(days=7), strikes=2,
                     strike_window=timedelta(seconds=1), job_interval=FAST.job_interval)
    other = world.mentor()
    for n in range(2):
        rid = world.create(world.mentee(), other, short)
        with mentorship_db.unit_of_work() as session:
            session.execute(sa.text("UPDATE requests SET respond_by = created_at WHERE id = :id"), {"id": rid})
            assert service.expire_due_of(session, short, other.id, service.now()) == 1
        if n == 0:
            time.sleep(1.1)
    assert outbox(mentorship_db, "MentorUnresponsive", mentor_id=other.id) == []


def test_operator_moves_a_deadline_and_the_job_expires_it(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)  # the app's 14 days
    jobs.expire_requests(mentorship_db, FAST)
    assert world.get(f"/requests/{req['id']}", mentee).get_json()["status"] == "open"
    r = world.c.put(f"/api/v1/mentorship/requests/{req['id']}/deadline", json={"respond_by": req["created_at"]},
                    headers=world.operator())
    assert r.status_code == 200, r.get_json()
    r = world.c.put(f"/api/v1/mentorship/requests/{req['id']}/deadline",
                    json={"respond_by": "2000-01-01T00:00:00+00:00"}, headers=world.operator())
    assert r.status_code == 422  # never before the request was made
    jobs.expire_requests(mentorship_db, FAST)
    assert world.get(f"/requests/{req['id']}", mentee).get_json()["status"] == "expired"
    assert len(outbox(mentorship_db, "RequestExpired", request_id=req["id"])) == 1


def test_a_moved_deadline_moves_the_reminder_before_it_whichever_way_it_moves(world, mentorship_db):
    """The reminder keeps a new request's lead (14 − 7 = 7 days before the deadline), never before the
    request and never after the deadline; a reminder already sent is sent again before a later deadline."""
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)  # the app's 14 days, reminded after 7
    created = datetime.fromisoformat(req["created_at"])

    def move(to: datetime) -> tuple[datetime, datetime | None]:
        r = world.c.put(f"/api/v1/mentorship/requests/{req['id']}/deadline", json={"respond_by": to.isoformat()},
                        headers=world.operator())
        assert r.status_code == 200, r.get_json()
        with mentorship_db.sessions() as conn:
            return tuple(conn.execute(sa.text("SELECT remind_at, reminded_at FROM requests WHERE id = :id"),
                                      {"id": req["id"]}).one())

    assert move(created + timedelta(days=10))[0] == created + timedelta(days=3)  # earlier
    assert move(created + timedelta(days=30))[0] == created + timedelta(days=23)  # later
    remind_at, _ = move(created + timedelta(days=2))  # closer than the lead: at once, not before the request
    assert remind_at == created
    assert jobs.send_reminders(mentorship_db, FAST) >= 1
    assert len(outbox(mentorship_db, "RequestReminderDue", request_id=req["id"])) == 1
    remind_at, reminded_at = move(created + timedelta(seconds=1))  # earlier still: already reminded, stays so
    assert remind_at == created and reminded_at is not None
    remind_at, reminded_at = move(created + timedelta(days=21))  # extended: a new reminder before it
    assert remind_at == created + timedelta(days=14) and reminded_at is None
    assert remind_at <= created + timedelta(days=21)
