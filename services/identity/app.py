"""The identity service: its Flask app, event handlers and jobs."""
from shared.app import create_service_app
from shared.service import Service

from services.identity.models import Base


def create_app(overrides: dict | None = None):
    return create_service_app(
        "identity", [], title="MentorMeMed Identity",
        description="Institutions, people, credentials, invitations, admission criteria, eligibility, agreements and tokens.",
        overrides=overrides,
    )


service = Service(name="identity", create_app=create_app, metadata=Base.metadata)
