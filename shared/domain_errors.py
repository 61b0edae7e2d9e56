"""Refusals in the domain's terms, for rules and use cases: what kind of refusal, a sentence for the person and
any facts a client can act on — nothing of HTTP. Each service's table (PROBLEM_TYPES in
services/<service>/errors.py) gives each kind its HTTP status and title; shared/errors.py answers with them."""
from __future__ import annotations

from typing import Any


class Refused(Exception):
    """`raise Refused("mentor-no-open-slot", "This mentor already has 3 mentees, ...")`: the kind becomes the
    problem's type, `detail` its detail and each of `extra` a member of it."""

    def __init__(self, kind: str, detail: str | None = None, **extra: Any):
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail
        self.extra = extra


def not_found(what: str = "resource") -> Refused:
    """What the caller may not see, or what does not exist: the two are answered alike."""
    return Refused("not-found", f"No such {what}.")
