"""A small HTTP client for the demo loader: the gateway's base URL, JSON, problem+json errors raised."""
from __future__ import annotations

import time

import requests


class DemoError(RuntimeError):
    pass


class Client:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.http = requests.Session()

    def request(self, method: str, path: str, *, token: str | None = None, expect: tuple[int, ...] = (200, 201, 204),
                **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(30):
            response = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
            if response.status_code != 429:  # the gateway rate-limits sign-in: wait and try again
                break
            time.sleep(min(2 + attempt, 6))
        if response.status_code not in expect:
            raise DemoError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None

    def invitation_token(self, invitation: dict, email: str, *, since: float | None = None,
                         timeout: float = 60) -> str:
        """The token of an invitation just created: from the inviter's response when the platform puts it
        there (identity's IDENTITY_INVITATION_TOKEN_IN_RESPONSE on, as in tests), else — as the invitee
        gets it — from the invitation e-mail in the local platform's Maildir (demo/mailbox.py), sent at or
        after `since` (epoch seconds, taken before inviting)."""
        if invitation.get("token"):
            return invitation["token"]
        from demo.mailbox import wait_for_invitation_token

        return wait_for_invitation_token(email, timeout=timeout, since=since)

    def sign_in(self, email: str, password: str) -> str:
        """An access token for the demo person. A new version of their agreement (R5) is accepted, as the
        person would in the client: a demo run on an older database meets the program's newer terms."""
        body = {"email": email, "password": password}
        r = self.http.request("POST", self.base + "/api/v1/identity/auth/token", json=body, timeout=30)
        problem = r.json() if r.status_code == 403 and r.content else {}
        if problem.get("type", "").endswith("/agreement-required"):
            body["accept_agreement_version"] = problem["agreement"]["version"]
        elif r.status_code == 200:
            return r.json()["access_token"]
        return self.post("/api/v1/identity/auth/token", json=body, expect=(200,))["access_token"]

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)
