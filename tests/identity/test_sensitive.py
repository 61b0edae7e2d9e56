"""§6: demographics, eligibility basis and mentor admission basis are read only by the person, their
institution's admins and operators; every read is audited; none of it reaches events, logs or errors."""
from __future__ import annotations

import json
import logging
import uuid

import sqlalchemy as sa

from tests.identity.conftest import PASSWORD, unique_email


def _audit_rows(database, subject_id):
    with database.sessions() as conn:
        return conn.execute(sa.text("SELECT actor_id::text, actor_role, record, purpose, request_id FROM sensitive_reads "
                                    "WHERE subject_id = :s ORDER BY seq"), {"s": subject_id}).all()


def test_every_read_is_audited_and_operators_can_query_the_log(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)
    profile = world.get(f"/mentees/{mentee['id']}/profile", mentee["headers"], expect=200).get_json()
    assert profile["eligibility"] == ["first_generation"]
    assert profile["demographics"]["race_ethnicity"] == ["Black or African American"]
    # an admin must say why
    r = world.get(f"/mentees/{mentee['id']}/profile", admin["headers"], expect=422)
    assert r.get_json()["errors"][0]["parameter"] == "reason"
    world.get(f"/mentees/{mentee['id']}/profile", admin["headers"], expect=200, reason="approval follow-up")
    world.get(f"/mentees/{mentee['id']}/profile", world.operator["headers"], expect=200, reason="program audit")
    rows = _audit_rows(identity_db, mentee["id"])
    assert [(r.actor_id, r.actor_role, r.record, r.purpose) for r in rows] == [
        (mentee["id"], "mentee", "mentee_profile", "own record"),
        (admin["id"], "institution_admin", "mentee_profile", "approval follow-up"),
        (world.operator["id"], "operator", "mentee_profile", "program audit"),
    ]
    assert all(r.request_id for r in rows)
    log = world.get("/audit/sensitive-reads", world.operator["headers"], expect=200, subject_id=mentee["id"]).get_json()
    assert [e["purpose"] for e in log] == ["program audit", "approval follow-up", "own record"]
    assert world.get("/audit/sensitive-reads", world.operator["headers"], expect=200,
                     actor_id=admin["id"]).get_json()[0]["subject_id"] == mentee["id"]
    world.get("/audit/sensitive-reads", admin["headers"], expect=403)
    world.get("/audit/sensitive-reads", mentee["headers"], expect=403)
    # reading the mentor admission basis is audited too
    mentor = world.mentor(inst, admin)
    world.get(f"/users/{mentor['id']}/admission", admin["headers"], expect=200, reason="promotion letter")
    assert [r.record for r in _audit_rows(identity_db, mentor["id"])] == ["mentor_admission"]


def test_a_mentee_updates_their_own_profile(world):
    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)
    r = world.c.put("/api/v1/identity/me/profile", json={"contact": {"phone": "+1 555 0199"}},
                    headers=mentee["headers"])
    assert r.status_code == 204
    profile = world.get(f"/mentees/{mentee['id']}/profile", mentee["headers"], expect=200).get_json()
    assert profile["contact"] == {"phone": "+1 555 0199"} and profile["eligibility"] == ["first_generation"]
    r = world.c.put("/api/v1/identity/me/profile", json={"eligibility": ["urim"]}, headers=mentee["headers"])
    assert r.status_code == 422


def test_a_changed_training_stage_or_year_and_nothing_else_reaches_mentors(world, identity_db):
    """MenteeProfileUpdated: published when the training stage or expected graduation year changes, for
    an enrolled mentee only, carrying those two facts and never the rest of the profile."""
    from shared.testing import outbox_events

    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)

    def put(body):
        r = world.c.put("/api/v1/identity/me/profile", json=body, headers=mentee["headers"])
        assert r.status_code == 204, r.get_json()

    def updates():
        return [e["data"] for e in outbox_events(identity_db, "MenteeProfileUpdated", user_id=mentee["id"])]

    demographics = world.mentee_profile()["demographics"]
    put({"contact": {"phone": "+1 555 0101"}})  # contact only: no event
    put({"demographics": {**demographics, "gender_identity": "nonbinary", "pronouns": "they/them"}})  # same stage
    assert updates() == []
    put({"demographics": {**demographics, "training_stage": "resident", "expected_graduation_year": 2028}})
    assert updates() == [{"user_id": mentee["id"], "institution_id": inst["id"], "training_stage": "resident",
                          "expected_graduation_year": 2028}]
    put({"demographics": {**demographics, "training_stage": "resident", "expected_graduation_year": 2028,
                          "race_ethnicity": ["Asian"]}})  # a repeat of the two: no event
    put({"demographics": {"race_ethnicity": ["Asian"]}})  # both cleared
    assert [(u["training_stage"], u["expected_graduation_year"]) for u in updates()] == \
        [("resident", 2028), (None, None)]
    # a pending applicant's changes travel with their MenteeEnrolled at approval, not before
    pending = world.pending_mentee(inst)
    assert outbox_events(identity_db, "MenteeProfileUpdated", user_id=pending["id"]) == []


