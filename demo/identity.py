"""Demo data of the identity service, created through the public API (through the gateway).

    demo.identity.load(client, logins)          # the platform loader (demo/loader.py)
    result = demo.identity.load(client, operator_email, operator_password)

`client` is a demo.client.Client on the gateway's URL (for example http://127.0.0.1:8080). With the
platform loader, `logins` holds the operator's login under "operator" and receives every new login
(name → email, password, role). The operator is created first by the bootstrap command
(`mmm create-operator ...`). The loader adds one institution of each R1
size tier and an HBCU, each with an admin, mentors (who accept their invitations and the mentor
agreement) and mentees (one self-registered with the enrollment code, one invited; both approved).
Invitees accept with the token from their invitation e-mail (the local platform's Maildir, read by
demo/mailbox.py), as people do; only where identity returns the token to the inviter (tests) is it
taken from the API response.
It returns every login (e-mail and password) so that the caller can print them. Running it again
finds the institutions by name and only returns the logins.
"""
from __future__ import annotations

import time
from typing import Any

from demo.client import Client

PREFIX = "/api/v1/identity"
DEMO_PASSWORD = "mentormemed-demo-2025"

INSTITUTIONS = [
    {"slug": "lakeside", "name": "Lakeside School of Medicine", "kind": "academic", "class_size": 42,
     "reward_policy": {"cme_credit": {"offered": True, "details": "CME for every training module"},
                       "promotion_recognition": {"offered": True, "details": "Counted as teaching service"}}},
    {"slug": "riverside", "name": "Riverside College of Medicine", "kind": "academic", "class_size": 96,
     "reward_policy": {"dedicated_fte": {"offered": True, "details": "0.05 FTE for 3 mentees"},
                       "dei_credentialing_recognition": {"offered": True, "details": "DEI certificate track"}}},
    {"slug": "metro", "name": "Metropolitan University School of Medicine", "kind": "academic", "class_size": 180,
     "reward_policy": {"financial_compensation": {"offered": True, "details": "$1,000 stipend per year"},
                       "cme_credit": {"offered": True}}},
    {"slug": "harbor", "name": "Harbor City HBCU College of Medicine", "kind": "hbcu", "class_size": 110,
     "reward_policy": {"promotion_recognition": {"offered": True, "details": "Mentoring in promotion dossiers"}}},
]

MENTORS = [
    ("Dr. Alicia Moreno", ["urim_identity", "first_generation"], "Self-identified; first in family to attend college"),
    ("Dr. Kwame Mensah", ["high_teaching_evaluations"], "Clerkship teaching evaluations 4.9/5 (2022-2024)"),
    ("Dr. Priya Raman", ["teaching_award"], "Golden Apple teaching award, 2023"),
]

MENTEES = [
    ("Jordan Ellis", ["first_generation"], {"race_ethnicity": ["Black or African American"],
                                            "training_stage": "medical_student"}),
    ("Sofia Alvarez", ["urim", "economically_disadvantaged"], {"race_ethnicity": ["Hispanic or Latino"],
                                                              "hispanic_or_latino": True,
                                                              "training_stage": "medical_student"}),
]


def _call(client: Client, method: str, path: str, expect: tuple[int, ...], token: str | None = None,
          body: dict | None = None) -> Any:
    return client.request(method, PREFIX + path, token=token, expect=expect, json=body)


def _sign_in(client, email: str, password: str) -> str:
    return client.sign_in(email, password)


def _invite(client: Client, path: str, token: str, body: dict) -> str:
    """Invite someone; the invitation's token, as the invitee receives it."""
    since = time.time()
    invitation = _call(client, "POST", path, (201,), token, body)
    return client.invitation_token(invitation, body["email"], since=since)


def _login(email: str, name: str, role: str, institution: str | None) -> dict:
    return {"email": email, "password": DEMO_PASSWORD, "name": name, "role": role, "institution": institution}


