"""Research data requests in the browser (web/e2e/research.test.mjs): a mentor asks for data (a mistake
pointed out first), the operator approves it with a reason, the mentor downloads the ZIP; a mentee cannot
see the request and an administrator cannot decide one. Checked afterwards through the API and the research
audit log."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.journeys import call, sign_in
from tests.web.conftest import needs_browser

pytestmark = needs_browser

EVALUATION = "/api/v1/evaluation"


def test_a_mentor_asks_for_research_data_and_downloads_it_once_approved(browser_test, running_platform, demo_logins):
    url, logins = running_platform, demo_logins
    tag = uuid.uuid4().hex[:6]
    admin_login = logins["lakeside admin"]
    admin = sign_in(url, admin_login["email"], admin_login["password"])
    # the admin's own request, waiting for a decision: their page of it has no decision buttons
    today = date.today()
    own = call(url, "POST", f"{EVALUATION}/data-requests", admin, (201,), json={
        "title": f"Advising outcomes {tag}", "purpose": "Which advising formats help students?",
        "irb_status": "pending", "irb_number": None, "datasets": ["participation_summary"],
        "period_start": (today - timedelta(days=365)).isoformat(), "period_end": (today - timedelta(days=1)).isoformat()}).json()
    title = f"Mentoring and residency match {tag}"
    browser_test("research", mentor=logins["harbor mentor1"], mentee=logins["harbor mentee1"], admin=admin_login,
                 operator=logins["operator"], title=title, admin_request_id=own["id"],
                 period_start=(today - timedelta(days=365)).isoformat(), period_end=(today - timedelta(days=1)).isoformat())

    operator = sign_in(url, logins["operator"]["email"], logins["operator"]["password"])
    found = [r for r in call(url, "GET", f"{EVALUATION}/data-requests", operator, params={"limit": 500}).json() if r["title"] == title]
    assert len(found) == 1, found
    req = found[0]
    assert (req["status"], req["reason"], req["irb_status"], req["irb_number"]) == (
        "approved", "IRB approval on file; de-identified data only", "approved", f"IRB-{tag}")
    assert sorted(req["datasets"]) == ["evaluations", "mentorships"]
    log = call(url, "GET", f"{EVALUATION}/research-audit", operator, params={"request_id": req["id"]}).json()
    actions = [e["action"] for e in log]
    for action in ("request_submitted", "request_decided", "export_created", "download_link_created", "export_downloaded"):
        assert action in actions, actions
    assert actions.count("export_downloaded") == 1
    # the administrator's request is still undecided
    assert call(url, "GET", f"{EVALUATION}/data-requests/{own['id']}", admin).json()["status"] == "submitted"
