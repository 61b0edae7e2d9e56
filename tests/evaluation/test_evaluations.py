"""The evaluations API (R13): the form, a mentee's evaluations, the submission (once, only while open,
validated), and who may see what — a mentee only their own, a mentor never an individual evaluation."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from services.evaluation.evaluations import rules
from services.evaluation.evaluations.jobs import send_due
from tests.evaluation.conftest import APP_SETTINGS, now, outbox, rows

ANSWERS = {"form_version": 1, "availability": 4, "responsiveness": 5, "guidance": 4, "overall": 5,
           "would_recommend": True, "program_text": "The kickoff call helped.", "shared_text": "Thank you!"}


def due_evaluation(world, mentor, mentee) -> uuid.UUID:
    """A mentorship started a little over one period ago (P182D), its first periodic evaluation due."""
    mid = world.start(mentor, mentee, now() - timedelta(days=183))
    send_due(world.db, APP_SETTINGS)
    [row] = rows(world.db, "SELECT evaluation_id, status FROM evaluations WHERE mentorship_id = :m AND sequence = 1",
                 m=mid)
    assert row["status"] == "due"
    return row["evaluation_id"]


def state(world, eid) -> tuple:
    [row] = rows(world.db, "SELECT e.status, e.submitted_at, (a.evaluation_id IS NOT NULL) AS answered "
                           "FROM evaluations e LEFT JOIN evaluation_answers a USING (evaluation_id) "
                           "WHERE e.evaluation_id = :e", e=eid)
    return row["status"], row["submitted_at"], row["answered"]


def test_form_current_version_for_anyone_signed_in(world):
    for who in (world.mentee(), world.mentor(), world.admin(), world.operator()):
        body = world.get("/evaluation-form", who, expect=200).get_json()
        assert body["version"] == 1 and body["definition"] == rules.FORM_V1
    world.get("/evaluation-form", None, expect=401)
    ids = [q["id"] for q in rules.FORM_V1["questions"]]
    assert ids == [*rules.RATINGS, "would_recommend", "program_text", "shared_text"]


def test_mentee_lists_own_evaluations_with_the_mentors_name(world):
    mentor, mentee, other = world.mentor(), world.mentee(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    world.start(world.mentor(), mentee)  # its first evaluation only planned: not listed yet
    listed = world.get("/evaluations", mentee, expect=200).get_json()
    assert [e["id"] for e in listed] == [str(eid)]
    [e] = listed
    assert e["mentor"] == {"user_id": str(mentor.id), "name": mentor.name}
    assert (e["status"], e["kind"], e["sequence"], e["open"]) == ("due", "periodic", 1, True)
    assert "answers" not in e
    assert world.get("/evaluations", mentee, expect=200, status="submitted").get_json() == []
    assert world.get("/evaluations", other, expect=200).get_json() == []
    world.get("/evaluations", mentee, expect=422, status="nonsense")


def test_mentor_and_admin_are_refused_the_list_operator_filters(world):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    world.get("/evaluations", mentor, expect=403)
    world.get("/evaluations", world.admin(), expect=403)
    op = world.operator()
    listed = world.get("/evaluations", op, expect=200, mentor_id=mentor.id).get_json()
    # operators see planned ones too
    assert [(e["sequence"], e["status"]) for e in listed] == [(2, "scheduled"), (1, "due")]
    assert [e["id"] for e in world.get("/evaluations", op, expect=200, mentee_id=mentee.id, status="due").get_json()] \
        == [str(eid)]
    assert world.get("/evaluations", op, expect=200, mentor_id=uuid.uuid4()).get_json() == []


def test_one_evaluation_only_for_its_mentee_and_operators(world):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    assert world.get(f"/evaluations/{eid}", mentee, expect=200).get_json()["answers"] is None
    for who in (world.mentee(), mentor, world.admin(mentor.institution_id), world.admin(world.new_institution())):
        world.get(f"/evaluations/{eid}", who, expect=404)
    world.get(f"/evaluations/{uuid.uuid4()}", mentee, expect=404)
    world.post(f"/evaluations/{eid}/submission", ANSWERS, mentee, expect=201)
    seen = world.get(f"/evaluations/{eid}", world.operator(), expect=200).get_json()
    assert seen["answers"]["overall"] == 5 and seen["answers"]["program_text"] == "The kickoff call helped."
    world.get(f"/evaluations/{eid}", mentor, expect=404)  # a mentor never sees one, even submitted


def test_submission_writes_answers_and_an_event_without_them(world):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    body = world.post(f"/evaluations/{eid}/submission", {**ANSWERS, "shared_text": "  "}, mentee, expect=201).get_json()
    assert body["status"] == "submitted" and body["open"] is False and body["answers"]["shared_text"] is None
    [answers] = rows(world.db, "SELECT * FROM evaluation_answers WHERE evaluation_id = :e", e=eid)
    assert (answers["availability"], answers["guidance"], answers["would_recommend"], answers["form_version"]) == \
        (4, 4, True, 1)
    [event] = outbox(world.db, "EvaluationSubmitted", evaluation_id=eid)
    assert event["data"]["mentor_id"] == str(mentor.id) and event["data"]["kind"] == "periodic"
    assert not set(event["data"]) & {*rules.RATINGS, "would_recommend", "program_text", "shared_text"}
    again = world.post(f"/evaluations/{eid}/submission", ANSWERS, mentee, expect=409).get_json()
    assert again["type"].endswith("/already-submitted")
    assert len(outbox(world.db, "EvaluationSubmitted", evaluation_id=eid)) == 1


@pytest.mark.slow  # two submissions at once, in threads
def test_concurrent_double_submit_stores_one(world, evaluation_app):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    barrier, codes = threading.Barrier(4), []

    def submit():
        client = evaluation_app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/evaluation/evaluations/{eid}/submission", json=ANSWERS,
                                 headers=mentee.headers).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409, 409, 409]
    assert len(outbox(world.db, "EvaluationSubmitted", evaluation_id=eid)) == 1
    assert rows(world.db, "SELECT count(*) AS n FROM evaluation_answers WHERE evaluation_id = :e", e=eid)[0]["n"] == 1


def test_submission_only_while_due_or_overdue_and_before_it_closes(world):
    mentor = world.mentor()
    # not yet due: the first periodic evaluation of a mentorship started today
    mentee = world.mentee()
    mid = world.start(mentor, mentee)
    [planned] = rows(world.db, "SELECT evaluation_id FROM evaluations WHERE mentorship_id = :m", m=mid)
    r = world.post(f"/evaluations/{planned['evaluation_id']}/submission", ANSWERS, mentee, expect=409).get_json()
    assert r["type"].endswith("/not-yet-due")
    # cancelled: the mentorship concluded before it fell due
    world.conclude(mid)
    r = world.post(f"/evaluations/{planned['evaluation_id']}/submission", ANSWERS, mentee, expect=409).get_json()
    assert r["type"].endswith("/evaluation-cancelled")
    # overdue is still open; closed is not
    late, closed = world.mentee(), world.mentee()
    late_id, closed_id = due_evaluation(world, mentor, late), due_evaluation(world, mentor, closed)
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql("UPDATE evaluations SET status = 'overdue' WHERE evaluation_id = %s", (late_id,))
        conn.exec_driver_sql("UPDATE evaluations SET status = 'overdue', closes_at = now() - interval '1 second' "
                             "WHERE evaluation_id = %s", (closed_id,))
    world.post(f"/evaluations/{late_id}/submission", ANSWERS, late, expect=201)
    r = world.post(f"/evaluations/{closed_id}/submission", ANSWERS, closed, expect=409).get_json()
    assert r["type"].endswith("/evaluation-closed")
    assert state(world, closed_id) == ("overdue", None, False)
    assert world.get(f"/evaluations/{closed_id}", closed, expect=200).get_json()["open"] is False


def test_only_the_owning_mentee_submits(world):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    world.post(f"/evaluations/{eid}/submission", ANSWERS, world.mentee(), expect=404)
    world.post(f"/evaluations/{eid}/submission", ANSWERS, mentor, expect=403)
    world.post(f"/evaluations/{eid}/submission", ANSWERS, world.operator(), expect=403)
    world.post(f"/evaluations/{uuid.uuid4()}/submission", ANSWERS, mentee, expect=404)
    assert state(world, eid) == ("due", None, False)


def test_bad_input_is_422_with_pointers_and_writes_nothing(world):
    mentor, mentee = world.mentor(), world.mentee()
    eid = due_evaluation(world, mentor, mentee)
    cases = [
        ({**ANSWERS, "availability": 0}, "availability"),
        ({**ANSWERS, "responsiveness": 6}, "responsiveness"),
        ({**ANSWERS, "guidance": 3.5}, "guidance"),
        ({**ANSWERS, "overall": "5"}, "overall"),
        ({**ANSWERS, "overall": True}, "overall"),
        ({**ANSWERS, "would_recommend": 1}, "would_recommend"),
        ({**ANSWERS, "would_recommend": "yes"}, "would_recommend"),
        ({**ANSWERS, "program_text": "x" * 4001}, "program_text"),
        ({**ANSWERS, "shared_text": "x" * 4001}, "shared_text"),
        ({k: v for k, v in ANSWERS.items() if k != "availability"}, "availability"),
        ({k: v for k, v in ANSWERS.items() if k != "form_version"}, "form_version"),
        ({**ANSWERS, "status": "submitted"}, "status"),
        ({**ANSWERS, "form_version": 2}, "form_version"),
    ]
    for body, field in cases:
        problem = world.post(f"/evaluations/{eid}/submission", body, mentee, expect=422).get_json()
        assert f"#/{field}" in [e.get("pointer") for e in problem["errors"]], (field, problem)
    problem = world.post(f"/evaluations/{eid}/submission", {**ANSWERS, "availability": 9, "guidance": 0}, mentee,
                         expect=422).get_json()
    assert {e["pointer"] for e in problem["errors"]} == {"#/availability", "#/guidance"}
    assert state(world, eid) == ("due", None, False)
    assert outbox(world.db, "EvaluationSubmitted", evaluation_id=eid) == []


def test_operator_moves_an_evaluation_not_yet_due_and_the_job_announces_it(world):
    """The windows keep their lengths from the new due time; a past due time is announced (and overdue
    after its grace) at the jobs' next run; only operators move, and only what has not fallen due."""
    from services.evaluation.evaluations.jobs import send_overdue

    mentor, mentee = world.mentor(), world.mentee()
    mid = world.start(mentor, mentee)
    [eid] = [r["evaluation_id"] for r in rows(world.db, "SELECT evaluation_id FROM evaluations WHERE mentorship_id = :m",
                                              m=mid)]
    due = now() - timedelta(days=20)
    for who in (mentee, mentor, world.admin()):
        world.put(f"/evaluations/{eid}/schedule", {"due_at": due.isoformat()}, who, expect=(403,))
    world.put(f"/evaluations/{eid}/schedule", {"due_at": "2026-01-01T00:00:00"}, world.operator(), expect=(422,))
    assert state(world, eid)[0] == "scheduled"
    moved = world.put(f"/evaluations/{eid}/schedule", {"due_at": due.isoformat()}, world.operator(),
                      expect=(200,)).get_json()
    assert moved["status"] == "scheduled"
    [row] = rows(world.db, "SELECT due_at, overdue_at, closes_at FROM evaluations WHERE evaluation_id = :e", e=eid)
    assert (row["overdue_at"] - row["due_at"], row["closes_at"] - row["due_at"]) == (timedelta(days=14), timedelta(days=30))
    send_due(world.db, APP_SETTINGS)
    send_overdue(world.db, APP_SETTINGS)
    assert state(world, eid)[0] == "overdue"
    assert len(outbox(world.db, "EvaluationDue", evaluation_id=eid)) == 1
    assert len(outbox(world.db, "EvaluationOverdue", evaluation_id=eid)) == 1
    world.put(f"/evaluations/{eid}/schedule", {"due_at": now().isoformat()}, world.operator(), expect=(409,))
    world.post(f"/evaluations/{eid}/submission", ANSWERS, mentee, expect=201)  # still open: its window is 30 days
