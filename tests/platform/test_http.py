"""Every service's HTTP surface on the shared app factory: problem+json errors, request ids, probes,
OpenAPI, body limit — and token verification as every service does it."""
from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared import config
from shared.app import create_service_app
from shared.auth import TokenVerifier, require
from shared.errors import Problem
from shared.testing import SigningKeys

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=config.SERVICES)
def client(request, service_app):
    return service_app(request.param).test_client(), request.param


def test_unknown_path_is_a_404_problem(client):
    c, name = client
    r = c.get(f"/api/v1/{name}/no-such-thing")
    assert r.status_code == 404 and r.content_type == PROBLEM
    assert r.json["status"] == 404 and r.json["title"] == "Not Found" and "type" in r.json


def test_wrong_method_is_a_405_problem_with_allow(client):
    c, name = client
    r = c.delete(f"/api/v1/{name}/openapi.json")
    assert r.status_code == 405 and r.content_type == PROBLEM and "GET" in r.headers["Allow"]


def test_request_id_is_taken_or_made_and_returned(client):
    c, name = client
    assert c.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    made = c.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert uuid.UUID(made)


def test_probes_and_openapi(client):
    c, name = client
    assert c.get("/healthz").json == {"status": "ok"}
    ready = c.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == ready.json["checks"]["broker"] == "ok"
    assert set(ready.json["checks"].values()) == {"ok"}
    assert b"mmm_http_requests_total" in c.get("/metrics").data
    spec = c.get(f"/api/v1/{name}/openapi.json").json
    assert spec["openapi"].startswith("3.1") and "bearerAuth" in spec["components"]["securitySchemes"]


# --- the factory's error handling, on a probe blueprint ------------------------------------------

class Thing(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True)
    tags = fields.List(fields.String())


blp = Blueprint("things", __name__, url_prefix="/things")


@blp.route("")
class Things(MethodView):
    @require("operator")
    @blp.arguments(Thing)
    @blp.response(201, Thing)
    def post(self, data):
        if data["name"] == "taken":
            raise Problem(409, "name-taken", "Conflict", "That name is taken.")
        if data["name"] == "boom":
            raise RuntimeError("secret internal detail")
        return data


@pytest.fixture(scope="module")
def probe_app(infrastructure):
    keys = SigningKeys()
    app = create_service_app("training", [blp], title="probe", description="probe",
                             overrides={"AUTH_JWKS_LOADER": lambda: keys.jwks, "MAX_CONTENT_LENGTH": 10_000})
    return app.test_client(), keys


def _auth(keys, role="operator", **kw):
    return {"Authorization": "Bearer " + keys.mint(role, **kw)}


def test_validation_errors_point_at_each_field(probe_app):
    c, keys = probe_app
    r = c.post("/api/v1/training/things", json={"name": 1, "tags": [2], "extra": True}, headers=_auth(keys))
    assert r.status_code == 422 and r.content_type == PROBLEM
    pointers = {e["pointer"]: e["detail"] for e in r.json["errors"]}
    assert set(pointers) == {"#/name", "#/count", "#/tags/0", "#/extra"}


def test_malformed_json_is_422_and_wrong_media_type_415(probe_app):
    c, keys = probe_app
    r = c.post("/api/v1/training/things", data="{nope", content_type="application/json", headers=_auth(keys))
    assert r.status_code == 422 and r.content_type == PROBLEM and r.json["title"] == "Malformed JSON"
    r = c.post("/api/v1/training/things", data="name=x", content_type="application/x-www-form-urlencoded",
               headers=_auth(keys))
    assert r.status_code == 415 and r.content_type == PROBLEM


def test_conflict_and_internal_error_are_problems_without_a_trace(probe_app):
    c, keys = probe_app
    r = c.post("/api/v1/training/things", json={"name": "taken", "count": 1}, headers=_auth(keys))
    assert r.status_code == 409 and r.json["type"].endswith("/name-taken")
    r = c.post("/api/v1/training/things", json={"name": "boom", "count": 1}, headers=_auth(keys))
    assert r.status_code == 500 and r.content_type == PROBLEM
    assert "secret" not in r.get_data(as_text=True) and "Traceback" not in r.get_data(as_text=True)


