"""Operators author modules: drafts, publishing, new versions on edit (progress refers to the version
taken), safe HTML, and what a curriculum change does to completion (see services/training/rules.py)."""
from __future__ import annotations

import re
import uuid

from tests.training.conftest import PREFIX, PROBLEM, outbox_events

CHECK = {"pass_mark": 100, "questions": [{"prompt": "Ready?", "choices": ["no", "yes"], "answer": 1}]}


def _module(**extra) -> dict:
    return {"track": "mentor", "title": f"Module {uuid.uuid4().hex[:6]}", "summary": "A new module",
            "body_markdown": "# New module\n\nRead this.", "estimated_minutes": 10, "required": False,
            "knowledge_check": CHECK, "position": 900, **extra}


def _post(client, path, headers, json=None, expect=200):
    r = client.post(PREFIX + path, headers=headers, json=json)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _patch(client, module_id, headers, json):
    r = client.patch(f"{PREFIX}/authoring/modules/{module_id}", headers=headers, json=json)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_editing_a_published_module_makes_a_new_version(learning, client):
    op = learning.operator
    mentor = learning.learner("mentor")
    created = _post(client, "/authoring/modules", op, _module(), expect=201)
    mid = created["id"]
    assert created["published_version"] is None and [v["version"] for v in created["versions"]] == [1]
    assert created["versions"][0]["questions"] == CHECK["questions"]  # operators see the answers
    # a draft is invisible to learners
    assert mid not in [m["id"] for m in learning.modules(mentor)]
    assert client.get(f"{PREFIX}/modules/{mid}", headers=mentor["headers"]).status_code == 404
    # editing a draft edits it in place
    edited = _patch(client, mid, op, {"title": "Working with residents"})
    assert [v["version"] for v in edited["versions"]] == [1] and edited["versions"][0]["title"] == "Working with residents"
    published = _post(client, f"/authoring/modules/{mid}/publish", op)
    assert published["published_version"] == 1 and published["versions"][0]["published_at"]
    r = client.post(f"{PREFIX}/authoring/modules/{mid}/publish", headers=op)
    assert r.status_code == 409 and r.get_json()["type"].endswith("/nothing-to-publish")
    module = next(m for m in learning.modules(mentor) if m["id"] == mid)
    learning.take(mentor, module)

    # an edit of the published version is a new draft: learners keep version 1 until it is published
    v2 = _patch(client, mid, op, {"body_markdown": "# Revised\n\n<script>alert(1)</script> "
                                                   "[click](javascript:alert(1)) <b onclick=x()>hi</b>"})
    assert [v["version"] for v in v2["versions"]] == [1, 2] and v2["published_version"] == 1
    assert v2["versions"][0]["body_markdown"] == "# New module\n\nRead this."
    assert client.get(f"{PREFIX}/modules/{mid}", headers=mentor["headers"]).get_json()["version"] == 1
    _post(client, f"/authoring/modules/{mid}/publish", op)
    opened = client.get(f"{PREFIX}/modules/{mid}", headers=mentor["headers"]).get_json()
    assert opened["version"] == 2
    assert opened["progress"]["attested_version"] == 1 and opened["progress"]["update_available"] is True
    html = opened["body_html"]
    assert "<h1>Revised</h1>" in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "<script" not in html and 'href="javascript' not in html and not re.search(r"<[^>]*onclick", html)

    # another learner who opened version 1 is told it moved on
    other = learning.learner("mentor")
    r = client.post(f"{PREFIX}/modules/{mid}/check", headers=other["headers"], json={"version": 1, "answers": [1]})
    assert r.status_code == 409 and r.content_type == PROBLEM and r.get_json()["current_version"] == 2
    # the authoring views
    listed = client.get(PREFIX + "/authoring/modules?track=mentor", headers=op).get_json()
    assert mid in [m["id"] for m in listed] and all(m["track"] == "mentor" for m in listed)
    assert client.get(PREFIX + "/authoring/modules?track=nurse", headers=op).status_code == 422
    assert client.get(f"{PREFIX}/authoring/modules/{uuid.uuid4()}", headers=op).status_code == 404
    r = client.patch(f"{PREFIX}/authoring/modules/{mid}", headers=op, json={"track": "mentee"})
    assert r.status_code == 422  # a module's track never changes


def test_a_required_module_added_later(learning, client, training_db):
    op = learning.operator
    inst = uuid.uuid4()
    completed = learning.learner("mentor", institution_id=inst)
    halfway = learning.learner("mentor", institution_id=inst)
    almost = learning.learner("mentor", institution_id=inst)
    learning.complete(completed)
    old_required = learning.complete(halfway, leave_out=1)
    before = client.get(PREFIX + "/me/training", headers=completed["headers"]).get_json()
    assert before["completed"]

    new = _post(client, "/authoring/modules", op, _module(required=True), expect=201)
    _post(client, f"/authoring/modules/{new['id']}/publish", op)
    after = client.get(PREFIX + "/me/training", headers=completed["headers"]).get_json()
    # completion is final: still completed, told about the new module, no event retracted or repeated
    assert after["curriculum_version"] == before["curriculum_version"] + 1
    assert after["completed"] and after["completed_curriculum_version"] == before["curriculum_version"]
    assert after["outstanding_required_module_ids"] == [new["id"]]
    assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(completed["id"]))) == 1

    # who had not completed needs the new module too
    learning.take(halfway, old_required[-1])
    status = client.get(PREFIX + "/me/training", headers=halfway["headers"]).get_json()
    assert not status["completed"] and status["outstanding_required_module_ids"] == [new["id"]]
    assert outbox_events(training_db, "TrainingCompleted", user_id=str(halfway["id"])) == []
    learning.take(halfway, next(m for m in learning.modules(halfway) if m["id"] == new["id"]))
    [done] = outbox_events(training_db, "TrainingCompleted", user_id=str(halfway["id"]))
    assert done["data"]["curriculum_version"] == after["curriculum_version"]

    # making it optional again: who now holds every required attestation completes at that moment
    learning.complete(almost, leave_out=1)  # everything but the new module
    assert outbox_events(training_db, "TrainingCompleted", user_id=str(almost["id"])) == []
    _patch(client, new["id"], op, {"required": False})
    _post(client, f"/authoring/modules/{new['id']}/publish", op)
    [done] = outbox_events(training_db, "TrainingCompleted", user_id=str(almost["id"]))
    assert done["data"]["curriculum_version"] == after["curriculum_version"] + 1
    assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(completed["id"]))) == 1
    assert len(outbox_events(training_db, "TrainingCompleted", user_id=str(halfway["id"]))) == 1
    summary = client.get(f"{PREFIX}/institutions/{inst}/training", headers=learning.admin(inst)).get_json()
    mentors = next(t for t in summary["tracks"] if t["track"] == "mentor")
    assert (mentors["enrolled"], mentors["trained"], mentors["missing"]) == (3, 3, [])
