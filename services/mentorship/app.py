"""The mentorship service: its Flask app, event handlers and jobs."""
from __future__ import annotations

from services.mentorship import settings as settings_module
from services.mentorship.api import BLUEPRINTS
from services.mentorship.errors import PROBLEM_TYPES
from services.mentorship.events import handlers
from services.mentorship.jobs import jobs
from services.mentorship.models import Base
from shared.app import create_service_app
from shared.service import Service


def create_app(overrides: dict | None = None):
    app = create_service_app(
        "mentorship", BLUEPRINTS, title="MentorMeMed Mentorship",
        description="Mentorship requests and their deadlines, mentorships, the 3-mentee cap and mentors' "
                    "responsiveness.",
        problem_types=PROBLEM_TYPES, overrides=overrides,
    )
    app.extensions["mentorship"] = settings_module.load(app.config)
    return app


service = Service(name="mentorship", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs,
                  load_settings=settings_module.load)