def test_sensitive_values_reach_no_event_log_or_error(world, identity_db, caplog, capfd):
    marker_race = f"Race-{uuid.uuid4().hex[:8]}"
    marker_gender = f"Gender-{uuid.uuid4().hex[:8]}"
    marker_evidence = f"Evidence-{uuid.uuid4().hex[:8]}"
    caplog.set_level(logging.DEBUG)
    inst = world.institution()
    admin = world.admin(inst)
    reg = world.registration(inst, eligibility=["urim", "economically_disadvantaged"])
    reg["profile"]["demographics"].update(race_ethnicity=[marker_race], gender_identity=marker_gender)
    user = world.post("/mentees/registrations", reg, expect=201).get_json()
    world.post(f"/mentees/{user['id']}/approve", {}, admin["headers"], expect=200)
    world.get(f"/mentees/{user['id']}/profile", admin["headers"], expect=200, reason="check")
    world.post(f"/mentees/{user['id']}/exit", {"reason": "graduated"}, admin["headers"], expect=200)
    inv = world.post(f"/institutions/{inst['id']}/mentor-invitations",
                     {"email": unique_email(), "name": "M", "criteria": ["low_ses_upbringing", "urim_identity"],
                      "evidence": marker_evidence}, admin["headers"], expect=201).get_json()
    mentor = world.accept(inv["token"], accept_agreement_version=world.agreement_version("mentor"))
    world.get(f"/users/{mentor['id']}/admission", admin["headers"], expect=200, reason="check")
    # error answers do not echo what was sent
    bad = world.registration(inst, eligibility=[marker_race])
    r = world.post("/mentees/registrations", bad, expect=422)
    assert marker_race not in r.get_data(as_text=True)
    # events: ids and the minimum facts, nothing of the profile or the admission basis
    with identity_db.sessions() as conn:
        bodies = [json.dumps(b) for b in conn.execute(sa.text("SELECT body FROM outbox")).scalars()]
    mine = [b for b in bodies if user["id"] in b or mentor["id"] in b]
    assert sorted(json.loads(b)["type"].split(".")[3] for b in mine) == [
        "MenteeEnrolled", "MenteeExited", "MentorEnrolled", "SessionsRevoked"]  # the exit revokes the mentee's tokens
    for body in bodies:
        for forbidden in (marker_race, marker_gender, marker_evidence, "economically_disadvantaged",
                          "low_ses_upbringing", "urim_identity", "first_generation", "eligibility", "criteria",
                          "demographics"):
            assert forbidden not in body
    # logs
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records) + capfd.readouterr().err
    for forbidden in (marker_race, marker_gender, marker_evidence, PASSWORD):
        assert forbidden not in logged


def test_the_event_contracts_have_no_sensitive_fields():
    from shared.events import registry

    sensitive = {"eligibility", "criteria", "evidence", "demographics", "race_ethnicity", "first_generation",
                 "economically_disadvantaged", "urim", "gender_identity", "contact", "phone", "nominated_by",
                 "hispanic_or_latino", "pronouns", "birth_year", "mailing_address", "preferred_email"}
    for et in registry.all_types():
        if et.service == "identity":
            assert not sensitive & set(et.schema().fields), et.name


def test_an_application_review_reads_the_eligibility_basis_only_and_is_audited(world, identity_db):
    """The admin deciding an application (R4) sees what the mentee attested — not their demographics or
    contact — says why, and the read is in the audit log as its own kind of record."""
    inst = world.institution()
    admin = world.admin(inst)
    applicant = world.pending_mentee(inst)
    path = f"/mentees/{applicant['id']}/eligibility"
    r = world.get(path, admin["headers"], expect=422)
    assert r.get_json()["errors"][0]["parameter"] == "reason"
    got = world.get(path, admin["headers"], expect=200, reason="application review").get_json()
    assert got["eligibility"] == ["first_generation"] and got["status"] == "pending"
    assert got["name"] == "Mia Mentee" and got["admitted_via"] == "enrollment_code" and got["attested_at"]
    assert not {"demographics", "contact", "email"} & set(got)
    # other institutions' admins and the mentee themselves are refused; nothing is audited for them
    other = world.admin(world.institution())
    world.get(path, other["headers"], expect=404, reason="curious")
    enrolled = world.mentee(inst, admin)
    world.get(f"/mentees/{enrolled['id']}/eligibility", enrolled["headers"], expect=403, reason="mine")
    rows = _audit_rows(identity_db, applicant["id"])
    assert [(r.actor_id, r.record, r.purpose) for r in rows] == [(admin["id"], "mentee_eligibility",
                                                                   "application review")]


def test_the_audit_log_names_the_reader_and_the_person_read_about(world):
    inst = world.institution()
    admin = world.admin(inst)
    mentee = world.mentee(inst, admin)
    world.get(f"/mentees/{mentee['id']}/profile", admin["headers"], expect=200, reason="follow-up")
    [entry] = world.get("/audit/sensitive-reads", world.operator["headers"], expect=200,
                        subject_id=mentee["id"]).get_json()
    assert (entry["actor_name"], entry["subject_name"]) == ("Ada Admin", "Mia Mentee")
    assert entry["actor_id"] == admin["id"] and entry["subject_id"] == mentee["id"]


def test_the_openapi_document_types_what_the_web_client_reads(client):
    """The web client is generated from this document: computed fields carry their types."""
    schemas = client.get("/api/v1/identity/openapi.json").get_json()["components"]["schemas"]
    assert schemas["InvitationOut"]["properties"]["state"]["enum"] == ["pending", "accepted", "revoked", "expired"]
    assert schemas["InstitutionAdminOut"]["properties"]["minimum_mentors"]["type"] == "integer"
    assert schemas["InstitutionAdminOut"]["properties"]["size_tier"]["type"] == "string"
    assert set(schemas["MenteeEligibilityOut"]["properties"]) == {
        "user_id", "institution_id", "name", "status", "eligibility", "attested_at", "admitted_via"}
