"""The participation report (R15) on a small hand-made world: each figure computed right at the period's
edges, the evaluation threshold for admins and operators, who may read what, the CSV and the PDFs."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pypdf
import pytest
import sqlalchemy as sa

from services.evaluation.models import Evaluation, EvaluationAnswers
from tests.evaluation.conftest import apply, now

PERIOD = {"from": "2025-01-01", "to": "2025-07-01"}
POLICY = {"promotion_recognition": {"offered": True, "details": "Counts as teaching service"},
          "dedicated_fte": {"offered": True, "details": "0.05 FTE per three mentees"},
          "financial_compensation": {"offered": False, "details": "none"}}


def at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)


def request(world, mentor, mentee, created: datetime, outcome: str | None, answered: datetime | None = None) -> None:
    """A request made to `mentor` and what became of it (None: still open)."""
    pair = {"request_id": uuid.uuid4(), "mentee_id": mentee.id, "mentor_id": mentor.id}
    apply(world.db, "RequestCreated", {**pair, "mentee_institution_id": mentee.institution_id,
                                       "mentor_institution_id": mentor.institution_id, "created_at": created,
                                       "respond_by": created + timedelta(days=14)})
    if outcome == "declined":
        apply(world.db, "RequestDeclined", {**pair, "reason": "not my field", "automatic": False,
                                            "created_at": created, "responded_at": answered})
    elif outcome == "auto-declined":
        apply(world.db, "RequestDeclined", {**pair, "reason": "at capacity", "automatic": True,
                                            "created_at": created, "responded_at": created})
    elif outcome == "expired":
        apply(world.db, "RequestExpired", {**pair, "created_at": created, "respond_by": created + timedelta(days=14)})
    elif outcome == "withdrawn":
        apply(world.db, "RequestWithdrawn", {**pair, "withdrawn_at": created + timedelta(days=1)})


def cme(world, mentor, hours: str, awarded: datetime) -> None:
    apply(world.db, "CmeCreditAwarded", {
        "user_id": mentor.id, "institution_id": mentor.institution_id, "module_id": uuid.uuid4(), "module_version": 1,
        "credit_hours": hours, "certificate_code": f"CME-{uuid.uuid4().hex[:12]}", "awarded_at": awarded})


def evaluated(world, mentorship_id: uuid.UUID, submitted: datetime, ratings=(4, 4, 4, 4), recommend=True) -> None:
    """A submitted evaluation with its answers, written directly (the submission API is built elsewhere)."""
    with world.db.unit_of_work() as session:
        ms = session.execute(sa.text("SELECT * FROM mentorships WHERE mentorship_id = :m"),
                             {"m": mentorship_id}).mappings().one()
        sequence = 10 + session.scalar(sa.select(sa.func.count()).select_from(Evaluation)
                                       .where(Evaluation.mentorship_id == mentorship_id))
        ev = Evaluation(mentorship_id=mentorship_id, mentee_id=ms["mentee_id"], mentor_id=ms["mentor_id"],
                        mentee_institution_id=ms["mentee_institution_id"],
                        mentor_institution_id=ms["mentor_institution_id"], kind="periodic", sequence=sequence,
                        due_at=submitted - timedelta(days=3), overdue_at=submitted + timedelta(days=11),
                        closes_at=submitted + timedelta(days=27), status="submitted",
                        due_sent_at=submitted - timedelta(days=3), submitted_at=submitted)
        session.add(ev)
        session.flush()
        availability, responsiveness, guidance, overall = ratings
        session.add(EvaluationAnswers(evaluation_id=ev.evaluation_id, form_version=1, availability=availability,
                                      responsiveness=responsiveness, guidance=guidance, overall=overall,
                                      would_recommend=recommend, submitted_at=submitted))


def by_id(report: dict) -> dict:
    return {m["mentor_id"]: m for m in report["mentors"]}


def pdf_text(body: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


@pytest.fixture()
def active_world(world):
    """One mentor whose mentorships, requests and CME credits straddle the period 2025-01-01 – 2025-07-01."""
    inst = world.new_institution("Lakeside School of Medicine", POLICY)
    mentor = world.mentor(inst)
    apply(world.db, "TrainingCompleted", {"user_id": mentor.id, "institution_id": inst, "track": "mentor",
                                          "curriculum_version": 1, "completed_at": at("2024-03-05", 10)})
    mentees = [world.mentee(inst) for _ in range(4)]
    # world.start makes each mentorship's request two days before the start, accepted at the start (48 h)
    before = world.start(mentor, mentees[0], at("2024-11-01"))  # overlaps the start: 31 days in the period
    world.conclude(before, at("2025-02-01"))
    world.start(mentor, mentees[1], at("2025-06-01"))  # still active: 30 days
    ended = world.start(mentor, mentees[2], at("2024-01-01"))  # concluded as the period starts: not in it
    world.conclude(ended, at("2025-01-01"))
    after = world.start(mentor, mentees[3], at("2025-03-01"))  # concluded after the period: 122 days in it
    world.conclude(after, at("2025-08-01"))
    m = mentees[0]
    request(world, mentor, m, at("2025-04-01"), "declined", at("2025-04-01", 12))  # answered in 12 h
    request(world, mentor, m, at("2025-04-10"), "expired")
    request(world, mentor, m, at("2025-04-15"), "withdrawn")
    request(world, mentor, m, at("2025-04-20"), "auto-declined")
    request(world, mentor, m, at("2025-06-25"), None)  # still open
    request(world, mentor, m, at("2025-07-01"), "declined", at("2025-07-01", 1))  # on the exclusive end: out
    request(world, mentor, m, at("2024-12-31", 23), "declined", at("2025-01-01", 1))  # before: out
    cme(world, mentor, "1.50", at("2025-02-01"))
    cme(world, mentor, "0.75", at("2025-06-30", 23))
    cme(world, mentor, "2.00", at("2024-12-31", 23))  # before the period
    ejected = world.mentor(inst, trained=False)
    apply(world.db, "MentorEjected", {"user_id": ejected.id, "institution_id": inst, "reason": "unresponsive"},
          time=now() + timedelta(seconds=1))
    pending = uuid.uuid4()  # heard of (training) but not enrolled: not in the report
    apply(world.db, "TrainingCompleted", {"user_id": pending, "institution_id": inst, "track": "mentor",
                                          "curriculum_version": 1, "completed_at": now()})
    world.mentor()  # of another institution
    return world, inst, mentor, ejected


def test_figures_at_the_period_edges(active_world):
    world, inst, mentor, ejected = active_world
    report = world.get(f"/institutions/{inst}/participation", world.admin(inst), 200, **PERIOD).get_json()
    assert report["institution"] == {"institution_id": str(inst), "name": "Lakeside School of Medicine"}
    assert report["period"] == PERIOD
    assert set(by_id(report)) == {str(mentor.id), str(ejected.id)}  # not the pending one, nor another's
    mine = by_id(report)[str(mentor.id)]
    assert mine == {
        "mentor_id": str(mentor.id), "name": mentor.name, "status": "active",
        "active_mentorships": 3, "mentorships_started": 2,
        "mentee_months": round((31 + 30 + 122) / 30.44, 1),
        # in the period: two mentorships' requests (48 h each), declined (12 h), expired, withdrawn,
        # declined by the platform, open
        "requests_received": 7, "requests_answered": 3, "response_rate": 0.5, "median_response_hours": 48.0,
        "evaluation_count": 0, "evaluations_withheld": True, "averages": None,
        "training_completed": "2024-03-05", "cme_hours": 2.25,
    }
    other = by_id(report)[str(ejected.id)]
    assert (other["status"], other["active_mentorships"], other["requests_received"]) == ("ejected", 0, 0)
    assert (other["response_rate"], other["median_response_hours"], other["training_completed"]) == (None, None, None)
    totals = report["totals"]
    assert totals["mentors"] == 2 and totals["mentors_by_status"] == {"active": 1, "ejected": 1}
    assert (totals["mentors_trained"], totals["active_mentorships"], totals["requests_received"]) == (1, 3, 7)
    assert (totals["response_rate"], totals["median_response_hours"], totals["cme_hours"]) == (0.5, 48.0, 2.25)
    assert report["reward_policy"] == [
        {"reward": "promotion_recognition", "name": "Recognition in promotion and tenure",
         "details": "Counts as teaching service"},
        {"reward": "dedicated_fte", "name": "Dedicated FTE (protected time) for mentoring",
         "details": "0.05 FTE per three mentees"}]


def test_mentee_months_of_an_active_mentorship_stop_today(world):
    inst = world.new_institution()
    mentor = world.mentor(inst)
    world.start(mentor, world.mentee(inst), now() - timedelta(days=30.44 * 2))
    report = world.get(f"/institutions/{inst}/participation", world.operator(), 200).get_json()  # default period
    assert by_id(report)[str(mentor.id)]["mentee_months"] == 2.0
    today = datetime.now(timezone.utc).date()
    assert report["period"]["to"] == (today + timedelta(days=1)).isoformat()
    assert date.fromisoformat(report["period"]["from"]) in {today.replace(year=today.year - 1) + timedelta(days=d)
                                                            for d in (0, 1)}


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_evaluation_threshold(world, count):
    inst = world.new_institution()
    mentor = world.mentor(inst)
    ratings = [(5, 4, 3, 5, True), (4, 4, 4, 4, False), (3, 5, 5, 3, True), (4, 3, 4, 4, True)][:count]
    for i, (*r, recommend) in enumerate(ratings):
        mid = world.start(mentor, world.mentee(inst), at("2024-06-01"))
        evaluated(world, mid, at("2025-03-01") + timedelta(days=i), tuple(r), recommend)
    outside = world.start(mentor, world.mentee(inst), at("2024-06-01"))
    evaluated(world, outside, at("2025-07-01"))  # on the period's exclusive end
    expected = {k: round(sum(r[i] for r in ratings) / count, 2)
                for i, k in enumerate(("availability", "responsiveness", "guidance", "overall"))}
    expected["would_recommend_share"] = round(sum(r[4] for r in ratings) / count, 2)

    admin = by_id(world.get(f"/institutions/{inst}/participation", world.admin(inst), 200, **PERIOD).get_json())
    row = admin[str(mentor.id)]
    assert row["evaluation_count"] == count
    if count < 3:
        assert (row["evaluations_withheld"], row["averages"]) == (True, None)
    else:
        assert (row["evaluations_withheld"], row["averages"]) == (False, expected)
    operator = world.get(f"/institutions/{inst}/participation", world.operator(), 200, **PERIOD).get_json()
    row = by_id(operator)[str(mentor.id)]
    assert (row["evaluations_withheld"], row["averages"]) == (False, expected)
    assert operator["totals"]["averages"] == expected


def test_totals_average_only_what_each_mentor_shows(world):
    """A withheld mentor's ratings cannot be recovered from the institution's average."""
    inst = world.new_institution()
    shown, withheld = world.mentor(inst), world.mentor(inst)
    for mentor, n, r in ((shown, 3, (5, 5, 5, 5)), (withheld, 1, (1, 1, 1, 1))):
        for _ in range(n):
            evaluated(world, world.start(mentor, world.mentee(inst), at("2024-06-01")), at("2025-02-01"), r)
    totals = world.get(f"/institutions/{inst}/participation", world.admin(inst), 200, **PERIOD).get_json()["totals"]
    assert (totals["evaluation_count"], totals["evaluations_averaged"]) == (4, 3)
    assert totals["averages"]["overall"] == 5.0
    totals = world.get(f"/institutions/{inst}/participation", world.operator(), 200, **PERIOD).get_json()["totals"]
    assert (totals["evaluations_averaged"], totals["averages"]["overall"]) == (4, 4.0)


def test_access(active_world):
    world, inst, mentor, _ = active_world
    path = f"/institutions/{inst}/participation"
    other_admin = world.admin(world.new_institution())
    world.get(path, other_admin, 404)
    world.get(path + ".csv", other_admin, 404)
    world.get(f"{path}/mentors/{mentor.id}.pdf", other_admin, 404)
    world.get(path, mentor, 403)
    world.get(path + ".csv", mentor, 403)
    mentee = world.mentee(inst)
    world.get(path, mentee, 403)
    world.get(f"{path}/mentors/{mentor.id}.pdf", mentee, 403)
    world.get("/mentors/me/participation.pdf", mentee, 403)
    world.get(path, None, 401)
    world.get(f"/institutions/{uuid.uuid4()}/participation", world.operator(), 404)
    # the mentor's own PDF, by either path; never a colleague's
    world.get(f"{path}/mentors/{mentor.id}.pdf", mentor, 200)
    world.get("/mentors/me/participation.pdf", mentor, 200)
    colleague = world.mentor(inst)
    world.get(f"{path}/mentors/{colleague.id}.pdf", mentor, 404)
    world.get(f"{path}/mentors/{colleague.id}.pdf", world.admin(inst), 200)
    world.get(f"{path}/mentors/{mentee.id}.pdf", world.admin(inst), 404)  # not a mentor
    stranger = world.mentor()  # a mentor of another institution, through this institution's path
    world.get(f"{path}/mentors/{stranger.id}.pdf", world.operator(), 404)


def test_csv(active_world):
    world, inst, mentor, ejected = active_world
    r = world.get(f"/institutions/{inst}/participation.csv", world.admin(inst), 200, **PERIOD)
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert sorted(row["mentor_id"] for row in rows) == sorted([str(mentor.id), str(ejected.id)])
    row = next(row for row in rows if row["mentor_id"] == str(mentor.id))
    assert (row["name"], row["status"]) == (mentor.name, "active")
    assert (row["period_from"], row["period_to"]) == (PERIOD["from"], PERIOD["to"])
    assert (row["active_mentorships"], row["mentee_months"], row["response_rate"]) == ("3", "6.0", "0.5")
    assert (row["evaluations_withheld"], row["average_overall"]) == ("true", "")
    assert row["training_completed"] == "2024-03-05"
    same = world.get(f"/institutions/{inst}/participation", world.admin(inst), 200, format="csv", **PERIOD)
    assert same.mimetype == "text/csv" and same.get_data(as_text=True) == r.get_data(as_text=True)


def test_csv_cells_are_never_formulas(world):
    inst = world.new_institution()
    mentor = world.mentor(inst)
    apply(world.db, "MentorEnrolled", {"user_id": mentor.id, "institution_id": inst, "name": "=HYPERLINK(\"x\")",
                                       "email": mentor.email}, time=now() + timedelta(seconds=1))
    text = world.get(f"/institutions/{inst}/participation.csv", world.operator(), 200).get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'=HYPERLINK(\"x\")"


def test_pdf(active_world):
    world, inst, mentor, _ = active_world
    r = world.get(f"/institutions/{inst}/participation/mentors/{mentor.id}.pdf", world.admin(inst), 200, **PERIOD)
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF") and len(r.data) > 2000
    text = pdf_text(r.data)
    for words in (mentor.name, "Lakeside School of Medicine", "1 January 2025 through 30 June 2025",
                  "Recognition in promotion and tenure", "0.05 FTE per three mentees", "Mentee-months mentored",
                  "Withheld: fewer than 3 evaluations", "2024-03-05", "How these figures are computed",
                  f"Generated on {datetime.now(timezone.utc).day}"):
        assert words in text, words
    assert "Financial compensation" not in text  # not offered
    mine = world.get("/mentors/me/participation.pdf", mentor, 200, **PERIOD)
    assert mine.data.startswith(b"%PDF") and mentor.name in pdf_text(mine.data)


def test_pdf_shows_averages_from_three_evaluations(world):
    inst = world.new_institution("Rivers College")
    mentor = world.mentor(inst)
    for _ in range(3):
        evaluated(world, world.start(mentor, world.mentee(inst), at("2024-06-01")), at("2025-02-01"), (5, 4, 4, 5))
    text = pdf_text(world.get("/mentors/me/participation.pdf", mentor, 200, **PERIOD).data)
    assert "Average rating: overall" in text and "5.00 of 5" in text and "Withheld" not in text
    assert "has not named rewards" not in text  # the world's default policy names promotion recognition


@pytest.mark.parametrize("params, parameter", [
    ({"from": "2025-07-01", "to": "2025-07-01"}, "to"),
    ({"from": "2025-07-01", "to": "2025-01-01"}, "to"),
    ({"from": "2019-01-01", "to": "2024-01-02"}, "to"),
    ({"from": "2025-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "1999-12-31"}, "from"),
    ({"format": "xlsx"}, "format"),
    ({"mentor": "x"}, "mentor"),
])
def test_bad_period_is_422(world, params, parameter):
    inst = world.new_institution()
    r = world.get(f"/institutions/{inst}/participation", world.admin(inst), 422, **params)
    assert r.mimetype == "application/problem+json"
    assert [e["parameter"] for e in r.get_json()["errors"]] == [parameter]
    r = world.get("/mentors/me/participation.pdf", world.mentor(inst), 422, **params)
    assert [e["parameter"] for e in r.get_json()["errors"]] == [parameter]


def test_five_years_is_the_longest_period(world):
    inst = world.new_institution()
    path = f"/institutions/{inst}/participation"
    world.get(path, world.admin(inst), 200, **{"from": "2020-01-01", "to": "2025-01-01"})
    world.get(path, world.admin(inst), 200, **{"from": "2024-03-01"})


@pytest.mark.parametrize("role", ["institution_admin", "operator"])
def test_json_is_what_the_schema_documents(active_world, role):
    """The JSON is serialized without marshmallow (for speed): it must be exactly the documented schema's dump."""
    world, inst, mentor, _ = active_world
    mid = world.start(mentor, world.mentee(inst), at("2025-01-10"))
    for _ in range(3):
        evaluated(world, mid, at("2025-02-01"))
    from services.evaluation.reports import schemas, service
    from shared.auth import Principal

    principal = Principal(id=uuid.uuid4(), role=role, institution_id=inst)
    with world.db.unit_of_work() as session:
        report = service.institution_report(session, principal, inst, date(2025, 1, 1), date(2025, 7, 1))
    assert json.loads(service.to_json(report)) == schemas.ReportOut().dump(report)


def test_openapi_documents_the_report(client):
    paths = client.get("/api/v1/evaluation/openapi.json").get_json()["paths"]
    base = "/api/v1/evaluation/institutions/{institution_id}/participation"
    report = paths[base]["get"]
    assert {"application/json", "text/csv"} <= set(report["responses"]["200"]["content"])
    assert {p["name"] for p in report["parameters"] if p["in"] == "query"} == {"from", "to", "format"}
    assert "text/csv" in paths[base + ".csv"]["get"]["responses"]["200"]["content"]
    for pdf in (base + "/mentors/{mentor_id}.pdf", "/api/v1/evaluation/mentors/me/participation.pdf"):
        assert "application/pdf" in paths[pdf]["get"]["responses"]["200"]["content"]
