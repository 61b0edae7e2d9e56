"""R5 through the gateway, on the running platform: a mentor and a mentee who accepted version 1 of their
agreement (before identity_0003 wrote version 2) are asked at sign-in to accept version 2, can read what it
says, and sign in once they accept it."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared import config
from tests.journeys import call, institution_with_admin, new_operator, sign_in

PASSWORD = "a-long-test-password-1"
IDENTITY = "/api/v1/identity"


def _accepted_version_1(user_ids: list[str]) -> None:
    """As if they were admitted before the migration: what they accepted was version 1."""
    engine = sa.create_engine(config.database_url("identity"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE agreement_acceptances SET version = 1 WHERE user_id = ANY(:u)"),
                     {"u": [uuid.UUID(u) for u in user_ids]})
    engine.dispose()


def test_people_who_accepted_version_1_accept_version_2_at_sign_in(platform):
    tag = uuid.uuid4().hex[:8]
    operator = new_operator(platform, "Agreement Operator")
    inst, admin = institution_with_admin(platform, operator, tag, name="Agreement School")

    current = {role: call(platform, "GET", f"{IDENTITY}/agreements/{role}/current").json()
               for role in ("mentor", "mentee")}
    assert {role: a["version"] for role, a in current.items()} == {"mentor": 2, "mentee": 2}
    assert "at most 3 mentees at a time" in current["mentor"]["body"]
    assert "invite me to stay on as a mentor" in current["mentee"]["body"]

    invitation = call(platform, "POST", f"{IDENTITY}/institutions/{inst['id']}/mentor-invitations", admin, (201,),
                      json={"email": f"mentor-{tag}@example.org", "name": "Dr. Agreement Mentor",
                            "criteria": ["teaching_award"], "evidence": "Teaching award 2022"}).json()
    mentor = call(platform, "POST", f"{IDENTITY}/invitations/accept", None, (201,), json={
        "token": invitation["token"], "password": PASSWORD, "accept_agreement_version": 2}).json()
    invitation = call(platform, "POST", f"{IDENTITY}/institutions/{inst['id']}/mentee-invitations", admin, (201,),
                      json={"email": f"mentee-{tag}@example.org", "name": "Mia Agreement"}).json()
    mentee = call(platform, "POST", f"{IDENTITY}/invitations/accept", None, (201,), json={
        "token": invitation["token"], "password": PASSWORD, "accept_agreement_version": 2,
        "profile": {"demographics": {"race_ethnicity": ["Black or African American"]}, "contact": {"phone": "1"}},
        "eligibility": ["first_generation"], "attested": True}).json()
    call(platform, "POST", f"{IDENTITY}/mentees/{mentee['id']}/approve", admin, json={"note": "welcome"})
    _accepted_version_1([mentor["id"], mentee["id"]])

    for role, person in (("mentor", mentor), ("mentee", mentee)):
        email = person["email"]
        r = call(platform, "POST", f"{IDENTITY}/auth/token", None, (403,), json={"email": email, "password": PASSWORD})
        problem = r.json()
        assert problem["type"].endswith("/agreement-required") and "version 2" in problem["detail"]
        assert problem["agreement"] == {"role": role, "version": 2, "title": f"MentorMeMed {role} agreement"}
        # version 1 is no longer what they may accept
        call(platform, "POST", f"{IDENTITY}/auth/token", None, (409,),
             json={"email": email, "password": PASSWORD, "accept_agreement_version": 1})
        token = call(platform, "POST", f"{IDENTITY}/auth/token", None, json={
            "email": email, "password": PASSWORD, "accept_agreement_version": 2}).json()["access_token"]
        me = call(platform, "GET", f"{IDENTITY}/me", token).json()
        assert me["agreement"] == {"role": role, "current_version": 2, "accepted_version": 2}
        assert sign_in(platform, email, PASSWORD)  # and from then on, as before
