"""Sign-in, refresh rotation and reuse detection, sign-out, lockout, JWKS and key rotation, and the
refusal of bad tokens by identity and by the verification every other service uses."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import sqlalchemy as sa

from shared import testing
from shared.auth import TokenVerifier
from shared.errors import Problem
from tests.identity.conftest import PASSWORD, PREFIX, bearer


def test_sign_in_gives_an_eddsa_token_with_the_claims(world, client):
    inst = world.institution()
    admin = world.admin(inst)
    body = world.sign_in(admin["email"])
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_token"] and body["refresh_expires_in"] > 0
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    jwks = client.get(PREFIX + "/.well-known/jwks.json").get_json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    claims = jwt.decode(body["access_token"], jwt.PyJWK(key).key, algorithms=["EdDSA"], audience="mentormemed",
                        issuer="mentormemed-identity")
    assert claims["sub"] == admin["id"] and claims["role"] == "institution_admin" and claims["inst"] == inst["id"]
    assert claims["exp"] - claims["iat"] == 900 and claims["jti"]
    me = client.get(PREFIX + "/me", headers=bearer(body["access_token"])).get_json()
    assert me["user"]["id"] == admin["id"] and me["agreement"] is None


def test_email_is_case_insensitive_and_wrong_password_is_401(world):
    inst = world.institution()
    admin = world.admin(inst)
    world.sign_in(admin["email"].upper())
    r = world.post("/auth/token", {"email": admin["email"], "password": "wrong password"}, expect=401)
    assert r.content_type == "application/problem+json"
    r2 = world.post("/auth/token", {"email": "nobody-" + admin["email"], "password": "wrong password"}, expect=401)
    assert r.get_json()["detail"] == r2.get_json()["detail"]


def test_passwords_are_argon2id_with_the_configured_parameters(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    with identity_db.sessions() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users WHERE id = :i"), {"i": admin["id"]}).scalar()
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_refresh_rotates_and_reuse_revokes_the_family(world):
    inst = world.institution()
    admin = world.admin(inst)
    first = world.sign_in(admin["email"])
    second = world.post("/auth/refresh", {"refresh_token": first["refresh_token"]}, expect=200).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    third = world.post("/auth/refresh", {"refresh_token": second["refresh_token"]}, expect=200).get_json()
    # the first token is replayed: the whole family, including the newest token, is revoked
    world.post("/auth/refresh", {"refresh_token": first["refresh_token"]}, expect=401)
    world.post("/auth/refresh", {"refresh_token": third["refresh_token"]}, expect=401)
    # another sign-in (another family) is unaffected
    other = world.sign_in(admin["email"])
    world.post("/auth/refresh", {"refresh_token": other["refresh_token"]}, expect=200)


def test_sign_out_revokes_the_refresh_token(world):
    inst = world.institution()
    admin = world.admin(inst)
    tokens = world.sign_in(admin["email"])
    world.post("/auth/signout", {"refresh_token": tokens["refresh_token"]}, expect=204)
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)
    world.post("/auth/signout", {"refresh_token": "x" * 43}, expect=204)  # unknown: nothing to say


def test_repeated_failures_lock_the_account_for_a_while(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    for _ in range(3):  # IDENTITY_LOCKOUT_FREE_ATTEMPTS = 3 in these tests
        world.post("/auth/token", {"email": admin["email"], "password": "wrong password"}, expect=401)
    r = world.post("/auth/token", {"email": admin["email"], "password": PASSWORD}, expect=429)
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    assert r.get_json()["type"].endswith("/signin-locked")
    # once the lock has passed, the right password works and resets the count
    with identity_db.unit_of_work() as conn:
        conn.execute(sa.text("UPDATE users SET locked_until = now() - interval '1 second' WHERE id = :i"),
                     {"i": admin["id"]})
    world.sign_in(admin["email"])
    with identity_db.sessions() as conn:
        assert conn.execute(sa.text("SELECT failed_signins FROM users WHERE id = :i"), {"i": admin["id"]}).scalar() == 0


def test_deactivated_user_cannot_sign_in_refresh_or_act(world):
    inst = world.institution()
    admin = world.admin(inst)
    mentor = world.mentor(inst, admin)
    tokens = world.sign_in(mentor["email"])
    world.post(f"/users/{mentor['id']}/deactivate", {"reason": "left the faculty"}, admin["headers"], expect=200)
    world.post("/auth/token", {"email": mentor["email"], "password": PASSWORD}, expect=403)
    world.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)
    # the access token is still unexpired, but identity checks the account at each use
    world.get("/me", bearer(tokens["access_token"]), expect=401)


def test_key_rotation_signs_no_one_out(world, client):
    inst = world.institution()
    admin = world.admin(inst)
    old = world.sign_in(admin["email"])
    old_kid = jwt.get_unverified_header(old["access_token"])["kid"]
    rotated = world.post("/keys/rotate", None, world.operator["headers"], expect=201).get_json()
    assert rotated["kid"] != old_kid
    kids = {k["kid"] for k in client.get(PREFIX + "/.well-known/jwks.json").get_json()["keys"]}
    assert {old_kid, rotated["kid"]} <= kids
    world.get("/me", bearer(old["access_token"]), expect=200)  # the old access token still works
    new = world.post("/auth/refresh", {"refresh_token": old["refresh_token"]}, expect=200).get_json()
    assert jwt.get_unverified_header(new["access_token"])["kid"] == rotated["kid"]
    world.get("/me", bearer(new["access_token"]), expect=200)
    listed = world.get("/keys", world.operator["headers"], expect=200).get_json()
    assert any(k["kid"] == old_kid and k["retired_at"] for k in listed)
    world.post("/keys/rotate", None, admin["headers"], expect=403)


def test_private_keys_are_encrypted_when_a_passphrase_is_set(identity_db):
    from services.identity import settings as settings_module
    from services.identity.tokens import KeyRing

    ring = KeyRing(settings_module.load({"IDENTITY_KEY_PASSPHRASE": "s3cret passphrase"}))
    with identity_db.unit_of_work() as session:
        key = ring._new_key(session)
        assert "ENCRYPTED" in key.private_pem
        ring._private.clear()
        assert ring.private_key(key) is not None
        session.rollback()


# --- bad tokens -------------------------------------------------------------------------------------------------

def _claims(sub: str, role: str, inst: str | None, **over) -> dict:
    now = datetime.now(timezone.utc)
    claims = {"iss": "mentormemed-identity", "aud": "mentormemed", "sub": sub, "role": role, "inst": inst,
              "iat": now, "exp": now + timedelta(minutes=5), "jti": uuid.uuid4().hex}
    claims.update(over)
    return claims


@pytest.fixture()
def bad_tokens(world, identity_app, identity_db):
    """A valid token and the five kinds of bad token, all for a real, active admin."""
    inst = world.institution()
    admin = world.admin(inst)
    ring = identity_app.extensions["identity"].keyring
    with identity_db.unit_of_work() as session:
        key = ring.active(session)
        kid, private = key.kid, ring.private_key(key)
    base = (admin["id"], "institution_admin", inst["id"])
    now = datetime.now(timezone.utc)

    def signed(**over):
        return jwt.encode(_claims(*base, **over), private, algorithm="EdDSA", headers={"kid": kid})

    public_x = jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)["x"]

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def raw_token(alg: str, secret: bytes | None) -> str:
        claims = _claims(*base)
        claims["iat"], claims["exp"] = int(claims["iat"].timestamp()), int(claims["exp"].timestamp())
        head = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}).encode())
        body = b64(json.dumps(claims).encode())
        if secret is None:  # alg "none": no signature
            return f"{head}.{body}."
        # HS256 keyed with the public key: the classic algorithm-confusion attack
        sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64(sig)}"

    other = testing.SigningKeys(kid=kid)  # another key, even under the same key id
    return {
        "valid": signed(),
        "bad": {
            "expired": signed(iat=now - timedelta(hours=1), exp=now - timedelta(minutes=10)),
            "another_key": other.mint("institution_admin", sub=uuid.UUID(admin["id"]), inst=uuid.UUID(inst["id"])),
            "alg_none": raw_token("none", None),
            "hs256": raw_token("HS256", public_x.encode()),
            "wrong_audience": signed(aud="some-other-platform"),
            "wrong_issuer": signed(iss="someone-else"),
        },
    }


def test_identity_refuses_every_bad_token(world, bad_tokens):
    world.get("/me", bearer(bad_tokens["valid"]), expect=200)
    for kind, token in bad_tokens["bad"].items():
        for path in ("/me", "/institutions", "/users"):
            r = world.get(path, bearer(token))
            assert r.status_code == 401, (kind, path, r.get_json())
            assert r.content_type == "application/problem+json"
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    world.get("/me", expect=401)
    world.get("/me", {"Authorization": "Basic abc"}, expect=401)


def test_other_services_refuse_every_bad_token(client, bad_tokens, service_app):
    """Every other service verifies with shared.auth against identity's published JWKS."""
    def published_jwks():
        return client.get(PREFIX + "/.well-known/jwks.json").get_json()

    verifier = TokenVerifier(published_jwks, min_refresh=0)
    assert verifier.verify(bad_tokens["valid"]).role == "institution_admin"
    for kind, token in bad_tokens["bad"].items():
        with pytest.raises(Problem) as exc:
            verifier.verify(token)
        assert exc.value.status == 401, kind

    from shared.auth import verifier as app_verifier

    training = service_app("training", AUTH_JWKS_LOADER=published_jwks)
    with training.test_request_context():
        assert app_verifier().verify(bad_tokens["valid"]).role == "institution_admin"
        for kind, token in bad_tokens["bad"].items():
            with pytest.raises(Problem) as exc:
                app_verifier().verify(token)
            assert exc.value.status == 401, kind


