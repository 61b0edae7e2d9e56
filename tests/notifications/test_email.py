"""E-mail over real SMTP (aiosmtpd): what arrives (subject, plain-text and HTML parts, the link),
preferences, retries with backoff while the server is away, permanent refusals, invitations redacted."""
from __future__ import annotations

import uuid
from datetime import timedelta

from services.notifications import jobs
from tests.notifications.conftest import apply, count, now, rows, settings_for


def _send(database, smtp, **overrides) -> int:
    return jobs.send_emails(database, settings_for(NOTIFICATIONS_SMTP_PORT=str(smtp.port), **overrides))


def test_a_request_reaches_the_mentor_by_mail_with_both_parts_and_the_link(world, notifications_db, smtp):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    data = world.request(mentee, mentor)
    _send(notifications_db, smtp)
    (msg,) = smtp.to(mentor.email)
    assert msg["Subject"].startswith(f"{mentee.name} asks you for mentorship — please answer by ")
    assert msg["To"] == mentor.email and msg["From"] == "MentorMeMed <no-reply@mentormemed.local>"
    assert msg["Message-ID"] and msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = f"https://mentormemed.test/requests/{data['request_id']}"
    for part in (text, html):
        assert link in part and mentee.name in part
        assert data["respond_by"].strftime("%-d %B %Y") in part
    assert f"Dear {mentor.name}," in text and html.startswith("<!DOCTYPE html>") and f'href="{link}"' in html
    assert "cannot be switched off" in text
    assert rows(notifications_db, "SELECT status, attempts FROM emails WHERE user_id = :u", u=mentor.id) == [("sent", 1)]
    _send(notifications_db, smtp)
    assert len(smtp.to(mentor.email)) == 1  # sent once


def test_a_switched_off_category_stays_in_app_only(world, notifications_db, smtp):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    world.call("PUT", "/preferences", mentee, 200, json={"email": {"request_accepted": False}})
    apply(notifications_db, "RequestAccepted", {"request_id": uuid.uuid4(), "mentee_id": mentee.id,
                                                "mentor_id": mentor.id, "mentorship_id": uuid.uuid4(),
                                                "created_at": now(), "responded_at": now()})
    assert world.inbox(mentee)["items"][0]["title"] == f"{mentor.name} accepted your request"
    _send(notifications_db, smtp)
    assert smtp.to(mentee.email) == []


def test_mail_waits_and_retries_with_growing_delays_while_the_server_is_away(world, notifications_db, smtp):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    world.request(mentee, mentor)
    closed = str(smtp.port + 1 if smtp.port < 65000 else smtp.port - 1)
    delays = []
    for _ in range(3):
        with notifications_db.unit_of_work() as session:  # make it due now, as the backoff would later
            conn = session.connection()
            conn.exec_driver_sql("UPDATE emails SET next_attempt_at = now() WHERE user_id = %s", (mentor.id,))
        jobs.send_emails(notifications_db, settings_for(NOTIFICATIONS_SMTP_PORT=closed,
                                                        NOTIFICATIONS_EMAIL_RETRY="PT10S", NOTIFICATIONS_SMTP_TIMEOUT="2"))
        (mail,) = rows(notifications_db, "SELECT status, attempts, next_attempt_at - now() AS wait, last_error "
                                         "FROM emails WHERE user_id = :u", u=mentor.id)
        assert mail.status == "queued" and "ConnectionRefused" in mail.last_error
        delays.append(mail.wait.total_seconds())
    assert 8 < delays[0] < 12 and 17 < delays[1] < 23 and 35 < delays[2] < 45
    with notifications_db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql("UPDATE emails SET next_attempt_at = now() WHERE user_id = %s", (mentor.id,))
    _send(notifications_db, smtp)
    assert len(smtp.to(mentor.email)) == 1
    assert rows(notifications_db, "SELECT status, attempts FROM emails WHERE user_id = :u", u=mentor.id) == [("sent", 4)]


