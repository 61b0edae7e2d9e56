"""InvitationIssued (the token travels only in the event, for the invitation e-mail),
IDENTITY_INVITATION_TOKEN_IN_RESPONSE, and InstitutionAdminEnrolled."""
from __future__ import annotations

import logging
from datetime import datetime

import pytest
import sqlalchemy as sa

from services.identity import settings as settings_module
from shared.events.relay import OutboxRelay
from shared.testing import outbox_events
from tests.identity.conftest import FAST, PASSWORD, World, unique_email

SETTING = "IDENTITY_INVITATION_TOKEN_IN_RESPONSE"


@pytest.fixture(scope="module")
def quiet_app(service_app):
    """The identity app as production runs it: invitation tokens are not in the inviter's response."""
    return service_app("identity", **FAST, **{SETTING: "off"})


@pytest.fixture()
def quiet(quiet_app):
    return World(quiet_app, quiet_app.test_client())


def issued(database, invitation_id: str) -> dict:
    [event] = outbox_events(database, "InvitationIssued", invitation_id=invitation_id)
    return event


def _logged(records) -> str:
    """Everything a log record could write: its message, arguments, extra fields and exception."""
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.extend(repr(v) for v in record.__dict__.values())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_setting_is_off_unless_turned_on(monkeypatch):
    monkeypatch.delenv(SETTING, raising=False)
    assert settings_module.load().invitation_token_in_response is False
    assert settings_module.load({SETTING: "on"}).invitation_token_in_response is True
    monkeypatch.setenv(SETTING, "on")
    assert settings_module.load().invitation_token_in_response is True
    assert settings_module.load({SETTING: "off"}).invitation_token_in_response is False


@pytest.mark.slow  # the outbox relay reads what was committed
def test_without_the_setting_only_the_event_carries_the_token_and_it_is_never_logged(quiet, identity_db, caplog):
    caplog.set_level(logging.DEBUG)
    op = quiet.operator["headers"]
    inst = quiet.institution(class_size=30)
    admin_email = unique_email("admin")
    r = quiet.post(f"/institutions/{inst['id']}/admin-invitations", {"email": admin_email, "name": "Ada Admin"},
                   op, expect=201)
    invitation = r.get_json()
    assert "token" not in invitation and "token" not in r.get_data(as_text=True)
    event = issued(identity_db, invitation["id"])
    token = event["data"]["token"]
    assert event["subject"] == f"invitations/{invitation['id']}"
    assert event["data"] == {
        "invitation_id": invitation["id"], "institution_id": inst["id"], "institution_name": inst["name"],
        "role": "institution_admin", "name": "Ada Admin", "email": admin_email, "token": token,
        "expires_at": event["data"]["expires_at"]}
    assert datetime.fromisoformat(event["data"]["expires_at"]) == datetime.fromisoformat(invitation["expires_at"])

    # the token from the event (that is, from the e-mail) accepts the invitation
    quiet.post("/invitations/inspect", {"token": token}, expect=200)
    admin_user = quiet.accept(token)
    admin = {**admin_user, "headers": quiet.headers(admin_email)}
    tokens = [token]

    # the mentor and mentee invitations and a nomination's approval: no token in the response either
    mentor_email = unique_email("mentor")
    r = quiet.post(f"/institutions/{inst['id']}/mentor-invitations",
                   {"email": mentor_email, "name": "Max Mentor", "criteria": ["teaching_award"],
                    "evidence": "Teaching award 2024"}, admin["headers"], expect=201)
    assert "token" not in r.get_json()
    mentor_event = issued(identity_db, r.get_json()["id"])
    assert (mentor_event["data"]["role"], mentor_event["data"]["email"]) == ("mentor", mentor_email)
    tokens.append(mentor_event["data"]["token"])
    mentor = quiet.accept(tokens[-1], accept_agreement_version=quiet.agreement_version("mentor"))
    assert mentor["role"] == "mentor" and mentor["status"] == "active"

    r = quiet.post(f"/institutions/{inst['id']}/mentee-invitations", {"email": unique_email("mentee"),
                                                                     "name": "Mia Mentee"},
                   admin["headers"], expect=201)
    assert "token" not in r.get_json()
    tokens.append(issued(identity_db, r.get_json()["id"])["data"]["token"])

    mentor_h = quiet.headers(mentor_email)
    nomination = quiet.post("/nominations", {"email": unique_email("colleague"), "name": "Col League",
                                             "evidence": "A born teacher"}, mentor_h, expect=201).get_json()
    r = quiet.post(f"/nominations/{nomination['id']}/approve", {}, admin["headers"], expect=201)
    approved = r.get_json()
    assert "token" not in approved["invitation"] and "token" not in r.get_data(as_text=True)
    nominee_event = issued(identity_db, approved["invitation"]["id"])
    assert nominee_event["data"]["role"] == "mentor" and nominee_event["data"]["name"] == "Col League"
    tokens.append(nominee_event["data"]["token"])

    # the list of invitations never shows a token
    listed = quiet.get(f"/institutions/{inst['id']}/invitations", admin["headers"], expect=200)
    # the relay publishes the events (InvitationIssued included) without logging their bodies
    relay = OutboxRelay(identity_db, service="identity")
    try:
        while relay.publish_pending():
            pass
    finally:
        relay._close_broker()

    assert len(set(tokens)) == 4
    # once published, the outbox keeps no token (a secret field of the contract)
    with identity_db.sessions() as conn:
        kept = conn.execute(sa.text("SELECT body::text FROM outbox WHERE event_type LIKE '%.InvitationIssued.v1' "
                                    "AND published_at IS NOT NULL")).scalars().all()
    assert kept and not [t for t in tokens if any(t in body for body in kept)]
    assert all('"token": "(redacted once published)"' in body for body in kept)
    logged = _logged(caplog.records)
    for secret in tokens:
        assert secret not in listed.get_data(as_text=True)
        assert secret not in logged


