"""R13 in plain Python: when an evaluation falls due, when it is overdue, when it closes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.evaluation.settings import Settings

PERIODIC, FINAL = "periodic", "final"


@dataclass(frozen=True)
class Window:
    due_at: datetime
    overdue_at: datetime  # EvaluationOverdue when nothing was submitted by then
    closes_at: datetime  # no submission after this


def periodic(settings: Settings, started_at: datetime, sequence: int) -> Window:
    """The n-th periodic evaluation (n ≥ 1) falls due n periods after the mentorship started."""
    if sequence < 1:
        raise ValueError("periodic evaluations are numbered from 1")
    due = started_at + sequence * settings.evaluation_period
    return Window(due, due + settings.overdue_grace, due + settings.periodic_window)


def final(settings: Settings, concluded_at: datetime) -> Window:
    """The final evaluation falls due at the conclusion and stays open for EVALUATION_FINAL_WINDOW."""
    return Window(concluded_at, concluded_at + settings.overdue_grace, concluded_at + settings.final_window)
