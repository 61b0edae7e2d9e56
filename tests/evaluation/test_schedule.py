"""The R13 schedule with its durations shrunk to seconds: periodic evaluations fall due on time and once
each, the next one is planned, a conclusion cancels what was only planned and makes the final one due,
EvaluationDue and EvaluationOverdue are written once each — also with two job runners (replicas) at once
and after downtime. (tests/evaluation/test_schedule_worker.py does the same with a real worker process.)"""
from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest

from services.evaluation.evaluations import rules
from services.evaluation.evaluations.jobs import send_due, send_overdue
from services.evaluation.events import handlers
from services.evaluation.settings import Settings
from shared.db import Database
from shared.events import envelope
from shared.jobs import Job, JobRunner
from tests.evaluation.conftest import now, outbox, rows
from tests.evaluation.test_evaluations import ANSWERS

pytestmark = [pytest.mark.usefixtures("schedule_to_ourselves"),
              pytest.mark.slow]  # job runners in threads and worker processes, as replicas run them

PERIOD, GRACE, WINDOW = 1.5, 1.5, 3.0
S = Settings(evaluation_period=timedelta(seconds=PERIOD), final_window=timedelta(seconds=WINDOW),
             periodic_window=timedelta(seconds=WINDOW), overdue_grace=timedelta(seconds=GRACE),
             career_survey_every=timedelta(days=365), download_ttl=timedelta(minutes=15),
             job_interval=timedelta(seconds=0.1))


@pytest.fixture()
def shrunk(monkeypatch):
    """The event handlers plan with the jobs' shrunk durations, S."""
    monkeypatch.setattr(handlers, "settings", S)
    return S


def sleep_until(at: datetime, margin: float = 0.05) -> None:
    time.sleep(max(0.0, (at - now()).total_seconds() + margin))


def evaluations(db, mentorship_id) -> list[dict]:
    return rows(db, "SELECT * FROM evaluations WHERE mentorship_id = :m ORDER BY kind, sequence", m=mentorship_id)


def events_per_evaluation(db, name: str, mentorship_id) -> dict[str, int]:
    counts: dict[str, int] = {}
    for body in outbox(db, name, mentorship_id=mentorship_id):
        counts[body["data"]["evaluation_id"]] = counts.get(body["data"]["evaluation_id"], 0) + 1
    return counts


# --- rules ----------------------------------------------------------------------------------------------

def test_rules_windows():
    start = datetime(2025, 1, 1, tzinfo=now().tzinfo)
    w = rules.periodic(S, start, 3)
    assert (w.due_at, w.overdue_at, w.closes_at) == (start + 3 * S.evaluation_period, w.due_at + S.overdue_grace,
                                                     w.due_at + S.periodic_window)
    with pytest.raises(ValueError):
        rules.periodic(S, start, 0)
    f = rules.final(S, start)
    assert (f.due_at, f.overdue_at, f.closes_at) == (start, start + S.overdue_grace, start + S.final_window)


def test_rules_refusal():
    at = now()
    later, earlier = at + timedelta(seconds=1), at - timedelta(seconds=1)
    assert rules.refusal("due", later, at) is None and rules.refusal("overdue", later, at) is None
    assert rules.refusal("overdue", earlier, at)[0] == "evaluation-closed"
    assert rules.refusal("due", at, at)[0] == "evaluation-closed"  # closes_at itself is too late
    assert rules.refusal("scheduled", later, at)[0] == "not-yet-due"
    assert rules.refusal("submitted", later, at)[0] == "already-submitted"
    assert rules.refusal("cancelled", later, at)[0] == "evaluation-cancelled"
    assert not rules.is_open("submitted", later, at)


# --- the jobs -------------------------------------------------------------------------------------------

