"""Plain rules of research data requests (R16): the catalogue of datasets an export can hold, what a
valid request is, and how an export de-identifies (pseudonyms, months, small cells)."""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import date, datetime, timedelta, timezone

from services.evaluation import privacy

IRB_STATUSES = ("approved", "exempt", "pending", "not_human_subjects")
IRB_NUMBER_REQUIRED = ("approved", "exempt")
REQUEST_STATES = ("submitted", "approved", "denied")
DECISIONS = ("approved", "denied")
AUDIT_ACTIONS = ("request_submitted", "request_decided", "export_created", "download_link_created",
                 "export_downloaded", "download_refused")

# The catalogue: each dataset a request may ask for, and its columns in export order. No column may hold
# a name, an e-mail, a platform id, a full date or a free text: ids become per-export pseudonyms
# (M- mentor, E- mentee, I- institution), dates become months (YYYY-MM).
CATALOGUE: dict[str, dict] = {
    "mentorships": {
        "description": "One row per mentorship started in the period: its mentor, mentee and their institutions "
                       "(pseudonyms), start and end month, whole months active within the period and who "
                       "concluded it (empty when it was still active at the end of the period).",
        "columns": ["mentor", "mentor_institution", "mentee", "mentee_institution", "start_month", "end_month",
                    "months_active", "concluded_by"],
    },
    "evaluations": {
        "description": "One row per evaluation submitted in the period: the mentor evaluated (pseudonym), kind "
                       "(periodic or final), month submitted, the four ratings (1-5) and would-recommend. "
                       "Free texts are never exported.",
        "columns": ["mentor", "kind", "submitted_month", "availability", "responsiveness", "guidance", "overall",
                    "would_recommend"],
    },
    "requests": {
        "description": "One row per mentorship request created in the period: the mentor asked (pseudonym), month "
                       "created, outcome (open, accepted, declined, expired, withdrawn) and the mentor's response "
                       "time in whole days (empty without an answer of the mentor's own).",
        "columns": ["mentor", "month", "outcome", "response_days"],
    },
    "participation_summary": {
        "description": "One row per institution (pseudonym, the mentor's institution) and month of the period: "
                       "mentorships started, evaluations submitted, mean ratings and the share who would "
                       f"recommend. A count under {privacy.RESEARCH_CELL_MINIMUM} (zero included) is 'suppressed', "
                       "and so are the means over it.",
        "columns": ["institution", "month", "mentorships_started", "evaluations_submitted", "mean_availability",
                    "mean_responsiveness", "mean_guidance", "mean_overall", "would_recommend_percent"],
    },
}

SUPPRESSED = "suppressed"
PSEUDONYM_PREFIX = {"mentor": "M-", "mentee": "E-", "institution": "I-"}
PSEUDONYM_HEX = 12  # 48 bits: collisions are negligible at the platform's size


def today() -> date:
    return datetime.now(timezone.utc).date()


def request_errors(data: dict, *, on: date | None = None) -> dict[str, list[str]]:
    """Field -> messages for what a schema alone cannot judge (the IRB number, the period)."""
    errors: dict[str, list[str]] = {}
    for field in ("title", "purpose"):
        if field in data and isinstance(data[field], str) and not data[field].strip():
            errors[field] = ["Must not be blank."]
    if data.get("irb_status") in IRB_NUMBER_REQUIRED and not (data.get("irb_number") or "").strip():
        errors["irb_number"] = [f"Required when the IRB status is {data['irb_status']}."]
    start, end = data.get("period_start"), data.get("period_end")
    if start and end:
        if end <= start:
            errors.setdefault("period_end", []).append("The end of the period must be after its start.")
        if end > (on or today()):
            errors.setdefault("period_end", []).append("Must not be in the future.")
    datasets = data.get("datasets") or []
    if len(set(datasets)) != len(datasets):
        errors["datasets"] = ["Name each dataset once."]
    return errors


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's half-open UTC interval [start 00:00, the day after end 00:00): both dates included."""
    return (datetime.combine(start, datetime.min.time(), timezone.utc),
            datetime.combine(end + timedelta(days=1), datetime.min.time(), timezone.utc))


def month(at: datetime | date | None) -> str:
    """A date coarsened to its month (UTC), the only precision an export carries."""
    if at is None:
        return ""
    if isinstance(at, datetime):
        at = at.astimezone(timezone.utc)
    return f"{at.year:04d}-{at.month:02d}"


def months_between(start: date, end: date) -> list[str]:
    """Every month from start's to end's, both included."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def whole_months(start: datetime, end: datetime) -> int:
    """Whole months between two instants (by the mean month length): coarse on purpose."""
    return max(0, int((end - start).total_seconds() // (30.436875 * 86400)))


def pseudonym(secret: bytes, kind: str, platform_id: uuid.UUID) -> str:
    """The per-export pseudonym of a platform id: a keyed hash (HMAC-SHA256) with the export's own random
    secret, so one export's pseudonyms are stable within it, unlinkable to another export's, and not
    reversible to the id without the secret (which is never stored)."""
    digest = hmac.new(secret, f"{kind}:{platform_id}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX[kind] + digest[:PSEUDONYM_HEX]


def count_cell(n: int) -> int | str:
    """A count as the export shows it: suppressed under privacy.RESEARCH_CELL_MINIMUM (zero included)."""
    shown = privacy.cell(n)
    return SUPPRESSED if shown is None else shown


def mean_cell(total: float, n: int, *, scale: float = 1.0, places: int = 2) -> float | int | str:
    """A mean over n items, suppressed whenever the count n is: a mean over few people reveals them."""
    if privacy.cell(n) is None:
        return SUPPRESSED
    value = round(total * scale / n, places)
    return int(value) if places == 0 else value
