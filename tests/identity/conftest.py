"""Fixtures of the identity tests: the identity app on this run's database (verifying its own tokens
from its own keys), fast argon2 parameters, and a small world builder that goes through the API."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from shared.app import db_of

PREFIX = "/api/v1/identity"
PASSWORD = "correct horse battery"

FAST = {
    "AUTH_JWKS_LOADER": None,  # identity's own loader: its JWKS from its own database
    "IDENTITY_ARGON2_TIME_COST": 1,
    "IDENTITY_ARGON2_MEMORY_KIB": 1024,
    "IDENTITY_ARGON2_PARALLELISM": 1,
    "IDENTITY_LOCKOUT_FREE_ATTEMPTS": 3,
    "IDENTITY_LOCKOUT_BASE": "PT30S",
}


@pytest.fixture(scope="session")
def identity_app(service_app):
    return service_app("identity", **FAST)


@pytest.fixture(scope="session")
def identity_db(identity_app):
    return db_of(identity_app)


@pytest.fixture()
def client(identity_app):
    return identity_app.test_client()


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class World:
    """Builds institutions and people through the public API, as their owners would."""

    def __init__(self, app, client):
        self.app = app
        self.c = client
        self._operator = None

    # -- plumbing ------------------------------------------------------------------------------------
    def post(self, path, json=None, headers=None, expect=None):
        r = self.c.post(PREFIX + path, json=json, headers=headers)
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json())
        return r

    def get(self, path, headers=None, expect=None, **params):
        r = self.c.get(PREFIX + path, headers=headers, query_string=params)
        if expect is not None:
            assert r.status_code == expect, (path, r.status_code, r.get_json())
        return r

    def sign_in(self, email, password=PASSWORD, **extra):
        r = self.post("/auth/token", {"email": email, "password": password, **extra}, expect=200)
        return r.get_json()

    def headers(self, email, password=PASSWORD):
        return bearer(self.sign_in(email, password)["access_token"])

    # -- people ---------------------------------------------------------------------------------------
    @property
    def operator(self) -> dict:
        if self._operator is None:
            from services.identity.cli import create_operator

            email = unique_email("operator")
            user = create_operator(email, "Olive Operator", PASSWORD, database=db_of(self.app),
                                   context=self.app.extensions["identity"])
            self._operator = {"id": user["id"], "email": email, "headers": self.headers(email)}
        return self._operator

    def institution(self, *, kind="academic", class_size=80, status="active", **extra) -> dict:
        body = {"name": f"School {uuid.uuid4().hex[:6]}", "kind": kind, "class_size": class_size,
                "contact": {"name": "Dean Contact", "email": unique_email("dean")},
                "subscription_status": status, **extra}
        return self.post("/institutions", body, self.operator["headers"], expect=201).get_json()

    def agreement_version(self, role) -> int:
        return self.get(f"/agreements/{role}/current", expect=200).get_json()["version"]

    def accept(self, token, **extra) -> dict:
        return self.post("/invitations/accept", {"token": token, "password": PASSWORD, **extra}, expect=201).get_json()

    def admin(self, inst) -> dict:
        email = unique_email("admin")
        inv = self.post(f"/institutions/{inst['id']}/admin-invitations", {"email": email, "name": "Ada Admin"},
                        self.operator["headers"], expect=201).get_json()
        user = self.accept(inv["token"])
        return {**user, "headers": self.headers(email)}

    def mentor_invitation(self, inst, admin, email=None, criteria=("teaching_award",)) -> dict:
        return self.post(f"/institutions/{inst['id']}/mentor-invitations",
                         {"email": email or unique_email("mentor"), "name": "Max Mentor",
                          "criteria": list(criteria), "evidence": "Dean's teaching award 2023"},
                         admin["headers"], expect=201).get_json()

    def mentor(self, inst, admin) -> dict:
        inv = self.mentor_invitation(inst, admin)
        user = self.accept(inv["token"], accept_agreement_version=self.agreement_version("mentor"))
        return {**user, "headers": self.headers(user["email"])}

    def mentee_profile(self) -> dict:
        return {"demographics": {"race_ethnicity": ["Black or African American"], "hispanic_or_latino": False,
                                 "gender_identity": "woman", "training_stage": "medical_student"},
                "contact": {"phone": "+1 555 0100"}}

    def registration(self, inst, **extra) -> dict:
        return {"enrollment_code": inst["enrollment_code"], "email": unique_email("mentee"), "name": "Mia Mentee",
                "password": PASSWORD, "accept_agreement_version": self.agreement_version("mentee"),
                "profile": self.mentee_profile(), "eligibility": ["first_generation"], "attested": True, **extra}

    def pending_mentee(self, inst) -> dict:
        return self.post("/mentees/registrations", self.registration(inst), expect=201).get_json()

    def mentee(self, inst, admin) -> dict:
        user = self.pending_mentee(inst)
        self.post(f"/mentees/{user['id']}/approve", {}, admin["headers"], expect=200)
        return {**user, "headers": self.headers(user["email"])}


@pytest.fixture()
def world(identity_app, client):
    return World(identity_app, client)


def count(database, table: str) -> int:
    with database.sessions() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