def test_periodic_due_on_time_once_next_planned_then_overdue_and_closed(world, shrunk):
    mentor, mentee = world.mentor(), world.mentee()
    started = now()
    mid = world.start(mentor, mentee, started)
    [p1] = evaluations(world.db, mid)
    window = rules.periodic(S, started, 1)
    assert (p1["kind"], p1["sequence"], p1["status"]) == ("periodic", 1, "scheduled")
    assert (p1["due_at"], p1["overdue_at"], p1["closes_at"]) == (window.due_at, window.overdue_at, window.closes_at)

    send_due(world.db, S)  # too early: nothing
    assert evaluations(world.db, mid)[0]["status"] == "scheduled"
    assert outbox(world.db, "EvaluationDue", mentorship_id=mid) == []

    sleep_until(p1["due_at"])
    assert send_due(world.db, S) >= 1
    send_due(world.db, S)
    p1_now, p2 = evaluations(world.db, mid)
    assert p1_now["status"] == "due" and p1_now["due_sent_at"] >= p1["due_at"]
    nxt = rules.periodic(S, started, 2)
    assert (p2["sequence"], p2["status"], p2["due_at"], p2["closes_at"]) == (2, "scheduled", nxt.due_at, nxt.closes_at)
    [body] = outbox(world.db, "EvaluationDue", evaluation_id=p1["evaluation_id"])
    event = envelope.parse(body)  # the bulk-written envelope is a valid CloudEvent with valid data
    assert event.subject == f"evaluations/{p1['evaluation_id']}"
    assert event.data == {"evaluation_id": p1["evaluation_id"], "mentorship_id": mid, "mentee_id": mentee.id,
                          "mentor_id": mentor.id, "mentee_institution_id": mentee.institution_id,
                          "mentor_institution_id": mentor.institution_id, "kind": "periodic",
                          "due_at": p1["due_at"], "closes_at": p1["closes_at"]}
    assert world.get("/evaluations", mentee, expect=200).get_json()[0]["mentor"]["name"] == mentor.name

    sleep_until(p1["overdue_at"])
    send_overdue(world.db, S)
    send_overdue(world.db, S)
    assert evaluations(world.db, mid)[0]["status"] == "overdue"
    [body] = outbox(world.db, "EvaluationOverdue", evaluation_id=p1["evaluation_id"])
    assert envelope.parse(body).data["kind"] == "periodic"
    world.post(f"/evaluations/{p1['evaluation_id']}/submission", {**ANSWERS, "availability": 9}, mentee, expect=422)

    sleep_until(p1["closes_at"])
    r = world.post(f"/evaluations/{p1['evaluation_id']}/submission", ANSWERS, mentee, expect=409).get_json()
    assert r["type"].endswith("/evaluation-closed")
    assert evaluations(world.db, mid)[0]["status"] == "overdue"  # stays overdue, no longer submittable
    send_due(world.db, S)
    assert all(n == 1 for n in events_per_evaluation(world.db, "EvaluationDue", mid).values())


def test_submitted_in_time_is_never_overdue(world, shrunk):
    mentee = world.mentee()
    mid = world.start(world.mentor(), mentee, now())
    [p1] = evaluations(world.db, mid)
    sleep_until(p1["due_at"])
    send_due(world.db, S)
    world.post(f"/evaluations/{p1['evaluation_id']}/submission", ANSWERS, mentee, expect=201)
    sleep_until(p1["overdue_at"])
    send_overdue(world.db, S)
    assert evaluations(world.db, mid)[0]["status"] == "submitted"
    assert outbox(world.db, "EvaluationOverdue", evaluation_id=p1["evaluation_id"]) == []


