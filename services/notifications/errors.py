"""The notifications service's table of problem types: how the HTTP API answers each kind of refusal that
service.py raises (shared/domain_errors.py), besides the common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, ProblemTypes

PROBLEM_TYPES = ProblemTypes({
    "subscription-disabled": CONFLICT,
})
