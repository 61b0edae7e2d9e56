"""Database access: one PostgreSQL database per service, SQLAlchemy 2 sessions, platform tables.

Every service database holds four platform tables beside its own: `outbox` (events written in the
same transaction as the state change that caused them), `inbox` (ids of events already handled),
`job_schedule` (the next run of each periodic job, claimed atomically by one worker replica) and
`revoked_subjects` (users and sessions whose earlier access tokens are refused: shared/revocation.py).
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import psycopg
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import make_url

from shared import config

log = logging.getLogger(__name__)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def platform_metadata(metadata: sa.MetaData | None = None) -> sa.MetaData:
    """Add the outbox, inbox, job_schedule and revoked_subjects tables to `metadata` (a new one when None)."""
    md = metadata if metadata is not None else sa.MetaData(naming_convention=NAMING_CONVENTION)
    if "outbox" in md.tables:
        return md
    sa.Table(
        "outbox", md,
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("body", pg.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Index("outbox_pending", "seq", postgresql_where=sa.text("published_at IS NULL")),
    )
    sa.Table(
        "inbox", md,
        sa.Column("event_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    sa.Table(
        "job_schedule", md,
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True)),
        sa.Column("last_owner", sa.Text),
    )
    sa.Table(
        # A user (or one sign-in session) whose access tokens issued before not_before are refused;
        # change_xid (the writing transaction's id) lets each process read only what changed.
        "revoked_subjects", md,
        sa.Column("subject_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_xid", sa.BigInteger, nullable=False),
        sa.Index("ix_revoked_subjects_change_xid", "change_xid"),
        sa.Index("ix_revoked_subjects_not_before", "not_before"),
    )
    return md


class Base(orm.DeclarativeBase):
    """Never used directly: each service makes its own with `declarative_base()`."""


def declarative_base() -> type[orm.DeclarativeBase]:
    """A fresh typed declarative base whose metadata already holds the platform tables."""
    metadata = platform_metadata(sa.MetaData(naming_convention=NAMING_CONVENTION))

    class ServiceBase(orm.DeclarativeBase):
        pass

    ServiceBase.metadata = metadata
    return ServiceBase


def ensure_database(url: str) -> bool:
    """Create the database named in `url` when it is missing; True when it was created."""
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
                log.info("created database", extra={"database": target.database})
                return True
            return False
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


# What a worker loop treats as "the database refuses just now": back off and try again.
DATABASE_DOWN = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, psycopg.OperationalError,
                 psycopg.InterfaceError)


def engine_options(role: str = "api", overrides=None, *, name: str | None = None, **explicit) -> dict:
    """create_engine() keyword arguments inside the connection budget: pool sizes and timeout from
    settings (`config.pool_settings`; keyword arguments win), the process named in PostgreSQL's
    pg_stat_activity (application_name "mmm-<name>:<pid>"), no server-side prepared statements
    through PgBouncer."""
    options = config.pool_settings(role, overrides)
    options.update({k: v for k, v in explicit.items() if v is not None})
    connect_args: dict = {"application_name": f"mmm-{name or role}:{os.getpid()}"[:63]}
    if not config.prepared_statements(overrides):
        connect_args["prepare_threshold"] = None
    return {**options, "connect_args": connect_args}


class Database:
    """A service's engine and session factory, its pool inside the connection budget."""

    def __init__(self, url: str, pool_size: int | None = None, max_overflow: int | None = None,
                 pool_timeout: float | None = None, *, role: str = "api", name: str | None = None,
                 overrides=None):
        self.url = url
        self.engine = sa.create_engine(url, pool_pre_ping=True, **engine_options(
            role, overrides, name=name, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout))
        self.sessions = orm.sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_service(cls, service: str, **kw) -> Database:
        return cls(config.database_url(service), **kw)

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[orm.Session]:
        """One transaction: committed when the block ends normally, rolled back on any exception."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
