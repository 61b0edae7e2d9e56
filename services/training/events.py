"""Events training consumes: MentorEnrolled and MenteeEnrolled tell it each learner's track,
institution and name; MentorEjected, MentorReinstated, MenteeExited and UserDeactivated their standing
(the later event wins; exited and deactivated are final). (The events it publishes —
TrainingModuleCompleted, TrainingCompleted, CmeCreditAwarded — have their data schemas in
shared/events/contracts.py; service.py records them.)"""
from __future__ import annotations

from sqlalchemy import orm

from services.training import service
from shared.events import Event, Handlers

handlers = Handlers()


@handlers.on("MentorEnrolled")
def mentor_enrolled(session: orm.Session, event: Event) -> None:
    """A mentor may take the mentor track (idempotent: a repeat or an older event changes nothing)."""
    service.enroll(session, event.data, "mentor", event.time)


@handlers.on("MenteeEnrolled")
def mentee_enrolled(session: orm.Session, event: Event) -> None:
    """A mentee may take the mentee track (idempotent: a repeat or an older event changes nothing)."""
    service.enroll(session, event.data, "mentee", event.time)


@handlers.on("MentorEjected")
def mentor_ejected(session: orm.Session, event: Event) -> None:
    service.set_standing(session, event.data["user_id"], "mentor", "ejected", event.time)


@handlers.on("MentorReinstated")
def mentor_reinstated(session: orm.Session, event: Event) -> None:
    service.set_standing(session, event.data["user_id"], "mentor", "active", event.time)


@handlers.on("MenteeExited")
def mentee_exited(session: orm.Session, event: Event) -> None:
    service.set_standing(session, event.data["user_id"], "mentee", "exited", event.time)


@handlers.on("UserDeactivated")
def user_deactivated(session: orm.Session, event: Event) -> None:
    if event.data["role"] in ("mentor", "mentee"):
        service.set_standing(session, event.data["user_id"], event.data["role"], "deactivated", event.time)
