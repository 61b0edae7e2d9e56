"""Events evaluation consumes. (The events it publishes, and their data schemas, are in
shared/events/contracts.py; each domain's service records them.)

`handlers` is the service's one dispatch table: the read models below are filled here; the evaluation
schedule (R13) starts and ends with the mentorship events. Every handler is idempotent and
order-tolerant: a row is created by whichever event about it comes first; a status event applies only
when it is later than the one that set the current status; an exited or deactivated member stays so.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import insert

from services.evaluation.evaluations import schedule
from services.evaluation.models import CmeCredit, Institution, Member, Mentorship, RequestFact
from shared.events import Event, Handlers

log = logging.getLogger(__name__)

handlers = Handlers()

TERMINAL = ("exited", "deactivated")


# --- institutions ---------------------------------------------------------------------------------------

def _institution(session: orm.Session, event: Event) -> None:
    """The later event's name and reward policy win; an older one changes nothing."""
    data = event.data
    stmt = insert(Institution).values(institution_id=data["institution_id"], name=data["name"],
                                      reward_policy=data.get("reward_policy") or {}, updated_at=event.time)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["institution_id"],
        set_={"name": stmt.excluded.name, "reward_policy": stmt.excluded.reward_policy,
              "updated_at": stmt.excluded.updated_at},
        where=Institution.updated_at < stmt.excluded.updated_at))


handlers.on("InstitutionSubscribed")(_institution)
handlers.on("InstitutionUpdated")(_institution)


# --- members --------------------------------------------------------------------------------------------

def member_for_event(session: orm.Session, user_id: uuid.UUID, role: str, institution_id: uuid.UUID) -> Member | None:
    """The member's row (created when this is the first event about them), locked; None when the event
    names a member of another role."""
    session.execute(insert(Member).values(user_id=user_id, role=role, institution_id=institution_id,
                                          status="pending").on_conflict_do_nothing(index_elements=["user_id"]))
    member = session.get(Member, user_id, with_for_update=True, populate_existing=True)
    if member is not None and member.role != role:
        log.warning("event about a member of another role ignored", extra={"user_id": str(user_id), "role": member.role})
        return None
    return member


def _set_status(member: Member, status: str, at: datetime) -> bool:
    if member.status in TERMINAL:
        return False
    if status not in TERMINAL and member.status_at is not None and at <= member.status_at:
        return False
    member.status, member.status_at = status, at
    return True


def _becomes_mentor(session: orm.Session, event: Event) -> None:
    """R17: identity admits an exited mentee as a mentor under the same user id. The row becomes a
    mentor's; `exited_at` stays, so the alumnus or alumna is still asked for career updates (R14)."""
    member = session.get(Member, event.data["user_id"], with_for_update=True, populate_existing=True)
    if member is not None and member.role == "mentee" and (member.status_at is None or event.time > member.status_at):
        if member.exited_at is None:  # the admission overtook the exit: identity admits only exited mentees
            member.exited_at = event.time
        member.role, member.status, member.status_at = "mentor", "pending", None


def _enrolled(role: str):
    def handle(session: orm.Session, event: Event) -> None:
        data = event.data
        if role == "mentor":
            _becomes_mentor(session, event)
        member = member_for_event(session, data["user_id"], role, data["institution_id"])
        if member is None:
            return
        member.name, member.email, member.institution_id = data["name"], data["email"], data["institution_id"]
        member.enrolled_at = member.enrolled_at or event.time
        _set_status(member, "active", event.time)
    return handle


handlers.on("MentorEnrolled")(_enrolled("mentor"))
handlers.on("MenteeEnrolled")(_enrolled("mentee"))


def _mentor_status(status: str):
    def handle(session: orm.Session, event: Event) -> None:
        member = member_for_event(session, event.data["user_id"], "mentor", event.data["institution_id"])
        if member is not None:
            _set_status(member, status, event.time)
    return handle


handlers.on("MentorEjected")(_mentor_status("ejected"))
handlers.on("MentorReinstated")(_mentor_status("active"))


@handlers.on("MenteeExited")
def mentee_exited(session: orm.Session, event: Event) -> None:
    """R14: an exited mentee becomes an alumnus or alumna, still asked for career updates."""
    member = member_for_event(session, event.data["user_id"], "mentee", event.data["institution_id"])
    if member is not None and _set_status(member, "exited", event.time):
        member.exited_at, member.exit_reason = event.time, event.data["reason"]


@handlers.on("UserDeactivated")
def user_deactivated(session: orm.Session, event: Event) -> None:
    role = event.data["role"]
    if role not in ("mentor", "mentee") or event.data.get("institution_id") is None:
        return
    member = member_for_event(session, event.data["user_id"], role, event.data["institution_id"])
    if member is None:
        return
    if member.status == "exited":
        # An alumnus whose account is closed is no longer surveyed (R14); exited_at and exit_reason stay,
        # so the exit itself is still known.
        member.status, member.status_at = "deactivated", event.time
    else:
        _set_status(member, "deactivated", event.time)


