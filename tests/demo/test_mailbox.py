"""demo/mailbox.py: the demo loader finds an invitation's token in the local platform's Maildir, as the
invitee would find it in their mail."""
from __future__ import annotations

import mailbox
import threading
import time
from email.message import EmailMessage

import pytest

from demo.client import Client, DemoError
from demo.mailbox import NoInvitationMail, find_invitation_token, mail_dir, wait_for_invitation_token

BASE = "http://127.0.0.1:8080"


def invitation_mail(to: str, token: str | None, *, cte: str | None = None) -> EmailMessage:
    """A multipart/alternative message as notifications sends it: plain text and HTML."""
    msg = EmailMessage()
    msg["From"] = "MentorMeMed <no-reply@mentormemed.example>"
    msg["To"] = to
    msg["Subject"] = "You are invited to MentorMeMed"
    link = f"{BASE}/accept-invitation#token={token}" if token else f"{BASE}/"
    text = (f"Hello,\n\nLakeside School of Medicine invites you to join MentorMeMed as a mentor.\n"
            f"Accept the invitation here: {link}\n\nThe link works once and expires in 14 days.\n")
    msg.set_content(text, cte=cte)
    msg.add_alternative(f'<p>Hello,</p><p><a href="{link}">Accept the invitation</a></p>', subtype="html")
    return msg


def deliver(directory, message: EmailMessage, at: float | None = None) -> None:
    box = mailbox.Maildir(directory, create=True)
    maildir_message = mailbox.MaildirMessage(message)
    if at is not None:
        maildir_message.set_date(at)  # the file's time: when it was delivered
    box.add(maildir_message)


@pytest.fixture()
def maildir(tmp_path, monkeypatch):
    monkeypatch.setenv("MMM_RUN_DIR", str(tmp_path))
    return tmp_path / "mail"


def test_the_mail_directory_follows_mmm_run_dir(maildir):
    assert mail_dir() == maildir


def test_the_newest_invitation_to_the_address_gives_the_token(maildir):
    now = time.time()
    deliver(maildir, invitation_mail("Max Mentor <max@example.org>", "old-token_1"), at=now - 600)
    deliver(maildir, invitation_mail("max@example.org", "NEW-token_2-abc", cte="quoted-printable"), at=now - 60)
    deliver(maildir, invitation_mail("someone-else@example.org", "not-for-max"), at=now - 30)
    deliver(maildir, invitation_mail("max@example.org", None), at=now - 10)  # a later mail without a link
    assert find_invitation_token("max@example.org") == "NEW-token_2-abc"
    assert wait_for_invitation_token("MAX@Example.org ", timeout=1) == "NEW-token_2-abc"
    assert wait_for_invitation_token("someone-else@example.org", timeout=1) == "not-for-max"
    # mail sent before the invitation was made (an earlier run of the platform) does not count
    assert find_invitation_token("max@example.org", since=now) is None


def test_the_plain_text_part_is_read(maildir):
    msg = EmailMessage()
    msg["To"] = "mia@example.org"
    msg.set_content(f"Accept: {BASE}/accept-invitation#token=from-the-text")
    msg.add_alternative(f'<a href="{BASE}/accept-invitation#token=from-the-html">Accept</a>', subtype="html")
    deliver(maildir, msg)
    assert wait_for_invitation_token("mia@example.org", timeout=1) == "from-the-text"


def test_waits_for_the_mail_to_arrive(maildir):
    since = time.time()
    deliver(maildir, invitation_mail("ada@example.org", "stale-token"), at=since - 3600)
    later = threading.Timer(0.5, lambda: deliver(maildir, invitation_mail("ada@example.org", "fresh-token")))
    later.start()
    try:
        assert wait_for_invitation_token("ada@example.org", timeout=10, since=since) == "fresh-token"
    finally:
        later.cancel()


def test_no_mail_times_out(maildir):
    started = time.monotonic()
    with pytest.raises(NoInvitationMail) as caught:  # no Maildir at all yet
        wait_for_invitation_token("nobody@example.org", timeout=0.5)
    assert isinstance(caught.value, DemoError) and "nobody@example.org" in str(caught.value)
    assert time.monotonic() - started < 5
    deliver(maildir, invitation_mail("other@example.org", "other-token"))
    with pytest.raises(NoInvitationMail):
        wait_for_invitation_token("nobody@example.org", timeout=0.3)


def test_the_client_takes_the_token_from_the_response_when_there_is_one(maildir):
    client = Client(BASE)
    assert client.invitation_token({"id": "x", "token": "in-the-response"}, "max@example.org") == "in-the-response"
    deliver(maildir, invitation_mail("max@example.org", "in-the-mail"))
    assert client.invitation_token({"id": "x"}, "max@example.org", since=time.time(), timeout=2) == "in-the-mail"