def test_rotation_job_rotates_old_keys_and_forgets_expired_ones(world, identity_app, identity_db, client):
    from services.identity.jobs import purge_refresh_tokens, rotate_keys

    settings = identity_app.extensions["identity"].settings  # the app's, as the worker's would be
    inst = world.institution()
    admin = world.admin(inst)
    token = world.sign_in(admin["email"])["access_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    with identity_db.unit_of_work() as conn:
        conn.execute(sa.text("UPDATE signing_keys SET created_at = now() - interval '31 days' WHERE kid = :k"),
                     {"k": kid})
    assert rotate_keys(identity_db, settings) >= 1
    jwks = {k["kid"] for k in client.get(PREFIX + "/.well-known/jwks.json").get_json()["keys"]}
    assert kid in jwks and len(jwks) >= 2  # the retired key is still published
    world.get("/me", bearer(token), expect=200)
    with identity_db.unit_of_work() as conn:
        conn.execute(sa.text("UPDATE signing_keys SET published_until = now() - interval '1 second' WHERE kid = :k"),
                     {"k": kid})
    rotate_keys(identity_db, settings)
    jwks = {k["kid"] for k in client.get(PREFIX + "/.well-known/jwks.json").get_json()["keys"]}
    assert kid not in jwks
    assert purge_refresh_tokens(identity_db) >= 0


def test_a_verified_token_is_remembered_only_while_it_and_its_key_are_valid(monkeypatch):
    """The shared verifier checks a token's signature once, then remembers it — never past the
    token's expiry, TOKEN_CACHE_SECONDS, or its key leaving the published JWKS."""
    import time as real_time

    from shared import auth

    keys = testing.SigningKeys()
    published = {"jwks": keys.jwks}
    verifier = TokenVerifier(lambda: published["jwks"], min_refresh=0)
    checks = []
    original = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda token: checks.append(token) or original(token))
    token = keys.mint("mentee", ttl=timedelta(minutes=5))
    assert verifier.verify(token) == verifier.verify(token) and len(checks) == 1
    later = real_time.monotonic() + TokenVerifier.TOKEN_CACHE_SECONDS + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    verifier.verify(token)
    assert len(checks) == 2  # remembered for at most TOKEN_CACHE_SECONDS
    monkeypatch.undo()
    monkeypatch.setattr(verifier, "_verify", lambda token: checks.append(token) or original(token))
    expired = real_time.time() + 3600
    monkeypatch.setattr(auth.time, "time", lambda: expired)
    verifier.verify(token)
    assert len(checks) == 3  # past its expiry it is checked again (and PyJWT's clock decides)
    monkeypatch.setattr(auth.time, "time", real_time.time)
    published["jwks"] = {"keys": []}  # the key is withdrawn
    verifier.jwks._max_age = 0
    with pytest.raises(Problem) as exc:
        verifier.verify(token)
    assert exc.value.status == 401


