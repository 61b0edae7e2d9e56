"""Use cases of surveys (R14). Each takes a session and, for callers over HTTP, a Principal; events are
recorded in the same transaction as the state change (shared.events.record_event).

Assigning is set-based: the audience is read from the Member read model in batches of user ids (keyset,
so a batch never rescans what came before), one INSERT ... SELECT per batch skips whoever already holds
an assignment for this survey cycle (ON CONFLICT DO NOTHING against the unique constraints), and
SurveyAssigned is recorded for exactly the rows the INSERT returned. So
opening a survey twice, or two worker replicas running the career-update job at once, never assigns a
user twice in a cycle.

Privacy: answers are stored apart from who gave them and are shown only as distributions (operators:
also the texts, sorted, without names). Institution admins see their institution's completion counts
only, withheld under privacy.EVALUATION_MINIMUM.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert

from services.evaluation import privacy
from services.evaluation.models import TS, UUID, Institution, Member
from services.evaluation.settings import Settings
from services.evaluation.surveys import rules
from services.evaluation.surveys.models import Survey, SurveyAssignment, SurveyResponse, SurveyVersion
from shared.auth import Principal, visible_or_404
from shared.domain_errors import Refused
from shared.errors import Problem, invalid_field, invalid_fields
from shared.events import record_event, record_events

BATCH = 1000  # assignments per INSERT (and their events): bounded statements, however large the audience


def now() -> datetime:
    return datetime.now(timezone.utc)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _invalid(errors: dict[str, list[str]], base: str) -> Problem:
    return invalid_fields([{"pointer": f"#/{base}/{_escape(str(k))}", "detail": m}
                           for k, messages in errors.items() for m in messages])


# --- views ------------------------------------------------------------------------------------------------

def _assigned_counts(session: orm.Session, survey_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not survey_ids:
        return {}
    a = SurveyAssignment
    return dict(session.execute(sa.select(a.survey_id, sa.func.count()).where(a.survey_id.in_(survey_ids))
                                .group_by(a.survey_id)).all())


def _survey_view(session: orm.Session, s: Survey, assigned: int | None = None, newly: int | None = None) -> dict:
    versions = list(session.scalars(sa.select(SurveyVersion.version).where(SurveyVersion.survey_id == s.id)
                                    .order_by(SurveyVersion.version)))
    current = session.get(SurveyVersion, (s.id, s.current_version))
    if assigned is None:
        assigned = _assigned_counts(session, [s.id]).get(s.id, 0)
    out = {"id": s.id, "kind": s.kind, "title": s.title, "description": s.description,
           "audience": {"roles": s.audience_roles, "institution_ids": s.audience_institution_ids},
           "response_days": s.response_days, "status": s.status, "version": s.current_version,
           "versions": versions, "questions": current.questions, "created_by": s.created_by,
           "created_at": s.created_at, "opened_at": s.opened_at, "closed_at": s.closed_at, "assigned": assigned}
    if newly is not None:
        out["newly_assigned"] = newly
    return out


def _survey(session: orm.Session, survey_id: uuid.UUID, *, lock: bool = False) -> Survey:
    stmt = sa.select(Survey).where(Survey.id == survey_id)
    s = session.scalar(stmt.with_for_update().execution_options(populate_existing=True) if lock else stmt)
    visible_or_404(s is not None, "survey")
    return s


# --- operators: define, open, close ----------------------------------------------------------------------

def _audience(kind: str, audience: dict | None) -> tuple[list[str], list[uuid.UUID] | None]:
    if audience is None:  # only career updates may leave it out (schemas.SurveyCreate)
        return list(rules.CAREER_ROLES), None
    roles = [r for r in rules.ROLES if r in audience["roles"]]
    ids = audience.get("institution_ids")
    return roles, sorted(set(ids)) if ids else None


def _new_version(session: orm.Session, s: Survey, version: int, questions: list[dict], by: uuid.UUID,
                 at: datetime) -> None:
    session.add(SurveyVersion(survey_id=s.id, version=version, questions=[rules.normalized(q) for q in questions],
                              created_by=by, created_at=at))


def create_survey(session: orm.Session, principal: Principal, data: dict) -> dict:
    at = now()
    roles, institutions = _audience(data["kind"], data.get("audience"))
    s = Survey(id=uuid.uuid4(), kind=data["kind"], title=data["title"], description=data.get("description"),
               audience_roles=roles, audience_institution_ids=institutions,
               response_days=data.get("response_days"), status="draft", current_version=1,
               created_by=principal.id, created_at=at)
    session.add(s)
    session.flush()
    _new_version(session, s, 1, data["questions"], principal.id, at)
    session.flush()
    return _survey_view(session, s, assigned=0)


def update_survey(session: orm.Session, principal: Principal, survey_id: uuid.UUID, data: dict) -> dict:
    """Title, description and due days change in place; new questions make a new version (the ones
    already assigned never change); the audience may change only while the survey is a draft."""
    s = _survey(session, survey_id, lock=True)
    if s.status == "closed":
        raise Refused("survey-closed", "A closed survey cannot be changed.")
    if "audience" in data:
        if s.status != "draft":
            raise Refused("survey-open", "The audience of an open survey cannot change: close it and make a new one.")
        roles, institutions = _audience(s.kind, data["audience"])
        if s.kind == rules.CAREER_UPDATE and set(roles) - set(rules.CAREER_ROLES):
            raise invalid_field("Career updates are asked of mentees and alumni only.", pointer="audience/roles")
        s.audience_roles, s.audience_institution_ids = roles, institutions
    for field in ("title", "description", "response_days"):
        if field in data:
            setattr(s, field, data[field])
    if "questions" in data:
        current = session.get(SurveyVersion, (s.id, s.current_version))
        questions = [rules.normalized(q) for q in data["questions"]]
        if questions != current.questions:
            s.current_version += 1
            _new_version(session, s, s.current_version, data["questions"], principal.id, now())
    session.flush()
    return _survey_view(session, s)


def list_surveys(session: orm.Session, kind: str | None = None, status: str | None = None) -> list[dict]:
    stmt = sa.select(Survey).order_by(Survey.created_at.desc(), Survey.id)
    if kind:
        stmt = stmt.where(Survey.kind == kind)
    if status:
        stmt = stmt.where(Survey.status == status)
    surveys = list(session.scalars(stmt))
    counts = _assigned_counts(session, [s.id for s in surveys])
    return [_survey_view(session, s, assigned=counts.get(s.id, 0)) for s in surveys]


def get_survey(session: orm.Session, survey_id: uuid.UUID) -> dict:
    return _survey_view(session, _survey(session, survey_id))


def open_survey(session: orm.Session, principal: Principal, survey_id: uuid.UUID, settings: Settings,
                batch: int = BATCH) -> dict:
    """Open a draft and assign it to its audience. Opening an open survey again assigns it to those who
    joined the audience since (and to nobody twice). At most one career-update survey is open at a time
    (checked here; the partial unique index settles a race between two operators)."""
    s = _survey(session, survey_id, lock=True)
    if s.status == "closed":
        raise Refused("survey-closed", "A closed survey cannot be opened again: make a new one.")
    if s.status == "draft":
        if s.kind == rules.CAREER_UPDATE:
            other = session.scalar(sa.select(Survey.id).where(Survey.kind == rules.CAREER_UPDATE,
                                                              Survey.status == "open", Survey.id != s.id))
            if other is not None:
                raise Refused("career-survey-open", "Another career-update survey is open: close it first.",
                              open_survey_id=str(other))
        s.status, s.opened_at = "open", now()
        try:
            with session.begin_nested():
                session.flush()
        except sa.exc.IntegrityError:
            raise Refused("career-survey-open", "Another career-update survey was opened meanwhile.") from None
    newly = _assign_all(session, s, settings, now(), batch)
    return _survey_view(session, s, newly=newly)


def close_survey(session: orm.Session, principal: Principal, survey_id: uuid.UUID) -> dict:
    """No more assignments or responses; a repeat changes nothing."""
    s = _survey(session, survey_id, lock=True)
    if s.status != "closed":
        s.status, s.closed_at = "closed", now()
    return _survey_view(session, s)


# --- assigning (set-based) -------------------------------------------------------------------------------

def audience_clause(roles: list[str], institution_ids: list[uuid.UUID] | None):
    """Who a survey goes to, from the Member read model: active mentees and mentors of the chosen roles,
    alumni (mentees who exited, including those who stayed on as mentors, R17); never pending, ejected or
    deactivated members."""
    parts = []
    if "mentee" in roles:
        parts.append(sa.and_(Member.role == "mentee", Member.status == "active"))
    if "mentor" in roles:
        parts.append(sa.and_(Member.role == "mentor", Member.status == "active"))
    if "alumni" in roles:
        parts.append(sa.or_(sa.and_(Member.role == "mentee", Member.status == "exited"),
                            sa.and_(Member.exited_at.is_not(None), Member.status == "active")))
    clause = sa.or_(*parts) if parts else sa.false()
    if institution_ids:
        clause = sa.and_(clause, Member.institution_id.in_(institution_ids))
    return clause


def _record_assigned(session: orm.Session, s: Survey, rows) -> None:
    """SurveyAssigned for each row inserted, in one statement per batch."""
    record_events(session, "SurveyAssigned", [
        ({"assignment_id": row.id, "survey_id": s.id, "title": s.title, "kind": s.kind, "user_id": row.user_id,
          "institution_id": row.institution_id, "due_at": row.due_at}, f"survey-assignments/{row.id}")
        for row in rows])


def _insert(session: orm.Session, s: Survey, at: datetime, cycle, select_from, where) -> int:
    """INSERT ... SELECT the assignments of one batch of members, then their SurveyAssigned events."""
    due = at + timedelta(days=s.response_days) if s.response_days else None
    source = (sa.select(sa.func.gen_random_uuid(), sa.literal(s.id, UUID), sa.literal(s.current_version),
                        sa.literal(s.kind), cycle, Member.user_id, Member.institution_id, sa.literal(at, TS),
                        sa.literal(due, TS))
              .select_from(select_from).where(where))
    a = SurveyAssignment
    stmt = (insert(a).from_select(["id", "survey_id", "version", "kind", "cycle", "user_id", "institution_id",
                                   "assigned_at", "due_at"], source)
            .on_conflict_do_nothing().returning(a.id, a.user_id, a.institution_id, a.due_at))
    rows = session.execute(stmt).all()
    _record_assigned(session, s, rows)
    return len(rows)


def _next_members(session: orm.Session, s: Survey, after: uuid.UUID | None, batch: int) -> list[uuid.UUID]:
    """The next batch of the audience in user_id order (keyset: each batch reads only its own members)."""
    stmt = sa.select(Member.user_id).where(audience_clause(s.audience_roles, s.audience_institution_ids))
    if after is not None:
        stmt = stmt.where(Member.user_id > after)
    return list(session.scalars(stmt.order_by(Member.user_id).limit(batch)))


def _within(ids: list[uuid.UUID]):
    return Member.user_id.between(ids[0], ids[-1])


def assign_batch(session: orm.Session, s: Survey, at: datetime, after: uuid.UUID | None = None,
                 batch: int = BATCH) -> tuple[int, uuid.UUID | None]:
    """Program feedback (cycle 1): the next batch of the audience after `after`; whoever holds the
    survey already is skipped by the unique constraint. Returns (assigned, the batch's last user_id —
    None when the audience is exhausted)."""
    ids = _next_members(session, s, after, batch)
    if not ids:
        return 0, None
    where = sa.and_(audience_clause(s.audience_roles, s.audience_institution_ids), _within(ids))
    n = _insert(session, s, at, sa.literal(1), Member, where)
    return n, ids[-1] if len(ids) == batch else None


def assign_career_batch(session: orm.Session, s: Survey, settings: Settings, at: datetime,
                        after: uuid.UUID | None = None, batch: int = BATCH) -> tuple[int, uuid.UUID | None]:
    """Career updates: of the next batch of the audience, those whose last career-update assignment (of
    any survey) is at least `career_survey_every` old, or who never had one, get their next cycle."""
    ids = _next_members(session, s, after, batch)
    if not ids:
        return 0, None
    a = SurveyAssignment
    last = (sa.select(a.cycle, a.assigned_at).where(a.user_id == Member.user_id, a.kind == rules.CAREER_UPDATE)
            .order_by(a.cycle.desc()).limit(1).lateral("last"))
    due = sa.or_(last.c.assigned_at.is_(None), last.c.assigned_at <= at - settings.career_survey_every)
    where = sa.and_(audience_clause(s.audience_roles, s.audience_institution_ids), _within(ids), due)
    n = _insert(session, s, at, sa.func.coalesce(last.c.cycle, 0) + 1, sa.outerjoin(Member, last, sa.true()), where)
    return n, ids[-1] if len(ids) == batch else None


def _assign_all(session: orm.Session, s: Survey, settings: Settings, at: datetime, batch: int) -> int:
    total, after = 0, None
    while True:
        if s.kind == rules.CAREER_UPDATE:
            n, after = assign_career_batch(session, s, settings, at, after, batch)
        else:
            n, after = assign_batch(session, s, at, after, batch)
        total += n
        if after is None:
            return total


def open_career_survey(session: orm.Session) -> Survey | None:
    """The open career-update survey, held FOR SHARE so that it cannot be closed or edited while a
    batch is assigned (closing waits for the batch; the batch never sees a half-made version)."""
    return session.scalar(sa.select(Survey).where(Survey.kind == rules.CAREER_UPDATE, Survey.status == "open")
                          .with_for_update(read=True))


# --- respondents ---------------------------------------------------------------------------------------------

def _assignment_view(a: SurveyAssignment, s: Survey) -> dict:
    status = "completed" if a.completed_at else ("open" if s.status == "open" else "closed")
    return {"id": a.id, "survey_id": s.id, "kind": s.kind, "title": s.title, "description": s.description,
            "version": a.version, "status": status, "assigned_at": a.assigned_at, "due_at": a.due_at,
            "completed_at": a.completed_at}


def my_assignments(session: orm.Session, principal: Principal, status: str | None = None) -> list[dict]:
    """Mine: those I can still answer and those I answered (not the ones a closed survey took away)."""
    a = SurveyAssignment
    stmt = (sa.select(a, Survey).join(Survey, Survey.id == a.survey_id).where(a.user_id == principal.id)
            .order_by(a.assigned_at.desc(), a.id))
    if status == "completed":
        stmt = stmt.where(a.completed_at.is_not(None))
    elif status == "open":
        stmt = stmt.where(a.completed_at.is_(None), Survey.status == "open")
    else:
        stmt = stmt.where(sa.or_(a.completed_at.is_not(None), Survey.status == "open"))
    return [_assignment_view(row.SurveyAssignment, row.Survey) for row in session.execute(stmt)]


def _own_assignment(session: orm.Session, principal: Principal, assignment_id: uuid.UUID,
                    *, lock: bool = False) -> SurveyAssignment:
    stmt = sa.select(SurveyAssignment).where(SurveyAssignment.id == assignment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    a = session.scalar(stmt)
    visible_or_404(a is not None and a.user_id == principal.id, "survey assignment")
    return a


def _detail(session: orm.Session, a: SurveyAssignment) -> dict:
    s = session.get(Survey, a.survey_id)
    out = _assignment_view(a, s)
    out["questions"] = session.get(SurveyVersion, (a.survey_id, a.version)).questions
    response = session.get(SurveyResponse, a.id)
    out["answers"] = response.answers if response else None
    return out


def my_assignment(session: orm.Session, principal: Principal, assignment_id: uuid.UUID) -> dict:
    return _detail(session, _own_assignment(session, principal, assignment_id))


def submit_response(session: orm.Session, principal: Principal, assignment_id: uuid.UUID, answers: dict) -> dict:
    """Once per assignment, on the version assigned, while the survey is open. The assignment row is
    locked, so two submissions sent at once are one 201 and one 409."""
    a = _own_assignment(session, principal, assignment_id, lock=True)
    s = session.scalar(sa.select(Survey).where(Survey.id == a.survey_id).with_for_update(read=True))
    if a.completed_at is not None:
        raise Refused("already-completed", "You have already answered this survey.")
    if s.status != "open":
        raise Refused("survey-closed", "This survey is closed.")
    version = session.get(SurveyVersion, (a.survey_id, a.version))
    clean, errors = rules.judge_answers(version.questions, answers)
    if errors:
        raise _invalid(errors, "answers")
    at = now()
    session.add(SurveyResponse(assignment_id=a.id, answers=clean, submitted_at=at))
    a.completed_at = at
    session.flush()
    record_event(session, "SurveyCompleted", {
        "assignment_id": a.id, "survey_id": s.id, "kind": s.kind, "user_id": a.user_id,
        "institution_id": a.institution_id, "completed_at": at}, subject=f"survey-assignments/{a.id}")
    return _detail(session, a)


# --- statistics ------------------------------------------------------------------------------------------------

def _reaches(s: Survey, institution_id: uuid.UUID) -> bool:
    return s.audience_institution_ids is None or institution_id in s.audience_institution_ids


def _counts(session: orm.Session, survey_ids: list[uuid.UUID], institution_id: uuid.UUID | None = None):
    """{(survey_id, institution_id): (assigned, completed)}."""
    a = SurveyAssignment
    stmt = (sa.select(a.survey_id, a.institution_id, sa.func.count(), sa.func.count(a.completed_at))
            .where(a.survey_id.in_(survey_ids)).group_by(a.survey_id, a.institution_id))
    if institution_id is not None:
        stmt = stmt.where(a.institution_id == institution_id)
    return {(r[0], r[1]): (r[2], r[3]) for r in session.execute(stmt)}


def _completion(assigned: int, completed: int, *, suppress: bool) -> dict:
    """Counts as a viewer may see them: for anyone but operators each count under the minimum is
    withheld, and so is the rate whenever either count is (it would give the count away)."""
    if not suppress:
        return {"assigned": assigned, "completed": completed, "completion_rate": rules.rate(assigned, completed)}
    a = assigned if privacy.shown(assigned) else None
    c = completed if privacy.shown(completed) else None
    return {"assigned": a, "completed": c,
            "completion_rate": rules.rate(assigned, completed) if a is not None and c is not None else None}


def statistics(session: orm.Session, principal: Principal, survey_id: uuid.UUID,
               institution_id: uuid.UUID | None = None) -> dict:
    """Operators: completion overall and per institution, and per version the answer distributions.
    Institution admins (and operators naming an institution): that institution's completion only."""
    s = session.get(Survey, survey_id)
    head = {"survey_id": survey_id, "kind": s.kind if s else None, "title": s.title if s else None,
            "status": s.status if s else None}
    if not principal.is_operator:
        institution_id = institution_id or principal.institution_id
        visible_or_404(s is not None and s.status != "draft" and principal.is_admin_of(institution_id)
                       and _reaches(s, institution_id), "survey")
    else:
        visible_or_404(s is not None, "survey")
    if institution_id is not None:
        assigned, completed = _counts(session, [s.id], institution_id).get((s.id, institution_id), (0, 0))
        return {**head, "institution_id": institution_id,
                "minimum": None if principal.is_operator else privacy.EVALUATION_MINIMUM,
                **_completion(assigned, completed, suppress=not principal.is_operator)}

    counts = _counts(session, [s.id])
    names = dict(session.execute(sa.select(Institution.institution_id, Institution.name).where(
        Institution.institution_id.in_([inst for _, inst in counts]))).all()) if counts else {}
    institutions = sorted(
        ({"institution_id": inst, "institution_name": names.get(inst), **_completion(n, c, suppress=False)}
         for (_, inst), (n, c) in counts.items()),
        key=lambda r: (r["institution_name"] or "", str(r["institution_id"])))
    assigned, completed = sum(n for n, _ in counts.values()), sum(c for _, c in counts.values())
    return {**head, "institution_id": None, "minimum": None, **_completion(assigned, completed, suppress=False),
            "institutions": institutions, "versions": _distributions(session, s)}


