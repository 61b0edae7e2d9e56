"""From events to people: every mapped event gives exactly one notification per recipient — handled
directly, and delivered twice through the real broker to the real consumer."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.notifications.events import handlers
from shared.events import broker
from shared.events.consumer import Consumer
from shared.testing import publish_events
from tests.notifications.conftest import apply, count, event_body, now, rows, wait_until


def _scenario(world):
    """Each mapped event with the (recipient id, category) pairs it must produce."""
    inst, other = world.institution("Lakeside School of Medicine"), world.institution("Harbor HBCU")
    admin, admin2 = world.person("institution_admin", inst), world.person("institution_admin", inst)
    mentor, mentee = world.person("mentor", inst), world.person("mentee", other)
    req = {"request_id": uuid.uuid4(), "mentee_id": mentee.id, "mentor_id": mentor.id}
    when = now()
    evaluation = {"evaluation_id": uuid.uuid4(), "mentorship_id": uuid.uuid4(), "mentee_id": mentee.id,
                  "mentor_id": mentor.id, "mentee_institution_id": other, "mentor_institution_id": inst,
                  "kind": "periodic", "due_at": when, "closes_at": when + timedelta(days=30)}
    cases = [
        ("RequestCreated", {**req, "mentee_institution_id": other, "mentor_institution_id": inst, "created_at": when,
                            "respond_by": when + timedelta(days=14)}, [(mentor, "request_received")]),
        ("RequestReminderDue", {**req, "respond_by": when + timedelta(days=7)}, [(mentor, "request_reminder")]),
        ("RequestAccepted", {**req, "mentorship_id": uuid.uuid4(), "created_at": when, "responded_at": when},
         [(mentee, "request_accepted")]),
        ("RequestDeclined", {**req, "reason": "at capacity", "automatic": True, "created_at": when,
                             "responded_at": when}, [(mentee, "request_declined")]),
        ("RequestExpired", {**req, "created_at": when, "respond_by": when, "strikes": 1, "strikes_allowed": 2,
                            "window_days": 180},
         [(mentee, "request_expired"), (mentor, "request_expired_strike")]),
        ("MentorUnresponsive", {"mentor_id": mentor.id, "institution_id": inst, "strikes": 2, "window_days": 180,
                                "expired_request_ids": [uuid.uuid4(), uuid.uuid4()]},
         [(mentor, "mentor_unresponsive"), (admin, "admin_mentor_unresponsive"), (admin2, "admin_mentor_unresponsive")]),
        ("MentorEjected", {"user_id": mentor.id, "institution_id": inst, "reason": "2 requests expired unanswered"},
         [(mentor, "mentor_ejected"), (admin, "admin_mentor_ejected"), (admin2, "admin_mentor_ejected")]),
        ("MentorReinstated", {"user_id": mentor.id, "institution_id": inst, "reason": "was on leave"},
         [(mentor, "mentor_reinstated")]),
        ("EvaluationDue", evaluation, [(mentee, "evaluation_due")]),
        ("EvaluationOverdue", evaluation, [(mentee, "evaluation_overdue")]),
        ("SurveyAssigned", {"assignment_id": uuid.uuid4(), "survey_id": uuid.uuid4(), "title": "Career update",
                            "kind": "career_update", "user_id": mentee.id, "institution_id": other, "due_at": None},
         [(mentee, "survey_assigned")]),
        ("DataRequestDecided", {"request_id": uuid.uuid4(), "requester_id": mentor.id, "title": "Retention study",
                                "decision": "denied", "reason": "IRB approval pending", "decided_at": when},
         [(mentor, "data_request_decided")]),
        ("TrainingCompleted", {"user_id": mentor.id, "institution_id": inst, "track": "mentor",
                               "curriculum_version": 1, "completed_at": when}, [(mentor, "training_completed")]),
        ("CmeCreditAwarded", {"user_id": mentor.id, "institution_id": inst, "module_id": uuid.uuid4(),
                              "module_version": 1, "credit_hours": "1.50", "certificate_code": "CME-7Q2X",
                              "awarded_at": when}, [(mentor, "cme_credit_awarded")]),
        ("InstitutionBelowMinimum", {"institution_id": inst, "enrolled_mentors": 49, "active_mentors": 49,
                                     "minimum_mentors": 50},
         [(admin, "admin_below_minimum"), (admin2, "admin_below_minimum")]),
        ("MenteeExited", {"user_id": mentee.id, "institution_id": other, "reason": "graduated"},
         [(mentee, "stay_on_as_mentor")]),
    ]
    return cases, (mentor, mentee, admin, admin2)


def _notifications(database, event_id) -> list[tuple]:
    return sorted((str(r.user_id), r.category) for r in rows(
        database, "SELECT user_id, category FROM notifications WHERE event_id = :e", e=event_id))


def test_every_mapped_event_tells_each_recipient_once_even_when_handled_twice(world, notifications_db):
    cases, _ = _scenario(world)
    for name, data, expected in cases:
        body = event_body(name, data)
        apply(notifications_db, name, data, body=body)
        apply(notifications_db, name, data, body=body)  # bypassing the inbox: the table's own guard
        want = sorted((str(p.id), category) for p, category in expected)
        assert _notifications(notifications_db, body["id"]) == want, name
        mails = sorted((r.recipient_key, r.category) for r in rows(
            notifications_db, "SELECT recipient_key, category FROM emails WHERE event_id = :e", e=body["id"]))
        assert mails == want, name  # everyone has e-mail on by default


def test_the_mentor_is_told_who_asks_and_by_when(world, notifications_db):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    data = world.request(mentee, mentor)
    item = world.inbox(mentor)["items"][0]
    assert item["category"] == "request_received" and mentee.name in item["title"]
    assert data["respond_by"].strftime("%-d %B %Y") in item["body"]
    assert item["link"] == f"https://mentormemed.test/requests/{data['request_id']}"
    assert world.inbox(mentee)["total"] == 0


def test_the_requester_is_told_the_research_decision_and_its_reason(world, notifications_db):
    inst = world.institution()
    requester = world.person("mentee", inst)
    request_id = uuid.uuid4()
    body = apply(notifications_db, "DataRequestDecided", {
        "request_id": request_id, "requester_id": requester.id, "title": "Retention study", "decision": "approved",
        "reason": "IRB approval on file", "decided_at": now()})
    item = world.inbox(requester)["items"][0]
    assert item["category"] == "data_request_decided"
    assert item["title"] == 'Your data request "Retention study" was approved'
    assert "IRB approval on file" in item["body"]
    assert item["link"] == f"https://mentormemed.test/research/requests/{request_id}"
    # a research request is nobody's institution's business: no feed copy
    assert count(notifications_db, "SELECT count(*) FROM feed_events WHERE event_id = :e", e=body["id"]) == 0


def test_people_not_yet_enrolled_are_told_in_app_and_mailed_once_their_address_arrives(world, notifications_db):
    inst = world.institution()
    mentor = world.person("mentor", inst, enrolled=False)
    mentee = world.person("mentee", inst)
    world.request(mentee, mentor)
    assert world.inbox(mentor)["unread_count"] == 1
    assert rows(notifications_db, "SELECT to_address FROM emails WHERE user_id = :u", u=mentor.id) == [(None,)]
    world.enroll(mentor)
    assert rows(notifications_db, "SELECT to_address FROM emails WHERE user_id = :u", u=mentor.id) == [(mentor.email,)]


def test_deactivated_people_are_told_nothing_more(world, notifications_db):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    apply(notifications_db, "UserDeactivated", {"user_id": mentor.id, "institution_id": inst, "role": "mentor"})
    world.enroll(mentor)  # a late enrollment event does not bring them back
    world.request(mentee, mentor)
    assert world.inbox(mentor)["total"] == 0
    assert count(notifications_db, "SELECT count(*) FROM emails WHERE user_id = :u", u=mentor.id) == 0


def test_the_ejected_mentor_is_told_how_to_ask_for_reinstatement(world, notifications_db, smtp):
    from services.notifications import jobs
    from tests.notifications.conftest import settings_for

    inst = world.institution()
    admin, mentor = world.person("institution_admin", inst), world.person("mentor", inst)
    apply(notifications_db, "MentorEjected", {"user_id": mentor.id, "institution_id": inst,
                                              "reason": "2 requests expired unanswered within 180 days"})
    (kept,) = rows(notifications_db, "SELECT subject, text_body, context FROM emails WHERE user_id = :u", u=mentor.id)
    assert kept.subject == "You have been ejected from MentorMeMed" and kept.text_body is None  # rendered when sent
    jobs.send_emails(notifications_db, settings_for(NOTIFICATIONS_SMTP_PORT=str(smtp.port)))
    (msg,) = smtp.to(mentor.email)
    text = msg.get_body(("plain",)).get_content()
    assert "2 requests expired unanswered within 180 days" in text
    assert "ask for reinstatement" in text and admin.email in text
    assert "cannot be switched off" in text
    (sent,) = rows(notifications_db, "SELECT text_body, context FROM emails WHERE user_id = :u", u=mentor.id)
    assert sent.text_body.split() == text.split() and sent.context is None  # the mail as sent is kept


def test_invitations_are_mailed_to_the_invitee_only(world, notifications_db):
    inst = world.institution("Riverside College of Medicine")
    token = "tok_" + uuid.uuid4().hex
    body = apply(notifications_db, "InvitationIssued", {
        "invitation_id": uuid.uuid4(), "institution_id": inst, "institution_name": "Riverside College of Medicine",
        "role": "mentor", "name": "Dr. Nia Okafor", "email": "Nia.Okafor@example.org", "token": token,
        "expires_at": now() + timedelta(days=14)})
    (mail,) = rows(notifications_db, "SELECT to_address, subject, text_body, redact_when_sent FROM emails "
                                     "WHERE event_id = :e", e=body["id"])
    assert mail.to_address == "Nia.Okafor@example.org" and mail.redact_when_sent
    assert mail.subject == "Riverside College of Medicine invites you to MentorMeMed as a mentor"
    assert f"https://mentormemed.test/accept-invitation#token={token}" in mail.text_body
    assert count(notifications_db, "SELECT count(*) FROM notifications WHERE event_id = :e", e=body["id"]) == 0
    assert count(notifications_db, "SELECT count(*) FROM feed_events WHERE event_id = :e", e=body["id"]) == 0


@pytest.fixture()
def consumer(notifications_db):
    broker.declare("notifications", handlers.routing_keys())
    stop = threading.Event()
    worker = Consumer("notifications", notifications_db, handlers)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.mark.slow  # through the broker
def test_each_event_delivered_twice_through_the_broker_tells_each_recipient_once(world, notifications_db, consumer):
    cases, _ = _scenario(world)
    bodies = [(event_body(name, data), expected) for name, data, expected in cases]
    publish_events([b for b, _ in bodies] + [b for b, _ in bodies])  # every event twice
    last = bodies[-1][0]["id"]
    wait_until(lambda: _notifications(notifications_db, last), 30, "the consumer")
    wait_until(lambda: count(notifications_db, "SELECT count(*) FROM inbox WHERE event_id = ANY(CAST(:ids AS uuid[]))",
                             ids=[b["id"] for b, _ in bodies]) == len(bodies), 30, "every event handled")
    for body, expected in bodies:
        assert _notifications(notifications_db, body["id"]) == sorted((str(p.id), c) for p, c in expected), body["type"]
    with notifications_db.sessions() as conn:
        dup = conn.execute(sa.text("SELECT count(*) FROM (SELECT event_id, user_id, category FROM notifications "
                                   "GROUP BY 1, 2, 3 HAVING count(*) > 1) d")).scalar_one()
    assert dup == 0


@pytest.mark.slow  # through the broker
def test_a_batch_sees_its_own_enrollments_and_deactivations_in_order(world, notifications_db, consumer):
    """One consumer batch (one transaction, rows written at its end): a request to a mentor not yet
    enrolled gets the address the batch's later enrollment brings; after a deactivation in the same
    batch, a later request tells the mentor nothing."""
    inst = world.institution()
    mentee = world.person("mentee", inst)
    late = world.person("mentor", inst, enrolled=False)
    gone = world.person("mentor", inst)

    def request(mentor):
        return event_body("RequestCreated", {
            "request_id": uuid.uuid4(), "mentee_id": mentee.id, "mentor_id": mentor.id,
            "mentee_institution_id": inst, "mentor_institution_id": inst, "created_at": now(),
            "respond_by": now() + timedelta(days=14)})

    first, second = request(late), request(gone)
    bodies = [first,
              event_body("MentorEnrolled", {"user_id": late.id, "institution_id": inst, "name": late.name,
                                            "email": late.email}),
              second,
              event_body("UserDeactivated", {"user_id": gone.id, "institution_id": inst, "role": "mentor"}),
              request(gone)]
    publish_events(bodies)
    wait_until(lambda: count(notifications_db, "SELECT count(*) FROM inbox WHERE event_id = ANY(CAST(:ids AS uuid[]))",
                             ids=[b["id"] for b in bodies]) == len(bodies), 30, "the batch handled")
    assert rows(notifications_db, "SELECT to_address FROM emails WHERE event_id = :e", e=first["id"]) == [(late.email,)]
    assert count(notifications_db, "SELECT count(*) FROM notifications WHERE user_id = :u", u=gone.id) == 1
    assert _notifications(notifications_db, second["id"]) == [(str(gone.id), "request_received")]
    assert count(notifications_db, "SELECT count(*) FROM feed_events WHERE event_id = ANY(CAST(:ids AS uuid[]))",
                 ids=[b["id"] for b in bodies]) == 5
