"""Credentials: argon2id password hashes, Ed25519 signing keys kept in the database (JWKS, rotation),
EdDSA access tokens and opaque rotating refresh tokens.

Rotation signs no one out: the retired key stays in the JWKS until every access token it signed has
expired (`published_until` = retirement + access-token lifetime + a margin), and refresh tokens are
opaque database rows that do not depend on any signing key.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2 import exceptions as argon2_errors
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import orm

from services.identity.models import RefreshToken, SigningKey
from services.identity.settings import Argon2Params, Settings
from shared import revocation
from shared.auth import ALGORITHM

PUBLISH_MARGIN = timedelta(minutes=5)  # beyond the access-token lifetime, for clock skew
_KEY_LOCK = 7_301_001  # pg advisory lock id for creating or rotating keys


def now() -> datetime:
    return datetime.now(timezone.utc)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def opaque_token() -> str:
    return secrets.token_urlsafe(32)


# --- passwords -------------------------------------------------------------------------------------------

class Passwords:
    """argon2id with explicit parameters; hashes made with older parameters are upgraded at sign-in."""

    def __init__(self, params: Argon2Params):
        self.hasher = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                                     parallelism=params.parallelism, hash_len=params.hash_len,
                                     salt_len=params.salt_len, type=Type.ID)
        # Verified against when the e-mail is unknown, so that the answer takes as long either way.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


# --- signing keys -------------------------------------------------------------------------------------------

class KeyRing:
    """Reads the active key from the database at each issuance (so replicas agree at once after a
    rotation) and keeps deserialised private keys in memory."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._lock = threading.Lock()

    def _passphrase(self) -> bytes | None:
        return self.settings.key_passphrase.encode() if self.settings.key_passphrase else None

    def _new_key(self, session: orm.Session) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        passphrase = self._passphrase()
        encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                      else serialization.NoEncryption())
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        kid = f"{now():%Y%m%d}-{secrets.token_hex(6)}"
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
        key = SigningKey(kid=kid, private_pem=pem.decode(),
                         public_jwk={**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}, created_at=now())
        session.add(key)
        session.flush()
        with self._lock:
            self._private[kid] = private
        return key

    def active(self, session: orm.Session) -> SigningKey:
        query = sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
        key = session.scalars(query).first()
        if key is None:
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(_KEY_LOCK)))
            key = session.scalars(query).first() or self._new_key(session)
        return key

    def private_key(self, key: SigningKey) -> Ed25519PrivateKey:
        with self._lock:
            cached = self._private.get(key.kid)
        if cached is None:
            cached = serialization.load_pem_private_key(key.private_pem.encode(), password=self._passphrase())
            with self._lock:
                self._private[key.kid] = cached
        return cached

    def rotate(self, session: orm.Session) -> SigningKey:
        """Retire the active key (still published until its tokens expire) and start a new one."""
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_KEY_LOCK)))
        at = now()
        for old in session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))):
            old.retired_at = at
            old.published_until = at + self.settings.access_ttl + PUBLISH_MARGIN
        return self._new_key(session)

    def rotate_if_due(self, session: orm.Session) -> bool:
        key = self.active(session)
        if now() - key.created_at >= self.settings.key_rotation:
            self.rotate(session)
            return True
        return False

    @staticmethod
    def prune(session: orm.Session) -> int:
        """Delete keys no longer published: every token they signed has expired."""
        result = session.execute(sa.delete(SigningKey).where(SigningKey.published_until < now()))
        return result.rowcount or 0

    @staticmethod
    def jwks(session: orm.Session) -> dict:
        keys = session.scalars(
            sa.select(SigningKey)
            .where(sa.or_(SigningKey.published_until.is_(None), SigningKey.published_until > now()))
            .order_by(SigningKey.created_at.desc())
        ).all()
        return {"keys": [k.public_jwk for k in keys]}

    def sign(self, session: orm.Session, claims: dict) -> str:
        key = self.active(session)
        return jwt.encode(claims, self.private_key(key), algorithm=ALGORITHM, headers={"kid": key.kid})


def issue_access_token(session: orm.Session, keyring: KeyRing, *, user_id: uuid.UUID, role: str,
                       institution_id: uuid.UUID | None, session_id: uuid.UUID | None = None) -> tuple[str, int]:
    """`iat` (and `exp`) to the microsecond (a JSON number may have a fraction), so that a token issued
    just after a revocation is told apart from one issued just before it; `sid` names the sign-in session (the refresh
    token family), so that signing out revokes that session's access tokens everywhere."""
    s = keyring.settings
    issued = now().timestamp()
    claims = {
        "iss": s.issuer, "aud": s.audience, "sub": str(user_id), "role": role,
        "inst": str(institution_id) if institution_id else None,
        "iat": issued, "exp": issued + s.access_ttl.total_seconds(), "jti": secrets.token_hex(12),
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return keyring.sign(session, claims), int(s.access_ttl.total_seconds())


# --- refresh tokens ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    expires_in: int


def issue_refresh_token(session: orm.Session, settings: Settings, user_id: uuid.UUID,
                        family_id: uuid.UUID | None = None) -> IssuedRefresh:
    token = opaque_token()
    session.add(RefreshToken(family_id=family_id or uuid.uuid4(), user_id=user_id, token_hash=sha256(token),
                             issued_at=now(), expires_at=now() + settings.refresh_ttl))
    return IssuedRefresh(token, int(settings.refresh_ttl.total_seconds()))


def find_refresh_token(session: orm.Session, token: str, *, lock: bool = True) -> RefreshToken | None:
    query = sa.select(RefreshToken).where(RefreshToken.token_hash == sha256(token))
    return session.scalars(query.with_for_update(), execution_options={"populate_existing": True}).first() \
        if lock else session.scalars(query).first()


# Why tokens were revoked, as the refresh-token rows say it -> as SessionsRevoked says it.
_REVOCATION_REASONS = {"signed out": "signed-out", "reuse detected": "reuse-detected", "deactivated": "deactivated",
                       "ejected": "ejected", "exited": "exited", "role changed": "role-changed"}


def revoke_family(session: orm.Session, family_id: uuid.UUID, reason: str, *,
                  user_id: uuid.UUID | None = None) -> None:
    """Revoke a sign-in session's refresh tokens; given its user, also the access tokens it issued, in
    every service (shared/revocation.py)."""
    session.execute(sa.update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now(), revoked_reason=reason))
    if user_id is not None:
        revocation.revoke(session, user_id=user_id, session_id=family_id, reason=_REVOCATION_REASONS[reason])


def revoke_user_tokens(session: orm.Session, user_id: uuid.UUID, reason: str) -> None:
    """Revoke every refresh token of the user and every access token issued to them until now, in every
    service. Callers hold the user's row lock, which sign-in and refresh take too (FOR SHARE): a token
    is issued either before this not_before or after the new status is visible."""
    session.execute(sa.update(RefreshToken)
                    .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now(), revoked_reason=reason))
    revocation.revoke(session, user_id=user_id, reason=_REVOCATION_REASONS[reason])