def test_with_the_setting_on_the_response_carries_the_token(world, identity_db):
    inst = world.institution()
    r = world.post(f"/institutions/{inst['id']}/admin-invitations", {"email": unique_email("admin"), "name": "Ada"},
                   world.operator["headers"], expect=201).get_json()
    assert r["token"] == issued(identity_db, r["id"])["data"]["token"]
    admin = world.admin(inst)
    inv = world.mentor_invitation(inst, admin)
    assert inv["token"] == issued(identity_db, inv["id"])["data"]["token"]


def test_the_response_schema_says_when_the_token_is_present(client):
    spec = client.get("/api/v1/identity/openapi.json").get_json()
    token = spec["components"]["schemas"]["InvitationCreated"]["properties"]["token"]
    assert SETTING in token["description"]


def test_an_admin_accepting_their_invitation_is_enrolled(world, identity_db):
    inst = world.institution()
    email = unique_email("admin")
    inv = world.post(f"/institutions/{inst['id']}/admin-invitations", {"email": email, "name": "Ada Admin"},
                     world.operator["headers"], expect=201).get_json()
    assert outbox_events(identity_db, "InstitutionAdminEnrolled", institution_id=inst["id"]) == []
    user = world.post("/invitations/accept", {"token": inv["token"], "password": PASSWORD, "name": "Ada B. Admin"},
                      expect=201).get_json()
    [event] = outbox_events(identity_db, "InstitutionAdminEnrolled", institution_id=inst["id"])
    assert event["subject"] == f"users/{user['id']}"
    assert event["data"] == {"user_id": user["id"], "institution_id": inst["id"], "name": "Ada B. Admin",
                             "email": email}
    # mentors and mentees are not institution admins
    admin = {**user, "headers": world.headers(email)}
    world.mentor(inst, admin)
    world.mentee(inst, admin)
    assert len(outbox_events(identity_db, "InstitutionAdminEnrolled", institution_id=inst["id"])) == 1
