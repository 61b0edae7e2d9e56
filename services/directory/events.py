"""Events the directory consumes. (The events it publishes — MentorProfilePublished and
MentorProfileUnpublished — and their data schemas are in shared/events/contracts.py; service.py
records them.)

Every handler is idempotent and order-tolerant: the first event naming a mentor creates their row,
status events apply only when newer than the last one applied, mentorships and request outcomes
are sets keyed by their ids, and the read models are recomputed from those sets.
"""
from __future__ import annotations

from sqlalchemy import orm

from services.directory import rules, service
from shared.events import Event, Handlers

handlers = Handlers()


@handlers.on("MentorEnrolled")
def mentor_enrolled(session: orm.Session, event: Event) -> None:
    """A draft profile, named after the enrolment."""
    d = event.data
    service.enrolled(session, d["user_id"], d["institution_id"], d["name"])


@handlers.on("TrainingCompleted")
def training_completed(session: orm.Session, event: Event) -> None:
    """A mentor who completed the mentor track may publish (R6, R9)."""
    d = event.data
    if d["track"] == "mentor":
        service.training_completed(session, d["user_id"], d["institution_id"])


@handlers.on("MentorEjected")
def mentor_ejected(session: orm.Session, event: Event) -> None:
    """Out of search as soon as this is handled (MentorProfileUnpublished, reason ejected)."""
    d = event.data
    service.status_changed(session, d["user_id"], d["institution_id"], rules.EJECTED, event.time)


@handlers.on("MentorReinstated")
def mentor_reinstated(session: orm.Session, event: Event) -> None:
    """Publishable again (the mentor publishes anew)."""
    d = event.data
    service.status_changed(session, d["user_id"], d["institution_id"], rules.ACTIVE, event.time)


@handlers.on("UserDeactivated")
def user_deactivated(session: orm.Session, event: Event) -> None:
    d = event.data
    if d["role"] == "mentor":
        service.status_changed(session, d["user_id"], d["institution_id"], rules.DEACTIVATED, event.time)


@handlers.on("MentorshipStarted")
def mentorship_started(session: orm.Session, event: Event) -> None:
    service.mentorship_started(session, event.data)


@handlers.on("MentorshipConcluded")
def mentorship_concluded(session: orm.Session, event: Event) -> None:
    service.mentorship_concluded(session, event.data)


@handlers.on("RequestAccepted")
def request_accepted(session: orm.Session, event: Event) -> None:
    d = event.data
    service.request_outcome(session, d["request_id"], d["mentor_id"], "accepted", d["created_at"], d["responded_at"])


@handlers.on("RequestDeclined")
def request_declined(session: orm.Session, event: Event) -> None:
    """Automatic declines (capacity reached, mentor ejected) are not the mentor's answer: not counted."""
    d = event.data
    if not d["automatic"]:
        service.request_outcome(session, d["request_id"], d["mentor_id"], "declined", d["created_at"],
                                d["responded_at"])


@handlers.on("RequestExpired")
def request_expired(session: orm.Session, event: Event) -> None:
    d = event.data
    service.request_outcome(session, d["request_id"], d["mentor_id"], "expired", d["created_at"], None)
