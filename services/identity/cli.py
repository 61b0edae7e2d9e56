"""Identity commands for the platform CLI.

    python -m services.identity.cli create-operator --email ops@example.org --name "Ops" --password '...'

`create_operator(email, name, password)` is what the `mmm` command calls. The password may also come
from the environment variable IDENTITY_OPERATOR_PASSWORD (so it stays out of shell history), or is
asked for on a terminal.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from services.identity import settings as settings_module
from services.identity import service
from services.identity.tokens import KeyRing, Passwords
from shared import config
from shared.db import Database
from shared.domain_errors import Refused
from shared.errors import Problem


def create_operator(email: str, name: str, password: str, *, database: Database | None = None,
                    context: service.Context | None = None) -> dict:
    """Create an operator account (the first one bootstraps the platform). Returns its id and e-mail."""
    if len(password) < 10:
        raise ValueError("the password must have at least 10 characters")
    if context is None:
        settings = settings_module.load()
        context = service.Context(settings=settings, passwords=Passwords(settings.argon2), keyring=KeyRing(settings))
    ctx = context
    db = database or Database.for_service("identity")
    try:
        with db.unit_of_work() as session:
            user = service.create_operator(session, ctx, email, name, password)
            return {"id": str(user.id), "email": user.email, "role": user.role}
    finally:
        if database is None:
            db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.identity.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    op = sub.add_parser("create-operator", help="create an operator account")
    op.add_argument("--email", required=True)
    op.add_argument("--name", required=True)
    op.add_argument("--password", help="default: $IDENTITY_OPERATOR_PASSWORD, else asked for")
    args = parser.parse_args(argv)
    if args.command == "create-operator":
        password = args.password or config.env("IDENTITY_OPERATOR_PASSWORD")
        if not password:
            password = getpass.getpass("Password for the new operator: ")
        try:
            print(json.dumps(create_operator(args.email, args.name, password)))
        except (Refused, Problem) as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
