"""Periodic jobs of the identity service."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

import sqlalchemy as sa

from services.identity.models import RefreshToken
from services.identity.settings import Settings
from services.identity.tokens import KeyRing, now
from shared.db import Database
from shared.jobs import Job


def rotate_keys(database: Database, settings: Settings) -> int:
    """Rotate the signing key when it is older than IDENTITY_KEY_ROTATION; forget keys whose tokens
    have all expired."""
    ring = KeyRing(settings)
    with database.unit_of_work() as session:
        rotated = ring.rotate_if_due(session)
        pruned = ring.prune(session)
    return int(rotated) + pruned


def purge_refresh_tokens(database: Database) -> int:
    """Delete refresh tokens that expired more than a day ago."""
    with database.unit_of_work() as session:
        result = session.execute(sa.delete(RefreshToken).where(RefreshToken.expires_at < now() - timedelta(days=1)))
        return result.rowcount or 0


def jobs(settings: Settings) -> list[Job]:
    """The jobs as the worker runs them, with the settings it built at its start."""
    return [
        Job("identity.rotate-signing-keys", timedelta(hours=1), partial(rotate_keys, settings=settings)),
        Job("identity.purge-refresh-tokens", timedelta(hours=6), purge_refresh_tokens),
    ]
