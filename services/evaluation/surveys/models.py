"""Tables of surveys (R14), on the evaluation service's Base.

A survey's questions live in versions: a version, once assigned, never changes (editing the questions
makes a new version), so every response is judged and counted against exactly the questions its
respondent saw. Assignments are unique per survey, user and cycle — the guard that lets two worker
replicas (or an operator opening a survey twice) run the same set-based INSERT ... ON CONFLICT DO
NOTHING and still assign each user once. Career-update cycles are also unique per user across surveys.
Responses are kept apart from the assignment: the answers are counted, never shown with a name.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from services.evaluation.models import TS, UUID, Base


class Survey(Base):
    """A survey and its audience. `audience_institution_ids` NULL means every institution."""
    __tablename__ = "surveys"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    kind: orm.Mapped[str] = orm.mapped_column(sa.Text)  # career_update | program_feedback
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    audience_roles: orm.Mapped[list[str]] = orm.mapped_column(pg.ARRAY(sa.Text))  # mentee | mentor | alumni
    audience_institution_ids: orm.Mapped[list[uuid.UUID] | None] = orm.mapped_column(pg.ARRAY(UUID))
    response_days: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)  # an assignment is due this long after
    status: orm.Mapped[str] = orm.mapped_column(sa.Text, default="draft", server_default="draft")
    current_version: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=1, server_default="1")
    created_by: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    opened_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    closed_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('career_update', 'program_feedback')", name="kind"),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
        # at most one open career-update survey: the job knows which one to assign
        sa.Index("uq_surveys_one_open_career_update", "kind", unique=True,
                 postgresql_where=sa.text("kind = 'career_update' AND status = 'open'")),
    )


class SurveyVersion(Base):
    """The questions of one version of a survey (JSON, as rules.py validated them)."""
    __tablename__ = "survey_versions"

    survey_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("surveys.id"), primary_key=True)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    questions: orm.Mapped[list] = orm.mapped_column(pg.JSONB)
    created_by: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    created_at: orm.Mapped[datetime] = orm.mapped_column(TS)


class SurveyAssignment(Base):
    """A survey assigned to one user, on the version current at the time. `cycle` is 1 for program
    feedback; for career updates it counts the user's career-update assignments (1, 2, …)."""
    __tablename__ = "survey_assignments"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    survey_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    kind: orm.Mapped[str] = orm.mapped_column(sa.Text)  # the survey's, so that career cycles are indexed
    cycle: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    user_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, index=True)
    institution_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID)
    assigned_at: orm.Mapped[datetime] = orm.mapped_column(TS)
    due_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)
    completed_at: orm.Mapped[datetime | None] = orm.mapped_column(TS)

    __table_args__ = (
        sa.ForeignKeyConstraint(["survey_id", "version"], ["survey_versions.survey_id", "survey_versions.version"],
                                name="fk_survey_assignments_survey_version"),
        sa.UniqueConstraint("survey_id", "user_id", "cycle", name="uq_survey_assignments_survey_user_cycle"),
        # one career-update assignment per user and cycle, whichever survey it came from; also the index
        # of the job's "last career-update assignment" look-up
        sa.Index("uq_survey_assignments_career_cycle", "user_id", "cycle", unique=True,
                 postgresql_where=sa.text("kind = 'career_update'")),
        sa.Index("ix_survey_assignments_survey_institution", "survey_id", "institution_id"),
    )


class SurveyResponse(Base):
    """The answers to one assignment (one response per assignment)."""
    __tablename__ = "survey_responses"

    assignment_id: orm.Mapped[uuid.UUID] = orm.mapped_column(UUID, sa.ForeignKey("survey_assignments.id"),
                                                             primary_key=True)
    answers: orm.Mapped[dict] = orm.mapped_column(pg.JSONB)
    submitted_at: orm.Mapped[datetime] = orm.mapped_column(TS)
