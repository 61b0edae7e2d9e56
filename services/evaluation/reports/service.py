"""Use cases of the participation report (R15): the figures of every mentor of an institution over a
period, computed by a few set-based queries (each fact table grouped by mentor), so that 500 mentors
cost the same few scans as one. Access is checked here: an institution admin reads
only their institution (another's is a 404), a mentor only their own PDF; ratings are withheld under
privacy.EVALUATION_MINIMUM evaluations for everyone but operators."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm

from services.evaluation import privacy
from services.evaluation.models import Institution, Member
from services.evaluation.reports import rules
from shared.auth import Principal, visible_or_404

# The report's queries: the institution's mentors, then each fact table grouped by mentor, merged in
# Python. (Joined in one statement, the aggregates' row counts were guesses, and a guess of one row made
# the joins 500 x 500 nested loops — 340 ms instead of 30 — whenever statistics were stale.) A fact table
# that names the mentor's institution is filtered by it alone, one index range with no join to plan;
# request facts do not name it and are taken for the institution's mentors. Facts of members who are not
# in the report (pending) are dropped in the merge.
_MENTORS = """
SELECT user_id, name, status, trained_at FROM members
WHERE institution_id = :inst AND role = 'mentor' AND status <> 'pending' {only}
ORDER BY name, user_id
"""
_FACTS = {
    # overlapping the period; mentee-months count up to now, not into the future
    "mentorships": """
        SELECT mentor_id AS user_id,
               count(*) AS active_mentorships,
               count(*) FILTER (WHERE started_at >= :start) AS mentorships_started,
               sum(greatest(0, extract(epoch FROM least(coalesce(concluded_at, :now), :end)
                                                 - greatest(started_at, :start)))) AS mentored_seconds
        FROM mentorships
        WHERE mentor_institution_id = :inst {only_mentor}
          AND started_at < :end AND (concluded_at IS NULL OR concluded_at > :start)
        GROUP BY mentor_id""",
    # the grouping set () is the whole institution (user_id NULL): its median is not a sum of the mentors'
    "requests": """
        SELECT mentor_id AS user_id,
               count(*) AS requests_received,
               count(*) FILTER (WHERE outcome <> 'withdrawn') AS requests_answerable,
               count(*) FILTER (WHERE outcome <> 'withdrawn' AND responded_at IS NOT NULL) AS requests_answered,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM responded_at - created_at))
                   AS median_response_seconds
        FROM request_facts
        WHERE mentor_id IN (SELECT user_id FROM members
                            WHERE institution_id = :inst AND role = 'mentor' AND status <> 'pending' {only})
          AND created_at >= :start AND created_at < :end
        GROUP BY GROUPING SETS ((mentor_id), ())""",
    "evaluations": """
        SELECT e.mentor_id AS user_id, count(*) AS evaluation_count,
               sum(a.availability) AS availability, sum(a.responsiveness) AS responsiveness,
               sum(a.guidance) AS guidance, sum(a.overall) AS overall,
               count(*) FILTER (WHERE a.would_recommend) AS recommended
        FROM evaluation_answers a JOIN evaluations e ON e.evaluation_id = a.evaluation_id
        WHERE e.mentor_institution_id = :inst {only_evaluated} AND e.status = 'submitted'
          AND a.submitted_at >= :start AND a.submitted_at < :end
        GROUP BY e.mentor_id""",
    "cme": """
        SELECT user_id, sum(credit_hours) AS cme_hours
        FROM cme_credits
        WHERE institution_id = :inst {only} AND awarded_at >= :start AND awarded_at < :end
        GROUP BY user_id""",
}
_ZERO = {"active_mentorships": 0, "mentorships_started": 0, "mentored_seconds": 0, "requests_received": 0,
         "requests_answerable": 0, "requests_answered": 0, "median_response_seconds": None, "evaluation_count": 0,
         "availability": None, "responsiveness": None, "guidance": None, "overall": None, "recommended": 0,
         "cme_hours": 0}

CSV_COLUMNS = (
    "mentor_id", "name", "status", "period_from", "period_to", "active_mentorships", "mentorships_started",
    "mentee_months", "requests_received", "requests_answered", "response_rate", "median_response_hours",
    "evaluation_count", "evaluations_withheld", "average_availability", "average_responsiveness",
    "average_guidance", "average_overall", "would_recommend_share", "training_completed", "cme_hours",
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _figures(session: orm.Session, institution_id: uuid.UUID, start: date, end: date,
             mentor_id: uuid.UUID | None = None) -> tuple[list[dict], float | None]:
    """Each mentor's raw figures (sums and counts, in the mentors' order), and the institution's median
    response time in seconds."""
    one = bool(mentor_id)  # one mentor's figures (the PDF): each query narrowed to them
    only = {"only": "AND user_id = :mentor" if one else "", "only_mentor": "AND mentor_id = :mentor" if one else "",
            "only_evaluated": "AND e.mentor_id = :mentor" if one else ""}
    params = {"inst": institution_id, "start": rules.instant(start), "end": rules.instant(end), "now": _now(),
              "mentor": mentor_id}
    rows = {r["user_id"]: {**r, **_ZERO} for r in session.execute(sa.text(_MENTORS.format(**only)), params).mappings()}
    median = None
    for sql in _FACTS.values():
        for fact in session.execute(sa.text(sql.format(**only)), params).mappings():
            if fact["user_id"] is None:
                median = fact["median_response_seconds"]
            elif fact["user_id"] in rows:
                rows[fact["user_id"]].update({k: v for k, v in fact.items() if v is not None})
    return list(rows.values()), median


def _mentor_row(r, operator: bool) -> dict:
    count = r["evaluation_count"]
    shown = rules.may_see_ratings(count, operator)
    return {
        "mentor_id": r["user_id"], "name": r["name"], "status": r["status"],
        "active_mentorships": r["active_mentorships"], "mentorships_started": r["mentorships_started"],
        "mentee_months": rules.months(float(r["mentored_seconds"])),
        "requests_received": r["requests_received"], "requests_answered": r["requests_answered"],
        "response_rate": rules.rate(r["requests_answered"], r["requests_answerable"]),
        "median_response_hours": rules.hours(r["median_response_seconds"]),
        "evaluation_count": count, "evaluations_withheld": not shown,
        "averages": rules.averages(count, r, r["recommended"]) if shown else None,
        "training_completed": r["trained_at"].date() if r["trained_at"] else None,
        "cme_hours": float(r["cme_hours"]),
    }


def _totals(raw: list, median: float | None, operator: bool) -> dict:
    """The institution's totals. Its averages take only the evaluations of mentors whose own averages
    the caller may see: with a withheld mentor's evaluations in them, the difference between the total and
    the shown mentors' figures would give that mentor's ratings away."""
    shown = [r for r in raw if rules.may_see_ratings(r["evaluation_count"], operator)]
    averaged = sum(r["evaluation_count"] for r in shown)
    sums = {k: sum(r[k] or 0 for r in shown) for k in rules.RATINGS}
    visible = rules.may_see_ratings(averaged, operator)
    statuses: dict[str, int] = {}
    for r in raw:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    answerable = sum(r["requests_answerable"] for r in raw)
    answered = sum(r["requests_answered"] for r in raw)
    return {
        "mentors": len(raw), "mentors_by_status": statuses,
        "mentors_trained": sum(1 for r in raw if r["trained_at"] is not None),
        "active_mentorships": sum(r["active_mentorships"] for r in raw),
        "mentorships_started": sum(r["mentorships_started"] for r in raw),
        "mentee_months": rules.months(sum(float(r["mentored_seconds"]) for r in raw)),
        "requests_received": sum(r["requests_received"] for r in raw), "requests_answered": answered,
        "response_rate": rules.rate(answered, answerable),
        "median_response_hours": rules.hours(median),
        "evaluation_count": sum(r["evaluation_count"] for r in raw),
        "evaluations_averaged": averaged if visible else 0,
        "evaluations_withheld": not visible,
        "averages": rules.averages(averaged, sums, sum(r["recommended"] for r in shown)) if visible else None,
        "cme_hours": float(sum(r["cme_hours"] for r in raw)),
    }


def _institution(session: orm.Session, institution_id: uuid.UUID) -> Institution:
    inst = session.get(Institution, institution_id)
    visible_or_404(inst is not None, "institution")
    return inst


def _header(inst: Institution, start: date, end: date) -> dict:
    return {
        "institution": {"institution_id": inst.institution_id, "name": inst.name},
        "period": {"from": start, "to": end},
        "generated_at": _now(),
        "evaluation_minimum": privacy.EVALUATION_MINIMUM,
        "reward_policy": rules.offered_rewards(inst.reward_policy),
    }


def institution_report(session: orm.Session, principal: Principal, institution_id: uuid.UUID,
                        start: date, end: date) -> dict:
    """Every mentor's figures and the institution's totals: the institution's admins and operators."""
    visible_or_404(principal.manages(institution_id), "institution")
    inst = _institution(session, institution_id)
    raw, median = _figures(session, institution_id, start, end)
    return {**_header(inst, start, end), "totals": _totals(raw, median, principal.is_operator),
            "mentors": [_mentor_row(r, principal.is_operator) for r in raw]}


