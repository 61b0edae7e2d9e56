"""Institution feeds from the handlers: an event whose institutions are looked up (a request names
only its two people) reaches each institution with only that institution's member."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.notifications.events import handlers
from shared.app import db_of
from shared.events import envelope


@pytest.fixture(scope="session")
def notifications_db(service_app):
    return db_of(service_app("notifications"))


def deliver(database, name: str, data: dict) -> uuid.UUID:
    event = envelope.parse(envelope.build(name, data))
    with database.unit_of_work() as session:
        handlers.get(event.type.type)(session, event)
    return event.id


def test_request_accepted_reaches_both_institutions_each_with_its_member(notifications_db):
    mentee_inst, mentor_inst, mentee, mentor = (uuid.uuid4() for _ in range(4))
    for name, uid, inst in (("MenteeEnrolled", mentee, mentee_inst), ("MentorEnrolled", mentor, mentor_inst)):
        deliver(notifications_db, name, {"user_id": uid, "institution_id": inst, "name": f"{name} person",
                                         "email": f"{uid.hex[:8]}@example.org"})
    now = datetime.now(timezone.utc)
    request_id = uuid.uuid4()
    event_id = deliver(notifications_db, "RequestAccepted", {
        "request_id": request_id, "mentee_id": mentee, "mentor_id": mentor, "mentorship_id": uuid.uuid4(),
        "created_at": now - timedelta(days=1), "responded_at": now})
    with notifications_db.sessions() as conn:
        rows = conn.execute(sa.text("SELECT institution_id, body FROM feed_events WHERE event_id = :e"),
                            {"e": event_id}).all()
        told = conn.scalar(sa.text("SELECT count(*) FROM notifications WHERE event_id = :e AND user_id = :u "
                                   "AND category = 'request_accepted'"), {"e": event_id, "u": mentee})
    copies = {inst: body["data"] for inst, body in rows}
    assert copies[mentee_inst] == {"institution_id": str(mentee_inst), "mentee_id": str(mentee),
                                   "request_id": str(request_id), "mentorship_id": copies[mentee_inst]["mentorship_id"],
                                   "responded_at": copies[mentee_inst]["responded_at"]}
    assert copies[mentor_inst]["institution_id"] == str(mentor_inst)
    assert copies[mentor_inst]["mentor_id"] == str(mentor) and "mentee_id" not in copies[mentor_inst]
    assert told == 1
