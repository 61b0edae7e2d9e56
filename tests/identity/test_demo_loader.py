"""The identity demo loader against identity as production runs it (no token in the inviter's response):
every invitee accepts with the token from their invitation e-mail. A stand-in for the notifications
service and the mail sink writes one e-mail per InvitationIssued into a Maildir, as the platform does."""
from __future__ import annotations

import mailbox
import threading
from email.message import EmailMessage

import pytest

import demo.identity
from demo.client import Client
from shared.testing import outbox_events
from tests.identity.conftest import FAST, PASSWORD, World

pytestmark = pytest.mark.slow  # the demo loader through the broker and the mail

PUBLIC_URL = "http://127.0.0.1:8080"


class _Response:
    def __init__(self, r):
        self.status_code, self.headers, self.content, self.text = r.status_code, r.headers, r.data, r.text
        self._json = r.get_json(silent=True)

    def json(self):
        return self._json


class _FlaskHttp:
    """What demo.client.Client needs of requests.Session, answered by the app's test client."""

    def __init__(self, app):
        self.c = app.test_client()

    def request(self, method, url, headers=None, timeout=None, json=None):
        path = url.split("127.0.0.1:8080", 1)[1]
        return _Response(self.c.open(path, method=method, headers=headers or {}, json=json))


def _mail_sink(database, maildir, stop: threading.Event) -> None:
    """Sends each new InvitationIssued as a multipart e-mail with the link, as notifications would."""
    seen = {e["id"] for e in outbox_events(database, "InvitationIssued")}
    box = mailbox.Maildir(maildir, create=True)
    while not stop.wait(0.1):
        for event in outbox_events(database, "InvitationIssued"):
            if event["id"] in seen:
                continue
            seen.add(event["id"])
            data, link = event["data"], f"{PUBLIC_URL}/accept-invitation#token={event['data']['token']}"
            msg = EmailMessage()
            msg["To"] = f"{data['name']} <{data['email']}>"
            msg["Subject"] = f"{data['institution_name']} invites you to MentorMeMed"
            msg.set_content(f"Hello {data['name']},\n\nAccept your invitation: {link}\n", cte="quoted-printable")
            msg.add_alternative(f'<p><a href="{link}">Accept your invitation</a></p>', subtype="html")
            box.add(msg)


@pytest.fixture()
def quiet_app(service_app):
    return service_app("identity", **FAST, IDENTITY_INVITATION_TOKEN_IN_RESPONSE="off")


def test_the_demo_loader_accepts_invitations_from_the_mail(quiet_app, identity_db, tmp_path, monkeypatch):
    monkeypatch.setenv("MMM_RUN_DIR", str(tmp_path))
    operator = World(quiet_app, quiet_app.test_client()).operator
    client = Client(PUBLIC_URL)
    client.http = _FlaskHttp(quiet_app)
    stop = threading.Event()
    sink = threading.Thread(target=_mail_sink, args=(identity_db, tmp_path / "mail", stop), daemon=True)
    sink.start()
    try:
        result = demo.identity.load(client, operator["email"], PASSWORD)
    finally:
        stop.set()
        sink.join(timeout=10)
    by_name = {i["name"]: i for i in result["institutions"]}
    assert len(by_name) == len(demo.identity.INSTITUTIONS)
    assert all(i["enrolled_mentors"] == len(demo.identity.MENTORS) for i in by_name.values())
    # per institution: its admin, its mentors and one mentee were invited by e-mail
    invited = len(demo.identity.INSTITUTIONS) * (1 + len(demo.identity.MENTORS) + 1)
    assert len(mailbox.Maildir(tmp_path / "mail", create=False)) == invited
    # every login works
    for login in result["logins"]:
        r = quiet_app.test_client().post("/api/v1/identity/auth/token",
                                         json={"email": login["email"], "password": login["password"]})
        assert r.status_code == 200, (login["email"], r.get_json())
