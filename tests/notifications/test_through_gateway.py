"""End to end through the gateway, on the platform as `make up` runs it (with its real SMTP server; an
operator brings each request's deadline to seconds away): an invitation arrives by
mail with its link; a request reaches the mentor's inbox and mailbox with its deadline; left unanswered
→ a reminder → an expiry warning saying how many more expiries lead to ejection → ejection notice with
how to ask for reinstatement, and the institution's admin told; the admin's feed carries it."""
from __future__ import annotations

import re

from shared.testing import wait_for_mail
from tests import journeys
from tests.journeys import admit_published_mentor, call, demo_people, request_mentorship, until

INBOX = "/api/v1/notifications/inbox"


def _subject(text: str):
    return lambda msg: text in str(msg["Subject"])


def test_a_mentor_is_told_of_each_request_reminder_expiry_and_ejection(platform, platform_mail_dir):
    client, logins = demo_people(platform)

    def token_from_mail(email: str) -> str:
        msg = wait_for_mail(platform_mail_dir, email, _subject("invites you to MentorMeMed as a mentor"), 60)
        text = msg.get_body(("plain",)).get_content()
        assert msg.get_body(("html",)) is not None
        return re.search(r"/accept-invitation#token=([A-Za-z0-9_-]+)", text).group(1)

    mentor = admit_published_mentor(platform, client, logins, invitation_token=token_from_mail)
    mentee_login = logins["lakeside mentee1"]
    mentee = journeys.sign_in(platform, mentee_login["email"], mentee_login["password"])
    admin = journeys.sign_in(platform, logins["harbor admin"]["email"], logins["harbor admin"]["password"])
    operator = journeys.sign_in(platform, logins["operator"]["email"], logins["operator"]["password"])

    def inbox_of(token, category):
        items = call(platform, "GET", INBOX, token, params={"limit": 200}).json()["items"]
        return [i for i in items if i["category"] == category]

    for n in (1, 2):
        created = until(lambda: request_mentorship(platform, mentee, mentor.id))
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        if n == 1:
            # the mentor's inbox and mail: who asks, and by when
            (item,) = until(lambda: inbox_of(mentor.token, "request_received"), 30)
            assert item["link"].endswith(f"/requests/{rid}") and "please answer by" in item["title"]
            mail = wait_for_mail(platform_mail_dir, mentor.email, _subject("asks you for mentorship"), 30)
            assert f"/requests/{rid}" in mail.get_body(("plain",)).get_content()
            assert f"/requests/{rid}" in mail.get_body(("html",)).get_content()
            unread = call(platform, "GET", INBOX, mentor.token).json()["unread_count"]
            assert unread >= 1
            journeys.expire_soon(platform, operator, rid)
            # left unanswered: a reminder, then the expiry with its warning
            assert until(lambda: inbox_of(mentor.token, "request_reminder"), 30)
            wait_for_mail(platform_mail_dir, mentor.email, _subject("Reminder:"), 30)
            (warning,) = until(lambda: inbox_of(mentor.token, "request_expired_strike"), 30)
            assert "1 more expiry leads to ejection" in warning["title"]
            wait_for_mail(platform_mail_dir, mentor.email, _subject("1 more expiry leads to ejection"), 30)
            assert until(lambda: inbox_of(mentee, "request_expired"), 30)
        else:
            journeys.expire_soon(platform, operator, rid)
            wait_for_mail(platform_mail_dir, mentor.email, _subject("0 more expiries lead to ejection"), 60)

    ejected = wait_for_mail(platform_mail_dir, mentor.email, _subject("You have been ejected"), 60)
    text = ejected.get_body(("plain",)).get_content()
    assert "Why: unresponsive" in text and "ask for reinstatement" in text
    assert logins["harbor admin"]["email"] in text  # whom to write to
    wait_for_mail(platform_mail_dir, mentor.email, _subject("requests expired unanswered"), 30)
    # (other tests eject other mentors of the same institution on this platform)
    assert until(lambda: [n for n in inbox_of(admin, "admin_mentor_ejected") if mentor.name in n["title"]], 30)

    def ejection_in_feed():
        events = call(platform, "GET", "/api/v1/notifications/feed", admin, params={"limit": 500}).json()["events"]
        return [e for e in events if e["type"].endswith(".MentorEjected.v1") and e["data"]["user_id"] == mentor.id]

    (fed,) = until(ejection_in_feed, 30)
    assert set(fed["data"]) == {"institution_id", "user_id", "reason"}