def mentor_report(session: orm.Session, principal: Principal, institution_id: uuid.UUID, mentor_id: uuid.UUID,
                  start: date, end: date) -> dict:
    """One mentor's figures (for the PDF): the institution's admins, operators, and the mentor themself."""
    visible_or_404(principal.manages(institution_id) or principal.id == mentor_id, "mentor")
    member = session.get(Member, mentor_id)
    visible_or_404(member is not None and member.role == "mentor" and member.status != "pending"
                   and member.institution_id == institution_id, "mentor")
    inst = _institution(session, institution_id)
    [raw], _ = _figures(session, institution_id, start, end, mentor_id)
    return {**_header(inst, start, end), "mentor": _mentor_row(raw, principal.is_operator)}


def my_report(session: orm.Session, principal: Principal, start: date, end: date) -> dict:
    """The signed-in mentor's own figures, at the institution that enrolled them."""
    member = session.get(Member, principal.id)
    visible_or_404(member is not None and member.role == "mentor" and member.status != "pending", "mentor")
    return mentor_report(session, principal, member.institution_id, principal.id, start, end)


def _plain(value):
    """`value` with JSON's types only: ids and dates as the strings the schema's dump gives them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return value


def to_json(report: dict) -> str:
    """The report as schemas.ReportOut documents it, serialized directly: marshmallow's dump of 500 rows
    of 15 fields was a third of the request's time, and the report's dicts already have the schema's shape
    (a test holds that the two agree)."""
    return json.dumps(_plain(report), separators=(",", ":"))


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(report: dict) -> str:
    """A header row and one row per mentor (the reward policy and totals are in the JSON and the PDF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    start, end = report["period"]["from"].isoformat(), report["period"]["to"].isoformat()
    for m in report["mentors"]:
        avg = m["averages"] or {}
        writer.writerow([_cell(v) for v in (
            m["mentor_id"], m["name"], m["status"], start, end, m["active_mentorships"], m["mentorships_started"],
            m["mentee_months"], m["requests_received"], m["requests_answered"], m["response_rate"],
            m["median_response_hours"], m["evaluation_count"], m["evaluations_withheld"],
            avg.get("availability"), avg.get("responsiveness"), avg.get("guidance"), avg.get("overall"),
            avg.get("would_recommend_share"),
            m["training_completed"].isoformat() if m["training_completed"] else None, m["cme_hours"],
        )])
    return out.getvalue()
