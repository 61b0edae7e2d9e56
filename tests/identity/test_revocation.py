"""identity's side of revocation: what it records (its own revoked_subjects row and SessionsRevoked, in
the revoking transaction) for a deactivation, an exit, a sign-out and a reused refresh token; its
tokens carry a fractional `iat` and the session (`sid`); and it refuses a revoked token itself."""
from __future__ import annotations

import time
import uuid

import jwt
import pytest
import sqlalchemy as sa

from shared import revocation
from shared.testing import outbox_events
from tests.identity.conftest import PASSWORD, bearer

pytestmark = pytest.mark.slow  # the revocation list reads what was committed, on a connection of its own


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _not_before(identity_db, subject) -> float | None:
    with identity_db.sessions() as conn:
        return conn.scalar(sa.text("SELECT EXTRACT(EPOCH FROM not_before)::float8 FROM revoked_subjects "
                                   "WHERE subject_id = :s"), {"s": uuid.UUID(str(subject))})


def _refused_soon(world, headers, path="/me") -> None:
    """Refused as revoked within the process's refresh interval (until then, identity may refuse a person
    no longer active in its own words, or serve a signed-out session)."""
    deadline = time.monotonic() + revocation.for_app(world.app).refresh_every + 2
    while (r := world.get(path, headers)).status_code != 401 or r.get_json()["detail"] != revocation.DETAIL:
        assert r.status_code in (200, 401) and time.monotonic() < deadline, (r.status_code, r.get_json())
        time.sleep(0.05)


def test_tokens_name_their_session_and_their_time_to_the_microsecond(world):
    admin = world.admin(world.institution())
    first, second = world.sign_in(admin["email"]), world.sign_in(admin["email"])
    a, b = _claims(first["access_token"]), _claims(second["access_token"])
    assert isinstance(a["iat"], float) and a["exp"] - a["iat"] == 900
    assert a["sid"] != b["sid"]  # two sign-ins, two sessions
    renewed = _claims(world.post("/auth/refresh", {"refresh_token": first["refresh_token"]}, expect=200)
                      .get_json()["access_token"])
    assert renewed["sid"] == a["sid"] and renewed["iat"] > a["iat"]


def test_signing_out_revokes_that_session_only(world, identity_db):
    admin = world.admin(world.institution())
    laptop, phone = world.sign_in(admin["email"]), world.sign_in(admin["email"])
    sid = _claims(laptop["access_token"])["sid"]
    world.post("/auth/signout", {"refresh_token": laptop["refresh_token"]}, expect=204)
    [event] = outbox_events(identity_db, "SessionsRevoked", session_id=sid)
    assert event["data"]["user_id"] == admin["id"] and event["data"]["reason"] == "signed-out"
    assert _not_before(identity_db, sid) > _claims(laptop["access_token"])["iat"]
    assert _not_before(identity_db, admin["id"]) is None
    _refused_soon(world, bearer(laptop["access_token"]))
    world.get("/me", bearer(phone["access_token"]), expect=200)
    world.get("/me", world.headers(admin["email"]), expect=200)  # a new sign-in


def test_a_reused_refresh_token_revokes_its_session_everywhere(world, identity_db):
    admin = world.admin(world.institution())
    tokens = world.sign_in(admin["email"])
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=200)
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)  # a stolen copy
    sid = _claims(tokens["access_token"])["sid"]
    [event] = outbox_events(identity_db, "SessionsRevoked", session_id=sid)
    assert event["data"]["reason"] == "reuse-detected"
    _refused_soon(world, bearer(tokens["access_token"]))


def test_deactivation_and_exit_revoke_the_person_in_the_same_transaction(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    mentor, mentee = world.mentor(inst, admin), world.mentee(inst, admin)
    world.post(f"/users/{mentor['id']}/deactivate", {"reason": "left"}, admin["headers"], expect=200)
    world.post(f"/mentees/{mentee['id']}/exit", {"reason": "graduated"}, admin["headers"], expect=200)
    for person, reason in ((mentor, "deactivated"), (mentee, "exited")):
        [event] = outbox_events(identity_db, "SessionsRevoked", user_id=person["id"])
        assert event["data"]["reason"] == reason and event["data"]["session_id"] is None
        assert _not_before(identity_db, person["id"]) is not None
        _refused_soon(world, person["headers"])
    world.get("/me", admin["headers"], expect=200)
    world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD}, expect=403)