@handlers.on("TrainingCompleted")
def training_completed(session: orm.Session, event: Event) -> None:
    data = event.data
    member = member_for_event(session, data["user_id"], data["track"], data["institution_id"])
    if member is not None and (member.trained_at is None or data["completed_at"] < member.trained_at):
        member.trained_at = data["completed_at"]


@handlers.on("CmeCreditAwarded")
def cme_credit_awarded(session: orm.Session, event: Event) -> None:
    data = event.data
    session.execute(insert(CmeCredit).values(
        certificate_code=data["certificate_code"], user_id=data["user_id"], institution_id=data["institution_id"],
        module_id=data["module_id"], module_version=data["module_version"], credit_hours=data["credit_hours"],
        awarded_at=data["awarded_at"],
    ).on_conflict_do_nothing(index_elements=["certificate_code"]))


# --- requests (R15: requests received, response rate and time) ------------------------------------------

def _request(session: orm.Session, data: dict, **values) -> None:
    """Upsert the request's row with what this event says; an outcome, once known, is not replaced by
    'open' (a RequestCreated arriving after its answer)."""
    stmt = insert(RequestFact).values(request_id=data["request_id"], mentor_id=data["mentor_id"],
                                      mentee_id=data["mentee_id"], **values)
    update = {k: getattr(stmt.excluded, k) for k in values if k != "outcome"}
    if "outcome" in values:
        update["outcome"] = stmt.excluded.outcome
    if not update:
        session.execute(stmt.on_conflict_do_nothing(index_elements=["request_id"]))
    else:
        session.execute(stmt.on_conflict_do_update(index_elements=["request_id"], set_=update))


@handlers.on("RequestCreated")
def request_created(session: orm.Session, event: Event) -> None:
    _request(session, event.data, created_at=event.data["created_at"])


@handlers.on("RequestAccepted")
def request_accepted(session: orm.Session, event: Event) -> None:
    d = event.data
    _request(session, d, created_at=d["created_at"], outcome="accepted", responded_at=d["responded_at"])


@handlers.on("RequestDeclined")
def request_declined(session: orm.Session, event: Event) -> None:
    """A decline the platform made (the mentor at capacity, ejected) is not the mentor's answer."""
    d = event.data
    own = not d["automatic"]
    _request(session, d, created_at=d["created_at"], outcome="declined", automatic=d["automatic"],
             responded_at=d["responded_at"] if own else None)


@handlers.on("RequestExpired")
def request_expired(session: orm.Session, event: Event) -> None:
    _request(session, event.data, created_at=event.data["created_at"], outcome="expired")


@handlers.on("RequestWithdrawn")
def request_withdrawn(session: orm.Session, event: Event) -> None:
    _request(session, event.data, outcome="withdrawn")


# --- mentorships and the evaluation schedule (R13) ------------------------------------------------------

@handlers.on("MentorshipStarted")
def mentorship_started(session: orm.Session, event: Event) -> None:
    """The first periodic evaluation falls due one period after the start."""
    d = event.data
    stmt = insert(Mentorship).values(
        mentorship_id=d["mentorship_id"], request_id=d["request_id"], mentor_id=d["mentor_id"],
        mentee_id=d["mentee_id"], mentor_institution_id=d["mentor_institution_id"],
        mentee_institution_id=d["mentee_institution_id"], started_at=d["started_at"],
    ).on_conflict_do_nothing(index_elements=["mentorship_id"])
    session.execute(stmt)
    ms = session.get(Mentorship, d["mentorship_id"], with_for_update=True, populate_existing=True)
    schedule.started(session, handlers.settings, ms)


@handlers.on("MentorshipConcluded")
def mentorship_concluded(session: orm.Session, event: Event) -> None:
    """The final evaluation falls due; periodic ones not yet due are cancelled. (The conclusion may
    arrive before the start: the row is made from the conclusion, which carries the start time.)"""
    d = event.data
    session.execute(insert(Mentorship).values(
        mentorship_id=d["mentorship_id"], mentor_id=d["mentor_id"], mentee_id=d["mentee_id"],
        mentor_institution_id=d["mentor_institution_id"], mentee_institution_id=d["mentee_institution_id"],
        started_at=d["started_at"],
    ).on_conflict_do_nothing(index_elements=["mentorship_id"]))
    ms = session.get(Mentorship, d["mentorship_id"], with_for_update=True, populate_existing=True)
    if ms.concluded_at is not None:
        return  # a repeat
    ms.concluded_at, ms.concluded_by = d["concluded_at"], d["concluded_by"]
    schedule.concluded(session, handlers.settings, ms)
