"""Use cases of R13: the mentee's evaluations and their submission, the mentor's feedback summary, and the
two time-based steps of the schedule (due, overdue) that the jobs run.

Access (DESIGN §4, §6): a mentee reaches only their own evaluations; an operator every one, answers
included; a mentor never an individual evaluation — only the summary of their own, whose averages and
shared texts are withheld under privacy.EVALUATION_MINIMUM submissions for anyone but operators; an
institution admin only the summaries of their institution's mentors. What the caller may not see is a 404.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm

from services.evaluation import privacy
from services.evaluation.evaluations import rules, schedule
from services.evaluation.evaluations.models import EvaluationForm
from services.evaluation.models import Evaluation, EvaluationAnswers, Member
from services.evaluation.settings import Settings
from shared.auth import Principal, visible_or_404
from shared.domain_errors import Refused, not_found
from shared.errors import invalid_field
from shared.events import record_event
from shared.events.outbox import iso_time, notify_relays, outbox_insert

BATCH = 2000  # rows claimed per transaction by the jobs: short transactions, few round trips


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- the form -------------------------------------------------------------------------------------------

def current_form(session: orm.Session) -> EvaluationForm:
    form = session.scalars(sa.select(EvaluationForm).order_by(EvaluationForm.version.desc()).limit(1)).first()
    if form is None:  # the migration seeds version 1; a database without it is misconfigured
        raise not_found("evaluation form")
    return form


# --- a mentee's evaluations -----------------------------------------------------------------------------

@dataclass
class EvaluationView:
    """An evaluation as its mentee (or an operator) sees it: with the mentor's name, so that the mentee
    knows whom they evaluate, and whether it can be submitted now."""
    evaluation: Evaluation
    mentor_name: str | None
    open: bool
    answers: EvaluationAnswers | None = None


def _view(evaluation: Evaluation, mentor_name: str | None, at: datetime,
          answers: EvaluationAnswers | None = None) -> EvaluationView:
    return EvaluationView(evaluation, mentor_name, rules.is_open(evaluation.status, evaluation.closes_at, at), answers)


def list_evaluations(session: orm.Session, principal: Principal, query: dict) -> list[EvaluationView]:
    """A mentee's own evaluations, newest due first, without those still only planned
    (scheduled: not the mentee's to act on yet); an operator's by any filter."""
    stmt = sa.select(Evaluation, Member.name).outerjoin(Member, Member.user_id == Evaluation.mentor_id)
    if principal.role == "mentee":
        stmt = stmt.where(Evaluation.mentee_id == principal.id, Evaluation.status != rules.SCHEDULED)
    for key in ("mentee_id", "mentor_id", "mentorship_id", "status"):
        if query.get(key) is not None:
            stmt = stmt.where(getattr(Evaluation, key) == query[key])
    stmt = (stmt.order_by(Evaluation.due_at.desc(), Evaluation.evaluation_id)
            .limit(query.get("limit", 100)).offset(query.get("offset", 0)))
    at = now()
    return [_view(e, name, at) for e, name in session.execute(stmt)]


def get_evaluation(session: orm.Session, principal: Principal, evaluation_id: uuid.UUID) -> EvaluationView:
    """One evaluation with its answers, for its mentee or an operator; anyone else finds nothing."""
    row = session.execute(sa.select(Evaluation, Member.name).outerjoin(Member, Member.user_id == Evaluation.mentor_id)
                          .where(Evaluation.evaluation_id == evaluation_id)).first()
    visible_or_404(row is not None and _may_see(principal, row[0]), "evaluation")
    evaluation, name = row
    return _view(evaluation, name, now(), session.get(EvaluationAnswers, evaluation_id))


def _may_see(principal: Principal, evaluation: Evaluation) -> bool:
    return principal.is_operator or (principal.role == "mentee" and evaluation.mentee_id == principal.id)


def submit(session: orm.Session, principal: Principal, evaluation_id: uuid.UUID, data: dict) -> EvaluationView:
    """The mentee's answers (EvaluationSubmitted, without ratings or texts). The row is locked first, so
    that a double submit — two tabs, a retry — stores one submission and refuses the other (409)."""
    evaluation = session.scalars(sa.select(Evaluation).where(Evaluation.evaluation_id == evaluation_id)
                                 .with_for_update().execution_options(populate_existing=True)).first()
    visible_or_404(evaluation is not None and principal.role == "mentee" and evaluation.mentee_id == principal.id,
                   "evaluation")
    form = current_form(session)
    if data["form_version"] != form.version:
        raise invalid_field(f"The current evaluation form is version {form.version}; reload the form and answer it.",
                            pointer="form_version")
    at = now()
    refused = rules.refusal(evaluation.status, evaluation.closes_at, at)
    if refused:
        raise Refused(*refused, evaluation_status=evaluation.status)
    answers = EvaluationAnswers(evaluation_id=evaluation.evaluation_id, form_version=form.version,
                                would_recommend=data["would_recommend"], submitted_at=at,
                                program_text=_text(data.get("program_text")),
                                shared_text=_text(data.get("shared_text")),
                                **{k: data[k] for k in rules.RATINGS})
    session.add(answers)
    evaluation.status, evaluation.submitted_at = rules.SUBMITTED, at
    session.flush()
    record_event(session, "EvaluationSubmitted", {**_event_data(evaluation), "submitted_at": at},
                 subject=f"evaluations/{evaluation.evaluation_id}")
    name = session.scalar(sa.select(Member.name).where(Member.user_id == evaluation.mentor_id))
    return _view(evaluation, name, at, answers)


def reschedule(session: orm.Session, settings: Settings, principal: Principal, evaluation_id: uuid.UUID,
               due_at: datetime) -> EvaluationView:
    """An operator moves an evaluation that has not fallen due yet (a mentorship whose start was recorded
    late, a demo): its grace period and window keep their lengths from the new due time, and the jobs
    announce it when that comes — at once when it is already past, overdue too when its grace has passed."""
    evaluation = session.scalars(sa.select(Evaluation).where(Evaluation.evaluation_id == evaluation_id)
                                 .with_for_update().execution_options(populate_existing=True)).first()
    visible_or_404(evaluation is not None and principal.is_operator, "evaluation")
    if evaluation.status != rules.SCHEDULED:
        raise Refused("already-announced", "Only an evaluation that has not fallen due yet can be moved.",
                      evaluation_status=evaluation.status)
    window = rules.moved(settings, evaluation.kind, due_at)
    evaluation.due_at, evaluation.overdue_at, evaluation.closes_at = window.due_at, window.overdue_at, window.closes_at
    name = session.scalar(sa.select(Member.name).where(Member.user_id == evaluation.mentor_id))
    return _view(evaluation, name, now())


def _text(value: str | None) -> str | None:
    """Blank is no answer: a comment of spaces would count as a shared text."""
    return value.strip() or None if value is not None else None


def _event_data(e: Evaluation) -> dict:
    return {"evaluation_id": e.evaluation_id, "mentorship_id": e.mentorship_id, "mentee_id": e.mentee_id,
            "mentor_id": e.mentor_id, "mentee_institution_id": e.mentee_institution_id,
            "mentor_institution_id": e.mentor_institution_id, "kind": e.kind, "due_at": e.due_at,
            "closes_at": e.closes_at}


# --- the mentor's feedback ------------------------------------------------------------------------------

@dataclass
class Feedback:
    mentor_id: uuid.UUID
    mentor_name: str | None
    count: int
    minimum: int
    withheld: bool
    reason: str | None = None
    averages: dict | None = None
    would_recommend_share: float | None = None
    shared_texts: list[str] | None = field(default=None)


def feedback(session: orm.Session, principal: Principal, mentor_id: uuid.UUID) -> Feedback:
    """The summary of a mentor's submitted evaluations, for the mentor, an admin of the mentor's
    institution or an operator. Averages and shared texts only from EVALUATION_MINIMUM submissions on
    (operators always): with fewer, a mentor could match a rating to the mentee who gave it. Shared texts
    come sorted alphabetically, without dates or ids, so that their order tells nothing of who or when."""
    mentor = session.get(Member, mentor_id)
    allowed = mentor is not None and mentor.role == "mentor" and (
        principal.is_operator or principal.id == mentor_id or principal.is_admin_of(mentor.institution_id))
    visible_or_404(allowed, "mentor")
    submitted = (sa.select(EvaluationAnswers)
                 .join(Evaluation, Evaluation.evaluation_id == EvaluationAnswers.evaluation_id)
                 .where(Evaluation.mentor_id == mentor_id, Evaluation.status == rules.SUBMITTED).subquery())
    row = session.execute(sa.select(
        sa.func.count(), *[sa.func.avg(submitted.c[k]) for k in rules.RATINGS],
        sa.func.avg(sa.case((submitted.c.would_recommend, 1.0), else_=0.0)))).one()
    count = row[0]
    out = Feedback(mentor_id, mentor.name, count, privacy.EVALUATION_MINIMUM, withheld=False)
    if not (principal.is_operator or privacy.shown(count)):
        out.withheld = True
        out.reason = (f"Averages and comments are shown once at least {privacy.EVALUATION_MINIMUM} evaluations have "
                      f"been submitted, so that no one can tell which mentee gave which answer; {count} so far.")
        return out
    if count:
        out.averages = {k: round(float(v), 2) for k, v in zip(rules.RATINGS, row[1:5])}
        out.would_recommend_share = round(float(row[5]), 2)
    out.shared_texts = list(session.scalars(sa.select(submitted.c.shared_text)
                                            .where(submitted.c.shared_text.is_not(None))
                                            .order_by(submitted.c.shared_text)))
    return out


# --- the schedule's time-based steps (jobs.py) ----------------------------------------------------------

def _event_rows(source: str) -> str:
    """The data of EvaluationDue/Overdue for each evaluation row of `source`, in the contract's JSON form
    (shared/events/contracts.py _Evaluation)."""
    return f"""
SELECT 'evaluations/' || e.evaluation_id AS subject, jsonb_build_object(
    'evaluation_id', e.evaluation_id::text, 'mentorship_id', e.mentorship_id::text, 'mentee_id', e.mentee_id::text,
    'mentor_id', e.mentor_id::text, 'mentee_institution_id', e.mentee_institution_id::text,
    'mentor_institution_id', e.mentor_institution_id::text, 'kind', e.kind,
    'due_at', {iso_time('e.due_at')}, 'closes_at', {iso_time('e.closes_at')}) AS data
FROM {source} AS e"""


def _due_statement(at: datetime) -> tuple[sa.TextClause, dict]:
    """Claim, change, announce and plan in one statement: each batch is one round trip, and the claimed rows
    are updated by their physical address (ctid, stable while they are locked) through a TID scan of an
    array — joined by id or ctid instead, the planner scans the whole table each batch. A periodic
    evaluation whose mentorship concluded before it fell due (the next one planned from a snapshot taken
    just before the conclusion committed) is cancelled instead of announced."""
    announce, params = outbox_insert("EvaluationDue", _event_rows("(SELECT * FROM changed WHERE status = 'due')"),
                                     time=at)
    plan = schedule.next_periodic_sql(
        "SELECT * FROM changed WHERE status = 'due' AND kind = 'periodic' AND mentorship_concluded_at IS NULL")
    return sa.text(f"""
WITH claimed AS (
    SELECT e.ctid AS row, (e.kind = 'periodic' AND m.concluded_at <= e.due_at) AS cancel, m.started_at,
           m.concluded_at AS mentorship_concluded_at
    FROM evaluations e JOIN mentorships m ON m.mentorship_id = e.mentorship_id
    WHERE e.status = 'scheduled' AND e.due_sent_at IS NULL AND e.due_at <= :at
    ORDER BY e.due_at LIMIT :n FOR UPDATE OF e SKIP LOCKED),
changed AS (
    UPDATE evaluations e
    SET status = CASE WHEN c.cancel THEN 'cancelled' ELSE 'due' END,
        due_sent_at = CASE WHEN c.cancel THEN NULL ELSE CAST(:at AS timestamptz) END
    FROM claimed c WHERE e.ctid = c.row AND e.ctid = ANY(ARRAY(SELECT row FROM claimed))
    RETURNING e.*, c.started_at, c.mentorship_concluded_at),
announced AS ({announce} RETURNING 1),
planned AS ({plan} RETURNING 1)
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM announced)"""), params


def _overdue_statement(at: datetime) -> tuple[sa.TextClause, dict]:
    announce, params = outbox_insert("EvaluationOverdue", _event_rows("changed"), time=at)
    return sa.text(f"""
