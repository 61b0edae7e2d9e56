"""The institution admin's, the operator's and everyone's inbox screens in Debian's Chromium, against the
platform with the demo data (web/e2e/admin.test.mjs, operator.test.mjs, inbox.test.mjs). Python prepares
what the browser is not there to click through: a pending application, an ejected mentor, an audited
read, a person with unread notifications."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import requests

from tests.journeys import admit_published_mentor, call, request_mentorship, sign_in, until
from tests.web.conftest import needs_browser

pytestmark = needs_browser

IDENTITY = "/api/v1/identity"


def _token(url, logins, who: str) -> str:
    return sign_in(url, logins[who]["email"], logins[who]["password"])


def _institutions(url, logins) -> dict[str, dict]:
    operator = _token(url, logins, "operator")
    return {i["name"].split()[0].lower(): i for i in call(url, "GET", f"{IDENTITY}/institutions", operator).json()}


def _pending_applicant(url, institution: dict) -> dict:
    """A student registers with the institution's enrollment code (R4 attested) and waits for approval."""
    tag = uuid.uuid4().hex[:6]
    version = call(url, "GET", f"{IDENTITY}/agreements/mentee/current").json()["version"]
    return call(url, "POST", f"{IDENTITY}/mentees/registrations", None, (201,), json={
        "enrollment_code": institution["enrollment_code"], "email": f"e2e-applicant-{tag}@example.org",
        "name": f"Casey Applicant {tag}", "password": "a-long-e2e-password-1", "accept_agreement_version": version,
        "profile": {"demographics": {"race_ethnicity": ["Black or African American"], "training_stage": "medical_student"},
                    "contact": {"phone": "+1 555 0142"}},
        "eligibility": ["first_generation"], "attested": True}).json()


def test_an_admin_sees_their_institution_only(browser_test, running_platform, demo_logins):
    url = running_platform
    institutions = _institutions(url, demo_logins)
    applicant = _pending_applicant(url, institutions["lakeside"])
    browser_test("admin", lakeside_id=institutions["lakeside"]["id"], other_id=institutions["riverside"]["id"],
                 other_name=institutions["riverside"]["name"], applicant=applicant["name"])
    # the eligibility review in the browser was an audited read, with the reason given there
    operator = _token(url, demo_logins, "operator")
    reads = call(url, "GET", f"{IDENTITY}/audit/sensitive-reads", operator, params={"subject_id": applicant["id"]}).json()
    assert [(r["record"], r["purpose"]) for r in reads] == [("mentee_eligibility", "Deciding the application")]
    lakeside_reads = call(url, "GET", f"{IDENTITY}/audit/sensitive-reads", operator,
                          params={"institution_id": institutions["lakeside"]["id"]}).json()
    assert ("mentor_admission", "Promotion letter for the mentor", "Dr. Priya Raman") in {
        (r["record"], r["purpose"], r["subject_name"]) for r in lakeside_reads}
    declined = call(url, "GET", f"{IDENTITY}/users/{applicant['id']}", operator).json()
    assert (declined["status"], declined["status_reason"]) == ("declined", "Enrollment at another school")


def _ejected_mentor(url, logins) -> dict:
    """R12 the fastest real way: a new mentor, published nationally, gets two requests; an operator moves
    both deadlines to now (the documented operator endpoint); the expiry job expires them, mentorship
    reports the mentor unresponsive and identity ejects them."""
    from demo.client import Client

    mentor = admit_published_mentor(url, Client(url), logins)
    operator = _token(url, logins, "operator")
    for who in ("harbor mentee1", "metropolitan mentee1"):
        mentee = _token(url, logins, who)
        created = until(lambda: request_mentorship(url, mentee, mentor.id), timeout=90)
        assert created is not None and created.status_code == 201, created and created.text
        # the deadline may not precede the request: "now" is already past at the next expiry run
        call(url, "PUT", f"/api/v1/mentorship/requests/{created.json()['id']}/deadline", operator,
             json={"respond_by": datetime.now(timezone.utc).isoformat()})

    def status():
        return call(url, "GET", f"{IDENTITY}/users/{mentor.id}", operator).json()

    assert until(lambda: status()["status"] == "ejected", timeout=120), status()
    return {"id": mentor.id, "name": mentor.name, "email": mentor.email, "password": mentor.password}


def test_an_operator_reinstates_an_ejected_mentor_and_creates_an_institution(browser_test, running_platform,
                                                                               demo_logins):
    url = running_platform
    ejected = _ejected_mentor(url, demo_logins)
    # an audited read for the log: an admin reads a mentee's profile, saying why
    admin = _token(url, demo_logins, "lakeside admin")
    mentee_id = call(url, "GET", f"{IDENTITY}/users", admin, params={"role": "mentee", "status": "active"}).json()[0]["id"]
    purpose = f"Advising follow-up {uuid.uuid4().hex[:6]}"
    call(url, "GET", f"/api/v1/identity/mentees/{mentee_id}/profile", admin, params={"reason": purpose})
    browser_test("operator", ejected=ejected, purpose=purpose, institution=f"Bayview School of Medicine {uuid.uuid4().hex[:4]}")
    # reinstated for real: active again, with the operator's note, and able to sign in
    operator = _token(url, demo_logins, "operator")
    user = call(url, "GET", f"{IDENTITY}/users/{ejected['id']}", operator).json()
    assert (user["status"], user["status_reason"]) == ("active", "Reviewed with the dean: requests were missed during leave")
    assert requests.post(url + f"{IDENTITY}/auth/token", timeout=30,
                         json={"email": ejected["email"], "password": ejected["password"]}).status_code == 200


def test_the_inbox_marks_notifications_read_and_the_badge_follows(browser_test, running_platform, demo_logins):
    url = running_platform
    who = "metropolitan mentor1"  # the demo sent them a request that expired: at least two notifications
    token = _token(url, demo_logins, who)

    def inbox():
        return call(url, "GET", "/api/v1/notifications/inbox", token).json()

    assert until(lambda: inbox()["unread_count"] >= 2, timeout=90), inbox()
    browser_test("inbox", who=who, unread=inbox()["unread_count"])
    assert inbox()["unread_count"] == 0