def test_a_refused_recipient_fails_for_good_and_others_still_go(world, notifications_db, smtp):
    inst = world.institution()
    mentor, other, mentee = world.person("mentor", inst), world.person("mentor", inst), world.person("mentee", inst)
    smtp.refuse.add(mentor.email)
    world.request(mentee, mentor)
    world.request(mentee, other)
    _send(notifications_db, smtp)
    (mail,) = rows(notifications_db, "SELECT status, last_error FROM emails WHERE user_id = :u", u=mentor.id)
    assert mail.status == "failed" and "550" in mail.last_error
    assert len(smtp.to(other.email)) == 1


def test_attempts_run_out(world, notifications_db, smtp):
    inst = world.institution()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", inst)
    world.request(mentee, mentor)
    closed = str(smtp.port + 1 if smtp.port < 65000 else smtp.port - 1)
    for _ in range(2):
        with notifications_db.unit_of_work() as session:
            conn = session.connection()
            conn.exec_driver_sql("UPDATE emails SET next_attempt_at = now() WHERE user_id = %s", (mentor.id,))
        jobs.send_emails(notifications_db, settings_for(NOTIFICATIONS_SMTP_PORT=closed,
                                                        NOTIFICATIONS_EMAIL_MAX_ATTEMPTS="2"))
    assert rows(notifications_db, "SELECT status, attempts FROM emails WHERE user_id = :u", u=mentor.id) == [("failed", 2)]


def test_an_invitation_mail_carries_the_link_and_is_redacted_once_sent(world, notifications_db, smtp):
    inst = world.institution("Harbor City HBCU College of Medicine")
    token = "tok_" + uuid.uuid4().hex
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.org"
    body = apply(notifications_db, "InvitationIssued", {
        "invitation_id": uuid.uuid4(), "institution_id": inst, "institution_name": "Harbor City HBCU College of Medicine",
        "role": "mentee", "name": "Jordan Ellis", "email": email, "token": token,
        "expires_at": now() + timedelta(days=14)})
    _send(notifications_db, smtp)
    (msg,) = smtp.to(email)
    assert msg["Subject"] == "Harbor City HBCU College of Medicine invites you to MentorMeMed as a mentee"
    link = f"https://mentormemed.test/accept-invitation#token={token}"
    assert link in msg.get_body(("plain",)).get_content() and link in msg.get_body(("html",)).get_content()
    stored = rows(notifications_db, "SELECT text_body, html_body FROM emails WHERE event_id = :e", e=body["id"])[0]
    assert token not in stored.text_body and token not in stored.html_body
    assert count(notifications_db, "SELECT count(*) FROM emails WHERE text_body LIKE :t", t=f"%{token}%") == 0


def test_a_mail_sent_again_carries_the_same_message_id():
    """A worker killed between the server's OK and its record sends the mail again: the receiver drops
    the repeat by its Message-ID, which must therefore not change between attempts."""
    from services.notifications import senders

    email_id = uuid.uuid4()
    first, again = (senders.build_message(settings_for(), email_id, "a@example.org", "s", "t", "<p>h</p>")
                    for _ in range(2))
    assert first["Message-ID"] == again["Message-ID"] == f"<{email_id.hex}@mentormemed.local>"


def test_a_mail_written_while_the_enrollment_is_handled_at_once_still_gets_the_address(world, notifications_db, smtp):
    """Two consumers: one tells a mentor not known yet of a request (a mail without an address) while the
    other handles the mentor's enrollment, whose fill-in of waiting mails cannot see that uncommitted mail."""
    from services.notifications.events import handlers
    from shared.events import envelope

    inst = world.institution()
    mentor, mentee = world.person("mentor", inst, enrolled=False), world.person("mentee", inst)
    event = envelope.parse(envelope.build("RequestCreated", {
        "request_id": uuid.uuid4(), "mentee_id": mentee.id, "mentor_id": mentor.id, "mentee_institution_id": inst,
        "mentor_institution_id": inst, "created_at": now(), "respond_by": now() + timedelta(days=14)}))
    with notifications_db.unit_of_work() as session:
        handlers.get(event.type.type)(session, event)
        session.flush()
        world.enroll(mentor)  # another transaction, committed first
    _send(notifications_db, smtp)
    assert len(smtp.to(mentor.email)) == 1
