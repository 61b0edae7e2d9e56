"""The local mail sink (`mmm mail`): a real SMTP server keeping every mail in a Maildir."""
from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from mmm import run
from mmm.mailsink import MailSink
from shared import config, testing

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

REPO = Path(__file__).resolve().parents[2]


def _welcome(to: str, subject: str = "Welcome to MentorMeMed") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "MentorMeMed <no-reply@mentormemed.local>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hello Zoë,\n\nyour mentor accepted.\n")
    msg.add_alternative("<p>Hello Zoë,</p><p>your mentor <b>accepted</b>.</p>", subtype="html")
    return msg


def test_a_multipart_mail_lands_in_the_maildir_with_both_parts_and_its_envelope(tmp_path):
    port = testing.free_port()
    maildir = tmp_path / "run" / "mail"
    with MailSink(maildir, "127.0.0.1", port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(_welcome("Mentee <mentee@example.org>"),
                              to_addrs=["mentee@example.org", "copy@example.org"])
        got = testing.wait_for_mail(maildir, "MENTEE@example.org", timeout=5)
    assert got["Subject"] == "Welcome to MentorMeMed"
    assert got["From"] == "MentorMeMed <no-reply@mentormemed.local>"
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content() == "Hello Zoë,\n\nyour mentor accepted.\n"
    assert got.get_body(("html",)).get_content().strip() == "<p>Hello Zoë,</p><p>your mentor <b>accepted</b>.</p>"
    assert got["X-MailFrom"] == "no-reply@mentormemed.local"
    assert got["X-RcptTo"] == "mentee@example.org, copy@example.org"
    # The envelope decides who got it: the copy recipient is in no header but did receive it.
    assert len(testing.read_mails(maildir, to="copy@example.org")) == 1
    assert testing.read_mails(maildir, to="someone-else@example.org") == []
    assert [m["Subject"] for m in testing.read_mails(maildir)] == ["Welcome to MentorMeMed"]
    with pytest.raises(AssertionError, match="Welcome to MentorMeMed"):
        testing.wait_for_mail(maildir, "mentee@example.org", lambda m: "Reminder" in m["Subject"], timeout=0.5)


def test_a_login_is_accepted_and_mails_keep_their_order(tmp_path):
    port = testing.free_port()
    with MailSink(tmp_path / "mail", "127.0.0.1", port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.login("notifications", "anything")  # a client configured with a user name works too
            for n in range(3):
                smtp.send_message(_welcome("mentor@example.org", f"Mail {n}"))
        assert [m["Subject"] for m in testing.read_mails(tmp_path / "mail", "mentor@example.org")] == [
            "Mail 0", "Mail 1", "Mail 2"]
    assert testing.read_mails(tmp_path / "nothing-here") == []


def test_mmm_mail_runs_in_the_foreground_and_stops_on_sigterm(tmp_path):
    port = testing.free_port()
    env = config.environment(MMM_RUN_DIR=str(tmp_path), MMM_SMTP_LISTEN=f"127.0.0.1:{port}", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "mmm.cli", "mail"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout.readline().startswith(f"mmm mail: SMTP on 127.0.0.1:{port}; every mail is kept in "
                                                 f"{tmp_path / 'mail'}")
        assert run.smtp_answers("127.0.0.1", port)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(_welcome("admin@example.edu"))
        assert testing.wait_for_mail(tmp_path / "mail", "admin@example.edu", timeout=5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "mmm mail: stopped" in out and "Traceback" not in out
    assert not run.smtp_answers("127.0.0.1", port, timeout=0.5)


def test_mmm_mail_says_when_its_port_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = config.environment(MMM_RUN_DIR=str(tmp_path), MMM_SMTP_LISTEN=f"127.0.0.1:{port}")
        result = subprocess.run([sys.executable, "-m", "mmm.cli", "mail"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"mmm mail: cannot listen on 127.0.0.1:{port}" in result.stdout


def test_the_running_platform_keeps_the_mails_sent_to_its_sink(platform, platform_smtp, platform_mail_dir,
                                                                platform_run_dir):
    host, port = platform_smtp
    assert run.smtp_answers(host, port)
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(_welcome("platform-check@example.org", "Platform check"))
    got = testing.wait_for_mail(platform_mail_dir, "platform-check@example.org", timeout=10)
    assert got["Subject"] == "Platform check" and got.get_body(("html",)) is not None
    log = (platform_run_dir / "platform.log").read_text()
    assert f"Mail:     every mail sent is kept in {platform_mail_dir} (Maildir; SMTP on {host}:{port})" in log
