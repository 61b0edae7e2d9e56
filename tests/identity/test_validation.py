"""Bad input on every endpoint: malformed JSON, wrong types, missing fields and unknown fields give 422
problem+json and write nothing; no payload can set its sender's (or anyone's) role, institution or status."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.identity.conftest import PASSWORD, PREFIX, World, unique_email

TABLES = ("institutions", "users", "mentee_profiles", "mentor_admissions", "invitations", "nominations",
          "agreements", "agreement_acceptances", "refresh_tokens", "sensitive_reads", "outbox")


def snapshot(database) -> dict:
    with database.sessions() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        counts["users_state"] = conn.execute(sa.text(
            "SELECT md5(string_agg(id::text || role || status || coalesce(institution_id::text, '') || "
            "failed_signins::text, ',' ORDER BY id)) FROM users")).scalar()
        counts["institutions_state"] = conn.execute(sa.text(
            "SELECT md5(string_agg(id::text || name || class_size::text || subscription_status || enrollment_code, "
            "',' ORDER BY id)) FROM institutions")).scalar()
    return counts


@pytest.fixture(scope="module")
def setting(identity_app):
    w = World(identity_app, identity_app.test_client())
    inst = w.institution()
    admin = w.admin(inst)
    mentor = w.mentor(inst, admin)
    mentee = w.mentee(inst, admin)
    pending = w.pending_mentee(inst)
    admin_inv = w.post(f"/institutions/{inst['id']}/admin-invitations", {"email": unique_email(), "name": "A"},
                       w.operator["headers"], expect=201).get_json()
    nomination = w.post("/nominations", {"email": unique_email(), "name": "N", "evidence": "e"}, mentor["headers"],
                        expect=201).get_json()
    tokens = w.sign_in(admin["email"])
    return {"w": w, "inst": inst, "admin": admin, "mentor": mentor, "mentee": mentee, "pending": pending,
            "admin_inv": admin_inv, "nomination": nomination, "tokens": tokens}


def endpoints(s) -> list[tuple]:
    """(name, method, path, who, valid body, wrong-types body, body with required fields missing)."""
    i, p, m = s["inst"]["id"], s["pending"]["id"], s["mentee"]["id"]
    n, mentor = s["nomination"]["id"], s["mentor"]["id"]
    contact = {"name": "C", "email": unique_email()}
    profile = {"demographics": {"race_ethnicity": ["Black"]}, "contact": {"phone": "1"}}
    return [
        ("create institution", "post", "/institutions", "operator",
         {"name": "X", "kind": "academic", "class_size": 10, "contact": contact},
         {"name": 5, "kind": "academic", "class_size": "ten", "contact": "c"}, {"name": "X"}),
        ("update institution", "patch", f"/institutions/{i}", "operator", {"class_size": 120},
         {"class_size": "many"}, {}),
        ("set reward policy", "put", f"/institutions/{i}/reward-policy", "admin", {"cme_credit": {"offered": True}},
         {"cme_credit": {"offered": "sometimes", "details": 3}}, {"cme_credit": {"details": "no offered"}}),
        ("invite admin", "post", f"/institutions/{i}/admin-invitations", "operator",
         {"email": unique_email(), "name": "A"}, {"email": 3, "name": ["A"]}, {"name": "A"}),
        ("invite mentor", "post", f"/institutions/{i}/mentor-invitations", "admin",
         {"email": unique_email(), "name": "M", "criteria": ["teaching_award"], "evidence": "e"},
         {"email": unique_email(), "name": "M", "criteria": "teaching_award", "evidence": 7},
         {"email": unique_email(), "name": "M", "evidence": "e"}),
        ("invite mentee", "post", f"/institutions/{i}/mentee-invitations", "admin",
         {"email": unique_email(), "name": "M"}, {"email": unique_email(), "name": True}, {"email": unique_email()}),
        ("inspect invitation", "post", "/invitations/inspect", None, {"token": s["admin_inv"]["token"]},
         {"token": 12345678901}, {}),
        ("accept invitation", "post", "/invitations/accept", None,
         {"token": s["admin_inv"]["token"], "password": PASSWORD},
         {"token": s["admin_inv"]["token"], "password": 1234567890123}, {"token": s["admin_inv"]["token"]}),
        ("nominate", "post", "/nominations", "mentor", {"email": unique_email(), "name": "N", "evidence": "e"},
         {"email": unique_email(), "name": "N", "evidence": {"x": 1}}, {"email": unique_email(), "name": "N"}),
        ("approve nomination", "post", f"/nominations/{n}/approve", "admin", {"note": "ok"}, {"note": 1}, None),
        ("decline nomination", "post", f"/nominations/{n}/decline", "admin", {"note": "no"}, {"note": [1]}, None),
        ("register mentee", "post", "/mentees/registrations", None,
         {"enrollment_code": s["inst"]["enrollment_code"], "email": unique_email(), "name": "R", "password": PASSWORD,
          "accept_agreement_version": 1, "profile": profile, "eligibility": ["urim"], "attested": True},
         {"enrollment_code": s["inst"]["enrollment_code"], "email": unique_email(), "name": "R",
          "password": PASSWORD, "accept_agreement_version": "one", "profile": profile, "eligibility": "urim",
          "attested": "maybe"},
         {"enrollment_code": s["inst"]["enrollment_code"], "email": unique_email(), "password": PASSWORD}),
        ("approve mentee", "post", f"/mentees/{p}/approve", "admin", {"note": "ok"}, {"note": False}, None),
        ("decline mentee", "post", f"/mentees/{p}/decline", "admin", {"note": "no"}, {"note": 3.5}, None),
        ("exit mentee", "post", f"/mentees/{m}/exit", "admin", {"reason": "graduated"}, {"reason": 1}, {}),
        ("update own profile", "put", "/me/profile", "mentee", {"contact": {"phone": "2"}},
         {"contact": {"phone": 2}}, {}),
        ("accept agreement", "post", "/me/agreements", "mentor", {"version": 1}, {"version": "1"}, {}),
        ("deactivate", "post", f"/users/{m}/deactivate", "admin", {"reason": "r"}, {"reason": None}, {}),
        ("reinstate", "post", f"/users/{mentor}/reinstate", "operator", {"reason": "r"}, {"reason": 0}, {}),
        ("publish agreement", "post", "/agreements/mentee", "operator", {"title": "t", "body": "b"},
         {"title": "t", "body": ["b"]}, {"title": "t"}),
        ("sign in", "post", "/auth/token", None, {"email": s["admin"]["email"], "password": PASSWORD},
         {"email": s["admin"]["email"], "password": 12}, {"email": s["admin"]["email"]}),
        ("refresh", "post", "/auth/refresh", None, {"refresh_token": s["tokens"]["refresh_token"]},
         {"refresh_token": 1}, {}),
        ("sign out", "post", "/auth/signout", None, {"refresh_token": s["tokens"]["refresh_token"]},
         {"refresh_token": ["x"]}, {}),
    ]


FORBIDDEN_FIELDS = [("role", "operator"), ("institution_id", str(uuid.uuid4())), ("inst", str(uuid.uuid4())),
                    ("status", "active"), ("id", str(uuid.uuid4())), ("surprise", 1)]


def call(w, method, path, who, s, **kw):
    headers = w.operator["headers"] if who == "operator" else (s[who]["headers"] if who else None)
    return getattr(w.c, method)(PREFIX + path, headers=headers, **kw)


def assert_422(r, what):
    assert r.status_code == 422, (what, r.status_code, r.get_json())
    assert r.content_type == "application/problem+json", what
    body = r.get_json()
    assert body["status"] == 422 and body["type"].startswith("https://mentormemed.org/problems/"), what


def test_every_endpoint_refuses_bad_input_and_writes_nothing(setting, identity_db):
    s, w = setting, setting["w"]
    w.operator  # make sure the operator exists before the snapshot
    cases = endpoints(s)
    before = snapshot(identity_db)
    for name, method, path, who, valid, wrong, missing in cases:
        r = call(w, method, path, who, s, data="{not: json", content_type="application/json")
        assert_422(r, (name, "malformed"))
        assert r.get_json()["type"].endswith("/malformed-json")
        r = call(w, method, path, who, s, json=wrong)
        assert_422(r, (name, "wrong types"))
        assert r.get_json()["errors"] and all(e["pointer"].startswith("#/") for e in r.get_json()["errors"])
        r = call(w, method, path, who, s, json=[valid])
        assert_422(r, (name, "an array instead of an object"))
        if missing is not None:
            assert_422(call(w, method, path, who, s, json=missing), (name, "missing"))
        for field, value in FORBIDDEN_FIELDS:
            r = call(w, method, path, who, s, json={**valid, field: value})
            assert_422(r, (name, "unknown field", field))
            assert {"pointer": f"#/{field}", "detail": "Unknown field."} in r.get_json()["errors"], (name, field)
    assert snapshot(identity_db) == before


def test_nested_unknown_fields_are_refused_too(setting, identity_db):
    s, w = setting, setting["w"]
    before = snapshot(identity_db)
    body = {"name": "X", "kind": "academic", "class_size": 10,
            "contact": {"name": "C", "email": unique_email(), "role": "operator"},
            "reward_policy": {"cme_credit": {"offered": True, "amount": 5}, "free_lunch": {"offered": True}}}
    r = w.post("/institutions", body, w.operator["headers"])
    assert_422(r, "nested")
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert {"#/contact/role", "#/reward_policy/cme_credit/amount", "#/reward_policy/free_lunch"} <= pointers
    reg = w.registration(s["inst"])
    reg["profile"]["demographics"]["status"] = "active"
    assert_422(w.post("/mentees/registrations", reg), "nested profile")
    assert snapshot(identity_db) == before


def test_query_parameters_are_validated(setting):
    s, w = setting, setting["w"]
    op = w.operator["headers"]
    assert_422(w.get("/users", op, role="king"), "role filter")
    assert_422(w.get("/users", op, limit="lots"), "limit")
    assert_422(w.get("/users", op, surprise="1"), "unknown query parameter")
    assert_422(w.get("/audit/sensitive-reads", op, since="yesterday"), "since")
    assert_422(w.get("/nominations", op, status="maybe"), "status")
    r = w.get(f"/mentees/{s['mentee']['id']}/profile", op, reason="x")
    assert_422(r, "reason too short")
    assert r.get_json()["errors"][0]["in"] == "query"


def test_domain_refusals_write_nothing(setting, identity_db):
    s, w = setting, setting["w"]
    before = snapshot(identity_db)
    # R2: a criterion is needed, and a nomination by a mentor needs an active mentor
    r = w.post(f"/institutions/{s['inst']['id']}/mentor-invitations",
               {"email": unique_email(), "name": "M", "criteria": [], "evidence": "e"}, s["admin"]["headers"])
    assert_422(r, "no criterion")
    r = w.post(f"/institutions/{s['inst']['id']}/mentor-invitations",
               {"email": unique_email(), "name": "M", "criteria": ["nominated_by_current_mentor"], "evidence": "e",
                "nominated_by": s["mentee"]["id"]}, s["admin"]["headers"])
    assert_422(r, "nominator is not a mentor")
    # R4: eligibility attested, with one basis at least
    assert_422(w.post("/mentees/registrations", w.registration(s["inst"], attested=False)), "not attested")
    assert_422(w.post("/mentees/registrations", w.registration(s["inst"], eligibility=[])), "no basis")
    assert_422(w.post("/mentees/registrations", w.registration(s["inst"], enrollment_code="NOPE-NOPE")), "bad code")
    # an e-mail already in use
    r = w.post("/mentees/registrations", w.registration(s["inst"], email=s["mentor"]["email"]))
    assert r.status_code == 409
    # a mentee invitation accepted without the profile
    inv = w.post(f"/institutions/{s['inst']['id']}/mentee-invitations", {"email": unique_email(), "name": "I"},
                 s["admin"]["headers"], expect=201).get_json()
    after_invite = snapshot(identity_db)
    assert_422(w.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD,
                                              "accept_agreement_version": 1}), "mentee without profile")
    assert_422(w.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD,
                                              "profile": w.mentee_profile(), "eligibility": ["urim"],
                                              "attested": True}), "agreement not accepted")
    r = w.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD, "accept_agreement_version": 99,
                                       "profile": w.mentee_profile(), "eligibility": ["urim"], "attested": True})
    assert r.status_code == 409
    assert snapshot(identity_db) == after_invite
    before["invitations"] += 1
    before["outbox"] += 1  # its InvitationIssued
    assert snapshot(identity_db) == before