def test_jwks_is_reloaded_after_max_age_but_not_more_than_once_per_min_refresh_while_identity_is_down():
    from shared.auth import JwksCache

    keys = testing.SigningKeys()
    loads, answer = [], {"jwks": keys.jwks}

    def loader():
        loads.append(1)
        if answer["jwks"] is None:
            raise ConnectionError("identity is down")
        return answer["jwks"]

    cache = JwksCache(loader, min_refresh=0.2, max_age=0.3)
    assert cache.key(keys.kid) is not None and cache.key(keys.kid) is not None and len(loads) == 1
    import time

    time.sleep(0.35)
    answer["jwks"] = {"keys": []}  # withdrawn: gone once max_age has passed
    assert cache.key(keys.kid) is None and len(loads) == 2
    answer["jwks"] = None  # identity down: one attempt per min_refresh, not one per request
    time.sleep(0.35)
    for _ in range(20):
        cache.key("unknown")
    assert len(loads) == 3


def test_concurrent_first_requests_wait_for_the_jwks_being_loaded():
    """A worker's first requests arrive together: those that find the keys being loaded wait for the
    load instead of answering 'unknown key' (3 of 4 did, before)."""
    import threading
    import time

    from shared.auth import JwksCache

    keys = testing.SigningKeys()

    def slow_loader():
        time.sleep(0.3)
        return keys.jwks

    cache = JwksCache(slow_loader, min_refresh=10, max_age=300)
    barrier, found = threading.Barrier(4), []

    def ask():
        barrier.wait()
        found.append(cache.key(keys.kid) is not None)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert found == [True] * 4
