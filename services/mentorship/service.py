"""Use cases of the mentorship service. Each takes a session (one transaction), applies the rules of
rules.py, changes state and records its events with shared.events.record_event in that transaction.

Locking: every row lock is taken through locks.py, which holds the one order all transactions follow
(so that they never deadlock) and refuses a lock out of it. Accepting holds the mentor's row while it
moves the capacity ledger with a conditional UPDATE (active_mentees < 3, and a CHECK constraint behind
it): the cap (R11) holds with any number of API processes and worker replicas racing.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert

from services.mentorship import rules
from services.mentorship.locks import event_locks, lock, locks
from services.mentorship.models import MAX_ACTIVE_MENTEES, Institution, Member, Mentorship, MentorshipRequest
from services.mentorship.settings import Settings
from shared.auth import Principal, visible_or_404
from shared.domain_errors import Refused, not_found
from shared.errors import invalid_field
from shared.events import record_event

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- members (known from events) ---------------------------------------------------------------------------

def member_for_event(session: orm.Session, user_id: uuid.UUID, role: str, institution_id: uuid.UUID) -> Member:
    """The member's row, created when this is the first event about them, locked for the handler (the
    member the transaction is about, in the lock order)."""
    session.execute(insert(Member).values(
        user_id=user_id, role=role, institution_id=institution_id, status="pending",
    ).on_conflict_do_nothing(index_elements=["user_id"]))
    return event_locks(session, user_id).member(user_id)


def name_institution(session: orm.Session, institution_id: uuid.UUID, name: str, at: datetime) -> None:
    """Remember an institution's name; a later event's name wins, an older one changes nothing."""
    stmt = insert(Institution).values(id=institution_id, name=name, name_at=at)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["id"], set_={"name": stmt.excluded.name, "name_at": stmt.excluded.name_at},
        where=Institution.name_at < stmt.excluded.name_at))


def contact(member: Member | None) -> dict | None:
    if member is None or member.name is None:
        return None
    return {"user_id": member.user_id, "name": member.name, "email": member.email}


# --- requests -------------------------------------------------------------------------------------------

def _request_event(req: MentorshipRequest) -> dict:
    return {"request_id": req.id, "mentee_id": req.mentee_id, "mentor_id": req.mentor_id}


def _refuse(refusal: Refused | None) -> None:
    if refusal is not None:
        raise refusal


def create_request(session: orm.Session, settings: Settings, actor: Principal, data: dict,
                   idempotency_key: str | None = None) -> tuple[MentorshipRequest, bool]:
    """A mentee asks a mentor (RequestCreated). Returns (request, created); a retried POST with the same
    Idempotency-Key returns the first request and created=False."""
    if idempotency_key is not None:
        first = _by_idempotency_key(session, actor.id, idempotency_key)
        if first is not None:
            return _same_request(first, data), False
    # FOR SHARE: waits for an event about the mentee (an exit withdraws their open requests), so that
    # no request is created that the exit would not see.
    mentee = locks(session).member(actor.id, shared=True)
    if mentee is None or mentee.role != "mentee":
        _refuse(rules.mentee_refusal("pending", False, False))
    _refuse(rules.mentee_refusal(mentee.status, mentee.enrolled_at is not None, mentee.trained_at is not None))
    # FOR SHARE: waits for an accept that is moving this mentor's capacity, so that a request is never
    # created for a mentor who has just reached the cap.
    mentor = locks(session).mentor(data["mentor_id"], shared=True)
    if mentor is None or mentor.role != "mentor":
        raise not_found("mentor")
    _refuse(rules.mentor_refusal(
        status=mentor.status, enrolled=mentor.enrolled_at is not None, trained=mentor.trained_at is not None,
        published=mentor.published, scope=mentor.scope, mentor_institution=mentor.institution_id,
        mentee_institution=mentee.institution_id, active_mentees=mentor.active_mentees))
    if _active_mentorship(session, mentor.user_id, mentee.user_id) is not None:
        raise Refused("mentorship-already-active", "You already have an active mentorship with this mentor.")
    if _open_request(session, mentor.user_id, mentee.user_id) is not None:
        raise Refused("request-already-open", "You already have an open request to this mentor.")
    created = now()
    respond_by, remind_at = rules.deadlines(created, settings.respond_by, settings.remind_after)
    req = MentorshipRequest(
        id=uuid.uuid4(), mentee_id=mentee.user_id, mentor_id=mentor.user_id,
        mentee_institution_id=mentee.institution_id, mentor_institution_id=mentor.institution_id,
        message=data["message"], goals=list(data["goals"]), status=rules.OPEN, created_at=created,
        respond_by=respond_by, remind_at=remind_at, idempotency_key=idempotency_key,
    )
    session.add(req)
    try:
        if idempotency_key is None:
            session.flush()
        else:  # in a savepoint, so that the transaction can go on to find a concurrent POST's request
            with session.begin_nested():
                session.flush()
    except sa.exc.IntegrityError:
        # a concurrent POST: the same Idempotency-Key (return the first), or another request to this mentor
        if idempotency_key is not None:
            session.expunge(req)
            first = _by_idempotency_key(session, actor.id, idempotency_key)
            if first is not None:
                return _same_request(first, data), False
        raise Refused("request-already-open", "You already have an open request to this mentor.") from None
    record_event(session, "RequestCreated", {
        **_request_event(req), "mentee_institution_id": req.mentee_institution_id,
        "mentor_institution_id": req.mentor_institution_id, "created_at": req.created_at,
        "respond_by": req.respond_by}, subject=f"requests/{req.id}")
    return req, True


def _by_idempotency_key(session: orm.Session, mentee_id: uuid.UUID, key: str) -> MentorshipRequest | None:
    return session.execute(sa.select(MentorshipRequest).where(
        MentorshipRequest.mentee_id == mentee_id, MentorshipRequest.idempotency_key == key)).scalar_one_or_none()


def _same_request(first: MentorshipRequest, data: dict) -> MentorshipRequest:
    if first.mentor_id != data["mentor_id"]:
        raise Refused("idempotency-key-reused",
                      "This Idempotency-Key was used for a request to another mentor; use a new key.")
    return first


def _open_request(session, mentor_id, mentee_id) -> MentorshipRequest | None:
    return session.execute(sa.select(MentorshipRequest).where(
        MentorshipRequest.mentor_id == mentor_id, MentorshipRequest.mentee_id == mentee_id,
        MentorshipRequest.status == rules.OPEN)).scalar_one_or_none()


def _active_mentorship(session, mentor_id, mentee_id) -> Mentorship | None:
    return session.execute(sa.select(Mentorship).where(
        Mentorship.mentor_id == mentor_id, Mentorship.mentee_id == mentee_id,
        Mentorship.status == "active")).scalar_one_or_none()


def _visible_request(session: orm.Session, actor: Principal, request_id: uuid.UUID) -> MentorshipRequest:
    req = session.get(MentorshipRequest, request_id)
    visible_or_404(req is not None and (actor.is_operator or actor.id in (req.mentee_id, req.mentor_id)), "request")
    return req


def get_request(session: orm.Session, actor: Principal, request_id: uuid.UUID) -> MentorshipRequest:
    return _visible_request(session, actor, request_id)


def _answerable(session: orm.Session, actor: Principal, request_id: uuid.UUID) -> tuple[Member, MentorshipRequest]:
    """The request, locked after its mentor's row (the lock order), for its mentor to answer."""
    req = session.get(MentorshipRequest, request_id)
    visible_or_404(req is not None and actor.id in (req.mentee_id, req.mentor_id), "request")
    if actor.id != req.mentor_id:
        raise Refused("only-mentor-answers", "Only the requested mentor answers a request.")
    req = _lock_open(session, req, actor)
    return session.get(Member, req.mentor_id), req  # locked with the request, read again then