def load(client, logins_or_email: dict | str, operator_password: str | None = None) -> dict:
    """Create the identity demo data; returns {"institutions": [...], "logins": [...]} and, when given
    the platform loader's `logins` dict, adds every login to it."""
    shared_logins = logins_or_email if isinstance(logins_or_email, dict) else None
    if shared_logins is not None:
        operator_email, operator_password = shared_logins["operator"]["email"], shared_logins["operator"]["password"]
    else:
        operator_email = logins_or_email
    op = _sign_in(client, operator_email, operator_password)
    existing = {i["name"]: i for i in _call(client, "GET", "/institutions", (200,), op)}
    mentor_version = _call(client, "GET", "/agreements/mentor/current", (200,))["version"]
    mentee_version = _call(client, "GET", "/agreements/mentee/current", (200,))["version"]
    logins: list[dict] = [{"email": operator_email, "password": operator_password, "name": "operator",
                           "role": "operator", "institution": None}]
    institutions = []
    for spec in INSTITUTIONS:
        domain = f"{spec['slug']}.demo.mentormemed.org"
        admin_email = f"admin@{domain}"
        mentor_emails = [f"mentor{n + 1}@{domain}" for n in range(len(MENTORS))]
        mentee_emails = [f"mentee{n + 1}@{domain}" for n in range(len(MENTEES))]
        inst = existing.get(spec["name"])
        if inst is None:
            inst = _call(client, "POST", "/institutions", (201,), op, {
                "name": spec["name"], "kind": spec["kind"], "class_size": spec["class_size"],
                "contact": {"name": "Office of Student Affairs", "email": f"contact@{domain}"},
                "reward_policy": spec["reward_policy"]})
            # its admin
            invitation_token = _invite(client, f"/institutions/{inst['id']}/admin-invitations", op,
                                       {"email": admin_email, "name": f"{spec['name']} Admin"})
            _call(client, "POST", "/invitations/accept", (201,),
                  body={"token": invitation_token, "password": DEMO_PASSWORD})
            admin = _sign_in(client, admin_email, DEMO_PASSWORD)
            # mentors: invited on an R2 criterion with evidence; each accepts
            for email, (name, criteria, evidence) in zip(mentor_emails, MENTORS):
                invitation_token = _invite(client, f"/institutions/{inst['id']}/mentor-invitations", admin,
                                           {"email": email, "name": name, "criteria": criteria, "evidence": evidence})
                _call(client, "POST", "/invitations/accept", (201,), body={
                    "token": invitation_token, "password": DEMO_PASSWORD, "accept_agreement_version": mentor_version})
            # mentees: one self-registered with the enrollment code, one invited; both approved
            code = _call(client, "GET", f"/institutions/{inst['id']}", (200,), admin)["enrollment_code"]
            for n, (email, (name, eligibility, demographics)) in enumerate(zip(mentee_emails, MENTEES)):
                profile = {"demographics": demographics, "contact": {"phone": "+1 555 0100"}}
                if n == 0:
                    user = _call(client, "POST", "/mentees/registrations", (201,), body={
                        "enrollment_code": code, "email": email, "name": name, "password": DEMO_PASSWORD,
                        "accept_agreement_version": mentee_version, "profile": profile,
                        "eligibility": eligibility, "attested": True})
                else:
                    invitation_token = _invite(client, f"/institutions/{inst['id']}/mentee-invitations", admin,
                                               {"email": email, "name": name})
                    user = _call(client, "POST", "/invitations/accept", (201,), body={
                        "token": invitation_token, "password": DEMO_PASSWORD,
                        "accept_agreement_version": mentee_version,
                        "profile": profile, "eligibility": eligibility, "attested": True})
                _call(client, "POST", f"/mentees/{user['id']}/approve", (200,), admin, {"note": "demo"})
        compliance = _call(client, "GET", f"/institutions/{inst['id']}/compliance", (200,), op)
        institutions.append({"id": inst["id"], "name": spec["name"], "kind": spec["kind"],
                             "class_size": spec["class_size"], "minimum_mentors": compliance["minimum_mentors"],
                             "enrolled_mentors": compliance["enrolled_mentors"]})
        logins.append(_login(admin_email, f"{spec['name']} Admin", "institution_admin", spec["name"]))
        logins += [_login(e, m[0], "mentor", spec["name"]) for e, m in zip(mentor_emails, MENTORS)]
        logins += [_login(e, m[0], "mentee", spec["name"]) for e, m in zip(mentee_emails, MENTEES)]
    if shared_logins is not None:
        for login in logins[1:]:
            key = f"{login['institution'].split()[0].lower()} {login['email'].split('@')[0]}"
            shared_logins[key] = {"email": login["email"], "password": login["password"], "role": login["role"]}
    return {"institutions": institutions, "logins": logins}


if __name__ == "__main__":  # python -m demo.identity http://127.0.0.1:8080 operator@example.org 'password'
    import json
    import sys

    client = Client(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
    print(json.dumps(load(client, sys.argv[2], sys.argv[3]), indent=2))
