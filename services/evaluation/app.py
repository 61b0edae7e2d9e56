"""The evaluation service: its Flask app, event handlers and jobs (R13 evaluations, R14 surveys, R15
participation reports, R16 research data requests). Each domain is a package with its own api, rules
and service; the read models they share (members, mentorships, requests, CME credits) are in models.py,
filled by events.py."""
from __future__ import annotations

from services.evaluation import settings as settings_module
from services.evaluation.errors import PROBLEM_TYPES
from services.evaluation.evaluations import api as evaluations_api
from services.evaluation.events import handlers
from services.evaluation.jobs import jobs
from services.evaluation.models import Base
from services.evaluation.reports import api as reports_api
from services.evaluation.research import api as research_api
from services.evaluation.surveys import api as surveys_api
from shared.app import create_service_app
from shared.service import Service

BLUEPRINTS: list = [*evaluations_api.BLUEPRINTS, *surveys_api.BLUEPRINTS, *reports_api.BLUEPRINTS,
                    *research_api.BLUEPRINTS]


def create_app(overrides: dict | None = None):
    app = create_service_app(
        "evaluation", BLUEPRINTS, title="MentorMeMed Evaluation",
        description="Evaluation schedule, evaluations, surveys, participation reports and research data requests.",
        problem_types=PROBLEM_TYPES, overrides=overrides,
    )
    app.extensions["evaluation"] = settings_module.load(app.config)
    return app


service = Service(name="evaluation", create_app=create_app, metadata=Base.metadata, handlers=handlers, jobs=jobs,
                  load_settings=settings_module.load)
