"""Tables of the training service (the outbox, inbox and job_schedule come from shared/).

- `learners`: who may train, per user and track, known only from MentorEnrolled / MenteeEnrolled, with
  their standing from the status events (an ejected, exited or deactivated learner is not counted as
  enrolled: docs/architecture.md, "Counting mentors").
- `modules` and `module_versions`: authored content; a published version is never edited (an edit
  makes a new draft version); `modules.published_version` is the version learners take.
- `curricula`: per track, the current curriculum version and its set of required modules.
- `progress`: per user and module, the knowledge-check state and the attestation (time and version).
- `completions`: one row per user and track — the database's guarantee that TrainingCompleted is
  published once.
- `cme_certificates`: one per mentor and credit-bearing module, with a unique verification code.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from shared.db import declarative_base

Base = declarative_base()

UUID = pg.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)
TRACK_CHECK = "track IN ('mentor', 'mentee')"


def _now():
    return sa.func.now()


class Learner(Base):
    __tablename__ = "learners"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    track: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    # NULL until the enrollment event arrives (a status event may come first)
    institution_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    enrolled_at: orm.Mapped[datetime | None] = orm.mapped_column(TIME)
    recorded_at: orm.Mapped[datetime] = orm.mapped_column(TIME, server_default=_now())
    # active | ejected | exited | deactivated, set by the event at status_at (a later event wins)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="active", server_default="active")
    status_at: orm.Mapped[datetime | None] = orm.mapped_column(TIME)

    __table_args__ = (
        sa.CheckConstraint(TRACK_CHECK, name="track"),
        sa.CheckConstraint("status IN ('active', 'ejected', 'exited', 'deactivated')", name="status"),
        sa.Index("ix_learners_institution_track", "institution_id", "track"),
    )


class Module(Base):
    __tablename__ = "modules"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    track: orm.Mapped[str] = orm.mapped_column(sa.Text)
    slug: orm.Mapped[str | None] = orm.mapped_column(sa.Text, unique=True)  # starter curriculum modules
    position: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=100, server_default="100")
    published_version: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TIME, server_default=_now())
    created_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)

    versions: orm.Mapped[list[ModuleVersion]] = orm.relationship(
        order_by="ModuleVersion.version", back_populates="module", lazy="selectin")

    __table_args__ = (sa.CheckConstraint(TRACK_CHECK, name="track"),)
    __mapper_args__ = {"eager_defaults": True}

    @property
    def published(self) -> ModuleVersion | None:
        return next((v for v in self.versions if v.version == self.published_version), None)

    @property
    def latest(self) -> ModuleVersion:
        return self.versions[-1]


class ModuleVersion(Base):
    __tablename__ = "module_versions"

    module_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("modules.id"), primary_key=True)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_markdown: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_html: orm.Mapped[str] = orm.mapped_column(sa.Text)
    estimated_minutes: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    required: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    cme_credit_hours: orm.Mapped[Decimal | None] = orm.mapped_column(sa.Numeric(4, 2))
    questions: orm.Mapped[list] = orm.mapped_column(pg.JSONB, default=list)  # [{prompt, choices, answer}]
    pass_mark: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)  # percent of questions right
    created_at: orm.Mapped[datetime] = orm.mapped_column(TIME, server_default=_now())
    created_by: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    published_at: orm.Mapped[datetime | None] = orm.mapped_column(TIME)

    module: orm.Mapped[Module] = orm.relationship(back_populates="versions")

    __table_args__ = (
        sa.CheckConstraint("estimated_minutes > 0", name="estimated_minutes"),
        sa.CheckConstraint("cme_credit_hours IS NULL OR cme_credit_hours >= 0", name="cme_credit_hours"),
        sa.CheckConstraint("pass_mark IS NULL OR pass_mark BETWEEN 1 AND 100", name="pass_mark"),
    )
    __mapper_args__ = {"eager_defaults": True}


class Curriculum(Base):
    __tablename__ = "curricula"

    track: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    required_module_ids: orm.Mapped[list] = orm.mapped_column(pg.JSONB)  # list of module id strings
    changed_at: orm.Mapped[datetime] = orm.mapped_column(TIME, server_default=_now())

    __table_args__ = (sa.CheckConstraint(TRACK_CHECK, name="track"),)


class Progress(Base):
    __tablename__ = "progress"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    module_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("modules.id"), primary_key=True)
    track: orm.Mapped[str] = orm.mapped_column(sa.Text)
    check_attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0, server_default="0")
    last_score: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    check_passed_version: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    check_passed_at: orm.Mapped[datetime | None] = orm.mapped_column(TIME)
    attested_version: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    attested_at: orm.Mapped[datetime | None] = orm.mapped_column(TIME)

    __table_args__ = (sa.Index("ix_progress_track_user", "track", "user_id"),)


class Completion(Base):
    __tablename__ = "completions"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    track: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    curriculum_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    completed_at: orm.Mapped[datetime] = orm.mapped_column(TIME)

    __table_args__ = (sa.Index("ix_completions_institution_track", "institution_id", "track"),)


class CmeCertificate(Base):
    __tablename__ = "cme_certificates"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    code: orm.Mapped[str] = orm.mapped_column(sa.Text, unique=True)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    learner_name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    module_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("modules.id"))
    module_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    module_title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    credit_hours: orm.Mapped[Decimal] = orm.mapped_column(sa.Numeric(4, 2))
    awarded_at: orm.Mapped[datetime] = orm.mapped_column(TIME)

    __table_args__ = (sa.UniqueConstraint("user_id", "module_id", name="uq_cme_certificates_user_module"),)
