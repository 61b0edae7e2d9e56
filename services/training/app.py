"""The training service: mentor and mentee training modules, knowledge checks, attestations, the
training gate (TrainingCompleted, R6) and CME certificates (R7).

- The starter curriculum is data (services/training/curriculum/) loaded once by the data migration
  training_0003, i.e. by `mmm migrate`, which `mmm up` runs before anything starts.
- Learners are known only from MentorEnrolled / MenteeEnrolled (events.py).
- Completion rules, including what happens when operators add a required module later: rules.py.
- No periodic jobs and no synchronous calls to other services (besides the shared JWKS fetch).
"""
from __future__ import annotations

from services.training.api import BLUEPRINTS
from services.training.errors import PROBLEM_TYPES
from services.training.events import handlers
from services.training.models import Base
from shared.app import create_service_app
from shared.service import Service


def create_app(overrides: dict | None = None):
    return create_service_app(
        "training", BLUEPRINTS, title="MentorMeMed Training",
        description="Training modules, knowledge checks, attestations, the training gate and CME certificates.",
        problem_types=PROBLEM_TYPES, overrides=overrides,
    )


service = Service(name="training", create_app=create_app, metadata=Base.metadata, handlers=handlers)
