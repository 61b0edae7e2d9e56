"""mmm — run the MentorMeMed platform.

  mmm up [--demo]       check, migrate, declare topology, start gateway + 6 APIs + 6 workers + mail (honcho)
  mmm down              stop what `mmm up` started
  mmm check             are PostgreSQL and RabbitMQ reachable?
  mmm migrate [SVC...]  create missing databases, apply Alembic migrations
  mmm topology [SVC...] declare the exchange and each service's queues
  mmm api SVC           a service's API under gunicorn
  mmm worker SVC        a service's worker (consumer, outbox relay, periodic jobs)
  mmm mail              the local SMTP server: keeps every mail sent in a Maildir (.run/mail)
  mmm demo              load the demo data through the gateway and print the logins
  mmm create-operator   create an operator account (the first sign-in of a new platform)
  mmm openapi DIR       write each service's OpenAPI document to DIR/<service>.json (the web client's types)
"""
from __future__ import annotations

import argparse
import os
import sys

from shared import config


def _services(names: list[str]) -> list[str]:
    for n in names:
        if n not in config.SERVICES:
            raise SystemExit(f"unknown service {n!r}; one of: {', '.join(config.SERVICES)}")
    return names or list(config.SERVICES)


def cmd_check(_args) -> int:
    from mmm import preflight

    found = preflight.problems()
    for line in found:
        print(f"mmm: {line}", file=sys.stderr)
    if not found:
        print("PostgreSQL and RabbitMQ are reachable.")
    return 1 if found else 0


def cmd_migrate(args) -> int:
    from shared import migrations

    for name in _services(args.services):
        migrations.upgrade(name)
        print(f"migrated {name} ({config.database_url(name).rsplit('/', 1)[-1]})")
    return 0


def cmd_topology(args) -> int:
    from mmm.services import load
    from shared.events import broker

    for name in _services(args.services):
        service = load(name)
        broker.declare(name, service.handlers.routing_keys())
        print(f"declared topology of {name}: {len(service.handlers.routing_keys())} bindings")
    return 0


def api_argv(name: str) -> list[str]:
    """The command line of a service's API: gunicorn with threads (shared/serve.py)."""
    from shared import serve

    return serve.gunicorn_argv(name, config.env("API_BIND", f"127.0.0.1:{config.API_PORTS[name]}"),
                               workers=config.env("API_WORKERS", "2"), threads=config.env("API_THREADS", "4"))


def cmd_api(args) -> int:
    os.execv(sys.executable, api_argv(_services([args.service])[0]))
    return 0


def cmd_worker(args) -> int:
    from mmm.services import load
    from shared import worker

    worker.run(load(_services([args.service])[0]))
    return 0


def cmd_mail(_args) -> int:
    from mmm import mailsink

    return mailsink.run()


def cmd_up(args) -> int:
    from mmm import run

    return run.up(demo=args.demo)


def cmd_down(_args) -> int:
    from mmm import run

    return run.down()


def cmd_demo(_args) -> int:
    from mmm import run

    return run.load_demo()


def cmd_create_operator(args) -> int:
    from services.identity import cli as identity_cli

    return identity_cli.main(["create-operator", "--email", args.email, "--name", args.name]
                             + (["--password", args.password] if args.password else []))


def cmd_openapi(args) -> int:
    """Each service's OpenAPI document as its app serves it, without a database or broker: the web
    client generates its typed API client from these, so an API change it does not follow fails its build."""
    import json
    from pathlib import Path

    from mmm.services import load

    out = Path(args.directory)
    out.mkdir(parents=True, exist_ok=True)
    for name in config.SERVICES:
        app = load(name).create_app({"DIRECTORY_SEARCH_WARM": "off"})
        with app.app_context():
            spec = app.extensions["mmm_api"].spec.to_dict()
        target = out / f"{name}.json"
        text = json.dumps(spec, indent=1, sort_keys=True) + "\n"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
        print(f"{name}: {len(spec.get('paths', {}))} paths -> {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mmm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").set_defaults(fn=cmd_check)
    for name, fn in (("migrate", cmd_migrate), ("topology", cmd_topology)):
        p = sub.add_parser(name)
        p.add_argument("services", nargs="*")
        p.set_defaults(fn=fn)
    for name, fn in (("api", cmd_api), ("worker", cmd_worker)):
        p = sub.add_parser(name)
        p.add_argument("service", choices=config.SERVICES)
        p.set_defaults(fn=fn)
    sub.add_parser("mail", help="the local SMTP server keeping every mail in a Maildir").set_defaults(fn=cmd_mail)
    p = sub.add_parser("up")
    p.add_argument("--demo", action="store_true", help="load the demo data once everything is ready")
    p.set_defaults(fn=cmd_up)
    sub.add_parser("down").set_defaults(fn=cmd_down)
    sub.add_parser("demo").set_defaults(fn=cmd_demo)
    p = sub.add_parser("create-operator")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password", help="prompted for when omitted")
    p.set_defaults(fn=cmd_create_operator)
    p = sub.add_parser("openapi", help="write each service's OpenAPI document to a directory")
    p.add_argument("directory")
    p.set_defaults(fn=cmd_openapi)
    p = sub.add_parser("announce", help=argparse.SUPPRESS)
    p.add_argument("--demo", action="store_true")
    p.set_defaults(fn=lambda a: __import__("mmm.run", fromlist=["announce"]).announce(demo=a.demo))
    args = parser.parse_args(argv)
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
