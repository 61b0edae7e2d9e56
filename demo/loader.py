"""Loads the demo data set through the gateway's public API and prints the logins.

Each service contributes a module `demo/<service>.py` with `load(client, logins) -> None` that adds
its part and records any new logins in `logins` (name → {"email", "password", "role"}). The demo
operator is created first with the identity bootstrap command.
"""
from __future__ import annotations

import importlib
import sys

from demo.client import Client, DemoError

OPERATOR = {"email": "operator@demo.mentormemed.org", "password": "demo-operator-pass-1", "role": "operator",
            "name": "Demo Operator"}
ORDER = ("identity", "training", "directory", "mentorship", "evaluation", "notifications")


def ensure_operator() -> None:
    from services.identity import cli
    from shared.domain_errors import Refused

    try:
        cli.create_operator(OPERATOR["email"], OPERATOR["name"], OPERATOR["password"])
    except Refused as exc:
        if exc.kind != "email-taken":  # it exists from an earlier demo run
            raise


def main(gateway_url: str) -> int:
    client = Client(gateway_url)
    ensure_operator()
    logins: dict[str, dict] = {"operator": dict(OPERATOR)}
    for name in ORDER:
        try:
            module = importlib.import_module(f"demo.{name}")
        except ModuleNotFoundError:
            continue
        print(f"== demo: {name}", flush=True)
        try:
            module.load(client, logins)
        except DemoError as exc:
            print(f"demo: {name} failed: {exc}", file=sys.stderr, flush=True)
            return 1
    print(f"\nDemo logins (sign in at {gateway_url}/signin, or POST /api/v1/identity/auth/token):")
    for who, login in logins.items():
        print(f"  {who:<32} {login['role']:<18} {login['email']:<44} {login['password']}")
    print(flush=True)
    return 0
