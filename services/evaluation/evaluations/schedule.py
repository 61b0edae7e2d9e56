"""The evaluation schedule (R13) as the mentorship events change it. The jobs (jobs.py) announce what
falls due; here rows are planned: the first periodic evaluation when a mentorship starts, the final one
when it concludes (cancelling periodic ones not yet due). Inserts are idempotent: a mentorship has one
row per (kind, sequence)."""
from __future__ import annotations

from sqlalchemy import orm, update
from sqlalchemy.dialects.postgresql import insert

from services.evaluation.evaluations import rules
from services.evaluation.models import Evaluation, Mentorship
from services.evaluation.settings import Settings


def plan(session: orm.Session, ms: Mentorship, kind: str, sequence: int, window: rules.Window) -> None:
    session.execute(insert(Evaluation).values(
        mentorship_id=ms.mentorship_id, mentee_id=ms.mentee_id, mentor_id=ms.mentor_id,
        mentee_institution_id=ms.mentee_institution_id, mentor_institution_id=ms.mentor_institution_id,
        kind=kind, sequence=sequence, due_at=window.due_at, overdue_at=window.overdue_at,
        closes_at=window.closes_at, status="scheduled",
    ).on_conflict_do_nothing(constraint="uq_evaluations_mentorship_kind_sequence"))


def started(session: orm.Session, settings: Settings, ms: Mentorship) -> None:
    if ms.concluded_at is not None:
        return  # the conclusion came first and planned the final evaluation
    plan(session, ms, rules.PERIODIC, 1, rules.periodic(settings, ms.started_at, 1))


def concluded(session: orm.Session, settings: Settings, ms: Mentorship) -> None:
    session.execute(update(Evaluation)
                    .where(Evaluation.mentorship_id == ms.mentorship_id, Evaluation.kind == rules.PERIODIC,
                           Evaluation.status == "scheduled")
                    .values(status="cancelled"))
    plan(session, ms, rules.FINAL, 0, rules.final(settings, ms.concluded_at))


def next_periodic_sql(source: str) -> str:
    """SQL planning periodic n+1 for each row of `source` (a relation with an evaluation's columns and its
    mentorship's started_at, filtered by the caller to periodic evaluations of active mentorships that
    just fell due): rules.periodic as one INSERT ... SELECT, for the due job, which handles thousands of
    rows a run — an insert per row would not keep it within its time. Parameters: next_periodic_params."""
    return f"""
INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id,
                         mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status)
SELECT gen_random_uuid(), s.mentorship_id, s.mentee_id, s.mentor_id, s.mentee_institution_id,
       s.mentor_institution_id, 'periodic', s.sequence + 1, n.due_at, n.due_at + CAST(:plan_grace AS interval),
       n.due_at + CAST(:plan_window AS interval), 'scheduled'
FROM ({source}) AS s
CROSS JOIN LATERAL (SELECT s.started_at + (s.sequence + 1) * CAST(:plan_period AS interval) AS due_at) AS n
ON CONFLICT ON CONSTRAINT uq_evaluations_mentorship_kind_sequence DO NOTHING"""


def next_periodic_params(settings: Settings) -> dict:
    return {"plan_period": settings.evaluation_period, "plan_grace": settings.overdue_grace,
            "plan_window": settings.periodic_window}
