"""The mentorship service's table of problem types: how the HTTP API answers each kind of refusal that
rules.py and service.py raise (shared/domain_errors.py), besides the common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, FORBIDDEN, ProblemType, ProblemTypes

PROBLEM_TYPES = ProblemTypes({
    # who may request whom (rules.py)
    "mentee-not-enrolled": CONFLICT,
    "mentee-not-trained": CONFLICT,
    "mentor-not-active": CONFLICT,
    "mentor-not-trained": CONFLICT,
    "mentor-not-published": CONFLICT,
    "mentor-local-only": CONFLICT,
    "mentor-no-open-slot": CONFLICT,
    # requests and mentorships (service.py)
    "mentorship-already-active": CONFLICT,
    "request-already-open": CONFLICT,
    "request-not-open": CONFLICT,
    "mentee-not-active": CONFLICT,
    "mentorship-not-active": CONFLICT,
    "only-mentor-answers": FORBIDDEN,
    "only-mentee-withdraws": FORBIDDEN,
    "idempotency-key-reused": ProblemType(422, "Idempotency key reused"),
})
