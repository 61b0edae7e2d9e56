"""Institutions (R1), admission of admins, mentors (R2) and mentees (R3, R4, R14), agreements (R5),
exit (R17), deactivation — through the API, with the events they record."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared.testing import outbox_events
from tests.identity.conftest import PASSWORD, unique_email


# --- R1 --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, class_size, tier, minimum", [
    ("academic", 49, "under_50", 25), ("academic", 50, "50_to_100", 50), ("academic", 100, "50_to_100", 50),
    ("academic", 101, "over_100", 75), ("hbcu", 30, "hbcu", 0), ("hbcu", 75, "hbcu", 0), ("hbcu", 400, "hbcu", 0),
])
def test_r1_minimum_through_the_api(world, identity_db, kind, class_size, tier, minimum):
    inst = world.institution(kind=kind, class_size=class_size)
    assert (inst["size_tier"], inst["minimum_mentors"]) == (tier, minimum)
    compliance = world.get(f"/institutions/{inst['id']}/compliance", world.operator["headers"], expect=200).get_json()
    assert compliance == {**compliance, "minimum_mentors": minimum, "enrolled_mentors": 0, "shortfall": minimum}
    [event] = outbox_events(identity_db, "InstitutionSubscribed", institution_id=inst["id"])
    assert event["data"]["minimum_mentors"] == minimum and event["data"]["class_size"] == class_size


def test_compliance_counts_enrolled_mentors_only(world):
    inst = world.institution(class_size=20)
    admin = world.admin(inst)
    mentors = [world.mentor(inst, admin) for _ in range(3)]
    c = world.get(f"/institutions/{inst['id']}/compliance", admin["headers"], expect=200).get_json()
    assert (c["enrolled_mentors"], c["minimum_mentors"], c["shortfall"]) == (3, 25, 22)
    world.post(f"/users/{mentors[0]['id']}/deactivate", {"reason": "moved away"}, admin["headers"], expect=200)
    c = world.get(f"/institutions/{inst['id']}/compliance", admin["headers"], expect=200).get_json()
    assert (c["enrolled_mentors"], c["shortfall"]) == (2, 23)
    every = world.get("/institutions/compliance", world.operator["headers"], expect=200).get_json()
    assert next(x for x in every if x["institution_id"] == inst["id"])["enrolled_mentors"] == 2
    world.get("/institutions/compliance", admin["headers"], expect=403)


def test_update_institution_records_institution_updated(world, identity_db):
    policy = {"cme_credit": {"offered": True, "details": "1 credit per 10 hours"},
              "financial_compensation": {"offered": False}}
    inst = world.institution(class_size=40, reward_policy=policy)
    assert inst["reward_policy"] == policy
    r = world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json={"class_size": 140},
                      headers=world.operator["headers"])
    assert r.status_code == 200 and r.get_json()["minimum_mentors"] == 75
    [event] = outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])
    assert event["data"]["minimum_mentors"] == 75
    # the same values again change nothing and record nothing
    world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json={"class_size": 140},
                  headers=world.operator["headers"])
    assert len(outbox_events(identity_db, "InstitutionUpdated", institution_id=inst["id"])) == 1


def test_a_suspended_institution_admits_no_one(world):
    inst = world.institution(status="suspended")
    r = world.post(f"/institutions/{inst['id']}/admin-invitations", {"email": unique_email(), "name": "A"},
                   world.operator["headers"], expect=409)
    assert r.get_json()["type"].endswith("/institution-not-active")
    world.post("/mentees/registrations", world.registration(inst), expect=409)


# --- R2: mentors -------------------------------------------------------------------------------------------------

def test_mentor_invitation_is_single_use_and_enrolls(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    inv = world.mentor_invitation(inst, admin, criteria=["urim_identity", "teaching_award"])
    inspected = world.post("/invitations/inspect", {"token": inv["token"]}, expect=200).get_json()
    assert inspected["kind"] == "mentor" and inspected["institution"]["id"] == inst["id"]
    assert inspected["agreement"]["role"] == "mentor"
    user = world.accept(inv["token"], accept_agreement_version=inspected["agreement"]["version"])
    assert (user["role"], user["status"], user["institution_id"]) == ("mentor", "active", inst["id"])
    r = world.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD,
                                           "accept_agreement_version": 1}, expect=410)
    assert r.get_json()["type"].endswith("/invitation-accepted")
    [event] = outbox_events(identity_db, "MentorEnrolled", user_id=user["id"])
    assert set(event["data"]) == {"user_id", "institution_id", "name", "email"}
    me = world.get("/me", world.headers(user["email"]), expect=200).get_json()
    assert me["agreement"]["accepted_version"] == me["agreement"]["current_version"]
    # the admission basis is recorded, readable by the admin (audited)
    adm = world.get(f"/users/{user['id']}/admission", admin["headers"], expect=200, reason="annual review").get_json()
    assert adm["admissions"][0]["criteria"] == ["urim_identity", "teaching_award"]


def test_invitations_expire_and_can_be_revoked(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    inv = world.mentor_invitation(inst, admin)
    listed = world.get(f"/institutions/{inst['id']}/invitations", admin["headers"], expect=200).get_json()
    assert any(i["id"] == inv["id"] and i["state"] == "pending" and "token" not in i for i in listed)
    with identity_db.unit_of_work() as conn:
        conn.execute(sa.text("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = :i"),
                     {"i": inv["id"]})
    r = world.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD,
                                           "accept_agreement_version": 1}, expect=410)
    assert r.get_json()["type"].endswith("/invitation-expired")
    inv2 = world.mentor_invitation(inst, admin)
    world.post(f"/invitations/{inv2['id']}/revoke", None, admin["headers"], expect=200)
    world.post("/invitations/inspect", {"token": inv2["token"]}, expect=410)
    world.post("/invitations/inspect", {"token": "not-a-real-token-at-all"}, expect=404)


def test_invitation_ttl_is_configured_as_an_iso_duration(world, identity_app):
    from services.identity import settings as settings_module

    assert settings_module.load({}).invitation_ttl == timedelta(days=14)
    assert settings_module.load({"IDENTITY_INVITATION_TTL": "PT2S"}).invitation_ttl == timedelta(seconds=2)
    inst = world.institution()
    inv = world.post(f"/institutions/{inst['id']}/admin-invitations", {"email": unique_email(), "name": "A"},
                     world.operator["headers"], expect=201).get_json()
    from datetime import datetime
    created, expires = (datetime.fromisoformat(inv[k]) for k in ("created_at", "expires_at"))
    assert abs((expires - created) - timedelta(days=14)) < timedelta(seconds=5)


def test_nomination_by_an_active_mentor_becomes_an_invitation(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    email = unique_email("colleague")
    nom = world.post("/nominations", {"email": email, "name": "Col League", "evidence": "Brilliant teacher"},
                     mentor["headers"], expect=201).get_json()
    assert nom["status"] == "pending" and nom["nominator_id"] == mentor["id"]
    assert [n["id"] for n in world.get("/nominations", mentor["headers"], expect=200).get_json()] == [nom["id"]]
    approved = world.post(f"/nominations/{nom['id']}/approve", {"note": "welcome"}, admin["headers"],
                          expect=201).get_json()
    assert approved["nomination"]["status"] == "approved"
    user = world.accept(approved["invitation"]["token"], accept_agreement_version=world.agreement_version("mentor"))
    assert user["role"] == "mentor"
    adm = world.get(f"/users/{user['id']}/admission", world.operator["headers"], expect=200, reason="audit").get_json()
    assert adm["admissions"][0]["criteria"] == ["nominated_by_current_mentor"]
    assert adm["admissions"][0]["nominated_by"] == mentor["id"]
    world.post(f"/nominations/{nom['id']}/approve", {}, admin["headers"], expect=409)


def test_a_nomination_needs_the_nominator_still_active(world):
    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    nom = world.post("/nominations", {"email": unique_email(), "name": "C", "evidence": "e"}, mentor["headers"],
                     expect=201).get_json()
    world.post(f"/users/{mentor['id']}/deactivate", {"reason": "retired"}, admin["headers"], expect=200)
    r = world.post(f"/nominations/{nom['id']}/approve", {}, admin["headers"], expect=409)
    assert r.get_json()["type"].endswith("/nominator-not-active")
    world.post(f"/nominations/{nom['id']}/decline", {"note": "nominator left"}, admin["headers"], expect=200)
    # admins and mentees cannot nominate
    world.post("/nominations", {"email": unique_email(), "name": "C", "evidence": "e"}, admin["headers"], expect=403)


# --- R3, R4, R14: mentees ---------------------------------------------------------------------------------------------

def test_mentee_self_registration_then_approval(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    user = world.pending_mentee(inst)
    assert (user["role"], user["status"], user["institution_id"]) == ("mentee", "pending", inst["id"])
    r = world.post("/auth/token", {"email": user["email"], "password": PASSWORD}, expect=403)
    assert r.get_json()["type"].endswith("/account-not-active")
    pending = world.get(f"/institutions/{inst['id']}/mentee-applications", admin["headers"], expect=200).get_json()
    assert [u["id"] for u in pending] == [user["id"]]
    assert outbox_events(identity_db, "MenteeEnrolled", user_id=user["id"]) == []
    world.post(f"/mentees/{user['id']}/approve", {"note": "welcome"}, admin["headers"], expect=200)
    [event] = outbox_events(identity_db, "MenteeEnrolled", user_id=user["id"])
    # the facts mentors see of who is asking: the institution's name, training stage and graduation year —
    # nothing else of the profile (§6)
    assert event["data"] == {"user_id": user["id"], "institution_id": inst["id"], "name": "Mia Mentee",
                             "email": user["email"], "institution_name": inst["name"],
                             "training_stage": "medical_student", "expected_graduation_year": None}
    world.sign_in(user["email"])
    world.post(f"/mentees/{user['id']}/approve", {}, admin["headers"], expect=409)


def test_mentee_by_invitation_and_decline(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    inv = world.post(f"/institutions/{inst['id']}/mentee-invitations", {"email": unique_email(), "name": "Ima"},
                     admin["headers"], expect=201).get_json()
    user = world.accept(inv["token"], accept_agreement_version=world.agreement_version("mentee"), profile=world.mentee_profile(),
                        eligibility=["urim", "economically_disadvantaged"], attested=True)
    assert user["status"] == "pending"
    declined = world.post(f"/mentees/{user['id']}/decline", {"note": "not enrolled here"}, admin["headers"],
                          expect=200).get_json()
    assert declined["status"] == "declined"
    assert outbox_events(identity_db, "MenteeEnrolled", user_id=user["id"]) == []
    world.post("/auth/token", {"email": user["email"], "password": PASSWORD}, expect=403)


def test_enrollment_code_can_be_replaced(world):
    inst = world.institution()
    admin = world.admin(inst)
    new = world.post(f"/institutions/{inst['id']}/enrollment-code", None, admin["headers"], expect=200).get_json()
    assert new["enrollment_code"] != inst["enrollment_code"]
    r = world.post("/mentees/registrations", world.registration(inst), expect=422)
    assert r.get_json()["errors"][0]["pointer"] == "#/enrollment_code"
    world.post("/mentees/registrations", world.registration(new), expect=201)


# --- R5: agreements -----------------------------------------------------------------------------------------------

def test_a_new_agreement_version_must_be_accepted_before_acting(world):
    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    old_headers = mentor["headers"]
    v = world.post("/agreements/mentor", {"title": "Mentor agreement", "body": "Now with more responsibility."},
                   world.operator["headers"], expect=201).get_json()["version"]
    assert world.get("/agreements/mentor/current", expect=200).get_json()["version"] == v
    # acting with a token issued before: refused until the new version is accepted
    r = world.post("/nominations", {"email": unique_email(), "name": "C", "evidence": "e"}, old_headers, expect=403)
    assert r.get_json()["type"].endswith("/agreement-required") and r.get_json()["agreement"]["version"] == v
    # signing in: refused with the version to accept ...
    r = world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD}, expect=403)
    assert r.get_json()["agreement"]["version"] == v
    # ... accepting an old version is refused ...
    world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD, "accept_agreement_version": v - 1},
               expect=409)
    # ... accepting the current one signs in, and the acceptance is recorded with its time
    world.sign_in(mentor["email"], accept_agreement_version=v)
    me = world.get("/me", old_headers, expect=200).get_json()
    assert me["agreement"] == {"role": "mentor", "current_version": v, "accepted_version": v}
    world.post("/nominations", {"email": unique_email(), "name": "C", "evidence": "e"}, old_headers, expect=201)
    # the other way to accept: POST /me/agreements
    world.post("/agreements/mentor", {"title": "Mentor agreement", "body": "v+2"}, world.operator["headers"],
               expect=201)
    world.get("/users/" + mentor["id"], old_headers, expect=403)
    world.post("/me/agreements", {"version": v}, old_headers, expect=409)
    acc = world.post("/me/agreements", {"version": v + 1}, old_headers, expect=201).get_json()
    assert acc["version"] == v + 1 and acc["accepted_at"]
    world.get("/users/" + mentor["id"], old_headers, expect=200)
    versions = [a["version"] for a in world.get("/agreements/mentor", expect=200).get_json()]
    assert versions[:2] == [v + 1, v]


# --- R17, deactivation ---------------------------------------------------------------------------------------------

def test_exited_mentee_can_be_admitted_as_a_mentor(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)
    tokens = world.sign_in(mentee["email"])
    exited = world.post(f"/mentees/{mentee['id']}/exit", {"reason": "graduated"}, admin["headers"],
                        expect=200).get_json()
    assert exited["status"] == "exited"
    [event] = outbox_events(identity_db, "MenteeExited", user_id=mentee["id"])
    assert event["data"]["reason"] == "graduated"
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)
    world.post(f"/mentees/{mentee['id']}/exit", {"reason": "left"}, admin["headers"], expect=409)
    # the offer to stay on: a mentor invitation to the same person, through mentor admission (R2)
    other = world.institution()
    other_admin = world.admin(other)
    inv = world.mentor_invitation(other, other_admin, email=mentee["email"], criteria=["first_generation"])
    user = world.accept(inv["token"], accept_agreement_version=world.agreement_version("mentor"))
    assert (user["id"], user["role"], user["status"], user["institution_id"]) == \
        (mentee["id"], "mentor", "active", other["id"])
    assert len(outbox_events(identity_db, "MentorEnrolled", user_id=mentee["id"])) == 1
    world.sign_in(mentee["email"])
    # an active mentee's e-mail cannot be invited as a mentor
    active = world.mentee(inst, admin)
    world.post(f"/institutions/{inst['id']}/mentor-invitations",
               {"email": active["email"], "name": "X", "criteria": ["teaching_award"], "evidence": "e"},
               admin["headers"], expect=409)


def test_deactivation_by_admin_or_operator(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)
    world.post(f"/users/{admin['id']}/deactivate", {"reason": "me"}, admin["headers"], expect=409)
    r = world.post(f"/users/{mentee['id']}/deactivate", {"reason": "left"}, admin["headers"], expect=200)
    assert r.get_json()["status"] == "deactivated"
    [event] = outbox_events(identity_db, "UserDeactivated", user_id=mentee["id"])
    assert event["data"] == {"user_id": mentee["id"], "institution_id": inst["id"], "role": "mentee"}
    world.post(f"/users/{mentee['id']}/deactivate", {"reason": "again"}, admin["headers"], expect=409)
    world.post(f"/users/{admin['id']}/deactivate", {"reason": "left"}, world.operator["headers"], expect=200)
    world.get("/me", admin["headers"], expect=401)


@pytest.mark.slow  # two requests at once, in threads
def test_two_registrations_of_one_email_at_once_give_201_and_409(world, identity_app):
    import threading

    inst = world.institution()
    body = world.registration(inst)
    results = []
    barrier = threading.Barrier(4)

    def register():
        c = identity_app.test_client()
        barrier.wait()
        results.append(c.post("/api/v1/identity/mentees/registrations", json=body).status_code)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409]


def test_the_openapi_document_is_served_and_complete(client):
    spec = client.get("/api/v1/identity/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/identity/auth/token", "/api/v1/identity/.well-known/jwks.json",
                 "/api/v1/identity/institutions/{institution_id}/compliance", "/api/v1/identity/me",
                 "/api/v1/identity/invitations/accept", "/api/v1/identity/mentees/registrations"):
        assert path in paths, path
    assert paths["/api/v1/identity/institutions"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/api/v1/identity/auth/token"]["post"]
