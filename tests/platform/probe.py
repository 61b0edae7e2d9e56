"""A small service used only by the platform's tests: one event type and a handler whose effects
can be counted, plus failure modes (a handler that always fails, a slow handler), and one periodic job
(work rows turned into events, so that a test can follow the job runner too).

Run as a worker process: `python -m tests.platform.probe` (honours MMM_* and AMQP_URL like any worker).
"""
from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from marshmallow import Schema, fields

from shared import config, db
from shared.events import Handlers, record_event, registry
from shared.jobs import Job
from shared.service import Service

NAME = "probe"


class ProbeHappened(Schema):
    key = fields.String(required=True)
    fail = fields.Boolean(load_default=False)


class ProbeFollowed(Schema):
    key = fields.String(required=True)


registry.register(NAME, "ProbeHappened", ProbeHappened)
registry.register(NAME, "ProbeFollowed", ProbeFollowed)

metadata = db.platform_metadata()
effects = sa.Table(
    "probe_effects", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),  # deliberately not unique: duplicates must be visible
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")),
)

# Work for the job: each row, once done, becomes a ProbeHappened event of its key.
work = sa.Table(
    "probe_work", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("done_at", sa.DateTime(timezone=True)),
)

handlers = Handlers()


@handlers.on("ProbeHappened")
def apply_effect(session, event) -> None:
    if event.data["fail"]:
        raise RuntimeError("this handler always fails for this event")
    delay = float(config.env("PROBE_HANDLER_SECONDS", "0"))
    if delay:
        time.sleep(delay)
    session.execute(sa.insert(effects).values(key=event.data["key"], event_id=event.id))
    if event.data["key"].startswith("chain"):  # an effect that is itself an event
        record_event(session, "ProbeFollowed", {"key": event.data["key"]})


def _no_app(*_a, **_k):
    raise NotImplementedError("the probe service has no HTTP API")


def do_work(database: db.Database) -> int:
    """The probe's job: claim undone work rows, mark them done and record their events, in one
    transaction (as the services' jobs do)."""
    with database.unit_of_work() as session:
        keys = session.scalars(sa.select(work.c.key).where(work.c.done_at.is_(None)).order_by(work.c.key)
                               .limit(100).with_for_update(skip_locked=True)).all()
        for key in keys:
            record_event(session, "ProbeHappened", {"key": key}, subject=key)
        if keys:
            session.execute(sa.update(work).where(work.c.key.in_(keys)).values(done_at=sa.func.now()))
    return len(keys)


service = Service(name=NAME, create_app=_no_app, metadata=metadata, handlers=handlers,
                  jobs=lambda settings: [Job("probe-work", timedelta(seconds=0.2), do_work)])


def prepare_database() -> db.Database:
    url = config.database_url(NAME)
    db.ensure_database(url)
    database = db.Database(url)
    metadata.create_all(database.engine)
    return database


if __name__ == "__main__":
    from shared import worker

    prepare_database().dispose()
    worker.run(service, probe_port=0)
