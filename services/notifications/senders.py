"""The two ways out of the service: SMTP for e-mail, HTTPS for webhooks (signed the Standard Webhooks
way: `webhook-id`, `webhook-timestamp`, `webhook-signature` = v1,base64(HMAC-SHA256(secret,
"<id>.<timestamp>.<body>")), one signature per secret in force, space-separated)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

import requests

from services.notifications import rules
from services.notifications.settings import Settings

# --- e-mail ------------------------------------------------------------------------------------------


_POLICY = policy.SMTP.clone(max_line_length=998)


class PermanentMailError(Exception):
    """The server refused this message for good (for example an unknown recipient)."""


def build_message(settings: Settings, email_id: uuid.UUID, to: str, subject: str, text: str, html: str) -> EmailMessage:
    # Lines up to RFC 5322's 998 characters: Python folds a long subject onto a line of its own, which
    # some readers (Python's own parser among them) then show with a leading space.
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    # One Message-ID per queued mail, the same on every retry: a receiver can drop a repeat after a
    # crash between the server's OK and our record of it.
    # (make_msgid would add the time and a random number: a different Message-ID on every attempt.)
    msg["Message-ID"] = f"<{email_id.hex}@mentormemed.local>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class Mailer:
    """One SMTP connection for a batch of messages."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        if s.smtp_security == "tls":
            self.smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                         context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                self.smtp.starttls(context=ssl.create_default_context())
        if s.smtp_username:
            self.smtp.login(s.smtp_username, s.smtp_password or "")
        return self

    def send(self, msg: EmailMessage) -> None:
        try:
            refused = self.smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError(f"recipient refused: {list(exc.recipients.values())[0]}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            raise
        if refused:
            raise PermanentMailError(f"recipient refused: {refused}")

    def __exit__(self, *exc) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


# --- webhooks ------------------------------------------------------------------------------------------

def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxies from the environment for our own deliveries
        _local.session = session
    return session


def deliver(settings: Settings, url: str, msg_id: str, body: bytes, secrets_in_force: list[str]) -> Attempt:
    """One POST; the answer's status (2xx is success) or why it failed. No redirects are followed and
    the address is checked again just before sending (a host may have changed what it resolves to)."""
    started = time.perf_counter()
    try:
        if not settings.webhook_allow_private:
            host, port = rules.check_url_shape(url, False)
            for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
                why = rules.address_refused(info[4][0])
                if why:
                    raise rules.UrlRefused(f"refused: {host} now resolves to {why}")
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "MentorMeMed-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_force),
        }
        response = _session().post(url, data=body, headers=headers, timeout=(3.0, settings.webhook_timeout),
                                   allow_redirects=False)
        response.close()
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Attempt(response.status_code, error, _ms(started))
    except rules.UrlRefused as exc:
        return Attempt(None, str(exc), _ms(started))
    except requests.Timeout:
        return Attempt(None, "timed out", _ms(started))
    except (requests.RequestException, OSError) as exc:
        return Attempt(None, f"connection failed: {type(exc).__name__}", _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