def _lock_open(session: orm.Session, req: MentorshipRequest, actor: Principal) -> MentorshipRequest:
    """The request, locked after its mentor's row, while it is open; otherwise a refusal saying what
    happened to it, in the words of the person who tried to change it."""
    lock(session, mentors=[req.mentor_id], requests=[req])
    if not rules.can_close(req.status):
        closed = rules.closed_request(
            req.status, reader=_reader(actor, req), decline_reason=req.decline_reason,
            declined_automatically=req.declined_automatically, mentee_left=_withdrawn_on_leaving(session, req))
        raise Refused("request-not-open", closed.detail, request_status=req.status, reason=closed.reason)
    return req


def _reader(actor: Principal, req: MentorshipRequest) -> str | None:
    return "mentor" if actor.id == req.mentor_id else "mentee" if actor.id == req.mentee_id else None


def _withdrawn_on_leaving(session: orm.Session, req: MentorshipRequest) -> bool:
    """A withdrawn request the platform withdrew when its mentee left (close_mentee), not the mentee."""
    if req.status != "withdrawn":
        return False
    mentee = session.get(Member, req.mentee_id)
    return (mentee is not None and mentee.status in ("exited", "deactivated") and mentee.status_at is not None
            and req.closed_at is not None and req.closed_at >= mentee.status_at)


