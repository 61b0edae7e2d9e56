"""Tables of the evaluation service (the outbox, inbox and job_schedule come from shared/).

The read models here are what evaluation knows of the rest of the program, only from events:
institutions (names and reward policies), members (mentors and mentees, their status and training),
mentorships, mentorship requests (for response rates) and CME credits — the facts of the participation
report (R15) and the audiences of surveys (R14). `evaluations` is the schedule of R13: one row per
evaluation that falls due. Each domain's own tables are in its package (evaluations/, surveys/,
research/), on this Base.
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
TS = sa.DateTime(timezone=True)


class Institution(Base):
    """An institution as InstitutionSubscribed/Updated tell it; the later event wins."""
    __tablename__ = "institutions"

    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.Text)
    reward_policy: orm.Mapped[dict] = orm.mapped_column(pg.JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    updated_at: orm.Mapped[datetime] = orm.mapped_column(TS)  # time of the event that set the row


class Member(Base):
    """A mentor or mentee as the events told us. A mentee who exited (graduated or left) is an alumnus
    or alumna: still surveyed for career updates (R14)."""
    __tablename__ = "members"

    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.Text)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    email: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # pending (heard of, not yet enrolled) | active | ejected | exited | deactivated
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="pending", server_default="pending")
    status_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    enrolled_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    exited_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    exit_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # graduated | left
    trained_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # TrainingCompleted of the role's track

    __table_args__ = (
        sa.CheckConstraint("role IN ('mentor', 'mentee')", name="role"),
        sa.CheckConstraint("status IN ('pending', 'active', 'ejected', 'exited', 'deactivated')", name="status"),
        sa.Index("ix_members_role_status", "role", "status"),
    )


class Mentorship(Base):
    """A mentorship as MentorshipStarted/Concluded tell it."""
    __tablename__ = "mentorships"

    mentorship_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    request_id: orm.Mapped[uuid.UUID | None] = orm.mapped_column(UUID)
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentor_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentee_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    started_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    concluded_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    concluded_by: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # mentor | mentee | platform

    @property
    def active(self) -> bool:
        return self.concluded_at is None


class RequestFact(Base):
    """A mentorship request as the Request* events tell it: enough for a mentor's requests received,
    response rate and response time (R15). Events may arrive in any order; the row takes what each says."""
    __tablename__ = "request_facts"

    request_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True)
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    # open | accepted | declined | expired | withdrawn
    outcome: orm.Mapped[str] = orm.mapped_column(sa.Text, default="open", server_default="open")
    responded_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)  # the mentor's own answer only
    automatic: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False, server_default=sa.false())

    __table_args__ = (
        sa.CheckConstraint("outcome IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')", name="outcome"),
    )


class CmeCredit(Base):
    """A CME credit a mentor earned (CmeCreditAwarded); one per certificate."""
    __tablename__ = "cme_credits"

    certificate_code: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    module_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    module_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    credit_hours: orm.Mapped[Decimal] = orm.mapped_column(sa.Numeric(6, 2))
    awarded_at: orm.Mapped[datetime] = orm.mapped_column(TS)


class Evaluation(Base):
    """One evaluation of a mentor by a mentee that falls due (R13): `periodic` number 1, 2, … every
    EVALUATION_PERIOD of the mentorship, or the `final` one at its conclusion (sequence 0).

    status: scheduled (due_at in the future) → due (EvaluationDue sent) → submitted | overdue
    (EvaluationOverdue sent; still open until closes_at) → submitted; cancelled when the mentorship
    concluded before it fell due. `due_sent_at` and `overdue_sent_at` make each event go out once."""
    __tablename__ = "evaluations"

    evaluation_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    mentorship_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("mentorships.mentorship_id"))
    mentee_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentor_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    mentee_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    mentor_institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.Text)  # periodic | final
    sequence: orm.Mapped[int] = orm.mapped_column(sa.Integer)  # 1, 2, … for periodic; 0 for final
    due_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    overdue_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    closes_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="scheduled", server_default="scheduled")
    due_sent_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    overdue_sent_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    submitted_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)

    __table_args__ = (
        sa.UniqueConstraint("mentorship_id", "kind", "sequence", name="uq_evaluations_mentorship_kind_sequence"),
        sa.CheckConstraint("kind IN ('periodic', 'final')", name="kind"),
        sa.CheckConstraint("status IN ('scheduled', 'due', 'overdue', 'submitted', 'cancelled')", name="status"),
        # the jobs' scans: what falls due, what becomes overdue
        sa.Index("ix_evaluations_due_scan", "due_at", postgresql_where=sa.text("due_sent_at IS NULL AND status = 'scheduled'")),
        sa.Index("ix_evaluations_overdue_scan", "overdue_at",
                 postgresql_where=sa.text("overdue_sent_at IS NULL AND status = 'due'")),
    )


class EvaluationAnswers(Base):
    """A submitted evaluation's answers (one per evaluation), on the form version the mentee saw. The
    ratings and texts never leave this service in events; the mentor sees them only as aggregates of at
    least privacy.EVALUATION_MINIMUM evaluations, and shared texts without attribution."""
    __tablename__ = "evaluation_answers"

    evaluation_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("evaluations.evaluation_id"),
                                                             primary_key=True)
    form_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    availability: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)
    responsiveness: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)
    guidance: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)  # quality of guidance
    overall: orm.Mapped[int] = orm.mapped_column(sa.SmallInteger)
    would_recommend: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    program_text: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # for the program (operators)
    shared_text: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # the mentee agreed to share it with the mentor
    submitted_at: orm.Mapped[datetime] = orm.mapped_column(TS)

    __table_args__ = tuple(
        sa.CheckConstraint(f"{c} BETWEEN 1 AND 5", name=c) for c in ("availability", "responsiveness", "guidance", "overall")
    )