def test_catch_up_after_downtime_each_once(world, shrunk):
    """Five periods passed while no job ran: all five fall due in one run, each announced once."""
    mid = world.start(world.mentor(), world.mentee(), now() - timedelta(seconds=5.5 * PERIOD))
    send_due(world.db, S)
    send_due(world.db, S)
    evs = evaluations(world.db, mid)
    assert [(e["sequence"], e["status"]) for e in evs] == [(1, "due"), (2, "due"), (3, "due"), (4, "due"),
                                                           (5, "due"), (6, "scheduled")]
    assert events_per_evaluation(world.db, "EvaluationDue", mid) == {str(e["evaluation_id"]): 1 for e in evs[:5]}
    send_overdue(world.db, S)
    overdue = {str(e["evaluation_id"]) for e in evaluations(world.db, mid) if e["status"] == "overdue"}
    assert len(overdue) >= 3  # those past their grace (1.5 s each) by now
    assert events_per_evaluation(world.db, "EvaluationOverdue", mid) == {e: 1 for e in overdue}


def test_conclusion_cancels_planned_and_makes_the_final_due(world, shrunk):
    mid = world.start(world.mentor(), world.mentee(), now() - timedelta(seconds=1.2 * PERIOD))
    send_due(world.db, S)  # periodic 1 due, 2 planned
    concluded = now()
    world.conclude(mid, concluded)
    evs = evaluations(world.db, mid)
    assert [(e["kind"], e["sequence"], e["status"]) for e in evs] == [
        ("final", 0, "scheduled"), ("periodic", 1, "due"), ("periodic", 2, "cancelled")]
    final = evs[0]
    assert (final["due_at"], final["closes_at"]) == (concluded, concluded + S.final_window)
    send_due(world.db, S)
    send_due(world.db, S)
    evs = evaluations(world.db, mid)
    assert [(e["kind"], e["sequence"], e["status"]) for e in evs] == [
        ("final", 0, "due"), ("periodic", 1, "due"), ("periodic", 2, "cancelled")]  # no periodic 3 planned
    counts = events_per_evaluation(world.db, "EvaluationDue", mid)
    assert counts == {str(evs[0]["evaluation_id"]): 1, str(evs[1]["evaluation_id"]): 1}
    [body] = outbox(world.db, "EvaluationDue", evaluation_id=final["evaluation_id"])
    assert body["data"]["kind"] == "final"


def test_periodic_planned_after_a_racing_conclusion_is_cancelled_not_announced(world, shrunk):
    """The due job planned periodic n+1 from a snapshot taken just before the conclusion committed."""
    mid = world.start(world.mentor(), world.mentee(), now() - timedelta(seconds=10))
    world.conclude(mid, now() - timedelta(seconds=5))
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(
            "INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id, "
            "mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status) "
            "SELECT gen_random_uuid(), mentorship_id, mentee_id, mentor_id, mentee_institution_id, "
            "mentor_institution_id, 'periodic', 7, now() - interval '1 second', now(), now() + interval '1 day', "
            "'scheduled' FROM mentorships WHERE mentorship_id = %s", (mid,))
    send_due(world.db, S)
    [late] = [e for e in evaluations(world.db, mid) if e["sequence"] == 7]
    assert (late["status"], late["due_sent_at"]) == ("cancelled", None)
    assert outbox(world.db, "EvaluationDue", evaluation_id=late["evaluation_id"]) == []


# --- replicas -------------------------------------------------------------------------------------------

def _bulk_mentorships(db, n: int, started_ago: float, grace: timedelta = S.overdue_grace,
                      settings: Settings = S) -> uuid.UUID:
    """n active mentorships of one (made-up) mentor and their first periodic evaluation, written in two
    statements (the handlers would take a minute for thousands)."""
    mentor = uuid.uuid4()
    with db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(
            "INSERT INTO mentorships (mentorship_id, mentor_id, mentee_id, mentor_institution_id, "
            "mentee_institution_id, started_at) SELECT gen_random_uuid(), %(m)s, gen_random_uuid(), %(i)s, %(i)s, "
            "now() - make_interval(secs => %(ago)s) FROM generate_series(1, %(n)s)",
            {"m": mentor, "i": uuid.uuid4(), "ago": started_ago, "n": n})
        conn.exec_driver_sql(
            "INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id, "
            "mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status) "
            "SELECT gen_random_uuid(), mentorship_id, mentee_id, mentor_id, mentee_institution_id, "
            "mentor_institution_id, 'periodic', 1, started_at + %(p)s, started_at + %(p)s + %(g)s, "
            "started_at + %(p)s + %(w)s, 'scheduled' "
            "FROM mentorships WHERE mentor_id = %(m)s",
            {"m": mentor, "p": settings.evaluation_period, "g": grace, "w": settings.periodic_window})
    return mentor


