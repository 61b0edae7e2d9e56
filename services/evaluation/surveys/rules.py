"""Survey rules in plain Python: question definitions, answers judged against the version assigned,
audiences, and answer distributions.

Errors come back as marshmallow-shaped messages ({field: [message]}, nested by list index or question
id) so that the API turns each into a JSON pointer (#/questions/2/options, #/answers/age).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

KINDS = ("career_update", "program_feedback")
CAREER_UPDATE, PROGRAM_FEEDBACK = KINDS
STATUSES = ("draft", "open", "closed")
ROLES = ("mentee", "mentor", "alumni")  # alumni: mentees who exited (graduated or left)
CAREER_ROLES = ("mentee", "alumni")  # R14: career updates are asked of mentees and alumni

QUESTION_TYPES = ("single_choice", "multiple_choice", "text", "number", "date")
MAX_QUESTIONS = 50
MAX_OPTIONS = 50
MIN_OPTIONS = 2
TEXT_MAX_LENGTH = 5000  # the longest a text question may allow
TEXT_DEFAULT_LENGTH = 2000
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

COMMON = ("id", "type", "label", "required")
# what each type may carry besides the common fields
TYPE_FIELDS = {
    "single_choice": ("options",),
    "multiple_choice": ("options", "min_selections", "max_selections"),
    "text": ("max_length",),
    "number": ("min", "max", "integer"),
    "date": ("min", "max"),
}


def _is_number(v) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool) and math.isfinite(v)


def _date(v) -> date | None:
    """A calendar date written YYYY-MM-DD (nothing else: no times, no week dates)."""
    if not isinstance(v, str) or len(v) != 10:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        return None


# --- definitions --------------------------------------------------------------------------------------------

def question_errors(q: Mapping) -> dict[str, list[str]]:
    """Problems of one question beyond the shape of its fields (the schema checks those; a field it
    refused is absent here, and a question of no known type has nothing more to check)."""
    kind = q.get("type")
    errors: dict[str, list[str]] = {}
    if kind not in TYPE_FIELDS:
        return errors

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in q:
        if field not in COMMON and field not in TYPE_FIELDS[kind]:
            add(field, f"Not used by {kind.replace('_', ' ')} questions.")
    if kind in ("single_choice", "multiple_choice"):
        options = q.get("options")
        if not options:
            add("options", "Choice questions need options.")
        else:
            if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
                add("options", f"Give between {MIN_OPTIONS} and {MAX_OPTIONS} options.")
            if len({o.strip().casefold() for o in options}) != len(options):
                add("options", "Options must differ.")
            if kind == "multiple_choice":
                low, high = q.get("min_selections", 0), q.get("max_selections", len(options))
                if high > len(options):
                    add("max_selections", f"At most the number of options ({len(options)}).")
                if low > high:
                    add("min_selections", "The fewest selections must not be more than the most selections.")
    elif kind == "number":
        bounds = {k: q[k] for k in ("min", "max") if q.get(k) is not None}
        for k, v in bounds.items():
            if not _is_number(v):
                add(k, "Must be a number.")
            elif q.get("integer") and v != int(v):
                add(k, "Must be a whole number for an integer question.")
        if len(bounds) == 2 and all(_is_number(v) for v in bounds.values()) and bounds["min"] > bounds["max"]:
            add("min", "The minimum must not be more than the maximum.")
    elif kind == "date":
        bounds = {k: q[k] for k in ("min", "max") if q.get(k) is not None}
        parsed = {k: _date(v) for k, v in bounds.items()}
        for k, v in parsed.items():
            if v is None:
                add(k, "Must be a date written YYYY-MM-DD.")
        if parsed.get("min") and parsed.get("max") and parsed["min"] > parsed["max"]:
            add("min", "The earliest date must not be after the latest.")
    return errors


def definition_errors(questions: list[Mapping]) -> dict[int, dict[str, list[str]]]:
    """Problems that span questions: duplicate ids (each duplicate after the first is named)."""
    seen: set[str] = set()
    errors: dict[int, dict[str, list[str]]] = {}
    for n, q in enumerate(questions):
        qid = q.get("id") if isinstance(q, Mapping) else None
        if qid is None:
            continue
        if qid in seen:
            errors[n] = {"id": [f"Duplicate question id {qid!r}."]}
        seen.add(qid)
    return errors


def normalized(q: Mapping) -> dict:
    """A valid question as stored: defaults written out, so that a version reads the same forever even if
    a default changes later."""
    out = {"id": q["id"], "type": q["type"], "label": q["label"], "required": bool(q.get("required", False))}
    kind = q["type"]
    if kind in ("single_choice", "multiple_choice"):
        out["options"] = list(q["options"])
    if kind == "multiple_choice":
        out["min_selections"] = q.get("min_selections", 1 if out["required"] else 0)
        out["max_selections"] = q.get("max_selections", len(q["options"]))
        out["min_selections"] = min(out["min_selections"], out["max_selections"])
    elif kind == "text":
        out["max_length"] = q.get("max_length", TEXT_DEFAULT_LENGTH)
    elif kind == "number":
        out["integer"] = bool(q.get("integer", False))
        for k in ("min", "max"):
            if q.get(k) is not None:
                out[k] = int(q[k]) if out["integer"] else float(q[k])
    elif kind == "date":
        for k in ("min", "max"):
            if q.get(k) is not None:
                out[k] = q[k]
    return out


# --- answers ---------------------------------------------------------------------------------------------

def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _answer_error(q: Mapping, value):
    """(clean value, None) or (None, message) for one non-blank answer."""
    kind = q["type"]
    if kind == "single_choice":
        if not isinstance(value, str) or value not in q["options"]:
            return None, "Choose one of the question's options."
        return value, None
    if kind == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "Give a list of the question's options."
        if any(v not in q["options"] for v in value):
            return None, "Choose only among the question's options."
        if len(set(value)) != len(value):
            return None, "Choose each option at most once."
        if not q["min_selections"] <= len(value) <= q["max_selections"]:
            return None, f"Choose between {q['min_selections']} and {q['max_selections']} options."
        return [o for o in q["options"] if o in value], None  # in the question's order
    if kind == "text":
        if not isinstance(value, str):
            return None, "Must be text."
        value = value.strip()
        if len(value) > q["max_length"]:
            return None, f"At most {q['max_length']} characters."
        return value, None
    if kind == "number":
        if not _is_number(value):
            return None, "Must be a number."
        if q["integer"]:
            if value != int(value):
                return None, "Must be a whole number."
            value = int(value)
        if "min" in q and value < q["min"]:
            return None, f"At least {q['min']}."
        if "max" in q and value > q["max"]:
            return None, f"At most {q['max']}."
        return value, None
    parsed = _date(value)  # date
    if parsed is None:
        return None, "Must be a date written YYYY-MM-DD."
    if "min" in q and parsed < date.fromisoformat(q["min"]):
        return None, f"Not before {q['min']}."
    if "max" in q and parsed > date.fromisoformat(q["max"]):
        return None, f"Not after {q['max']}."
    return value, None


def judge_answers(questions: list[Mapping], answers: Mapping) -> tuple[dict, dict[str, list[str]]]:
    """(the answers to store, errors by question id). Blank optional answers are left out; an answer to
    a question the version does not have is an error, not silently dropped."""
    by_id = {q["id"]: q for q in questions}
    clean: dict = {}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in by_id:
            errors[key] = ["No such question in this survey."]
    for q in questions:
        value = answers.get(q["id"])
        if _blank(value):
            if q["required"]:
                errors[q["id"]] = ["An answer is required."]
            continue
        value, message = _answer_error(q, value)
        if message:
            errors[q["id"]] = [message]
        else:
            clean[q["id"]] = value
    return clean, errors


# --- distributions -------------------------------------------------------------------------------------

def distribution(q: Mapping, values: Iterable, *, with_texts: bool) -> dict:
    """What a question's answers add up to: choice counts, number mean/min/max, date range, and the
    texts themselves (sorted, so that their order says nothing of who wrote them or when)."""
    values = list(values)
    out: dict = {"id": q["id"], "type": q["type"], "label": q["label"], "answered": len(values)}
    kind = q["type"]
    if kind in ("single_choice", "multiple_choice"):
        counts = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
        out["options"] = [{"option": o, "count": counts.get(o, 0)} for o in q["options"]]
    elif kind == "number":
        out["mean"] = round(sum(values) / len(values), 2) if values else None
        out["min"] = min(values) if values else None
        out["max"] = max(values) if values else None
    elif kind == "date":
        out["earliest"] = min(values) if values else None
        out["latest"] = max(values) if values else None
    elif kind == "text" and with_texts:
        out["texts"] = sorted(values, key=str.casefold)
    return out


def rate(assigned: int, completed: int) -> float | None:
    return round(completed / assigned, 4) if assigned else None
