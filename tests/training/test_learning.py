"""The learner's way: list my track's modules with my progress, open one, take its knowledge check,
attest; the training gate (TrainingCompleted once) and the events on the way."""
from __future__ import annotations

import json

from services.training.curriculum import module_id, starter_modules
from tests.training.conftest import PREFIX, PROBLEM, outbox_events


def test_the_starter_curriculum_is_loaded_by_the_migrations(learning):
    mentor = learning.learner("mentor")
    mentee = learning.learner("mentee")
    mentor_ids = {m["id"] for m in learning.modules(mentor)}
    mentee_ids = {m["id"] for m in learning.modules(mentee)}
    starter = starter_modules()
    assert {str(m["id"]) for m in starter if m["track"] == "mentor"} <= mentor_ids
    assert {str(m["id"]) for m in starter if m["track"] == "mentee"} <= mentee_ids
    assert sum(m["track"] == "mentor" for m in starter) >= 5 and sum(m["track"] == "mentee" for m in starter) >= 4
    assert not mentor_ids & mentee_ids
    role = next(m for m in learning.modules(mentor) if m["id"] == str(module_id("mentor-role")))
    assert role["required"] and role["cme_credit_hours"] == "0.50" and role["has_knowledge_check"]
    assert role["progress"] == {"status": "not_started", "check_attempts": 0, "check_passed": False,
                                "attested_version": None, "attested_at": None, "update_available": False}


def test_answers_never_appear_before_the_learner_submits(learning, client):
    mentor = learning.learner("mentor")
    listing = client.get(PREFIX + "/modules", headers=mentor["headers"])
    for m in listing.get_json():
        r = client.get(f"{PREFIX}/modules/{m['id']}", headers=mentor["headers"])
        assert r.status_code == 200
        body = r.get_json()
        text = json.dumps(body)
        assert '"answer' not in text and "correct" not in text
        if m["has_knowledge_check"]:
            questions = body["knowledge_check"]["questions"]
            assert questions and all(set(q) == {"index", "prompt", "choices"} for q in questions)
            assert body["knowledge_check"]["pass_mark"] >= 1
        assert "<h1>" in body["body_html"] and "body_markdown" not in body
    assert '"answer' not in listing.get_data(as_text=True)
    # the submission's answer says how many were right, never which choice was
    module = learning.modules(mentor)[0]
    result = learning.check(mentor, module, correct=False)
    assert set(result) == {"module_id", "version", "score", "total", "pass_mark", "passed", "attempts"}


def test_check_then_attest_and_attesting_first_is_refused(learning, client, training_db):
    mentor = learning.learner("mentor")
    module = next(m for m in learning.modules(mentor) if m["id"] == str(module_id("identity-conscious-mentoring")))
    r = learning.attest(mentor, module, expect=409)
    assert r.content_type == PROBLEM and r.get_json()["type"].endswith("/knowledge-check-not-passed")
    failed = learning.check(mentor, module, correct=False)
    assert failed["passed"] is False and failed["score"] == 0 and failed["total"] == 3
    learning.attest(mentor, module, expect=409)
    passed = learning.check(mentor, module)
    assert passed == {"module_id": module["id"], "version": 1, "score": 3, "total": 3, "pass_mark": 67,
                      "passed": True, "attempts": 2}
    r = learning.attest(mentor, module, expect=201)
    first = r.get_json()["progress"]
    assert first["status"] == "attested" and first["attested_version"] == 1 and first["attested_at"]
    # a repeat returns the first attestation and records nothing more
    again = learning.attest(mentor, module, expect=200).get_json()["progress"]
    assert again == first
    done = outbox_events(training_db, "TrainingModuleCompleted", user_id=str(mentor["id"]))
    assert len(done) == 1 and done[0]["data"]["module_id"] == module["id"] and done[0]["data"]["module_version"] == 1
    [credit] = outbox_events(training_db, "CmeCreditAwarded", user_id=str(mentor["id"]))
    assert credit["data"]["credit_hours"] == "1.00" and credit["data"]["module_id"] == module["id"]
    assert outbox_events(training_db, "TrainingCompleted", user_id=str(mentor["id"])) == []


def test_a_stale_version_is_refused(learning):
    mentor = learning.learner("mentor")
    module = learning.modules(mentor)[0]
    r = learning.c.post(f"{PREFIX}/modules/{module['id']}/check", headers=mentor["headers"],
                        json={"version": module["version"] + 5, "answers": [0, 0]})
    assert r.status_code == 409 and r.get_json()["type"].endswith("/module-version-outdated")
    assert r.get_json()["current_version"] == module["version"]


def test_training_completes_once_when_every_required_module_is_attested(learning, client, training_db):
    mentee = learning.learner("mentee")
    status = client.get(PREFIX + "/me/training", headers=mentee["headers"]).get_json()
    assert status["track"] == "mentee" and status["completed"] is False and status["required_attested"] == 0
    required = learning.complete(mentee, leave_out=1)
    assert outbox_events(training_db, "TrainingCompleted", user_id=str(mentee["id"])) == []
    status = client.get(PREFIX + "/me/training", headers=mentee["headers"]).get_json()
    assert status["outstanding_required_module_ids"] == [required[-1]["id"]]
    learning.take(mentee, required[-1])
    learning.attest(mentee, required[-1], expect=200)
    [done] = outbox_events(training_db, "TrainingCompleted", user_id=str(mentee["id"]))
    assert done["data"]["track"] == "mentee" and done["data"]["institution_id"] == str(mentee["institution_id"])
    assert done["data"]["curriculum_version"] == status["curriculum_version"]
    assert done["subject"] == str(mentee["id"])
    status = client.get(PREFIX + "/me/training", headers=mentee["headers"]).get_json()
    assert status["completed"] and status["completed_at"] and status["outstanding_required_module_ids"] == []
    # optional modules can still be taken; they change nothing about completion
    for m in learning.modules(mentee):
        if not m["required"]:
            learning.take(mentee, m)
    assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(mentee["id"]))) == 1
    # mentee modules never award CME
    assert outbox_events(training_db, "CmeCreditAwarded", user_id=str(mentee["id"])) == []


def test_a_learner_not_yet_known_from_enrollment_is_told_to_wait(learning, client):
    stranger = learning.learner("mentor", enrolled=False)
    r = client.get(PREFIX + "/modules", headers=stranger["headers"])
    assert r.status_code == 409 and r.content_type == PROBLEM and r.get_json()["type"].endswith("/not-enrolled")