def _counts(db, name: str, mentor: uuid.UUID) -> list[int]:
    return [r["n"] for r in rows(db, "SELECT count(*) AS n FROM outbox WHERE event_type LIKE :t "
                                     "AND body->'data'->>'mentor_id' = :m GROUP BY body->'data'->>'evaluation_id'",
                                 t=f"%.{name}.v1", m=str(mentor))]


def test_two_replicas_calling_the_jobs_at_once_write_each_event_once(world):
    # periodic 1 due and (no grace) overdue; periodic 2 not for a minute, however slowly a loaded machine
    # runs the jobs over 5,000 rows (with the 1.5 s period, 2 and 3 fell due while they ran)
    slow = dataclasses.replace(S, evaluation_period=timedelta(seconds=60))
    mentor = _bulk_mentorships(world.db, 5000, started_ago=60.5, grace=timedelta(0), settings=slow)
    barrier = threading.Barrier(2)
    results: list[tuple[int, int]] = []

    def replica():
        db = Database(world.db.url, pool_size=1)
        try:
            barrier.wait()
            results.append((send_due(db, slow), send_overdue(db, slow)))
        finally:
            db.dispose()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    due = _counts(world.db, "EvaluationDue", mentor)
    overdue = _counts(world.db, "EvaluationOverdue", mentor)
    assert (len(due), set(due)) == (5000, {1})
    assert (len(overdue), set(overdue)) == (5000, {1})
    [row] = rows(world.db, "SELECT count(*) FILTER (WHERE status = 'overdue' AND sequence = 1) AS overdue, "
                           "count(*) FILTER (WHERE sequence = 2 AND status = 'scheduled') AS planned "
                           "FROM evaluations WHERE mentor_id = :m", m=mentor)
    assert (row["overdue"], row["planned"]) == (5000, 5000)


def test_two_job_runners_in_threads_each_event_once(world, shrunk):
    """Two JobRunners (as two worker replicas run them) over mentorships falling due while they run."""
    mentors = [world.mentor() for _ in range(2)]
    mids = [world.start(mentors[i % 2], world.mentee(), now()) for i in range(12)]
    stop = threading.Event()
    dbs = [Database(world.db.url, pool_size=2) for _ in range(2)]
    # a 0.05 s period lets both runners claim runs that overlap
    every = timedelta(seconds=0.05)
    jobs = [Job("evaluation.send-due", every, lambda d: send_due(d, S)),
            Job("evaluation.send-overdue", every, lambda d: send_overdue(d, S))]
    runners = [JobRunner("evaluation", db, jobs, tick=0.02) for db in dbs]
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in runners]
    for t in threads:
        t.start()
    time.sleep(2 * PERIOD + GRACE + 0.6)
    stop.set()
    for t in threads:
        t.join()
    for db in dbs:
        db.dispose()
    for mid in mids:
        evs = {str(e["evaluation_id"]): e for e in evaluations(world.db, mid)}
        due = events_per_evaluation(world.db, "EvaluationDue", mid)
        overdue = events_per_evaluation(world.db, "EvaluationOverdue", mid)
        assert due == {k: 1 for k, e in evs.items() if e["due_sent_at"] is not None}
        assert overdue == {k: 1 for k, e in evs.items() if e["overdue_sent_at"] is not None}
        statuses = [e["status"] for e in evaluations(world.db, mid)]
        assert statuses[0] == "overdue" and statuses[1] in ("due", "overdue") and statuses[-1] == "scheduled"
