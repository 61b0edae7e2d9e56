"""Access: a learner sees only their own progress and their own track; an admin only their
institution's completion; only operators author. Bad input is a 422 problem+json that writes nothing."""
from __future__ import annotations

import uuid

import pytest

from services.training.curriculum import module_id
from tests.training.conftest import PREFIX, PROBLEM, count


def test_a_learner_sees_only_their_own_track_and_progress(learning, client):
    mentor = learning.learner("mentor")
    mentee = learning.learner("mentee", institution_id=mentor["institution_id"])
    mentee_module = str(module_id("mentee-getting-the-most"))
    # a mentor cannot open, check or attest a mentee module: it does not exist for them
    assert client.get(f"{PREFIX}/modules/{mentee_module}", headers=mentor["headers"]).status_code == 404
    r = client.post(f"{PREFIX}/modules/{mentee_module}/attestation", headers=mentor["headers"], json={"version": 1})
    assert r.status_code == 404 and r.content_type == PROBLEM
    # progress is per caller: the mentee's attestation is not in the mentor's view, and vice versa
    m = next(x for x in learning.modules(mentee) if x["id"] == mentee_module)
    learning.take(mentee, m)
    assert next(x for x in learning.modules(mentee) if x["id"] == mentee_module)["progress"]["status"] == "attested"
    other_mentee = learning.learner("mentee", institution_id=mentor["institution_id"])
    assert next(x for x in learning.modules(other_mentee)
                if x["id"] == mentee_module)["progress"]["status"] == "not_started"
    # admins and operators have no learner view
    assert client.get(PREFIX + "/modules", headers=learning.admin(mentor["institution_id"])).status_code == 403
    assert client.get(PREFIX + "/me/training", headers=learning.operator).status_code == 403
    assert client.get(PREFIX + "/modules").status_code == 401


def test_an_admin_sees_only_their_institution_and_who_is_missing(learning, client):
    inst = uuid.uuid4()
    done = learning.learner("mentor", institution_id=inst, name="Dr. Done")
    halfway = learning.learner("mentor", institution_id=inst, name="Dr. Halfway")
    learning.learner("mentee", institution_id=inst, name="Mia Mentee")
    elsewhere = learning.learner("mentor", name="Dr. Elsewhere")
    learning.complete(done)
    learning.complete(halfway, leave_out=2)
    learning.complete(elsewhere)
    # not enrolled any more, so counted nowhere: an ejected mentor (trained), a deactivated one, an exited
    # mentee; a reinstated mentor counts again
    ejected = learning.learner("mentor", institution_id=inst, name="Dr. Ejected")
    learning.complete(ejected)
    learning.status(ejected, "MentorEjected", reason="unresponsive")
    gone = learning.learner("mentor", institution_id=inst, name="Dr. Gone")
    learning.status(gone, "UserDeactivated", role="mentor")
    learning.status(gone, "MentorReinstated", reason="late event")  # deactivation is final
    alumna = learning.learner("mentee", institution_id=inst, name="Ana Alumna")
    learning.status(alumna, "MenteeExited", reason="graduated")
    back = learning.learner("mentor", institution_id=inst, name="Dr. Back")
    learning.complete(back)
    learning.status(back, "MentorEjected", reason="unresponsive")
    learning.status(back, "MentorReinstated", reason="appeal")
    # an ejection that overtakes the enrollment is kept: the mentor is not counted when enrolled later
    early = learning.learner("mentor", institution_id=inst, name="Dr. Early", enrolled=False)
    learning.status(early, "MentorEjected", reason="unresponsive")
    learning.deliver(early["event"])

    r = client.get(f"{PREFIX}/institutions/{inst}/training", headers=learning.admin(inst))
    assert r.status_code == 200
    body = r.get_json()
    mentors = next(t for t in body["tracks"] if t["track"] == "mentor")
    mentees = next(t for t in body["tracks"] if t["track"] == "mentee")
    assert (mentors["enrolled"], mentors["trained"]) == (3, 2)
    [missing] = mentors["missing"]
    assert missing["name"] == "Dr. Halfway" and missing["user_id"] == str(halfway["id"])
    assert missing["required_attested"] == missing["required_total"] - 2
    assert (mentees["enrolled"], mentees["trained"], [m["name"] for m in mentees["missing"]]) == (1, 0, ["Mia Mentee"])
    assert "Elsewhere" not in r.get_data(as_text=True)
    # another institution's admin: not found; learners: forbidden; operators: anything
    other = client.get(f"{PREFIX}/institutions/{inst}/training", headers=learning.admin(uuid.uuid4()))
    assert other.status_code == 404 and other.content_type == PROBLEM
    assert client.get(f"{PREFIX}/institutions/{inst}/training", headers=done["headers"]).status_code == 403
    assert client.get(f"{PREFIX}/institutions/{inst}/training", headers=learning.operator).get_json() == body


NEW_MODULE = {"track": "mentor", "title": "Draft module", "summary": "s", "body_markdown": "# Hi",
              "estimated_minutes": 5, "required": False}


