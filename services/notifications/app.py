"""The notifications service: its Flask app, event handlers and jobs.

Its domain arrives with its own issue; until then it runs on the platform like every other service
(OpenAPI document, health, readiness, metrics, worker with relay).
"""
from shared.app import create_service_app
from shared.service import Service

from services.notifications.models import Base


def create_app(overrides: dict | None = None):
    return create_service_app(
        "notifications", [], title="MentorMeMed Notifications",
        description="Preferences, in-app inbox, email outbox, webhooks and institution event feeds.", overrides=overrides,
    )


service = Service(name="notifications", create_app=create_app, metadata=Base.metadata)
