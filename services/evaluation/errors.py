"""The evaluation service's table of problem types: how the HTTP API answers each kind of refusal that the
rules and use cases of evaluations/, surveys/ and research/ raise (shared/domain_errors.py), besides the
common kinds of shared/errors.py."""
from __future__ import annotations

from shared.errors import CONFLICT, FORBIDDEN, GONE, ProblemTypes

PROBLEM_TYPES = ProblemTypes({
    # evaluations: why a submission is refused (evaluations/rules.refusal), and moving one
    "already-submitted": CONFLICT,
    "evaluation-cancelled": CONFLICT,
    "not-yet-due": CONFLICT,
    "evaluation-closed": CONFLICT,
    "already-announced": CONFLICT,
    # surveys
    "survey-closed": CONFLICT,
    "survey-open": CONFLICT,
    "career-survey-open": CONFLICT,
    "already-completed": CONFLICT,
    # research data requests and their downloads
    "already-decided": CONFLICT,
    "own-request": FORBIDDEN,
    "not-requester": FORBIDDEN,
    "not-approved": CONFLICT,
    "link-used": GONE,
    "link-expired": GONE,
})
