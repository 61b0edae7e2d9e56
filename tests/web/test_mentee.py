"""The mentee's side of the web client in Debian's Chromium (web/e2e/journey, mentee and accounts .test.mjs),
with the data each scenario needs prepared here through the public API, as tests/journeys.py does."""
from __future__ import annotations

import uuid

import requests

from tests.journeys import admit_published_mentor, call, sign_in, until
from tests.web.conftest import needs_browser

pytestmark = needs_browser


def _login(url: str, logins: dict, name: str) -> str:
    return sign_in(url, logins[name]["email"], logins[name]["password"])


def _institution_of(url: str, token: str) -> dict:
    me = call(url, "GET", "/api/v1/identity/me", token).json()["user"]
    return call(url, "GET", f"/api/v1/identity/institutions/{me['institution_id']}", token).json()


def _required_mentee_modules(url: str, logins: dict) -> list[dict]:
    """The mentee track's required modules, in order, with their knowledge checks' answers (the operators'
    authoring view has them, as demo/training.py reads them)."""
    operator = _login(url, logins, "operator")
    out = []
    for m in sorted(call(url, "GET", "/api/v1/training/authoring/modules", operator).json(), key=lambda m: m["position"]):
        if m["track"] != "mentee" or m["published_version"] is None:
            continue
        v = next(v for v in m["versions"] if v["version"] == m["published_version"])
        if v["required"]:
            out.append({"id": m["id"], "title": v["title"], "answers": [q["answer"] for q in v["questions"]]})
    return out


def _word() -> str:
    """A made-up word (letters only) that no other profile has — nor one close to it: the directory
    matches words by similarity, and made-up words sharing a prefix found each other."""
    import secrets

    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12))


def _fresh_mentor(url, logins, *, word: str | None = None):
    """A new published, national mentor of Harbor (tests/journeys.admit_published_mentor); with `word` in
    their biography, searchable by it."""
    from demo.client import Client

    mentor = admit_published_mentor(url, Client(url), logins)
    if word:
        call(url, "PATCH", "/api/v1/directory/me/profile", mentor.token,
             json={"bio": f"Hospitalist who enjoys teaching; in my spare time I study {word}."})
        mentee = _login(url, logins, "lakeside mentee1")
        assert until(lambda: any(r["id"] == mentor.id for r in call(
            url, "GET", "/api/v1/directory/mentors", mentee, params={"q": word}).json()["results"]))
    return mentor


def _requests_between(url: str, mentor_token: str, mentee_id: str) -> list[dict]:
    found = []
    for status in ("open", "accepted", "declined", "withdrawn", "expired"):
        found += [r for r in call(url, "GET", "/api/v1/mentorship/requests", mentor_token,
                                  params={"status": status}).json() if r["mentee_id"] == mentee_id]
    return found


def prepare_journey(url: str, logins: dict) -> dict:
    """Lakeside's enrollment code, the mentee track's answers, a fresh published mentor with a made-up word
    in their biography, and who the new mentee will be."""
    admin = _login(url, logins, "lakeside admin")
    institution = _institution_of(url, admin)
    tag = uuid.uuid4().hex[:8]
    word = _word()
    mentor = _fresh_mentor(url, logins, word=word)
    return {"enrollment_code": institution["enrollment_code"], "institution_id": institution["id"],
            "admin": "lakeside admin", "word": word, "modules": _required_mentee_modules(url, logins),
            "mentee": {"name": f"Journey Mentee {tag}", "email": f"e2e-mentee-{tag}@example.org",
                       "password": "a-long-e2e-password-2"},
            "mentor": {"id": mentor.id, "name": mentor.name, "email": mentor.email, "password": mentor.password}}


def test_journey(browser_test, running_platform, demo_logins):
    """The issue's journey, across roles: register with an enrollment code → the admin approves → training →
    search by a word of the profile → ask (a double click: one request) → the mentor accepts → each sees the
    other's contact."""
    url = running_platform
    prepared = prepare_journey(url, demo_logins)
    browser_test("journey", **prepared)

    # Exactly one request from the double click, accepted; each side sees the other's contact.
    mentee, mentor = prepared["mentee"], prepared["mentor"]
    mentee_token = sign_in(url, mentee["email"], mentee["password"])
    mentee_id = call(url, "GET", "/api/v1/identity/me", mentee_token).json()["user"]["id"]
    between = _requests_between(url, sign_in(url, mentor["email"], mentor["password"]), mentee_id)
    assert [r["status"] for r in between] == ["accepted"], between
    mentorships = call(url, "GET", "/api/v1/mentorship/mentorships", mentee_token).json()
    assert [m["mentor_contact"]["email"] for m in mentorships] == [mentor["email"]]


