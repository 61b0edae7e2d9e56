"""The directory service's table of problem types: how the HTTP API answers each kind of refusal that
rules.py and service.py raise (shared/domain_errors.py), besides the common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, NOT_FOUND, ProblemTypes

PROBLEM_TYPES = ProblemTypes({
    "no-profile": NOT_FOUND,
    "published-profile-incomplete": CONFLICT,
    # why a profile may not be published (rules.publish_refusal)
    "mentor-not-active": CONFLICT,
    "training-incomplete": CONFLICT,
    "profile-incomplete": CONFLICT,
    "consent-required": CONFLICT,
})
