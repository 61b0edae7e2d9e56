"""The identity service's table of problem types: how the HTTP API answers each kind of refusal that
service.py raises (shared/domain_errors.py), besides the common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, FORBIDDEN, GONE, NOT_FOUND, ProblemType, ProblemTypes

INVALID_FILE = ProblemType(422, "Validation failed")

PROBLEM_TYPES = ProblemTypes({
    # who is signing in or calling
    "unauthorized": ProblemType(401, "Unauthorized"),
    "account-not-active": FORBIDDEN,
    "signin-locked": ProblemType(429, "Too Many Requests",
                                 headers=lambda refused: {"Retry-After": str(refused.extra["retry_after"])}),
    "agreement-required": ProblemType(403, "Agreement acceptance required"),
    "no-agreement": CONFLICT,
    "agreement-version-mismatch": CONFLICT,
    # institutions and accounts
    "institution-not-active": CONFLICT,
    "email-taken": CONFLICT,
    "not-pending": CONFLICT,
    "not-active-mentee": CONFLICT,
    "cannot-deactivate-self": CONFLICT,
    "already-deactivated": CONFLICT,
    "not-ejected": CONFLICT,
    # invitations, their import and nominations
    "invitation-not-pending": CONFLICT,
    "invitation-unknown": NOT_FOUND,
    "invitation-accepted": GONE,
    "invitation-revoked": GONE,
    "invitation-expired": GONE,
    "invalid-import": INVALID_FILE,
    "unreadable-import": INVALID_FILE,
    "nomination-decided": CONFLICT,
    "nominator-not-active": CONFLICT,
})