def prepare_mentee(url: str, logins: dict) -> dict:
    """Two fresh mentors: one for Lakeside's mentee1 to ask in the browser; one whom mentee1 asks here, who
    accepts on the request page in the browser, and whose mentorship the mentee then concludes."""
    asked = _fresh_mentor(url, logins)
    concluded = _fresh_mentor(url, logins)
    mentee = _login(url, logins, "lakeside mentee1")
    request = until(lambda: (r := requests.post(
        url + "/api/v1/mentorship/requests", timeout=30, headers={"Authorization": f"Bearer {mentee}"},
        json={"mentor_id": concluded.id, "message": "Could you advise me on research?", "goals": ["research"]}))
        .status_code == 201 and r.json())
    assert request, "the fresh mentor never became requestable"
    me = call(url, "GET", "/api/v1/identity/me", mentee).json()["user"]
    return {"request_id": request["id"], "mentee": {"name": me["name"], "email": me["email"]},
            "asked": {"id": asked.id, "name": asked.name, "email": asked.email, "password": asked.password},
            "concluded": {"id": concluded.id, "name": concluded.name, "email": concluded.email,
                          "password": concluded.password}}


def test_mentee_screens(browser_test, running_platform, demo_logins):
    """Search with no results; a request refused in words (asking the same mentor twice), then withdrawn;
    a mentorship concluded; account, training, CME certificates."""
    url = running_platform
    prepared = prepare_mentee(url, demo_logins)
    browser_test("mentee", **prepared)

    mentee_id = call(url, "GET", "/api/v1/identity/me", _login(url, demo_logins, "lakeside mentee1")).json()["user"]["id"]
    asked = sign_in(url, prepared["asked"]["email"], prepared["asked"]["password"])
    assert [r["status"] for r in _requests_between(url, asked, mentee_id)] == ["withdrawn"]
    concluded = sign_in(url, prepared["concluded"]["email"], prepared["concluded"]["password"])
    assert [m["status"] for m in call(url, "GET", "/api/v1/mentorship/mentorships", concluded).json()] == ["concluded"]


def prepare_accounts(url: str, logins: dict) -> dict:
    """Three invitations of Lakeside: a mentor's, a mentee's, and a revoked one."""
    admin = _login(url, logins, "lakeside admin")
    institution = _institution_of(url, admin)
    tag = uuid.uuid4().hex[:8]

    def invite(kind: str, body: dict) -> dict:
        return call(url, "POST", f"/api/v1/identity/institutions/{institution['id']}/{kind}-invitations", admin, (201,),
                    json=body).json()

    mentor = invite("mentor", {"email": f"e2e-inv-mentor-{tag}@example.org", "name": f"Dr. Invited {tag}",
                               "criteria": ["teaching_award"], "evidence": "Teaching award 2025"})
    mentee = invite("mentee", {"email": f"e2e-inv-mentee-{tag}@example.org", "name": f"Invited Mentee {tag}"})
    revoked = invite("mentee", {"email": f"e2e-inv-revoked-{tag}@example.org", "name": f"Revoked {tag}"})
    call(url, "POST", f"/api/v1/identity/invitations/{revoked['id']}/revoke", admin)
    return {"institution": institution["name"], "institution_id": institution["id"], "password": "a-long-e2e-password-3",
            "mentor": {"token": mentor["token"], "name": mentor["name"], "email": mentor["email"]},
            "mentee": {"token": mentee["token"], "name": mentee["name"], "email": mentee["email"]},
            "revoked_token": revoked["token"]}


def test_accounts(browser_test, running_platform, demo_logins):
    """Invitations accepted in the browser (a mentor is signed in at once; a mentee waits for approval),
    a used or revoked invitation said in words, and signing in before approval."""
    url = running_platform
    prepared = prepare_accounts(url, demo_logins)
    browser_test("accounts", **prepared)

    # The mentee's invitation left an application waiting for the institution; the mentor is enrolled.
    admin = _login(url, demo_logins, "lakeside admin")
    pending = call(url, "GET", f"/api/v1/identity/institutions/{prepared['institution_id']}/mentee-applications",
                   admin).json()
    assert prepared["mentee"]["email"] in str(pending)
    assert sign_in(url, prepared["mentor"]["email"], prepared["password"])
