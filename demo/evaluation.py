"""Demo data of the evaluation service, through the gateway's public API, as its users would do it.

    demo.evaluation.load(client, logins)   # the platform loader (demo/loader.py), after demo/mentorship.py

Evaluations (R13) fall due six months into a mentorship; the demo's mentorships are new, so an operator
moves each first periodic evaluation with the documented operator endpoint (PUT /evaluations/<id>/schedule),
and the worker's jobs (EVALUATION_JOB_INTERVAL, 15 s by default) announce it:
- lakeside mentee1 → mentor1 (demo/mentorship.py): due now; mentee1 submits it (submitted);
- harbor mentee1 → mentor1 (a request made and accepted here): due now, waiting for the mentee (due);
- metropolitan mentee1 → mentor2 (made and accepted here): due 20 days ago, past its 14-day grace (overdue,
  still open for 10 days).
Surveys (R14): an operator opens a career-update survey (to every mentee and alumnus) and a program-feedback
survey for the mentors. Research (R16): lakeside mentor1 asks for data (waiting for a decision); riverside
mentor1's request is approved by the operator, so its export can be downloaded.
Running it again creates nothing new: requests carry an Idempotency-Key, moved or submitted evaluations are
left alone (409), surveys and data requests are found again by their titles.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

from demo.client import Client, DemoError

PREFIX = "/api/v1/evaluation"
MENTORSHIP = "/api/v1/mentorship"

# (institution, mentee, mentor, how long ago the first evaluation falls due, submitted by the mentee)
PLAN = [
    ("lakeside", "mentee1", "mentor1", timedelta(0), True),
    ("harbor", "mentee1", "mentor1", timedelta(0), False),
    ("metropolitan", "mentee1", "mentor2", timedelta(days=20), False),
]

ANSWERS = {"availability": 5, "responsiveness": 4, "guidance": 5, "overall": 5, "would_recommend": True,
           "program_text": "The kickoff checklist made our first meeting easy.",
           "shared_text": "Your advice on away rotations was exactly what I needed."}

CAREER_SURVEY = {
    "kind": "career_update", "title": "Career update 2026", "response_days": 30,
    "description": "Once a year we ask where your training has taken you. It takes two minutes.",
    "questions": [
        {"id": "stage", "type": "single_choice", "label": "Where are you in your training?", "required": True,
         "options": ["Medical school", "Residency", "Fellowship", "Practice", "Other"]},
        {"id": "specialty", "type": "text", "label": "Which specialty are you in or aiming for?", "max_length": 200},
        {"id": "match_date", "type": "date", "label": "When did you match (if you have)?"},
    ],
}
FEEDBACK_SURVEY = {
    "kind": "program_feedback", "title": "Mentor experience, autumn 2026", "response_days": 21,
    "audience": {"roles": ["mentor"]},
    "questions": [
        {"id": "hours", "type": "number", "label": "Hours a month you spend mentoring", "min": 0, "max": 200,
         "integer": True, "required": True},
        {"id": "helpful", "type": "multiple_choice", "label": "What helped you most?", "min_selections": 0,
         "max_selections": 3, "options": ["Training modules", "Request deadlines", "Institution support", "CME credit"]},
        {"id": "ideas", "type": "text", "label": "What should we change?", "max_length": 2000},
    ],
}
DATA_REQUESTS = [  # (login, title, approved by the operator)
    ("lakeside mentor1", "Mentorship and residency match outcomes", False),
    ("riverside mentor1", "Responsiveness of mentors by month", True),
]


def _sign_in(client: Client, login: dict) -> tuple[str, str]:
    token = client.sign_in(login["email"], login["password"])
    return token, client.get("/api/v1/identity/me", token=token, expect=(200,))["user"]["id"]


def _eventually(fetch, ready, what: str, wait: float = 90.0):
    deadline = time.monotonic() + wait
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"gave up waiting for {what}")
        time.sleep(1.0)


def _mentorship(client: Client, inst: str, mentee: str, mentor: str, mentor_id: str) -> str | None:
    """The active mentorship between the two (made here when demo/mentorship.py made none)."""
    def mine():
        return [m for m in client.get(f"{MENTORSHIP}/mentorships", token=mentee, expect=(200,))
                if m["mentor_id"] == mentor_id and m["status"] == "active"]

    found = mine()
    if found:
        return found[0]["id"]
    r = client.http.post(client.base + MENTORSHIP + "/requests", timeout=30,
                         headers={"Authorization": f"Bearer {mentee}", "Idempotency-Key": f"demo-eval-{inst}"},
                         json={"mentor_id": mentor_id, "goals": ["residency applications", "research"],
                               "message": "I would value a mentor who has been through the match recently."})
    if r.status_code not in (200, 201):
        print(f"  evaluation: {inst}: no request ({r.status_code} {r.text[:120]})", flush=True)
        return None
    request = r.json()
    if request["status"] == "open":
        client.post(f"{MENTORSHIP}/requests/{request['id']}/accept", token=mentor, json={}, expect=(200, 409))
    found = _eventually(mine, bool, f"the {inst} mentorship", wait=30)
    return found[0]["id"]


def _evaluations(client: Client, logins: dict, operator: str) -> dict:
    summary = {}
    for inst, mentee_key, mentor_key, ago, submit in PLAN:
        name = f"{inst} {mentee_key} -> {mentor_key}"
        mentee_login, mentor_login = logins.get(f"{inst} {mentee_key}"), logins.get(f"{inst} {mentor_key}")
        if not mentee_login or not mentor_login:
            summary[name] = "skipped: no such demo login"
            continue
        mentee, _ = _sign_in(client, mentee_login)
        mentor, mentor_id = _sign_in(client, mentor_login)
        mid = _mentorship(client, inst, mentee, mentor, mentor_id)
        if mid is None:
            summary[name] = "skipped: no mentorship"
            continue
        first = _eventually(
            lambda: [e for e in client.get(f"{PREFIX}/evaluations", token=operator, expect=(200,),
                                           params={"mentorship_id": mid}) if e["kind"] == "periodic"],
            bool, f"the {name} evaluation schedule")
        evaluation = min(first, key=lambda e: e["due_at"])
        eid = evaluation["id"]
        if evaluation["status"] == "scheduled":
            due = datetime.now(timezone.utc) - ago
            client.put(f"{PREFIX}/evaluations/{eid}/schedule", token=operator, json={"due_at": due.isoformat()},
                       expect=(200, 409))
        wanted = ("overdue",) if ago > timedelta(days=14) else ("due", "overdue", "submitted")
        evaluation = _eventually(lambda: client.get(f"{PREFIX}/evaluations/{eid}", token=operator, expect=(200,)),
                                 lambda e: e["status"] in wanted + ("submitted",), f"the {name} evaluation to fall due")
        if submit and evaluation["status"] != "submitted":
            form = client.get(f"{PREFIX}/evaluation-form", token=mentee, expect=(200,))
            client.post(f"{PREFIX}/evaluations/{eid}/submission", token=mentee, expect=(201, 409),
                        json={"form_version": form["version"], **ANSWERS})
        summary[name] = client.get(f"{PREFIX}/evaluations/{eid}", token=operator, expect=(200,))["status"]
        print(f"  evaluation: {name:<36} {summary[name]}", flush=True)
    return summary


def _surveys(client: Client, operator: str) -> None:
    existing = {s["title"]: s for s in client.get(f"{PREFIX}/surveys", token=operator, expect=(200,))}
    for spec in (CAREER_SURVEY, FEEDBACK_SURVEY):
        survey = existing.get(spec["title"]) or client.post(f"{PREFIX}/surveys", token=operator, json=spec,
                                                            expect=(201,))
        if survey["status"] == "draft":
            survey = client.post(f"{PREFIX}/surveys/{survey['id']}/open", token=operator, json={}, expect=(200, 409))
        print(f"  evaluation: survey {spec['title']!r:<40} {survey.get('status', 'open')}", flush=True)


def _data_requests(client: Client, logins: dict, operator: str) -> None:
    today = date.today()
    for who, title, approve in DATA_REQUESTS:
        if who not in logins:
            continue
        token, _ = _sign_in(client, logins[who])
        mine = {r["title"]: r for r in client.get(f"{PREFIX}/data-requests", token=token, expect=(200,))}
        request = mine.get(title) or client.post(f"{PREFIX}/data-requests", token=token, expect=(201,), json={
            "title": title, "irb_status": "exempt", "irb_number": "IRB-2026-0412",
            "purpose": "Describe how mentorship in the program relates to trainees' progress, for a medical "
                       "education conference abstract. Only de-identified, aggregated results will be published.",
            "datasets": ["mentorships", "requests", "participation_summary"],
            "period_start": date(today.year - 1, today.month, 1).isoformat(), "period_end": today.isoformat()})
        if approve and request["status"] == "submitted":
            request = client.post(f"{PREFIX}/data-requests/{request['id']}/decision", token=operator, expect=(200, 409),
                                  json={"decision": "approved",
                                        "reason": "Exempt determination on file; the export is de-identified."})
        print(f"  evaluation: data request {title!r:<42} {request.get('status')}", flush=True)


def load(client: Client, logins: dict) -> dict:
    operator, _ = _sign_in(client, logins["operator"])
    summary = _evaluations(client, logins, operator)
    _surveys(client, operator)
    _data_requests(client, logins, operator)
    return summary
