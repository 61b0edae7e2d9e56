"""Browsers keep the refresh token in an HttpOnly, SameSite=Strict cookie limited to the auth paths
(Secure except on plain-http loopback); the JSON flow stays for mobile and other clients."""
from __future__ import annotations

from http.cookies import SimpleCookie

from tests.identity.conftest import PASSWORD, PREFIX

COOKIE = "mmm_refresh"


def _set_cookie(response) -> SimpleCookie:
    (header,) = response.headers.getlist("Set-Cookie")
    jar = SimpleCookie()
    jar.load(header)
    return jar


def test_a_browser_signs_in_refreshes_and_signs_out_with_the_cookie(world, identity_app):
    admin = world.admin(world.institution())
    browser = identity_app.test_client()  # its own cookie jar
    site = {"base_url": "https://mentormemed.example.org"}  # the browser's own site, over https
    r = browser.post(PREFIX + "/auth/token", json={"email": admin["email"], "password": PASSWORD,
                                                   "refresh_in": "cookie"}, **site)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert "refresh_token" not in body and body["access_token"] and body["refresh_expires_in"] > 0
    header = r.headers["Set-Cookie"]
    cookie = _set_cookie(r)[COOKIE]
    assert cookie["path"] == "/api/v1/identity/auth" and cookie["httponly"] and cookie["secure"]
    assert cookie["samesite"] == "Strict" and int(cookie["max-age"]) == body["refresh_expires_in"]
    assert r.headers["Cache-Control"] == "no-store" and "Domain" not in header
    first = cookie.value

    # silent refresh: no token in the body, the cookie is sent and rotated
    r = browser.post(PREFIX + "/auth/refresh", json={}, **site)
    assert r.status_code == 200, r.get_json()
    assert "refresh_token" not in r.get_json() and r.get_json()["access_token"]
    second = _set_cookie(r)[COOKIE].value
    assert second != first

    # the old cookie value, replayed, is reuse: the whole family is revoked
    thief = identity_app.test_client()
    thief.set_cookie(COOKIE, first, path="/api/v1/identity/auth")
    assert thief.post(PREFIX + "/auth/refresh", json={}).status_code == 401
    assert browser.post(PREFIX + "/auth/refresh", json={}, **site).status_code == 401


def test_sign_out_revokes_and_clears_the_cookie(world, identity_app):
    admin = world.admin(world.institution())
    browser = identity_app.test_client()
    browser.post(PREFIX + "/auth/token", json={"email": admin["email"], "password": PASSWORD, "refresh_in": "cookie"})
    r = browser.post(PREFIX + "/auth/signout", json={})
    assert r.status_code == 204
    cleared = _set_cookie(r)[COOKIE]
    assert cleared.value == "" and int(cleared["max-age"]) == 0 and cleared["path"] == "/api/v1/identity/auth"
    assert browser.post(PREFIX + "/auth/refresh", json={}).status_code == 422  # no cookie any more


def test_the_cookie_is_not_secure_only_on_plain_http_loopback(world, identity_app):
    admin = world.admin(world.institution())
    for host, proto, secure in (("127.0.0.1:8080", "http", False), ("localhost:8080", "http", False),
                                ("[::1]:8080", "http", False), ("127.0.0.1:8080", "https", True),
                                ("mentormemed.example.org", "http", True)):
        r = identity_app.test_client().post(
            PREFIX + "/auth/token", json={"email": admin["email"], "password": PASSWORD, "refresh_in": "cookie"},
            headers={"Host": host, "X-Forwarded-Proto": proto})
        assert r.status_code == 200
        assert bool(_set_cookie(r)[COOKIE]["secure"]) is secure, (host, proto)


def test_mobile_clients_keep_the_json_flow(world, identity_app):
    admin = world.admin(world.institution())
    app = identity_app.test_client()
    r = app.post(PREFIX + "/auth/token", json={"email": admin["email"], "password": PASSWORD})
    tokens = r.get_json()
    assert tokens["refresh_token"] and "Set-Cookie" not in r.headers
    r = app.post(PREFIX + "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200 and r.get_json()["refresh_token"] and "Set-Cookie" not in r.headers
    assert app.post(PREFIX + "/auth/signout", json={"refresh_token": r.get_json()["refresh_token"]}).status_code == 204
    bad = app.post(PREFIX + "/auth/token", json={"email": admin["email"], "password": PASSWORD, "refresh_in": "jar"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "#/refresh_in"
    missing = app.post(PREFIX + "/auth/refresh", json={})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["pointer"] == "#/refresh_token"
