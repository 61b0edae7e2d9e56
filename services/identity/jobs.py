"""Periodic jobs of the identity service."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from services.identity import settings as settings_module
from services.identity.models import RefreshToken
from services.identity.tokens import KeyRing, now
from shared.db import Database
from shared.jobs import Job


def rotate_keys(database: Database) -> int:
    """Rotate the signing key when it is older than IDENTITY_KEY_ROTATION; forget keys whose tokens
    have all expired."""
    ring = KeyRing(settings_module.load())
    with database.unit_of_work() as session:
        rotated = ring.rotate_if_due(session)
        pruned = ring.prune(session)
    return int(rotated) + pruned


def purge_refresh_tokens(database: Database) -> int:
    """Delete refresh tokens that expired more than a day ago."""
    with database.unit_of_work() as session:
        result = session.execute(sa.delete(RefreshToken).where(RefreshToken.expires_at < now() - timedelta(days=1)))
        return result.rowcount or 0


jobs = [
    Job("identity.rotate-signing-keys", timedelta(hours=1), rotate_keys),
    Job("identity.purge-refresh-tokens", timedelta(hours=6), purge_refresh_tokens),
]