@pytest.mark.parametrize("role", ["mentor", "mentee", "institution_admin"])
def test_only_operators_author(learning, client, role):
    headers = {"Authorization": "Bearer " + learning.keys.mint(role, inst=uuid.uuid4())}
    before = count(learning.db, "modules")
    assert client.get(PREFIX + "/authoring/modules", headers=headers).status_code == 403
    r = client.post(PREFIX + "/authoring/modules", headers=headers, json=NEW_MODULE)
    assert r.status_code == 403 and r.content_type == PROBLEM
    mid = module_id("mentor-role")
    assert client.patch(f"{PREFIX}/authoring/modules/{mid}", headers=headers, json={"title": "x"}).status_code == 403
    assert client.post(f"{PREFIX}/authoring/modules/{mid}/publish", headers=headers).status_code == 403
    assert client.post(PREFIX + "/authoring/modules", json=NEW_MODULE).status_code == 401
    assert count(learning.db, "modules") == before


QUESTION = {"prompt": "Q?", "choices": ["a", "b"], "answer": 0}


@pytest.mark.parametrize("body, pointer", [
    ({**NEW_MODULE, "id": str(uuid.uuid4())}, "#/id"),
    ({**NEW_MODULE, "published_version": 1}, "#/published_version"),
    ({**NEW_MODULE, "slug": "mine"}, "#/slug"),
    ({**NEW_MODULE, "track": "admin"}, "#/track"),
    ({**NEW_MODULE, "estimated_minutes": 0}, "#/estimated_minutes"),
    ({**NEW_MODULE, "estimated_minutes": "5"}, "#/estimated_minutes"),
    ({k: v for k, v in NEW_MODULE.items() if k != "title"}, "#/title"),
    ({**NEW_MODULE, "track": "mentee", "cme_credit_hours": "1.0"}, "#/cme_credit_hours"),
    ({**NEW_MODULE, "knowledge_check": {"pass_mark": 80, "questions": [{**QUESTION, "answer": 2}]}},
     "#/knowledge_check/questions/0/answer"),
    ({**NEW_MODULE, "knowledge_check": {"pass_mark": 0, "questions": [QUESTION]}}, "#/knowledge_check/pass_mark"),
    ({**NEW_MODULE, "knowledge_check": {"pass_mark": 50, "questions": []}}, "#/knowledge_check/questions"),
])
def test_bad_module_input_is_a_422_that_writes_nothing(learning, client, body, pointer):
    before = (count(learning.db, "modules"), count(learning.db, "module_versions"))
    r = client.post(PREFIX + "/authoring/modules", headers=learning.operator, json=body)
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_json()
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]], r.get_json()
    assert (count(learning.db, "modules"), count(learning.db, "module_versions")) == before


def test_bad_learner_input_is_a_422_that_writes_nothing(learning, client):
    mentor = learning.learner("mentor")
    module = next(m for m in learning.modules(mentor) if m["id"] == str(module_id("identity-conscious-mentoring")))
    path = f"{PREFIX}/modules/{module['id']}"
    before = (count(learning.db, "progress"), count(learning.db, "outbox"))
    for url, body, pointer in [
        (path + "/check", {"version": 1, "answers": [1, 0]}, "#/answers"),  # 3 questions
        (path + "/check", {"version": 1, "answers": [1, 0, 9]}, "#/answers"),
        (path + "/check", {"version": 1, "answers": ["1", 0, 0]}, "#/answers/0"),
        (path + "/check", {"version": 1, "answers": [1, 0, 0], "score": 3}, "#/score"),
        (path + "/check", {"answers": [1, 0, 0]}, "#/version"),
        (path + "/attestation", {}, "#/version"),
        (path + "/attestation", {"version": 1, "attested_at": "2020-01-01T00:00:00Z"}, "#/attested_at"),
    ]:
        r = client.post(url, headers=mentor["headers"], json=body)
        assert r.status_code == 422 and r.content_type == PROBLEM, (body, r.get_json())
        assert pointer in [e["pointer"] for e in r.get_json()["errors"]], (body, r.get_json())
    r = client.post(path + "/check", headers=mentor["headers"], data="{not json", content_type="application/json")
    assert r.status_code == 422 and r.get_json()["type"].endswith("/malformed-json")
    assert (count(learning.db, "progress"), count(learning.db, "outbox")) == before
    # authentication comes before validation
    assert client.post(path + "/check", json={"nonsense": 1}).status_code == 401


def test_the_openapi_document_describes_the_service(client):
    spec = client.get(PREFIX + "/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/training/modules", "/api/v1/training/modules/{module_id}/check",
                 "/api/v1/training/modules/{module_id}/attestation", "/api/v1/training/me/training",
                 "/api/v1/training/me/cme", "/api/v1/training/me/cme/{certificate_id}/certificate",
                 "/api/v1/training/certificates/{code}", "/api/v1/training/authoring/modules",
                 "/api/v1/training/authoring/modules/{module_id}/publish",
                 "/api/v1/training/institutions/{institution_id}/training"):
        assert path in paths, path
    assert "security" not in paths["/api/v1/training/certificates/{code}"]["get"]
    assert paths["/api/v1/training/modules"]["get"]["security"] == [{"bearerAuth": []}]
    schemas = spec["components"]["schemas"]
    assert "answer" not in schemas["LearnerQuestionOut"]["properties"]
