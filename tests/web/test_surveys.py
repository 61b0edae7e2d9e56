"""Surveys (R14) in the browser (web/e2e/surveys.test.mjs): the operator writes a program-feedback survey
for Lakeside's mentees in the UI (one question of each type) and opens it; a Lakeside mentee answers it;
the operator reads the statistics; the Lakeside admin sees the completion with small counts withheld;
a mentor cannot open the mentee's survey. Python only waits until the evaluation service knows Lakeside's
mentees (its member read model is fed by identity's events) and checks the end state through the API."""
from __future__ import annotations

import uuid

from tests.journeys import call, sign_in, until
from tests.web.conftest import needs_browser

pytestmark = needs_browser

SURVEYS = "/api/v1/evaluation/surveys"


def _token(url, logins, who: str) -> str:
    return sign_in(url, logins[who]["email"], logins[who]["password"])


def _members_known(url, operator: str, institution_id: str, mentees: int) -> None:
    """A throwaway survey to Lakeside's mentees, opened again (which assigns newcomers) until it reaches
    all of them — then closed: a closed, unanswered survey is nobody's to answer."""
    probe = call(url, "POST", SURVEYS, operator, (201,), json={
        "kind": "program_feedback", "title": f"Readiness probe {uuid.uuid4().hex[:6]}",
        "audience": {"roles": ["mentee"], "institution_ids": [institution_id]},
        "questions": [{"id": "ok", "type": "text", "label": "Anything?"}]}).json()

    def reached() -> bool:
        call(url, "POST", f"{SURVEYS}/{probe['id']}/open", operator)
        return call(url, "GET", f"{SURVEYS}/{probe['id']}", operator).json()["assigned"] >= mentees

    assert until(reached, timeout=90, every=1.0), "the evaluation service never learnt of Lakeside's mentees"
    call(url, "POST", f"{SURVEYS}/{probe['id']}/close", operator)


def test_surveys(browser_test, running_platform, demo_logins):
    url, logins = running_platform, demo_logins
    operator = _token(url, logins, "operator")
    institutions = {i["name"].split()[0].lower(): i for i in call(url, "GET", "/api/v1/identity/institutions", operator).json()}
    lakeside = institutions["lakeside"]
    assert "lakeside mentee1" in logins and "lakeside mentor1" in logins
    # every active mentee of Lakeside: the demo's, and those other tests of this run enrolled there
    mentees = call(url, "GET", "/api/v1/identity/users", operator, params={
        "institution_id": lakeside["id"], "role": "mentee", "status": "active", "limit": 500}).json()
    _members_known(url, operator, lakeside["id"], len(mentees))

    title = f"Program feedback {uuid.uuid4().hex[:6]}"
    browser_test("surveys", title=title, lakeside_id=lakeside["id"], lakeside_name=lakeside["name"],
                 lakeside_mentees=len(mentees))

    # what the browser did, as the API has it
    survey = next(s for s in call(url, "GET", SURVEYS, operator).json() if s["title"] == title)
    assert (survey["kind"], survey["status"], survey["audience"]) == (
        "program_feedback", "open", {"roles": ["mentee"], "institution_ids": [lakeside["id"]]})
    assert [q["type"] for q in survey["questions"]] == ["single_choice", "multiple_choice", "text", "number", "date"]
    stats = call(url, "GET", f"{SURVEYS}/{survey['id']}/statistics", operator).json()
    assert (stats["assigned"], stats["completed"]) == (len(mentees), 1)
    admin = _token(url, logins, "lakeside admin")
    row = next(r for r in call(url, "GET", f"/api/v1/evaluation/institutions/{lakeside['id']}/surveys", admin).json()
               if r["survey_id"] == survey["id"])
    assert row["completed"] is None  # 1 answered: under 3, withheld
