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


def moved(settings: Settings, kind: str, due_at: datetime) -> Window:
    """The windows of an evaluation of `kind` that an operator moved to fall due at `due_at`."""
    return final(settings, due_at) if kind == FINAL else Window(due_at, due_at + settings.overdue_grace,
                                                               due_at + settings.periodic_window)


def final(settings: Settings, concluded_at: datetime) -> Window:
    """The final evaluation falls due at the conclusion and stays open for EVALUATION_FINAL_WINDOW."""
    return Window(concluded_at, concluded_at + settings.overdue_grace, concluded_at + settings.final_window)


# --- the states an evaluation passes through -----------------------------------------------------------

SCHEDULED, DUE, OVERDUE, SUBMITTED, CANCELLED = "scheduled", "due", "overdue", "submitted", "cancelled"
STATES = (SCHEDULED, DUE, OVERDUE, SUBMITTED, CANCELLED)


def refusal(status: str, closes_at: datetime, at: datetime) -> tuple[str, str] | None:
    """Why a submission at `at` is refused (slug, sentence), or None when it is accepted: only a due or
    overdue evaluation, and only before it closes — an overdue one stays open until then."""
    if status == SUBMITTED:
        return "already-submitted", "This evaluation has already been submitted."
    if status == CANCELLED:
        return "evaluation-cancelled", "This evaluation was cancelled: the mentorship concluded before it fell due."
    if status == SCHEDULED:
        return "not-yet-due", "This evaluation is not due yet."
    if at >= closes_at:
        return "evaluation-closed", "This evaluation closed without a submission; it can no longer be submitted."
    return None


def is_open(status: str, closes_at: datetime, at: datetime) -> bool:
    return refusal(status, closes_at, at) is None


# --- the form -------------------------------------------------------------------------------------------

RATINGS = ("availability", "responsiveness", "guidance", "overall")  # 1–5 each
RATING_MIN, RATING_MAX = 1, 5
TEXT_MAX = 4000

# Version 1 of the form, as the migration seeds it. A new version is a new row of evaluation_forms (a
# migration); answers keep the version the mentee saw, so old answers are never re-read under new labels.
FORM_V1 = {
    "title": "Evaluate your mentor",
    "questions": [
        {"id": "availability", "type": "rating", "min": 1, "max": 5, "required": True,
         "label": "How available was your mentor to meet or talk?"},
        {"id": "responsiveness", "type": "rating", "min": 1, "max": 5, "required": True,
         "label": "How quickly and reliably did your mentor respond to you?"},
        {"id": "guidance", "type": "rating", "min": 1, "max": 5, "required": True,
         "label": "How would you rate the quality of your mentor's guidance?"},
        {"id": "overall", "type": "rating", "min": 1, "max": 5, "required": True,
         "label": "Overall, how would you rate your mentor?"},
        {"id": "would_recommend", "type": "yes_no", "required": True,
         "label": "Would you recommend this mentor to another mentee?"},
        {"id": "program_text", "type": "text", "max_length": TEXT_MAX, "required": False,
         "label": "Anything you want the program to know (seen by the program's staff only)."},
        {"id": "shared_text", "type": "text", "max_length": TEXT_MAX, "required": False,
         "label": "A comment for your mentor (optional). Your mentor sees comments only once at least three "
                  "evaluations have been submitted, in alphabetical order, never with your name or a date."},
    ],
}
