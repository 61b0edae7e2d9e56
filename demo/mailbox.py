"""The local platform's sent mail, read the way an invitee reads theirs: for the demo loader.

A platform started by `mmm up` keeps every message it sends in a Maildir at
`<MMM_RUN_DIR, else the repository's .run>/mail`. An invitation e-mail goes to the invitee's address and
its plain-text part holds the link `<public url>/accept-invitation#token=<token>`; the inviter's API
response has no token (unless identity runs with IDENTITY_INVITATION_TOKEN_IN_RESPONSE on, as tests do).

    token = wait_for_invitation_token("mentor1@lakeside.demo.mentormemed.org", since=before_inviting)
"""
from __future__ import annotations

import mailbox
import re
import time
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from demo.client import DemoError
from shared import config

REPO = Path(__file__).resolve().parents[1]
INVITATION_LINK = re.compile(r"/accept-invitation#token=([A-Za-z0-9_-]+)")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
# A message whose delivery time is this much before `since` still counts: file times may lag the clock.
CLOCK_SLACK = 2.0


class NoInvitationMail(DemoError, TimeoutError):
    """No invitation e-mail reached the address in time."""


def mail_dir() -> Path:
    return Path(config.env("MMM_RUN_DIR") or REPO / ".run") / "mail"


def _recipients(message: Message) -> set[str]:
    values = [str(v) for name in RECIPIENT_HEADERS for v in message.get_all(name, [])]
    return {address.strip().lower() for _, address in getaddresses(values) if address}


def _texts(message: Message) -> list[str]:
    """The decoded text parts, plain text first (the link is in the plain-text part; HTML as a fallback)."""
    parts = [p for p in message.walk() if not p.is_multipart() and p.get_content_maintype() == "text"]
    parts.sort(key=lambda p: p.get_content_subtype() != "plain")
    texts = []
    for part in parts:
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        try:
            texts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
        except LookupError:  # an unknown charset
            texts.append(payload.decode("utf-8", errors="replace"))
    return texts


def find_invitation_token(email: str, *, since: float | None = None, directory: Path | None = None) -> str | None:
    """The token in the newest message to `email` (delivered at or after `since`, an epoch time) that
    holds an invitation link; None when there is none (yet)."""
    path = directory or mail_dir()
    try:
        box = mailbox.Maildir(path, factory=None, create=False)
        keys = box.keys()
    except (mailbox.NoSuchMailboxError, FileNotFoundError):
        return None  # no mail sent yet
    wanted = email.strip().lower()
    newest: tuple[float, str] | None = None
    for key in keys:
        try:
            message = box.get_message(key)
        except (KeyError, OSError):  # moved or removed while we looked
            continue
        sent_at = message.get_date()  # delivery into the Maildir (the file's time)
        if since is not None and sent_at < since - CLOCK_SLACK:
            continue
        if wanted not in _recipients(message):
            continue
        for text in _texts(message):
            found = INVITATION_LINK.search(text)
            if found:
                if newest is None or sent_at > newest[0]:
                    newest = (sent_at, found.group(1))
                break
    return newest[1] if newest else None


def wait_for_invitation_token(email: str, timeout: float = 60, *, since: float | None = None,
                              directory: Path | None = None, poll: float = 0.25) -> str:
    """Wait for the invitation e-mail to `email` and return the token of its link (from the newest such
    message). Raises NoInvitationMail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        token = find_invitation_token(email, since=since, directory=directory)
        if token:
            return token
        if time.monotonic() >= deadline:
            raise NoInvitationMail(
                f"no invitation e-mail to {email} in {directory or mail_dir()} after {timeout:g} s "
                "(are the notifications service and the local mail sink running?)")
        time.sleep(poll)
