"""Tables of the mentorship service (the outbox, inbox and job_schedule come from shared/).

`members` is what mentorship knows of people, only from events (enrollment, training, publication,
ejection, exit, deactivation). A mentor's row is also their capacity ledger: `active_mentees`, under a
CHECK constraint of at most 3 (R11), is changed only by conditional UPDATEs while the row is locked,
so the cap holds with any number of API processes racing.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from shared.db import declarative_base

Base = declarative_base()

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)

MAX_ACTIVE_MENTEES = 3  # R11; also the CHECK constraint below


class Member(Base):
    """A mentor or mentee as the events told us (name and e-mail only from the enrollment event; a
    mentee's training stage and graduation year from enrollment and profile updates)."""
    __tablename__ = "members"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    email: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # pending (heard of, not yet enrolled) | active | ejected | exited | deactivated
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="pending", server_default="pending")
    status_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # time of the event that set status
    enrolled_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    trained_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    # mentors: the directory's publication (R9) and scope (R8), last writer by event time wins
    published: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False, server_default=sa.false())
    scope: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    published_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    # mentees: what their mentors see beside the name (MenteeEnrolled, MenteeProfileUpdated; later event wins)
    training_stage: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    expected_graduation_year: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    studies_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # time of the event that set the two
    # mentors: the capacity ledger (R11) and the responsiveness record (R12)
    active_mentees: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0, server_default="0")
    strikes_since: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    unresponsive_reported_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)

    __table_args__ = (
        sa.CheckConstraint("role IN ('mentor', 'mentee')", name="role"),
        sa.CheckConstraint("status IN ('pending', 'active', 'ejected', 'exited', 'deactivated')", name="status"),
        sa.CheckConstraint("scope IS NULL OR scope IN ('local', 'national')", name="scope"),
        sa.CheckConstraint(f"active_mentees >= 0 AND active_mentees <= {MAX_ACTIVE_MENTEES}", name="active_mentees"),
    )


class Institution(Base):
    """An institution's name, to name a mentee's institution to their mentors (InstitutionSubscribed,
    InstitutionUpdated and the name carried by MenteeEnrolled; the latest event wins)."""
    __tablename__ = "institutions"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    name_at: orm.Mapped[datetime] = orm.mapped_column(TS)  # time of the event that set the name


class MentorshipRequest(Base):
    __tablename__ = "requests"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("members.user_id"))
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("members.user_id"))
    mentee_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    mentor_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text)
    goals: orm.Mapped[list] = orm.mapped_column(pg.JSONB, default=list)
    # open | accepted | declined | withdrawn | expired
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="open", server_default="open")
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    respond_by: orm.Mapped[datetime] = orm.mapped_column(TS)
    remind_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    reminded_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    closed_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    decline_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    declined_automatically: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False, server_default=sa.false())
    idempotency_key: orm.Mapped[str | None] = orm.mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'accepted', 'declined', 'withdrawn', 'expired')", name="status"),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_at"),
        # one open request per pair; a retried POST with the same key finds the first request
        sa.Index("uq_requests_open_pair", "mentee_id", "mentor_id", unique=True,
                 postgresql_where=sa.text("status = 'open'")),
        sa.Index("uq_requests_idempotency", "mentee_id", "idempotency_key", unique=True,
                 postgresql_where=sa.text("idempotency_key IS NOT NULL")),
        sa.Index("ix_requests_mentor_open", "mentor_id", "respond_by", postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_requests_due", "respond_by", postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_requests_remind", "remind_at",
                 postgresql_where=sa.text("status = 'open' AND reminded_at IS NULL")),
        sa.Index("ix_requests_mentee", "mentee_id", "created_at"),
        sa.Index("ix_requests_mentor_expired", "mentor_id", "closed_at",
                 postgresql_where=sa.text("status = 'expired'")),
    )


class Mentorship(Base):
    __tablename__ = "mentorships"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    request_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("requests.id"), unique=True)
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("members.user_id"))
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("members.user_id"))
    mentee_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    mentor_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="active", server_default="active")  # active | concluded
    started_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    concluded_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    concluded_by: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # mentor | mentee | platform
    conclusion_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'concluded')", name="status"),
        sa.CheckConstraint("(status = 'active') = (concluded_at IS NULL)", name="concluded_at"),
        sa.Index("uq_mentorships_active_pair", "mentee_id", "mentor_id", unique=True,
                 postgresql_where=sa.text("status = 'active'")),
        sa.Index("ix_mentorships_mentor", "mentor_id", "status"),
        sa.Index("ix_mentorships_mentee", "mentee_id", "status"),
    )
