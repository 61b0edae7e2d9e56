"""The identity service's configuration: environment variables (or app config of the same name) with
safe local defaults. Durations are ISO-8601."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared import config
from services.identity.rules import LockoutPolicy


@dataclass(frozen=True)
class Argon2Params:
    # argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~40 sign-ins/s on 2 cores.
    # RFC 9106's 64 MiB / 3 passes managed 7 sign-ins/s there (p95 1.3 s at 8 clients); raise these
    # with IDENTITY_ARGON2_* on bigger machines. Stored hashes carry their own parameters.
    time_cost: int = 2
    memory_cost: int = 19456  # KiB (19 MiB)
    parallelism: int = 1
    hash_len: int = 32
    salt_len: int = 16


@dataclass(frozen=True)
class Settings:
    issuer: str
    audience: str
    access_ttl: timedelta
    refresh_ttl: timedelta
    invitation_ttl: timedelta
    key_rotation: timedelta
    argon2: Argon2Params
    lockout: LockoutPolicy
    key_passphrase: str | None
    # The raw invitation token in the inviter's API response. Off in production: only the e-mail to the
    # invitee carries the link (InvitationIssued → notifications), so an admin cannot accept an agreement
    # in a mentor's name. On for tests and tools that have no mailbox.
    invitation_token_in_response: bool = False


def load(overrides: dict | None = None) -> Settings:
    def get(name: str, default: str | None) -> str | None:
        return config.setting(name, default, overrides)

    def dur(name: str, default: str) -> timedelta:
        return config.duration(name, default, overrides)

    return Settings(
        issuer=get("AUTH_ISSUER", "mentormemed-identity"),
        audience=get("AUTH_AUDIENCE", "mentormemed"),
        access_ttl=dur("IDENTITY_ACCESS_TOKEN_TTL", "PT15M"),
        refresh_ttl=dur("IDENTITY_REFRESH_TOKEN_TTL", "P30D"),
        invitation_ttl=dur("IDENTITY_INVITATION_TTL", "P14D"),
        key_rotation=dur("IDENTITY_KEY_ROTATION", "P30D"),
        argon2=Argon2Params(
            time_cost=int(get("IDENTITY_ARGON2_TIME_COST", str(Argon2Params.time_cost))),
            memory_cost=int(get("IDENTITY_ARGON2_MEMORY_KIB", str(Argon2Params.memory_cost))),
            parallelism=int(get("IDENTITY_ARGON2_PARALLELISM", str(Argon2Params.parallelism))),
        ),
        lockout=LockoutPolicy(
            free_attempts=int(get("IDENTITY_LOCKOUT_FREE_ATTEMPTS", "5")),
            base=dur("IDENTITY_LOCKOUT_BASE", "PT30S"),
            maximum=dur("IDENTITY_LOCKOUT_MAX", "PT15M"),
        ),
        key_passphrase=get("IDENTITY_KEY_PASSPHRASE", None),
        invitation_token_in_response=config.flag("IDENTITY_INVITATION_TOKEN_IN_RESPONSE", "off", overrides),
    )
