"""Rules of the participation report (R15) in plain Python: the period, the units, the rounding, the
rewards' names and what may be shown to whom."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from services.evaluation import privacy

# A month of mentoring, for mentee-months: the mean Gregorian month, so that a year is 12 months.
MONTH_DAYS = 30.44
MONTH_SECONDS = MONTH_DAYS * 86400
MAX_YEARS = 5  # a longer period is refused: nobody needs it, and it bounds the queries' work
DEFAULT_YEARS = 1
# Dates outside these are typos; bounding them also keeps date arithmetic clear of year 1 and 9999.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 1, 1)

RATINGS = ("availability", "responsiveness", "guidance", "overall")

# The rewards an institution may offer its mentors (R15), in the words the report uses.
REWARDS = {
    "promotion_recognition": "Recognition in promotion and tenure",
    "dedicated_fte": "Dedicated FTE (protected time) for mentoring",
    "dei_credentialing_recognition": "Recognition in DEI credentialing",
    "cme_credit": "CME credit",
    "financial_compensation": "Financial compensation",
}

METHOD_NOTE = (
    "How these figures are computed. The period runs from its first day through its last day (UTC). "
    "Active mentorships: mentorships with this mentor that were under way at any time in the period. "
    "Mentorships started: those whose start falls in the period. "
    f"Mentee-months: for each mentorship, the time it overlapped the period (up to today), in months of "
    f"{MONTH_DAYS} days, summed and rounded to one decimal. "
    "Requests received: mentorship requests made to the mentor in the period. "
    "Response rate: the requests the mentor answered personally (accepted or declined) over the requests "
    "received that the mentee did not withdraw; requests that expired unanswered or that the platform "
    "declined (the mentor at capacity) count as not answered. "
    "Median response time: the median time between a request and the mentor's answer, in hours. "
    "Evaluations: evaluations of the mentor submitted by mentees in the period; the averages of the ratings "
    f"(1 to 5) are shown only when there are at least {privacy.EVALUATION_MINIMUM}, so that no mentee's "
    "answers can be inferred. "
    "Training completed: the date the mentor completed the required mentor training. "
    "CME hours: the CME credit hours awarded for mentor training modules in the period."
)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period [start, end) a query names: a year from `from`, a year up to `to`, or — neither given —
    the year ending today (end is exclusive, so today is included)."""
    if end is None:
        end = today + timedelta(days=1) if start is None else add_years(start, DEFAULT_YEARS)
    if start is None:
        start = add_years(end, -DEFAULT_YEARS)
    return start, end


def period_error(start: date, end: date) -> tuple[str, str] | None:
    """(parameter, why) when the period is not one the report serves."""
    if end <= start:
        return "to", "'to' must be after 'from' (the period is [from, to))."
    if end > add_years(start, MAX_YEARS):
        return "to", f"A period of at most {MAX_YEARS} years."
    return None


def instant(day: date) -> datetime:
    """A period's bound as a time: the start of that day in UTC."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def offered_rewards(policy: dict | None) -> list[dict]:
    """The rewards the institution offers, in the order of REWARDS, named in words with their details."""
    policy = policy or {}
    out = []
    for key, name in REWARDS.items():
        item = policy.get(key) or {}
        if item.get("offered"):
            out.append({"reward": key, "name": name, "details": (item.get("details") or "").strip() or None})
    return out


def may_see_ratings(count: int, operator: bool) -> bool:
    """Operators see every aggregate; anyone else only aggregates of at least EVALUATION_MINIMUM evaluations."""
    return operator or privacy.shown(count)


def averages(count: int, sums: dict, recommended: int) -> dict | None:
    """The ratings' averages (two decimals) and the would-recommend share; None with no evaluations."""
    if not count:
        return None
    out = {k: round(sums[k] / count, 2) for k in RATINGS}
    out["would_recommend_share"] = round(recommended / count, 2)
    return out


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


def months(seconds: float) -> float:
    return round(seconds / MONTH_SECONDS, 1)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)
