"""The mentor's screens in the browser (web/e2e/mentor.test.mjs): incoming requests naming who asks and
never eligibility data, the cap of 3 (no Accept button for a fourth, and why), my mentees, the profile
editor with publication, nomination. The data is prepared here through the public API."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.journeys import admit_published_mentor, call, request_mentorship, sign_in, until
from tests.web.conftest import needs_browser

pytestmark = needs_browser

PASSWORD = "a-long-e2e-password-2"


def _answers(url, logins) -> dict:
    operator = sign_in(url, logins["operator"]["email"], logins["operator"]["password"])
    return {(m["id"], v["version"]): [q["answer"] for q in v["questions"]]
            for m in call(url, "GET", "/api/v1/training/authoring/modules", operator).json() for v in m["versions"]}


def _trained_mentee(url, client, logins, answers, admin_login: str, name: str, *, stage: str, year: int,
                    race: str) -> dict:
    """A mentee who registers with the institution's enrollment code (eligibility attested, demographics
    given — which the mentor must never see), is approved by the admin and completes the training."""
    import demo.training

    admin = sign_in(url, logins[admin_login]["email"], logins[admin_login]["password"])
    inst_id = call(url, "GET", "/api/v1/identity/me", admin).json()["user"]["institution_id"]
    inst = call(url, "GET", f"/api/v1/identity/institutions/{inst_id}", admin).json()
    version = call(url, "GET", "/api/v1/identity/agreements/mentee/current").json()["version"]
    email = f"e2e-mentee-{uuid.uuid4().hex[:8]}@example.org"
    user = call(url, "POST", "/api/v1/identity/mentees/registrations", None, (201,), json={
        "enrollment_code": inst["enrollment_code"], "email": email, "name": name, "password": PASSWORD,
        "accept_agreement_version": version, "eligibility": ["first_generation", "economically_disadvantaged"],
        "attested": True, "profile": {
            "demographics": {"race_ethnicity": [race], "hispanic_or_latino": False, "gender_identity": "woman",
                             "training_stage": stage, "expected_graduation_year": year},
            "contact": {"phone": "+1 555 0142"}}}).json()
    call(url, "POST", f"/api/v1/identity/mentees/{user['id']}/approve", admin, json={"note": "e2e"})
    token = sign_in(url, email, PASSWORD)
    demo.training._train(client, token, answers, None)
    return {"id": user["id"], "name": name, "email": email, "token": token, "institution": inst["name"]}


def _ask(url, operator: str, mentee: dict, mentor_id: str) -> str:
    """The mentee's request, its deadline moved two weeks out by an operator (the test platform may run
    mentorship on deadlines of seconds when the mentorship tests share it)."""
    r = until(lambda: request_mentorship(url, mentee["token"], mentor_id), timeout=90)
    assert r is not None and r.status_code == 201, (r.status_code, r.text) if r is not None else "never enrolled"
    rid = r.json()["id"]
    call(url, "PUT", f"/api/v1/mentorship/requests/{rid}/deadline", operator,
         json={"respond_by": (datetime.now(timezone.utc) + timedelta(days=14)).isoformat()})
    return rid


def test_mentor_screens(browser_test, running_platform, demo_logins):
    from demo.client import Client

    url, logins = running_platform, demo_logins
    client = Client(url)
    answers = _answers(url, logins)
    operator = sign_in(url, logins["operator"]["email"], logins["operator"]["password"])
    mentor = admit_published_mentor(url, client, logins)
    tag = uuid.uuid4().hex[:6]
    race = f"Marker{tag}"  # a demographic value that must never reach the mentor's screens
    plan = [("asking", "medical_student", 2027), ("first", "resident", 2026), ("second", "premedical", 2030),
            ("fourth", "medical_student", 2028), ("declined", "fellow", 2025)]
    mentees = {key: _trained_mentee(url, client, logins, answers, "lakeside admin", f"{key.title()} Learner {tag}",
                                    stage=stage, year=year, race=race) for key, stage, year in plan}
    requests = {key: _ask(url, operator, m, mentor.id) for key, m in mentees.items()}
    for key in ("first", "second"):  # two active mentees already; the browser accepts the third
        call(url, "POST", f"/api/v1/mentorship/requests/{requests[key]}/accept", mentor.token, json={})
    other = admit_published_mentor(url, client, logins)  # for the profile editor and nominations
    browser_test("mentor",
                 mentor={"email": mentor.email, "password": mentor.password, "name": mentor.name},
                 editor={"email": other.email, "password": other.password, "name": other.name},
                 mentees={k: {"name": m["name"], "email": m["email"], "institution": m["institution"]}
                          for k, m in mentees.items()},
                 marker=race, tag=tag)
