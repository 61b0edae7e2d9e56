"""The evaluation schedule (R13) as the mentorship events change it. The jobs (jobs.py) announce what
falls due; here rows are planned: the first periodic evaluation when a mentorship starts, the final one
when it concludes (cancelling periodic ones not yet due). Inserts are idempotent: a mentorship has one
row per (kind, sequence)."""
from __future__ import annotations

import sqlalchemy as sa
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


_PLAN_NEXT = sa.text("""
INSERT INTO evaluations (evaluation_id, mentorship_id, mentee_id, mentor_id, mentee_institution_id,
                         mentor_institution_id, kind, sequence, due_at, overdue_at, closes_at, status)
SELECT gen_random_uuid(), e.mentorship_id, e.mentee_id, e.mentor_id, e.mentee_institution_id,
       e.mentor_institution_id, 'periodic', e.sequence + 1, n.due_at, n.due_at + :grace, n.due_at + :window, 'scheduled'
FROM evaluations e
JOIN mentorships m ON m.mentorship_id = e.mentorship_id
CROSS JOIN LATERAL (SELECT m.started_at + (e.sequence + 1) * CAST(:period AS interval) AS due_at) AS n
WHERE e.evaluation_id = ANY(:ids) AND e.kind = 'periodic' AND m.concluded_at IS NULL
ON CONFLICT ON CONSTRAINT uq_evaluations_mentorship_kind_sequence DO NOTHING
""")


def plan_next_periodic(session: orm.Session, settings: Settings, evaluation_ids: list) -> int:
    """Plan periodic n+1 for each periodic evaluation n among `evaluation_ids` that just fell due, while
    its mentorship is active: rules.periodic in one statement (the due job handles thousands of rows a
    run; an insert per row would not keep it within its time). A conclusion committed meanwhile is caught
    when the planned row falls due (the due job cancels it) and by `concluded` above."""
    result = session.execute(_PLAN_NEXT.bindparams(
        sa.bindparam("grace", type_=sa.Interval()), sa.bindparam("window", type_=sa.Interval()),
        sa.bindparam("period", type_=sa.Interval())),
        {"ids": list(evaluation_ids), "period": settings.evaluation_period, "grace": settings.overdue_grace,
         "window": settings.periodic_window})
    return result.rowcount or 0
