"""The training service's table of problem types: how the HTTP API answers each kind of refusal that
service.py raises (shared/domain_errors.py), besides the common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, NOT_FOUND, ProblemType, ProblemTypes

PROBLEM_TYPES = ProblemTypes({
    "not-enrolled": ProblemType(409, "Not enrolled"),
    "module-version-outdated": CONFLICT,
    "no-knowledge-check": CONFLICT,
    "knowledge-check-not-passed": CONFLICT,
    "nothing-to-publish": CONFLICT,
    "certificate-not-found": NOT_FOUND,
})
