"""The identity service: its Flask app, event handlers and jobs."""
from __future__ import annotations

from services.identity import settings as settings_module
from services.identity.api import BLUEPRINTS
from services.identity.errors import PROBLEM_TYPES
from services.identity.events import handlers
from services.identity.jobs import jobs
from services.identity.models import Base
from services.identity.service import Context
from services.identity.tokens import KeyRing, Passwords
from shared.app import create_service_app, db_of
from shared.service import Service


def own_jwks_loader(app):
    """identity verifies its own tokens against the keys in its own database (no HTTP call to itself)."""
    def load() -> dict:
        with db_of(app).unit_of_work() as session:
            return KeyRing.jwks(session)

    return load


def create_app(overrides: dict | None = None):
    app = create_service_app(
        "identity", BLUEPRINTS, title="MentorMeMed Identity",
        description="Institutions, people, credentials, invitations, admission criteria, eligibility, "
                    "agreements and tokens.",
        problem_types=PROBLEM_TYPES, overrides=overrides,
    )
    if app.config.get("AUTH_JWKS_LOADER") is None:
        app.config["AUTH_JWKS_LOADER"] = own_jwks_loader(app)
    settings = settings_module.load(app.config)
    app.extensions["identity"] = Context(settings=settings, passwords=Passwords(settings.argon2),
                                         keyring=KeyRing(settings))

    return app


service = Service(name="identity", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs,
                  load_settings=settings_module.load)