def test_body_over_the_limit_is_413_problem(probe_app):
    c, keys = probe_app
    r = c.post("/api/v1/training/things", json={"name": "x" * 20_000, "count": 1}, headers=_auth(keys))
    assert r.status_code == 413 and r.content_type == PROBLEM


def test_authentication_comes_before_validation_and_roles_are_enforced(probe_app):
    c, keys = probe_app
    r = c.post("/api/v1/training/things", json={"bad": 1})
    assert r.status_code == 401 and r.content_type == PROBLEM and "Bearer" in r.headers["WWW-Authenticate"]
    r = c.post("/api/v1/training/things", json={"name": "x", "count": 1}, headers=_auth(keys, "mentee"))
    assert r.status_code == 403 and r.content_type == PROBLEM


# --- token verification, as every service does it ---------------------------------------------------

@pytest.fixture(scope="module")
def verifier_and_keys():
    keys = SigningKeys()
    return TokenVerifier(lambda: keys.jwks, min_refresh=0), keys


def test_a_good_token_gives_its_principal(verifier_and_keys):
    verifier, keys = verifier_and_keys
    inst = uuid.uuid4()
    p = verifier.verify(keys.mint("institution_admin", inst=inst))
    assert p.role == "institution_admin" and p.institution_id == inst and p.is_admin_of(inst)
    assert not p.can_see_institution(uuid.uuid4())


@pytest.mark.parametrize("bad", ["expired", "other-key", "alg-none", "hs256", "wrong-audience", "wrong-issuer",
                                 "no-exp", "unknown-role", "garbage"])
def test_bad_tokens_are_refused(verifier_and_keys, bad):
    verifier, keys = verifier_and_keys
    if bad == "expired":
        token = keys.mint("mentee", ttl=timedelta(minutes=-5))
    elif bad == "other-key":
        token = SigningKeys(kid=keys.kid).mint("mentee")  # same key id, different key
    elif bad == "alg-none":
        token = jwt.encode({"sub": str(uuid.uuid4()), "role": "operator", "iss": "mentormemed-identity",
                            "aud": "mentormemed", "exp": 9999999999, "iat": 1}, None, algorithm="none",
                           headers={"kid": keys.kid})
    elif bad == "hs256":
        token = jwt.encode({"sub": str(uuid.uuid4()), "role": "operator", "iss": "mentormemed-identity",
                            "aud": "mentormemed", "exp": 9999999999, "iat": 1}, "a-shared-secret-of-32-bytes-or-more!",
                           algorithm="HS256", headers={"kid": keys.kid})
    elif bad == "wrong-audience":
        token = keys.mint("mentee", aud="someone-else")
    elif bad == "wrong-issuer":
        token = keys.mint("mentee", iss="someone-else")
    elif bad == "no-exp":
        token = keys.mint("mentee", exp=None)
    elif bad == "unknown-role":
        token = keys.mint("superuser")
    else:
        token = "not.a.token"
    with pytest.raises(Problem) as err:
        verifier.verify(token)
    assert err.value.status == 401


def test_an_unknown_key_id_refreshes_the_jwks_once(verifier_and_keys):
    calls = []
    old, new = SigningKeys(), SigningKeys()
    current = {"keys": old.jwks["keys"]}

    def loader():
        calls.append(1)
        return current

    verifier = TokenVerifier(loader, min_refresh=0)
    verifier.verify(old.mint("mentee"))
    current = {"keys": old.jwks["keys"] + new.jwks["keys"]}  # identity rotated its key
    verifier.verify(new.mint("mentee"))
    verifier.verify(old.mint("mentee"))  # old key still trusted: nobody is signed out
    assert len(calls) == 2
