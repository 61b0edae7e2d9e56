"""Every kind of refusal a service's rules and use cases raise (shared/domain_errors.py) is in that service's
table of problem types (PROBLEM_TYPES in services/<service>/errors.py): a kind missing from it would answer
500 instead of the problem the client expects. The kinds are read from the source, as written where they are
raised or returned; an f-string kind ("invitation-{state}") must match at least one kind of the table."""
from __future__ import annotations

import ast
import importlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.domain_errors import Refused
from shared.errors import ProblemTypes

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("directory", "evaluation", "identity", "mentorship", "notifications", "training")
# Calls whose first argument is a kind of refusal: Refused itself, and directory's rules.PublishRefusal.
KIND_CALLS = {"Refused", "PublishRefusal"}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def kinds_in_source(service: str) -> set[str]:
    """The kinds a service's code names: literals as they are, f-strings as patterns ("invitation-{}")."""
    found = set()
    for path in (ROOT / "services" / service).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _name(node.func) in KIND_CALLS and node.args:
                kind = node.args[0]
                if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    found.add(kind.value)
                elif isinstance(kind, ast.JoinedStr):
                    found.add("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in kind.values))
            elif isinstance(node, ast.Call) and _name(node.func) in ("not_found", "visible_or_404"):
                found.add("not-found")
    return found


def _table(service: str) -> ProblemTypes:
    return importlib.import_module(f"services.{service}.errors").PROBLEM_TYPES


@pytest.mark.parametrize("service", SERVICES)
def test_every_kind_a_service_raises_is_in_its_table(service):
    table = _table(service)
    kinds = kinds_in_source(service)
    assert kinds, f"no refusals found in services/{service}: the scan would guard nothing"
    missing = []
    for kind in kinds:
        if "{}" in kind:
            pattern = re.compile(re.escape(kind).replace(r"\{\}", ".+"))
            if not any(pattern.fullmatch(k) for k in table.types):
                missing.append(kind)
        elif kind not in table:
            missing.append(kind)
    assert not missing, f"kinds missing from services/{service}/errors.py: {sorted(missing)}"


def test_the_kinds_evaluation_rules_return_are_in_its_table():
    """evaluations/rules.refusal returns (kind, sentence) for the service to raise: each state's kind."""
    from services.evaluation.evaluations import rules

    at = datetime.now(timezone.utc)
    returned = {rules.refusal(status, at - timedelta(days=1), at) for status in rules.STATES} - {None}
    assert returned and all(kind in _table("evaluation") for kind, _ in returned), returned


def test_an_unknown_kind_fails_loudly():
    with pytest.raises(LookupError, match="no-such-kind"):
        ProblemTypes({}).problem(Refused("no-such-kind", "A sentence."))


def test_a_refusal_becomes_the_problem_of_its_table():
    problem = _table("identity").problem(Refused("signin-locked", "Too many failed sign-ins.", retry_after=7))
    assert (problem.status, problem.slug, problem.title, problem.detail) == (
        429, "signin-locked", "Too Many Requests", "Too many failed sign-ins.")
    assert problem.extra == {"retry_after": 7} and problem.headers == {"Retry-After": "7"}