WITH claimed AS (
    SELECT ctid AS row FROM evaluations
    WHERE status = 'due' AND overdue_sent_at IS NULL AND overdue_at <= :at
    ORDER BY overdue_at LIMIT :n FOR UPDATE SKIP LOCKED),
changed AS (
    UPDATE evaluations e SET status = 'overdue', overdue_sent_at = :at
    WHERE e.ctid = ANY(ARRAY(SELECT row FROM claimed))
    RETURNING e.*),
announced AS ({announce} RETURNING 1)
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM announced)"""), params


def announce_due(session: orm.Session, settings: Settings, at: datetime, limit: int = BATCH) -> int:
    """EvaluationDue for up to `limit` scheduled evaluations whose due time has come (however long ago:
    a worker that was down catches up), and the next periodic evaluation of each still-active mentorship.

    Rows are claimed with FOR UPDATE SKIP LOCKED and leave 'scheduled' in the same statement, so a second
    replica neither waits for them nor finds them again: each event is written once. Returns how many rows
    were claimed (announced or cancelled)."""
    stmt, params = _due_statement(at)
    claimed, announced = session.execute(stmt, {**params, **schedule.next_periodic_params(settings),
                                                "at": at, "n": limit}).one()
    if announced:
        notify_relays(session)
    return claimed


def announce_overdue(session: orm.Session, at: datetime, limit: int = BATCH) -> int:
    """EvaluationOverdue once for up to `limit` due evaluations not submitted by their overdue time. They
    stay open for submission until closes_at; a submission locks the row, so it and this never cross."""
    stmt, params = _overdue_statement(at)
    claimed, announced = session.execute(stmt, {**params, "at": at, "n": limit}).one()
    if announced:
        notify_relays(session)
    return claimed
