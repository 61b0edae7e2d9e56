"""Events mentorship consumes. (The events it publishes, and their data schemas, are in
shared/events/contracts.py; service.py and the jobs record them.)

mentorship knows people only from these events. Every handler is idempotent and order-tolerant: a
member's row is created by whichever event about them comes first; a status event applies only when
it is later than the one that set the current status (a repeat or a late event changes nothing); a
deactivated or exited member never comes back; training and publication keep the latest fact.
"""
from __future__ import annotations

import logging

from sqlalchemy import orm

from services.mentorship import rules, service
from services.mentorship.models import Member
from shared.events import Event, Handlers

log = logging.getLogger(__name__)

handlers = Handlers()


def _member(session: orm.Session, event: Event, role: str, id_field: str = "user_id") -> Member | None:
    data = event.data
    member = service.member_for_event(session, data[id_field], role, data["institution_id"])
    if member.role != role:
        log.warning("event about a member of another role ignored",
                    extra={"event": event.name, "user_id": str(member.user_id), "role": member.role})
        return None
    return member


def _set_status(member: Member, status: str, event: Event) -> bool:
    if not rules.status_applies(member.status, member.status_at, status, event.time):
        return False
    member.status, member.status_at = status, event.time
    return True


def _enrolled(session: orm.Session, event: Event, role: str) -> Member | None:
    member = _member(session, event, role)
    if member is None:
        return None
    data = event.data
    member.name, member.email, member.institution_id = data["name"], data["email"], data["institution_id"]
    if member.enrolled_at is None:
        member.enrolled_at = event.time
    _set_status(member, "active", event)
    return member


@handlers.on("MentorEnrolled")
def mentor_enrolled(session: orm.Session, event: Event) -> None:
    """R17: identity admits an exited mentee as a mentor under the same user id, so a mentee's row
    becomes a mentor's (an enrolled mentor, counted as such)."""
    data = event.data
    member = service.member_for_event(session, data["user_id"], "mentor", data["institution_id"])
    if member.role == "mentee" and rules.later(event.time, member.status_at):
        service.become_mentor(session, member)
    _enrolled(session, event, "mentor")


@handlers.on("MenteeEnrolled")
def mentee_enrolled(session: orm.Session, event: Event) -> None:
    """The mentee's card for mentors: name, institution (named by the event when it carries the name),
    training stage and graduation year."""
    member = _enrolled(session, event, "mentee")
    if member is not None:
        _set_studies(member, event)
    if event.data.get("institution_name"):
        service.name_institution(session, event.data["institution_id"], event.data["institution_name"], event.time)


def _set_studies(member: Member, event: Event) -> None:
    if member.studies_at is not None and event.time <= member.studies_at:
        return  # a repeat or an older event
    member.training_stage = event.data.get("training_stage")
    member.expected_graduation_year = event.data.get("expected_graduation_year")
    member.studies_at = event.time


@handlers.on("MenteeProfileUpdated")
def mentee_profile_updated(session: orm.Session, event: Event) -> None:
    member = _member(session, event, "mentee")
    if member is not None:
        _set_studies(member, event)


@handlers.on("InstitutionSubscribed")
def institution_subscribed(session: orm.Session, event: Event) -> None:
    service.name_institution(session, event.data["institution_id"], event.data["name"], event.time)


@handlers.on("InstitutionUpdated")
def institution_updated(session: orm.Session, event: Event) -> None:
    service.name_institution(session, event.data["institution_id"], event.data["name"], event.time)


@handlers.on("TrainingCompleted")
def training_completed(session: orm.Session, event: Event) -> None:
    """R6: a trained member may request or be requested."""
    member = _member(session, event, event.data["track"])
    if member is not None and member.trained_at is None:
        member.trained_at = event.data["completed_at"]


def _publication(session: orm.Session, event: Event, published: bool) -> None:
    member = _member(session, event, "mentor", "mentor_id")
    if member is None or (member.published_at is not None and event.time <= member.published_at):
        return
    member.published, member.published_at = published, event.time
    if published:
        member.scope = event.data["scope"]


@handlers.on("MentorProfilePublished")
def profile_published(session: orm.Session, event: Event) -> None:
    """R8, R9: a published profile is consent to be requested; its scope says by whom."""
    _publication(session, event, True)


@handlers.on("MentorProfileUnpublished")
def profile_unpublished(session: orm.Session, event: Event) -> None:
    """No new requests; open requests and mentorships go on (ejection and deactivation close them)."""
    _publication(session, event, False)


@handlers.on("MentorEjected")
def mentor_ejected(session: orm.Session, event: Event) -> None:
    """R12: the mentor's open requests are closed (the mentees told) and their mentorships concluded."""
    member = _member(session, event, "mentor")
    if member is not None and _set_status(member, "ejected", event):
        service.close_mentor(session, member, rules.MENTOR_EJECTED)


@handlers.on("MentorReinstated")
def mentor_reinstated(session: orm.Session, event: Event) -> None:
    """An operator reinstated the mentor: strikes count afresh from now."""
    member = _member(session, event, "mentor")
    if member is not None and _set_status(member, "active", event):
        member.strikes_since = event.time
        member.unresponsive_reported_at = None


@handlers.on("MenteeExited")
def mentee_exited(session: orm.Session, event: Event) -> None:
    member = _member(session, event, "mentee")
    if member is not None and _set_status(member, "exited", event):
        service.close_mentee(session, member, f"mentee exited: {event.data['reason']}")


@handlers.on("UserDeactivated")
def user_deactivated(session: orm.Session, event: Event) -> None:
    role = event.data["role"]
    if role not in ("mentor", "mentee") or event.data.get("institution_id") is None:
        return
    member = _member(session, event, role)
    if member is None or not _set_status(member, "deactivated", event):
        return
    if role == "mentor":
        service.close_mentor(session, member, rules.MENTOR_DEACTIVATED)
    else:
        service.close_mentee(session, member, "mentee deactivated")
