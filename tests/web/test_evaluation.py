"""The evaluation screens in the browser (web/e2e/evaluation.test.mjs): a mentee answers a final evaluation,
the mentor's feedback stays withheld under 3 evaluations, and the admin of the mentor's institution reads the
participation report and downloads its CSV. The mentorship is made and concluded here through the public
API, so that the evaluation service makes the final evaluation due (its jobs run every 0.5 s in tests)."""
from __future__ import annotations

from tests.journeys import admit_published_mentor, call, request_mentorship, sign_in, until
from tests.web.conftest import needs_browser

pytestmark = needs_browser

EVALUATION = "/api/v1/evaluation"


def test_a_mentee_evaluates_and_the_mentor_and_admin_see_it_withheld(browser_test, running_platform, demo_logins):
    from demo.client import Client

    url, logins = running_platform, demo_logins
    mentor = admit_published_mentor(url, Client(url), logins)  # of Harbor, like the mentee below
    mentee_login = logins["harbor mentee1"]  # trained by the demo, with no request of its own
    mentee = sign_in(url, mentee_login["email"], mentee_login["password"])
    created = until(lambda: request_mentorship(url, mentee, mentor.id), timeout=90)
    assert created is not None and created.status_code == 201, created and created.text
    accepted = call(url, "POST", f"/api/v1/mentorship/requests/{created.json()['id']}/accept", mentor.token, json={}).json()
    mentorship_id = accepted["mentorship_id"]
    call(url, "POST", f"/api/v1/mentorship/mentorships/{mentorship_id}/conclude", mentee,
         json={"reason": "Matched to residency: thank you!"})

    def due():
        found = [e for e in call(url, "GET", f"{EVALUATION}/evaluations", mentee).json()
                 if e["mentorship_id"] == mentorship_id and e["kind"] == "final" and e["status"] == "due"]
        return found[0] if found else None

    evaluation = until(due, timeout=60)
    assert evaluation, call(url, "GET", f"{EVALUATION}/evaluations", mentee).json()
    # the mentor's name reaches the evaluation service by events: wait for it so the screens can show it
    assert until(lambda: (due() or {}).get("mentor", {}).get("name") == mentor.name, timeout=60), due()
    browser_test("evaluation",
                 mentee={"email": mentee_login["email"], "password": mentee_login["password"]},
                 mentor={"email": mentor.email, "password": mentor.password, "name": mentor.name},
                 admin=logins["harbor admin"], institution_id=mentor.institution_id, evaluation_id=evaluation["id"],
                 comment="Generous with her time and frank about residency.")

    # what the browser did, as the API sees it: one submission, withheld from the mentor
    answered = call(url, "GET", f"{EVALUATION}/evaluations/{evaluation['id']}", mentee).json()
    assert answered["status"] == "submitted"
    assert answered["answers"]["would_recommend"] is True
    assert answered["answers"]["shared_text"] == "Generous with her time and frank about residency."
    feedback = call(url, "GET", f"{EVALUATION}/mentors/me/feedback", mentor.token).json()
    assert (feedback["count"], feedback["withheld"], feedback["averages"], feedback["shared_texts"]) == (1, True, None, None)
