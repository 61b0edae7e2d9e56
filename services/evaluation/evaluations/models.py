"""Tables of the evaluations domain (R13) beside the schedule and answers in services/evaluation/models.py:
the versions of the evaluation form."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg

from services.evaluation.models import TS, Base


class EvaluationForm(Base):
    """One version of the evaluation form: its questions as the client renders them. The highest version is
    the current one; a submission names the version the mentee filled, and only the current one is
    accepted, so that no answer is stored against labels the mentee never saw."""
    __tablename__ = "evaluation_forms"

    version: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    definition: orm.Mapped[dict] = orm.mapped_column(pg.JSONB)
    published_at: orm.Mapped[datetime] = orm.mapped_column(TS, server_default=sa.func.now())
