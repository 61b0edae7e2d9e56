"""The mentorship service: its Flask app, event handlers and jobs.

Its domain arrives with its own issue; until then it runs on the platform like every other service
(OpenAPI document, health, readiness, metrics, worker with relay).
"""
from shared.app import create_service_app
from shared.service import Service

from services.mentorship.models import Base


def create_app(overrides: dict | None = None):
    return create_service_app(
        "mentorship", [], title="MentorMeMed Mentorship",
        description="Mentorship requests, mentorships, the 3-mentee cap, deadlines and responsiveness.", overrides=overrides,
    )


service = Service(name="mentorship", create_app=create_app, metadata=Base.metadata)
