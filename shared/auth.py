"""Verification of identity's EdDSA access tokens, and role and object-level access checks.

Every service verifies tokens locally against identity's JWKS (one synchronous read-only HTTP call,
cached for at most JWKS_MAX_AGE; refreshed when a token names an unknown key id, at most once per
JWKS_MIN_REFRESH seconds, 1 by default). A failed load keeps the keys already known and is tried again
by the next request after JWKS_MIN_REFRESH, so an API that started while identity was unreachable
trusts its keys within a second of identity answering; meanwhile a token signed with a key it could
not load is answered 503 with Retry-After, not 401 (the token is not at fault).
The algorithm is pinned to EdDSA; `iss`, `aud`, `exp`, `iat`, `sub` and `role` are required.
A token issued before its user or its session was revoked (deactivation, ejection, exit, sign-out) is
refused: shared/revocation.py.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
import requests
from flask import current_app, g, request

from shared import config, revocation
from shared.domain_errors import not_found
from shared.errors import Problem
from shared.lru import LRU

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
ROLES = ("mentee", "mentor", "institution_admin", "operator")


def issuer() -> str:
    return config.env("AUTH_ISSUER", "mentormemed-identity")


def audience() -> str:
    return config.env("AUTH_AUDIENCE", "mentormemed")


def jwks_url() -> str:
    return config.env("AUTH_JWKS_URL", config.service_url("identity") + "/api/v1/identity/.well-known/jwks.json")


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    role: str
    institution_id: uuid.UUID | None
    # When the token was issued (epoch seconds) and the sign-in session it belongs to: what revocation checks.
    issued_at: float | None = field(default=None, compare=False)
    session_id: uuid.UUID | None = field(default=None, compare=False)

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def is_admin_of(self, institution_id: uuid.UUID | None) -> bool:
        return self.role == "institution_admin" and institution_id is not None and self.institution_id == institution_id

    def manages(self, institution_id: uuid.UUID | None) -> bool:
        """Operators manage every institution; an institution admin only their own."""
        return self.is_operator or self.is_admin_of(institution_id)

    def can_see_institution(self, institution_id: uuid.UUID | None) -> bool:
        """Operators see every institution; anyone else only their own."""
        return self.is_operator or (institution_id is not None and self.institution_id == institution_id)


class JwksCache:
    def __init__(self, loader: Callable[[], dict], min_refresh: float = 1.0, max_age: float = 300.0):
        self._loader = loader
        self.failing = False  # the last load failed: keys published since may be unknown here
        self._max_age = max_age
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at = 0.0
        self._attempted_at = float("-inf")
        self._min_refresh = min_refresh
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK | None:
        # Reload when a token names an unknown key (rotation), and at least every max_age seconds so
        # that a key identity withdrew stops being trusted (checked again under the lock, so that
        # concurrent requests reload once).
        # A request for a key not yet known while another thread is loading waits for that load rather
        # than answering "unknown key" (a worker's first concurrent requests all got 401).
        if self._stale(kid) or (kid not in self._keys and self._lock.locked()):
            with self._lock:
                if self._stale(kid):
                    self._refresh()
        return self._keys.get(kid)

    def _stale(self, kid: str) -> bool:
        now = time.monotonic()
        if now - self._attempted_at < self._min_refresh:  # at most one load per min_refresh, even failing
            return False
        return kid not in self._keys or now - self._loaded_at >= self._max_age

    def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            jwks = self._loader()
        except Exception as exc:  # noqa: BLE001 - identity unreachable: keep the keys we have
            self.failing = True
            log.warning("could not load JWKS", extra={"error": repr(exc)})
            return
        keys = {}
        for item in jwks.get("keys", []):
            if item.get("kty") == "OKP" and item.get("crv") == "Ed25519" and item.get("kid"):
                keys[item["kid"]] = jwt.PyJWK(item, algorithm=ALGORITHM)
        self._keys = keys
        self._loaded_at = time.monotonic()
        self.failing = False


def http_jwks_loader(url: str | None = None) -> Callable[[], dict]:
    def load() -> dict:
        response = requests.get(url or jwks_url(), timeout=3)
        response.raise_for_status()
        return response.json()

    return load


class TokenVerifier:
    def __init__(self, loader: Callable[[], dict] | None = None, *, iss: str | None = None,
                 aud: str | None = None, min_refresh: float | None = None):
        self.jwks = JwksCache(loader or http_jwks_loader(),
                              float(config.env("JWKS_MIN_REFRESH", "1")) if min_refresh is None else min_refresh,
                              config.duration("JWKS_MAX_AGE", "PT5M").total_seconds())
        self.iss = iss or issuer()
        self.aud = aud or audience()
        # Tokens already verified: a client sends the same access token with every request, and a
        # signature check costs more than the rest of a cached search. An entry is used only while
        # the token is unexpired, its key is still published and for at most TOKEN_CACHE_SECONDS.
        self._verified = LRU(self.TOKEN_CACHE_SIZE)  # token -> (principal, exp, kid, verified at)

    TOKEN_CACHE_SECONDS = 60.0
    TOKEN_CACHE_SIZE = 10_000
    LEEWAY = 5

    def verify(self, token: str) -> Principal:
        entry = self._verified.get(token)
        if entry is not None:
            principal, exp, kid, at = entry
            if time.time() < exp + self.LEEWAY and time.monotonic() - at < self.TOKEN_CACHE_SECONDS \
                    and self.jwks.key(kid) is not None:
                return principal
            self._verified.pop(token)
        principal, exp, kid = self._verify(token)
        self._verified.put(token, (principal, exp, kid, time.monotonic()))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("The access token is malformed.") from None
        if header.get("alg") != ALGORITHM:
            raise _unauthorized("The access token's algorithm is not accepted.")
        kid = str(header.get("kid", ""))
        key = self.jwks.key(kid)
        if key is None:
            if self.jwks.failing:
                raise Problem(503, "keys-unavailable", "Service Unavailable",
                              "Access tokens cannot be checked right now: the sign-in service is not reachable. "
                              "Try again in a moment.", headers={"Retry-After": "1"})
            raise _unauthorized("The access token is signed with an unknown key.")
        try:
            claims = jwt.decode(token, key.key, algorithms=[ALGORITHM], audience=self.aud, issuer=self.iss,
                                options={"require": ["exp", "iss", "aud", "sub", "iat"]}, leeway=self.LEEWAY)
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The access token has expired.") from None
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"The access token is invalid: {exc}.") from None
        role = claims.get("role")
        if role not in ROLES:
            raise _unauthorized("The access token carries no valid role.")
        try:
            inst = uuid.UUID(claims["inst"]) if claims.get("inst") else None
            sid = uuid.UUID(str(claims["sid"])) if claims.get("sid") else None
            principal = Principal(id=uuid.UUID(claims["sub"]), role=role, institution_id=inst,
                                  issued_at=float(claims["iat"]), session_id=sid)
            return principal, float(claims["exp"]), kid
        except (ValueError, TypeError):
            raise _unauthorized("The access token's subject is invalid.") from None


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", detail)


def verifier() -> TokenVerifier:
    ext = current_app.extensions["mmm"]
    if ext.verifier is None:
        ext.verifier = TokenVerifier(current_app.config.get("AUTH_JWKS_LOADER"))
    return ext.verifier


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Sign in: send 'Authorization: Bearer <access token>'.")
        principal = verifier().verify(token.strip())
        if revocation.for_app(current_app).refuses(principal.id, principal.session_id, principal.issued_at):
            raise _unauthorized(revocation.DETAIL)
        g.principal = principal
    return principal


def require(*roles: str):
    """Decorator: the caller must hold a valid token and, when roles are named, one of them."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            principal = current_principal()
            if roles and principal.role not in roles:
                raise Problem(403, "forbidden", "Forbidden", "Your role may not do this.")
            return fn(*args, **kwargs)

        # flask-smorest reads this to document the security requirement
        apidoc = dict(getattr(fn, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual.setdefault("security", [{"bearerAuth": []}])
        manual.setdefault("x-roles", list(roles or ROLES))  # who may call it (tests fuzz it as each of them)
        manual.setdefault("responses", {}).update({
            "401": {"description": "Missing, expired or invalid access token"},
            "403": {"description": "The caller's role may not do this"},
        })
        apidoc["manual_doc"] = manual
        inner._apidoc = apidoc
        return inner

    return wrap


def visible_or_404(condition: bool, what: str = "resource") -> None:
    """Object-level check: an object the caller may not see does not exist for them."""
    if not condition:
        raise not_found(what)
