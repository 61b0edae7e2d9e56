"""The career-update job (R14): the open career-update survey goes to every active mentee and alumnus
whose last career update is at least the interval old — once per cycle even with two worker replicas,
again after the interval (shrunk to seconds here), never to a deactivated member."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from services.evaluation import settings as settings_module
from services.evaluation.surveys import jobs
from shared.jobs import JobRunner
from shared.testing import run_together
from tests.evaluation.conftest import apply, outbox, rows
from tests.evaluation.test_surveys_api import create, deactivate, exit_mentee

pytestmark = pytest.mark.slow  # job runners in threads, as worker replicas run them

CAREER = {"kind": "career_update", "title": "Career update",
          "questions": [{"id": "position", "type": "text", "label": "Your position now", "required": True}]}
YEARLY = settings_module.load({})
EVERY_2S = replace(YEARLY, career_survey_every=timedelta(seconds=2))


@pytest.fixture()
def career(world):
    """An open career-update survey (the only one: others are closed before and after)."""
    sql = "UPDATE surveys SET status = 'closed', closed_at = now() WHERE kind = 'career_update' AND status = 'open'"
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(sql)
    survey = create(world, CAREER)
    world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200)
    yield survey
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(sql)


def assignments(world, user_id) -> list[dict]:
    return rows(world.db, "SELECT survey_id, cycle, version FROM survey_assignments WHERE user_id = :u "
                          "AND kind = 'career_update' ORDER BY cycle", u=user_id)


def events_of(world, survey, person) -> int:
    return len(outbox(world.db, "SurveyAssigned", survey_id=survey["id"], user_id=person.id))


def test_two_replicas_assign_each_user_once_in_batches(world, career):
    inst = world.new_institution()
    people = [world.mentee(inst) for _ in range(25)]
    for p in people[:5]:
        exit_mentee(world, p)
    run_together(lambda: jobs.assign_career_surveys(world.db, YEARLY, batch=4), n=3)
    run_together(lambda: jobs.assign_career_surveys(world.db, YEARLY, batch=4))
    for p in people:
        assert [a["cycle"] for a in assignments(world, p.id)] == [1]
        assert events_of(world, career, p) == 1


def test_two_job_runners_then_a_new_cycle_after_the_interval(world, career):
    settings = replace(EVERY_2S, job_interval=timedelta(seconds=0.1))
    inst = world.new_institution()
    people = [world.mentee(inst) for _ in range(8)]
    stop = threading.Event()
    runners = [JobRunner("evaluation", world.db, jobs.jobs(settings), tick=0.05) for _ in range(2)]
    threads = [threading.Thread(target=r.run, args=(stop,), daemon=True) for r in runners]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(assignments(world, p.id) for p in people):
            time.sleep(0.1)
        for p in people:  # within the interval: one each, however often the replicas run
            assert [a["cycle"] for a in assignments(world, p.id)] == [1]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(len(assignments(world, p.id)) >= 2 for p in people):
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    for p in people:
        cycles = [a["cycle"] for a in assignments(world, p.id)]
        assert cycles[:2] == [1, 2] and cycles == list(range(1, len(cycles) + 1))
        assert events_of(world, career, p) == len(cycles)


def test_new_cycle_after_the_interval_only(world, career):
    inst = world.new_institution()
    people = [world.mentee(inst) for _ in range(3)]
    jobs.assign_career_surveys(world.db, EVERY_2S)
    jobs.assign_career_surveys(world.db, EVERY_2S)
    assert [len(assignments(world, p.id)) for p in people] == [1, 1, 1]
    time.sleep(2.1)
    jobs.assign_career_surveys(world.db, EVERY_2S)
    jobs.assign_career_surveys(world.db, YEARLY)
    for p in people:
        assert [a["cycle"] for a in assignments(world, p.id)] == [1, 2]
        assert events_of(world, career, p) == 2
    # a new career survey (the old one closed) continues each user's cycles, on the yearly interval
    world.post(f"/surveys/{career['id']}/close", {}, world.operator(), expect=200)
    assert jobs.assign_career_surveys(world.db, EVERY_2S) == 0  # nothing open: nothing assigned
    nxt = create(world, CAREER)
    world.post(f"/surveys/{nxt['id']}/open", {}, world.operator(), expect=200)
    assert [len(assignments(world, p.id)) for p in people] == [2, 2, 2]  # opened within the year: nobody due


def test_alumni_get_career_updates_deactivated_members_do_not(world, career):
    inst = world.new_institution()
    alumnus, gone, mentor, newcomer = world.mentee(inst), world.mentee(inst), world.mentor(inst), world.mentee(inst)
    exit_mentee(world, alumnus)
    deactivate(world, gone)
    apply(world.db, "MenteeEnrolled", {"user_id": newcomer.id, "institution_id": inst, "name": newcomer.name,
                                       "email": newcomer.email})
    jobs.assign_career_surveys(world.db, YEARLY)
    assert [a["cycle"] for a in assignments(world, alumnus.id)] == [1]
    assert assignments(world, gone.id) == [] and assignments(world, mentor.id) == []
    [ev] = outbox(world.db, "SurveyAssigned", survey_id=career["id"], user_id=alumnus.id)
    assert (ev["data"]["kind"], ev["data"]["institution_id"]) == ("career_update", str(inst))
    # the alumnus answers as before (alumni sign in as mentees)
    [row] = rows(world.db, "SELECT id FROM survey_assignments WHERE user_id = :u", u=alumnus.id)
    world.post(f"/survey-assignments/{row['id']}/response", {"answers": {"position": "PGY-1, Surgery"}}, alumnus,
               expect=201)
    # a member deactivated after being assigned is never assigned again
    deactivate(world, alumnus)
    jobs.assign_career_surveys(world.db, replace(YEARLY, career_survey_every=timedelta(0)))
    assert len(assignments(world, alumnus.id)) == 1
    assert len(assignments(world, newcomer.id)) == 2  # interval zero: everybody else is due at once