def _distributions(session: orm.Session, s: Survey) -> list[dict]:
    """Per version (each response answered exactly its version's questions), each question's
    distribution. Only the answers are read, never who gave them."""
    a = SurveyAssignment
    answers_by_version: dict[int, list[dict]] = defaultdict(list)
    for version, answers in session.execute(
            sa.select(a.version, SurveyResponse.answers).join(SurveyResponse, SurveyResponse.assignment_id == a.id)
            .where(a.survey_id == s.id)):
        answers_by_version[version].append(answers)
    out = []
    for v in session.scalars(sa.select(SurveyVersion).where(SurveyVersion.survey_id == s.id)
                             .order_by(SurveyVersion.version)):
        responses = answers_by_version.get(v.version, [])
        out.append({"version": v.version, "responses": len(responses), "questions": [
            rules.distribution(q, (r[q["id"]] for r in responses if q["id"] in r), with_texts=True)
            for q in v.questions]})
    return out


def institution_surveys(session: orm.Session, principal: Principal, institution_id: uuid.UUID) -> list[dict]:
    """The surveys (open or closed) that reach an institution, with its completion counts — withheld
    under the minimum for its admins."""
    visible_or_404(principal.manages(institution_id), "institution")
    reaches = sa.or_(Survey.audience_institution_ids.is_(None),
                     sa.literal(institution_id, UUID) == sa.any_(Survey.audience_institution_ids))
    surveys = list(session.scalars(
        sa.select(Survey).where(Survey.status != "draft", reaches)
        .order_by(Survey.opened_at.desc().nulls_last(), Survey.id)))
    counts = _counts(session, [s.id for s in surveys], institution_id) if surveys else {}
    return [{"survey_id": s.id, "kind": s.kind, "title": s.title, "status": s.status,
             **_completion(*counts.get((s.id, institution_id), (0, 0)), suppress=not principal.is_operator)}
            for s in surveys]
