"""The notifications service: it tells people and institutions what happened (R12, R17, R18).

- From events to people (events.py): each event becomes in-app notifications and, by each person's
  preferences, rendered e-mails (templates/, Jinja2), sent by the email.send job over SMTP.
- Institution feeds (R18): every event about an institution's members is kept, minimised, in that
  institution's feed (GET /feed) and delivered to its webhook subscriptions (jobs.py).
- People are known only from enrollment events (names and e-mails; nothing sensitive).
- No synchronous calls to other services (besides the shared JWKS fetch); it publishes no events.
"""
from __future__ import annotations

from services.notifications import settings as settings_module
from services.notifications.api import BLUEPRINTS
from services.notifications.events import handlers
from services.notifications.jobs import jobs
from services.notifications.errors import PROBLEM_TYPES
from services.notifications.models import Base
from shared.app import create_service_app
from shared.service import Service


def create_app(overrides: dict | None = None):
    app = create_service_app(
        "notifications", BLUEPRINTS, title="MentorMeMed Notifications",
        description="The in-app inbox and e-mail preferences of every user; institution event feeds and "
                    "webhook subscriptions (R18). The events institutions receive are described in "
                    "AsyncAPI 3.0 at /api/v1/notifications/asyncapi.json.",
        problem_types=PROBLEM_TYPES, overrides=overrides,
    )
    app.extensions["notifications_settings"] = settings_module.load(app.config)
    return app


service = Service(name="notifications", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs,
                  load_settings=settings_module.load)
