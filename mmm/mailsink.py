"""`mmm mail`: the local run's mail server — a real SMTP server (aiosmtpd) that accepts every message
and keeps it in a Maildir, so that what the notifications service sends can be read, not lost.

It listens on MMM_SMTP_LISTEN (default 127.0.0.1:<MAIL_SINK_PORT>, 8125 unless MMM_PORT_BASE moves it)
and keeps each message in <RUN_DIR>/mail (Python's `mailbox.Maildir`: one file per message under
`new/`), exactly as received, with three trace headers on top: `X-MailFrom` and `X-RcptTo` (the SMTP
envelope: who it was really delivered to, Bcc included) and `X-Peer`. It accepts any AUTH (no TLS is
offered), so a client configured with a user name works against it too. It delivers nothing onward:
in production, NOTIFICATIONS_SMTP_* point at a real mail server instead.
"""
from __future__ import annotations

import logging
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from shared import config

log = logging.getLogger("mmm.mail")

SERVER_NAME = "mail.mentormemed.local"


def listen_address() -> tuple[str, int]:
    """(host, port) from MMM_SMTP_LISTEN (`host:port`, `[v6]:port` or `:port` for every address)."""
    text = config.env("MMM_SMTP_LISTEN", f"127.0.0.1:{config.MAIL_SINK_PORT}")
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"MMM_SMTP_LISTEN must be host:port, not {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def mail_dir() -> Path:
    from mmm import run

    return run.mail_dir()


class MaildirHandler:
    """aiosmtpd handler: every message accepted, stored in the Maildir with its envelope on top."""

    def __init__(self, path: str | Path):
        # Also when the directory exists but is empty (a fresh container volume): mailbox.Maildir only
        # makes tmp/, new/ and cur/ for a directory it creates itself.
        Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in ("tmp", "new", "cur"):
            (Path(path) / sub).mkdir(mode=0o700, exist_ok=True)
        self.maildir = mailbox.Maildir(str(path), create=False)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        trace = (f"X-Peer: {session.peer[0] if session.peer else ''}\n"
                 f"X-MailFrom: {envelope.mail_from or ''}\n"
                 f"X-RcptTo: {', '.join(envelope.rcpt_tos)}\n").encode()
        content = envelope.original_content or b""
        # Maildir files use the local line ending; SMTP's CRLF would leave a stray \r on each line.
        key = self.maildir.add(trace + content.replace(b"\r\n", b"\n"))
        log.info("mail kept", extra={"mail_key": key, "mail_from": envelope.mail_from,
                                     "rcpt_to": envelope.rcpt_tos, "size": len(content)})
        return "250 2.0.0 OK: kept"


def _accept_any(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=True)


class MailSink:
    """The SMTP server on (host, port) keeping every message in the Maildir at `path`, in a thread of
    its own: `start()` returns once it answers, `stop()` closes it. Also a context manager."""

    def __init__(self, path: str | Path, host: str = "127.0.0.1", port: int | None = None):
        self.path = Path(path)
        self.host, self.port = host, port if port is not None else config.MAIL_SINK_PORT
        self.controller = Controller(
            MaildirHandler(self.path), hostname=self.host, port=self.port, server_hostname=SERVER_NAME,
            authenticator=_accept_any, auth_require_tls=False, ready_timeout=10.0)

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run(listen: tuple[str, int] | None = None, path: str | Path | None = None) -> int:
    """`mmm mail`: run the sink in the foreground until SIGTERM or SIGINT."""
    from shared import logs

    logs.configure("mail")
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd's logger
    smtp_log.setLevel(logging.WARNING)  # not its per-connection chatter
    # aiosmtpd itself sets the deprecated Session.login_data after every AUTH and warns about it.
    smtp_log.addFilter(lambda record: "login_data is deprecated" not in record.getMessage())
    host, port = listen or listen_address()
    path = Path(path) if path else mail_dir()
    sink = MailSink(path, host, port)
    try:
        sink.start()
    except OSError as error:
        print(f"mmm mail: cannot listen on {host}:{port}: {error.strerror or error}", flush=True)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"mmm mail: SMTP on {host}:{port}; every mail is kept in {path} (Maildir)", flush=True)
    while not stop.wait(1):
        pass
    sink.stop()
    print("mmm mail: stopped", flush=True)
    return 0
