"""Alembic, the same way for every service: `services/<svc>/migrations/` with a three-line env.py."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from shared import config, db

log = logging.getLogger(__name__)


def alembic_config(service: str, url: str | None = None) -> Config:
    package = importlib.import_module(f"services.{service}")
    location = Path(package.__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", (url or config.direct_database_url(service)).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    """Create the service's database when missing and apply its migrations."""
    url = url or config.direct_database_url(service)  # never through PgBouncer: DDL and CREATE DATABASE
    db.ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    from alembic import context

    cfg = context.config
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


FIRST_PLATFORM_TABLES = ("outbox", "inbox", "job_schedule")


def _platform_tables(names: tuple[str, ...]) -> list[sa.Table]:
    md = db.platform_metadata()
    return [md.tables[name] for name in names]


def create_platform_tables(names: tuple[str, ...] = FIRST_PLATFORM_TABLES) -> None:
    """In a service's first migration: the outbox, inbox and job_schedule tables (platform tables
    added later come with a migration of their own in every service, naming them)."""
    from alembic import op

    db.platform_metadata().create_all(op.get_bind(), tables=_platform_tables(names))


def drop_platform_tables(names: tuple[str, ...] = FIRST_PLATFORM_TABLES) -> None:
    from alembic import op

    db.platform_metadata().drop_all(op.get_bind(), tables=_platform_tables(names))


def platform_tables_migration(names: tuple[str, ...] = FIRST_PLATFORM_TABLES):
    """(upgrade, downgrade) of a migration that adds platform tables, the same in every service:
    `upgrade, downgrade = platform_tables_migration()` is the whole of it beside its revision ids."""
    return (lambda: create_platform_tables(names)), (lambda: drop_platform_tables(names))