def accept_request(session: orm.Session, actor: Principal, request_id: uuid.UUID) -> tuple[MentorshipRequest, Mentorship]:
    """The mentor accepts: RequestAccepted + MentorshipStarted, only while they have fewer than 3 active
    mentees; reaching 3 declines their other open requests ("at capacity", not counted against them)."""
    mentor, req = _answerable(session, actor, request_id)
    if mentor.status != "active":
        raise Refused("mentor-not-active", "You are not an active mentor of the program.")
    mentee = session.get(Member, req.mentee_id)
    if mentee is None or mentee.status != "active":
        raise Refused("mentee-not-active", "This mentee is no longer in the program.")
    locks(session).require(mentor.user_id)
    active = session.execute(
        sa.update(Member)
        .where(Member.user_id == mentor.user_id, Member.active_mentees < MAX_ACTIVE_MENTEES)
        .values(active_mentees=Member.active_mentees + 1)
        .returning(Member.active_mentees)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if active is None:
        raise Refused("mentor-no-open-slot", f"You already have {MAX_ACTIVE_MENTEES} mentees, the most a mentor "
                                             "may have: accept another request when a mentorship ends.")
    at = now()
    req.status, req.closed_at = "accepted", at
    ms = Mentorship(id=uuid.uuid4(), request_id=req.id, mentee_id=req.mentee_id, mentor_id=req.mentor_id,
                    mentee_institution_id=req.mentee_institution_id,
                    mentor_institution_id=req.mentor_institution_id, status="active", started_at=at)
    session.add(ms)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise Refused("mentorship-already-active", "You already mentor this mentee.") from None
    record_event(session, "RequestAccepted", {**_request_event(req), "mentorship_id": ms.id,
                                              "created_at": req.created_at, "responded_at": at},
                 subject=f"requests/{req.id}")
    record_event(session, "MentorshipStarted", {**_mentorship_event(ms), "request_id": req.id, "started_at": at},
                 subject=f"mentorships/{ms.id}")
    if not rules.has_open_slot(active):
        _decline_open(session, mentor.user_id, rules.AT_CAPACITY)
    return req, ms


def _close(req: MentorshipRequest, status: str, at: datetime) -> None:
    assert rules.can_close(req.status), req.status
    req.status, req.closed_at = status, at


def _decline(session: orm.Session, req: MentorshipRequest, reason: str, automatic: bool) -> None:
    at = now()
    _close(req, "declined", at)
    req.decline_reason, req.declined_automatically = reason, automatic
    record_event(session, "RequestDeclined", {**_request_event(req), "reason": reason, "automatic": automatic,
                                              "created_at": req.created_at, "responded_at": at},
                 subject=f"requests/{req.id}")


def _locked(session: orm.Session, model, status: str, order, **where) -> list:
    """Rows of `model` in `status` matching `where`, locked, oldest first (the caller holds their mentors)."""
    return locks(session).select(sa.select(model).where(model.status == status).filter_by(**where).order_by(order))


def _open_requests_locked(session: orm.Session, **where) -> list[MentorshipRequest]:
    return _locked(session, MentorshipRequest, rules.OPEN, MentorshipRequest.created_at, **where)


def _decline_open(session: orm.Session, mentor_id: uuid.UUID, reason: str) -> int:
    """The platform declines a mentor's open requests (capacity reached, mentor ejected): RequestDeclined
    with automatic=true tells each mentee, and it is not counted against the mentor. The caller holds
    the mentor's row."""
    reqs = _open_requests_locked(session, mentor_id=mentor_id)
    for req in reqs:
        _decline(session, req, reason, automatic=True)
    return len(reqs)


def decline_request(session: orm.Session, actor: Principal, request_id: uuid.UUID, reason: str) -> MentorshipRequest:
    _, req = _answerable(session, actor, request_id)
    _decline(session, req, reason, automatic=False)
    return req


def _withdraw(session: orm.Session, req: MentorshipRequest) -> None:
    at = now()
    _close(req, "withdrawn", at)
    record_event(session, "RequestWithdrawn", {**_request_event(req), "withdrawn_at": at},
                 subject=f"requests/{req.id}")


def withdraw_request(session: orm.Session, actor: Principal, request_id: uuid.UUID) -> MentorshipRequest:
    req = session.get(MentorshipRequest, request_id)
    visible_or_404(req is not None and actor.id in (req.mentee_id, req.mentor_id), "request")
    if actor.id != req.mentee_id:
        raise Refused("only-mentee-withdraws", "Only the mentee who made a request withdraws it.")
    req = _lock_open(session, req, actor)
    _withdraw(session, req)
    return req


def set_deadline(session: orm.Session, settings: Settings, actor: Principal, request_id: uuid.UUID,
                 respond_by: datetime) -> MentorshipRequest:
    """An operator moves an open request's deadline (a mentor on leave, a program exception); a deadline
    already past expires the request at the expiry job's next run. The reminder moves with it (the rule of
    a new request); a reminder already sent is sent again when the new one falls after it."""
    req = _visible_request(session, actor, request_id)
    req = _lock_open(session, req, actor)
    if respond_by < req.created_at:
        raise invalid_field("Must not be before the request was made.", pointer="respond_by")
    req.respond_by = respond_by
    req.remind_at = rules.reminder_before(respond_by, req.created_at, settings.respond_by, settings.remind_after)
    if req.reminded_at is not None and req.remind_at > req.reminded_at:
        req.reminded_at = None
    return req


def list_requests(session: orm.Session, actor: Principal, query: dict) -> list[MentorshipRequest]:
    """A mentee's requests (newest first); a mentor's requests, the open ones ordered by deadline."""
    stmt = sa.select(MentorshipRequest)
    status = query.get("status")
    if actor.role == "mentor":
        stmt = stmt.where(MentorshipRequest.mentor_id == actor.id)
        status = status or rules.OPEN
    else:
        stmt = stmt.where(MentorshipRequest.mentee_id == actor.id)
    if status:
        stmt = stmt.where(MentorshipRequest.status == status)
    order = (MentorshipRequest.respond_by.asc(),) if status == rules.OPEN else (MentorshipRequest.created_at.desc(),)
    stmt = stmt.order_by(*order, MentorshipRequest.id).limit(query.get("limit", 100)).offset(query.get("offset", 0))
    return list(session.execute(stmt).scalars())


# --- mentorships ------------------------------------------------------------------------------------------

def _mentorship_event(ms: Mentorship) -> dict:
    return {"mentorship_id": ms.id, "mentor_id": ms.mentor_id, "mentee_id": ms.mentee_id,
            "mentor_institution_id": ms.mentor_institution_id, "mentee_institution_id": ms.mentee_institution_id}


def _conclude(session: orm.Session, ms: Mentorship, by: str, reason: str) -> None:
    """Conclude an active mentorship (MentorshipConcluded) and free the mentor's slot. The caller holds
    the mentor's row and the mentorship's."""
    assert rules.can_conclude(ms.status), ms.status
    locks(session).require(ms.mentor_id)
    at = now()
    ms.status, ms.concluded_at, ms.concluded_by, ms.conclusion_reason = "concluded", at, by, reason
    session.execute(sa.update(Member).where(Member.user_id == ms.mentor_id)
                    .values(active_mentees=Member.active_mentees - 1)
                    .execution_options(synchronize_session="fetch"))
    record_event(session, "MentorshipConcluded", {**_mentorship_event(ms), "reason": reason, "concluded_by": by,
                                                  "started_at": ms.started_at, "concluded_at": at},
                 subject=f"mentorships/{ms.id}")


def mentorship_id_of(session: orm.Session, req: MentorshipRequest) -> uuid.UUID | None:
    return session.execute(sa.select(Mentorship.id).where(Mentorship.request_id == req.id)).scalar_one_or_none()


def _visible_mentorship(session: orm.Session, actor: Principal, mentorship_id: uuid.UUID) -> Mentorship:
    ms = session.get(Mentorship, mentorship_id)
    visible_or_404(ms is not None and (actor.is_operator or actor.id in (ms.mentee_id, ms.mentor_id)), "mentorship")
    return ms


def get_mentorship(session: orm.Session, actor: Principal, mentorship_id: uuid.UUID) -> Mentorship:
    return _visible_mentorship(session, actor, mentorship_id)


def conclude_mentorship(session: orm.Session, actor: Principal, mentorship_id: uuid.UUID, reason: str) -> Mentorship:
    ms = session.get(Mentorship, mentorship_id)
    visible_or_404(ms is not None and actor.id in (ms.mentee_id, ms.mentor_id), "mentorship")
    lock(session, mentors=[ms.mentor_id], mentorships=[ms])
    if not rules.can_conclude(ms.status):
        raise Refused("mentorship-not-active", "This mentorship has already concluded.")
    _conclude(session, ms, "mentor" if actor.id == ms.mentor_id else "mentee", reason)
    return ms


def list_mentorships(session: orm.Session, actor: Principal, query: dict) -> list[Mentorship]:
    column = Mentorship.mentor_id if actor.role == "mentor" else Mentorship.mentee_id
    stmt = sa.select(Mentorship).where(column == actor.id)
    if query.get("status"):
        stmt = stmt.where(Mentorship.status == query["status"])
    stmt = stmt.order_by(Mentorship.started_at.desc(), Mentorship.id)
    return list(session.execute(stmt.limit(query.get("limit", 100)).offset(query.get("offset", 0))).scalars())


# --- contact (after acceptance only) ----------------------------------------------------------------------

def contacts(session: orm.Session, actor: Principal, mentor_id: uuid.UUID, mentee_id: uuid.UUID,
             accepted: bool) -> dict:
    """Each side sees the other's name and e-mail once the request is accepted; before, neither."""
    out = {"mentor_contact": None, "mentee_contact": None}
    if accepted:
        if actor.is_operator or actor.id == mentee_id:
            out["mentor_contact"] = contact(session.get(Member, mentor_id))
        if actor.is_operator or actor.id == mentor_id:
            out["mentee_contact"] = contact(session.get(Member, mentee_id))
    return out


def mentee_card(session: orm.Session, mentee_id: uuid.UUID) -> dict | None:
    """Who is asking, for the mentor to see before answering (and beside a mentorship): the mentee's name,
    institution, training stage and expected graduation year — what the enrollment and profile events
    told us; never eligibility or demographics (DESIGN §6), which mentorship never receives. The e-mail
    stays in `mentee_contact`, shown only once a request is accepted."""
    mentee = session.get(Member, mentee_id)
    if mentee is None:
        return None
    inst = session.get(Institution, mentee.institution_id)
    return {"user_id": mentee.user_id, "name": mentee.name, "institution_id": mentee.institution_id,
            "institution_name": inst.name if inst is not None else None,
            "training_stage": mentee.training_stage, "expected_graduation_year": mentee.expected_graduation_year}


# --- the caller, as mentorship knows them --------------------------------------------------------------------

def me(session: orm.Session, actor: Principal) -> dict:
    """What mentorship knows of the signed-in mentor or mentee: whether they may request or be requested
    and, for a mentor, the capacity ledger (R11: active mentees against the cap of 3). Someone whose
    enrollment event has not arrived yet is `pending`."""
    member = session.get(Member, actor.id)
    mentor = actor.role == "mentor"
    active = member.active_mentees if member is not None else 0
    return {"user_id": actor.id, "role": actor.role,
            "status": member.status if member is not None else "pending",
            "trained": member is not None and member.trained_at is not None,
            "published": (member is not None and member.published) if mentor else None,
            "scope": member.scope if mentor and member is not None else None,
            "active_mentees": active if mentor else None,
            "max_active_mentees": MAX_ACTIVE_MENTEES,
            "open_slots": max(0, MAX_ACTIVE_MENTEES - active) if mentor else None,
            "at_capacity": (not rules.has_open_slot(active)) if mentor else None}


# --- institution counts ------------------------------------------------------------------------------------

def institution_counts(session: orm.Session, actor: Principal, institution_id: uuid.UUID) -> dict:
    """Counts only: requests and mentorships of the institution's mentees and of its mentors."""
    visible_or_404(actor.manages(institution_id), "institution")

    def by_status(model, column) -> dict:
        rows = session.execute(sa.select(model.status, sa.func.count()).where(column == institution_id)
                               .group_by(model.status)).all()
        return dict(rows)

    def side(req_col, ms_col) -> dict:
        reqs = by_status(MentorshipRequest, req_col)
        mss = by_status(Mentorship, ms_col)
        return {"requests": {s: reqs.get(s, 0) for s in rules.REQUEST_STATES},
                "mentorships": {s: mss.get(s, 0) for s in rules.MENTORSHIP_STATES}}

    # The terms of docs/architecture.md "Counting mentors": enrolled = admitted and in good standing.
    enrolled = Member.status == "active"
    mentors = session.execute(sa.select(
        sa.func.count().filter(enrolled),
        sa.func.count().filter(enrolled, Member.active_mentees > 0),
        sa.func.count().filter(enrolled, Member.active_mentees >= MAX_ACTIVE_MENTEES),
    ).where(Member.institution_id == institution_id, Member.role == "mentor")).one()
    return {"institution_id": institution_id,
            "mentees": side(MentorshipRequest.mentee_institution_id, Mentorship.mentee_institution_id),
            "mentors": {**side(MentorshipRequest.mentor_institution_id, Mentorship.mentor_institution_id),
                        "enrolled_mentors": mentors[0], "mentors_in_mentorships": mentors[1],
                        "mentors_at_capacity": mentors[2]}}


# --- the platform's side: ejection, exit, deactivation -----------------------------------------------------

def close_mentor(session: orm.Session, mentor: Member, reason: str) -> None:
    """A mentor leaves the program: their open requests are declined (the mentees told) and their active
    mentorships concluded by the platform. The caller holds the mentor's row."""
    _decline_open(session, mentor.user_id, reason)
    for ms in _active_mentorships_locked(session, mentor_id=mentor.user_id):
        _conclude(session, ms, "platform", reason)


def close_mentee(session: orm.Session, mentee: Member, reason: str) -> None:
    """A mentee leaves: their open requests are withdrawn and their active mentorships concluded."""
    mentor_ids = session.execute(
        sa.select(MentorshipRequest.mentor_id).where(MentorshipRequest.mentee_id == mentee.user_id,
                                                     MentorshipRequest.status == rules.OPEN)
        .union(sa.select(Mentorship.mentor_id).where(Mentorship.mentee_id == mentee.user_id,
                                                     Mentorship.status == "active"))).scalars().all()
    locks(session).mentors(mentor_ids)
    for req in _open_requests_locked(session, mentee_id=mentee.user_id):
        _withdraw(session, req)
    for ms in _active_mentorships_locked(session, mentee_id=mentee.user_id):
        _conclude(session, ms, "platform", reason)


def become_mentor(session: orm.Session, member: Member) -> None:
    """R17: an alumnus or alumna admitted as a mentor. Identity admits only a mentee who exited, so
    whatever is still open on their mentee side is closed as their exit would (a MenteeExited handled
    later is then ignored); what the row knew of them as a mentee is forgotten. The caller holds the row
    and enrolls the mentor."""
    close_mentee(session, member, "mentee exited")
    member.role, member.status, member.status_at, member.enrolled_at, member.trained_at = \
        "mentor", "pending", None, None, None
    member.training_stage = member.expected_graduation_year = member.studies_at = None


def _active_mentorships_locked(session: orm.Session, **where) -> list[Mentorship]:
    return _locked(session, Mentorship, "active", Mentorship.started_at, **where)


# --- deadlines and responsiveness (R12): called by the jobs ------------------------------------------------

def remind_due(session: orm.Session, at: datetime, limit: int = 500) -> int:
    """RequestReminderDue once per open request whose reminder time has come (before its deadline)."""
    reqs = locks(session).claim(
        sa.select(MentorshipRequest).where(
            MentorshipRequest.status == rules.OPEN, MentorshipRequest.reminded_at.is_(None),
            MentorshipRequest.remind_at <= at, MentorshipRequest.respond_by > at)
        .order_by(MentorshipRequest.remind_at).limit(limit))
    for req in reqs:
        req.reminded_at = at
        record_event(session, "RequestReminderDue", {**_request_event(req), "respond_by": req.respond_by},
                     subject=f"requests/{req.id}")
    return len(reqs)


def mentors_with_due_requests(session: orm.Session, at: datetime, limit: int = 500) -> list[uuid.UUID]:
    return list(session.execute(
        sa.select(MentorshipRequest.mentor_id).where(MentorshipRequest.status == rules.OPEN,
                                                     MentorshipRequest.respond_by <= at)
        .group_by(MentorshipRequest.mentor_id).order_by(sa.func.min(MentorshipRequest.respond_by))
        .limit(limit)).scalars())


def expire_due_of(session: orm.Session, settings: Settings, mentor_id: uuid.UUID, at: datetime) -> int:
    """Expire a mentor's open requests past their deadline (RequestExpired, once each: the mentor's row is
    locked first, so a second replica finds them expired), then count the strikes and report the mentor
    unresponsive once (MentorUnresponsive) when they reach the threshold."""
    held = locks(session)
    mentor = held.mentor(mentor_id)
    reqs = held.claim(
        sa.select(MentorshipRequest).where(MentorshipRequest.mentor_id == mentor_id,
                                           MentorshipRequest.status == rules.OPEN,
                                           MentorshipRequest.respond_by <= at)
        .order_by(MentorshipRequest.respond_by))
    for req in reqs:
        _close(req, "expired", at)
    if not reqs:
        return 0
    session.flush()
    strikes = _strikes(session, settings, mentor, mentor_id, at)
    for req in reqs:
        # The strike count lets the mentor be told how many more expiries lead to ejection.
        record_event(session, "RequestExpired", {**_request_event(req), "created_at": req.created_at,
                                                 "respond_by": req.respond_by, "strikes": len(strikes),
                                                 "strikes_allowed": settings.strikes,
                                                 "window_days": _window_days(settings)},
                     subject=f"requests/{req.id}")
    if mentor is not None:
        _check_responsiveness(session, settings, mentor, strikes, at)
    return len(reqs)


def _window_days(settings: Settings) -> int:
    return max(1, round(settings.strike_window.total_seconds() / 86400))


def _strikes(session: orm.Session, settings: Settings, mentor: Member | None, mentor_id: uuid.UUID,
             at: datetime) -> list[sa.Row]:
    """The mentor's expired requests within the strike window (since a reinstatement, if later): their
    ids and when they expired."""
    start = rules.strike_window_start(at, settings.strike_window, mentor.strikes_since if mentor else None)
    return session.execute(
        sa.select(MentorshipRequest.id, MentorshipRequest.closed_at).where(MentorshipRequest.mentor_id == mentor_id,
                                              MentorshipRequest.status == "expired",
                                              MentorshipRequest.closed_at > start)
        .order_by(MentorshipRequest.closed_at)).all()


def _check_responsiveness(session: orm.Session, settings: Settings, mentor: Member, strikes: list[sa.Row],
                          at: datetime) -> None:
    if mentor.unresponsive_reported_at is not None or mentor.status != "active":
        return
    if not rules.is_unresponsive(len(strikes), settings.strikes):
        return
    mentor.unresponsive_reported_at = at
    record_event(session, "MentorUnresponsive", {
        "mentor_id": mentor.user_id, "institution_id": mentor.institution_id, "strikes": len(strikes),
        "window_days": _window_days(settings),
        "expired_request_ids": [s.id for s in strikes],
        "expiries": [{"request_id": s.id, "expired_at": s.closed_at} for s in strikes]},
        subject=f"mentors/{mentor.user_id}")
