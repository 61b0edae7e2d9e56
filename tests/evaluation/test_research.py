"""Research data requests (R16): a request submitted, decided by an operator, its de-identified export
downloaded by the requester alone through a one-time expiring link — and every step audited.

The world is seeded the way the service learns of it (events through the World fixture); submitted
evaluations are written straight into `evaluations`/`evaluation_answers` (the submission API is not
this domain's), with free texts that must never reach an export."""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from services.evaluation import privacy
from tests.evaluation.conftest import PREFIX, apply, outbox, rows

ALL = ["mentorships", "evaluations", "requests", "participation_summary"]
FREE_TEXT = "free-text-never-exported"
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTH = re.compile(r"^\d{4}-\d{2}$")


def months_ago(n: int) -> date:
    """The first day of the month n months before this one (UTC)."""
    d = datetime.now(timezone.utc).date().replace(day=1)
    for _ in range(n):
        d = (d - timedelta(days=1)).replace(day=1)
    return d


def at(day: date, d: int, hour: int = 12) -> datetime:
    return datetime.combine(day.replace(day=d), time(hour), timezone.utc)


def submit_evaluation(world, mentorship_id, kind: str, submitted_at: datetime, ratings=(4, 5, 3, 4),
                      recommend=True) -> uuid.UUID:
    """A submitted evaluation written as the evaluations domain would: its schedule row marked submitted
    and its answers, free texts included."""
    with world.db.unit_of_work() as conn:
        eid = conn.execute(sa.text(
            "UPDATE evaluations SET status = 'submitted', submitted_at = :at WHERE mentorship_id = :m AND kind = :k "
            "RETURNING evaluation_id"), {"at": submitted_at, "m": mentorship_id, "k": kind}).scalar_one()
        a, r, g, o = ratings
        conn.execute(sa.text(
            "INSERT INTO evaluation_answers (evaluation_id, form_version, availability, responsiveness, guidance, "
            "overall, would_recommend, program_text, shared_text, submitted_at) "
            "VALUES (:e, 1, :a, :r, :g, :o, :w, :pt, :st, :at)"),
            {"e": eid, "a": a, "r": r, "g": g, "o": o, "w": recommend, "pt": f"{FREE_TEXT} program {eid}",
             "st": f"{FREE_TEXT} shared {eid}", "at": submitted_at})
    return eid


def seed(world) -> dict:
    """Two institutions of mentors, mentees of a third: six mentorships of the first institution started
    in one month (M, two months ago) and concluded the next, each with its final evaluation — a cell of
    6, shown; two of the second institution (one concluded and evaluated, one active with a periodic
    evaluation) — cells of 1 and 2, suppressed; one mentorship started before the period; a declined
    request and an open one."""
    month_m, month_n = months_ago(2), months_ago(1)
    big, small, school = world.new_institution(), world.new_institution(), world.new_institution()
    ratings = [(5, 4, 5, 5), (4, 4, 4, 4), (3, 5, 4, 4), (5, 5, 5, 5), (4, 3, 4, 3), (5, 4, 3, 4)]
    big_ms = []
    for i in range(6):
        mentor, mentee = world.mentor(big), world.mentee(school)
        mid = world.start(mentor, mentee, at(month_m, 5 + i))
        world.conclude(mid, at(month_n, 10 + i), by="mentee" if i % 2 else "mentor")
        submit_evaluation(world, mid, "final", at(month_n, 20), ratings[i], recommend=i != 4)
        big_ms.append(mid)
    m1, m2 = world.mentor(small), world.mentor(small)
    e1, e2 = world.mentee(school), world.mentee(school)
    s1 = world.start(m1, e1, at(month_m, 3))
    world.conclude(s1, at(month_n, 2), by="platform")
    submit_evaluation(world, s1, "final", at(month_n, 8), (1, 2, 1, 1), recommend=False)
    s2 = world.start(m2, e2, at(month_m, 12))
    submit_evaluation(world, s2, "periodic", at(month_n, 9), (2, 2, 2, 2))
    early = world.start(m1, world.mentee(school), at(months_ago(4), 7))  # before the period
    for outcome in ("RequestDeclined", None):
        rid, created = uuid.uuid4(), at(month_n, 15)
        mentee = world.mentee(school)
        pair = {"request_id": rid, "mentee_id": mentee.id, "mentor_id": m2.id}
        apply(world.db, "RequestCreated", {**pair, "mentee_institution_id": mentee.institution_id,
                                           "mentor_institution_id": m2.institution_id, "created_at": created,
                                           "respond_by": created + timedelta(days=14)})
        if outcome:
            apply(world.db, outcome, {**pair, "reason": "no time", "automatic": False, "created_at": created,
                                      "responded_at": created + timedelta(days=3, hours=13)})
    return {"month_m": month_m, "month_n": month_n, "big": big, "small": small, "big_ms": big_ms, "early": early,
            "ratings": ratings}


def body(**over) -> dict:
    today = datetime.now(timezone.utc).date()
    return {"title": "Mentoring and retention", "purpose": "Does mentoring keep URiM students in medicine?",
            "irb_status": "approved", "irb_number": "IRB-2024-117", "datasets": ALL,
            "period_start": months_ago(2).isoformat(), "period_end": today.isoformat(), **over}


def approved_request(world, requester, **over) -> dict:
    req = world.post("/data-requests", body(**over), requester, 201).get_json()
    world.post(f"/data-requests/{req['id']}/decision", {"decision": "approved", "reason": "IRB approval on file"},
               world.operator(), 200)
    return req


def download(world, requester, request_id, who=None, expect=200):
    link = world.post(f"/data-requests/{request_id}/download-link", {}, requester, 201).get_json()
    assert link["url"].startswith(f"{PREFIX}/data-requests/{request_id}/export?token=")
    r = world.c.get(link["url"], headers=world._headers(who or requester))
    assert r.status_code == expect, (r.status_code, r.data[:300])
    return r, link


def unzip(data: bytes) -> dict[str, list[dict] | dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        out: dict = {}
        for name in archive.namelist():
            text = archive.read(name).decode()
            out[name] = json.loads(text) if name.endswith(".json") else list(csv.DictReader(io.StringIO(text)))
        out["_text"] = "\n".join(archive.read(n).decode() for n in archive.namelist())
    return out


def identifying_strings(world) -> set[str]:
    """Every name, e-mail and platform id the evaluation database knows, in both UUID spellings."""
    found: set[str] = set()
    queries = ["SELECT user_id::text AS v FROM members", "SELECT name AS v FROM members",
               "SELECT email AS v FROM members",
               "SELECT institution_id::text AS v FROM institutions", "SELECT name AS v FROM institutions",
               "SELECT mentorship_id::text AS v FROM mentorships", "SELECT request_id::text AS v FROM mentorships",
               "SELECT request_id::text AS v FROM request_facts", "SELECT evaluation_id::text AS v FROM evaluations",
               "SELECT id::text AS v FROM research_requests", "SELECT requester_id::text AS v FROM research_requests",
               "SELECT id::text AS v FROM research_exports"]
    for q in queries:
        for r in rows(world.db, q):
            if r["v"]:
                found.add(r["v"])
                if re.fullmatch(r"[0-9a-f-]{36}", r["v"]):
                    found.add(r["v"].replace("-", ""))
    return found


def test_submit_approve_link_download_deidentified(world):
    s = seed(world)
    requester = world.mentee()
    req = world.post("/data-requests", body(), requester, 201).get_json()
    assert (req["status"], req["requester_id"], req["export"]) == ("submitted", str(requester.id), None)
    operator = world.operator()
    decided = world.post(f"/data-requests/{req['id']}/decision",
                         {"decision": "approved", "reason": "IRB approval on file"}, operator, 200).get_json()
    assert decided["status"] == "approved" and decided["decided_by"]
    assert set(decided["export"]["row_counts"]) == set(ALL)
    [event] = outbox(world.db, "DataRequestDecided", request_id=req["id"])
    assert event["data"]["decision"] == "approved" and event["data"]["requester_id"] == str(requester.id)

    r, link = download(world, requester, req["id"])
    assert r.mimetype == "application/zip"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="research-export-')
    files = unzip(r.data)
    assert set(files) == {f"{n}.csv" for n in ALL} | {"manifest.json", "_text"}

    # no name, e-mail or platform id of the world, no free text, no full date — anywhere in the archive
    text = files["_text"]
    leaks = [v for v in identifying_strings(world) if v in text]
    assert leaks == []
    assert FREE_TEXT not in text
    assert FULL_DATE.search(text) is None

    # dates are months, within the period; rows only of the period
    since, until = s["month_m"], datetime.now(timezone.utc).date()
    period_months = {f"{since:%Y-%m}", f"{s['month_n']:%Y-%m}", f"{until:%Y-%m}"}
    for name, column in [("mentorships", "start_month"), ("mentorships", "end_month"),
                         ("evaluations", "submitted_month"), ("requests", "month"), ("participation_summary", "month")]:
        values = {row[column] for row in files[f"{name}.csv"] if row[column]}
        assert values and all(MONTH.match(v) for v in values) and values <= period_months, (name, column, values)
    [n_in_period] = rows(world.db, "SELECT count(*) AS n FROM mentorships WHERE started_at >= :a",
                         a=datetime.combine(since, time(), timezone.utc))
    assert len(files["mentorships.csv"]) == n_in_period["n"] == decided["export"]["row_counts"]["mentorships"] >= 8
    [n_evals] = rows(world.db, "SELECT count(*) AS n, count(DISTINCT e.mentor_id) AS mentors FROM evaluation_answers a "
                     "JOIN evaluations e USING (evaluation_id) WHERE a.submitted_at >= :a",
                     a=datetime.combine(since, time(), timezone.utc))
    assert len(files["evaluations.csv"]) == n_evals["n"] >= 8
    assert {r["concluded_by"] for r in files["mentorships.csv"]} >= {"mentor", "mentee", "platform", ""}
    declined = [r for r in files["requests.csv"]
                if r["outcome"] == "declined" and r["month"] == f"{s['month_n']:%Y-%m}"]
    assert "4" in [r["response_days"] for r in declined]  # 3 days 13 hours, rounded
    assert {r["would_recommend"] for r in files["evaluations.csv"]} == {"yes", "no"}

    # pseudonyms: one per person within the export, prefixed by kind
    mentors = {r["mentor"] for r in files["evaluations.csv"]}
    assert len(mentors) == n_evals["mentors"] and all(re.fullmatch(r"M-[0-9a-f]{12}", m) for m in mentors)
    assert {r["mentor"] for r in files["mentorships.csv"]} >= {r["mentor"] for r in files["evaluations.csv"]
                                                                if r["submitted_month"] == f"{s['month_n']:%Y-%m}"}
    assert all(r["mentee"].startswith("E-") and r["mentor_institution"].startswith("I-")
               for r in files["mentorships.csv"])

    # no aggregate cell under the minimum; a suppressed count suppresses its means
    summary = files["participation_summary.csv"]
    for row in summary:
        for column in ("mentorships_started", "evaluations_submitted"):
            assert row[column] == "suppressed" or int(row[column]) >= privacy.RESEARCH_CELL_MINIMUM, row
        if row["evaluations_submitted"] == "suppressed":
            assert all(row[c] == "suppressed" for c in ("mean_availability", "mean_responsiveness", "mean_guidance",
                                                        "mean_overall", "would_recommend_percent")), row
    # the first institution's cells of 6 are shown, with their means (other tests' data may share the months)
    expected = {"month": f"{s['month_n']:%Y-%m}", "evaluations_submitted": "6",
                "mean_availability": str(round(sum(x[0] for x in s["ratings"]) / 6, 2)),
                "mean_overall": str(round(sum(x[3] for x in s["ratings"]) / 6, 2)), "would_recommend_percent": "83"}
    big = [r for r in summary if all(r[k] == v for k, v in expected.items())]
    assert big, expected
    started = {r["institution"] for r in summary if r["month"] == f"{since:%Y-%m}" and r["mentorships_started"] == "6"}
    assert {r["institution"] for r in big} & started
    assert sum(1 for r in summary if r["institution"] == big[0]["institution"]) == len(period_months)
    manifest = files["manifest.json"]
    assert manifest["datasets"]["evaluations"]["rows"] == n_evals["n"] and "suppressed" in manifest["suppression"]

    # the link served once
    again = world.c.get(link["url"], headers=requester.headers)
    assert again.status_code == 410 and again.get_json()["type"].endswith("/link-used")

    # every step is in the audit log, for operators only
    world.get("/research-audit", requester, 403)
    world.get("/research-audit", operator, 422, action="export_deleted")
    [made] = world.get("/research-audit", operator, 200, request_id=req["id"], action="export_created").get_json()
    assert made["detail"].startswith("rows: mentorships ")
    audit = world.get("/research-audit", operator, 200, request_id=req["id"]).get_json()
    actions = [a["action"] for a in reversed(audit)]
    assert actions == ["request_submitted", "request_decided", "export_created", "download_link_created",
                       "export_downloaded", "download_refused"]
    assert {a["export_id"] for a in audit if a["action"] != "request_submitted" and a["action"] != "request_decided"} \
        == {decided["export"]["id"]}
    assert audit[0]["detail"] == "link already used" and audit[0]["actor_id"] == str(requester.id)


def test_two_exports_of_the_same_data_cannot_be_linked(world):
    seed(world)
    requester = world.mentor()
    first = approved_request(world, requester, datasets=["mentorships", "evaluations"])
    second = approved_request(world, requester, datasets=["mentorships", "evaluations"])
    a = unzip(download(world, requester, first["id"])[0].data)
    b = unzip(download(world, requester, second["id"])[0].data)
    assert len(a["mentorships.csv"]) == len(b["mentorships.csv"]) > 0

    def names(files):
        return {r[c] for r in files["mentorships.csv"] for c in ("mentor", "mentee", "mentor_institution",
                                                                   "mentee_institution")}
    assert names(a).isdisjoint(names(b))
    # but the same months and counts: the data is the same
    def months(files):
        return sorted(r["start_month"] for r in files["mentorships.csv"])
    assert months(a) == months(b)


def test_link_expires(world):
    requester = world.mentor()
    req = approved_request(world, requester, datasets=["requests"])
    link = world.post(f"/data-requests/{req['id']}/download-link", {}, requester, 201).get_json()
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(timezone.utc) <= timedelta(minutes=15)  # download_ttl
    with world.db.unit_of_work() as conn:  # fifteen minutes later
        conn.execute(sa.text("UPDATE research_download_links SET expires_at = now() - interval '1 second' "
                             "WHERE export_id = :e"), {"e": req_export(world, req["id"])})
    r = world.c.get(link["url"], headers=requester.headers)
    assert r.status_code == 410 and r.mimetype == "application/problem+json"
    assert r.get_json()["type"].endswith("/link-expired")
    [refused] = rows(world.db, "SELECT * FROM research_audit WHERE request_id = :r AND action = 'download_refused'",
                     r=req["id"])
    assert (refused["detail"], refused["actor_id"]) == ("link expired", requester.id)
    # a new link works
    download(world, requester, req["id"])


def req_export(world, request_id) -> uuid.UUID:
    [row] = rows(world.db, "SELECT id FROM research_exports WHERE request_id = :r", r=request_id)
    return row["id"]


def test_only_the_requester_downloads_even_with_the_token(world):
    requester, other = world.mentee(), world.mentee()
    req = approved_request(world, requester, datasets=["participation_summary"])
    link = world.post(f"/data-requests/{req['id']}/download-link", {}, requester, 201).get_json()
    for who in (other, world.operator(), world.admin()):
        r = world.c.get(link["url"], headers=world._headers(who))
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert world.c.get(link["url"]).status_code == 401  # the token alone is not enough
    # nor may anyone else ask for a link
    world.post(f"/data-requests/{req['id']}/download-link", {}, other, 404)
    world.post(f"/data-requests/{req['id']}/download-link", {}, world.operator(), 403)
    # a made-up token is refused too
    r = world.c.get(f"{PREFIX}/data-requests/{req['id']}/export", headers=requester.headers,
                    query_string={"token": "x" * 43})
    assert r.status_code == 404
    refusals = rows(world.db, "SELECT detail FROM research_audit WHERE request_id = :r AND action = 'download_refused'",
                    r=req["id"])
    assert sorted(x["detail"] for x in refusals) == ["not the requester"] * 3 + ["unknown link"]
    # the requester's link was not used up by the refusals
    r = world.c.get(link["url"], headers=requester.headers)
    assert r.status_code == 200 and unzip(r.data)["participation_summary.csv"]


def test_who_sees_and_who_decides(world):
    requester, other = world.mentor(), world.mentor()
    req = world.post("/data-requests", body(irb_status="pending", irb_number=None), requester, 201).get_json()
    world.get(f"/data-requests/{req['id']}", requester, 200)
    world.get(f"/data-requests/{req['id']}", other, 404)
    world.get(f"/data-requests/{req['id']}", world.admin(requester.institution_id), 404)
    world.get(f"/data-requests/{req['id']}", world.operator(), 200)
    assert [r["id"] for r in world.get("/data-requests", requester, 200).get_json()] == [req["id"]]
    assert world.get("/data-requests", other, 200).get_json() == []
    submitted = world.get("/data-requests", world.operator(), 200, status="submitted").get_json()
    assert req["id"] in [r["id"] for r in submitted]
    assert req["id"] not in [r["id"] for r in world.get("/data-requests", world.operator(), 200,
                                                          status="approved").get_json()]
    decision = {"decision": "approved", "reason": "ok"}
    for who in (requester, other, world.mentee(), world.admin()):
        r = world.post(f"/data-requests/{req['id']}/decision", decision, who, 403)
        assert r.mimetype == "application/problem+json"
    world.post(f"/data-requests/{req['id']}/download-link", {}, requester, 409)  # not approved yet
    world.post(f"/data-requests/{req['id']}/decision", {"decision": "denied"}, world.operator(), 422)
    world.post(f"/data-requests/{req['id']}/decision", {"decision": "denied", "reason": "  "}, world.operator(), 422)
    denied = world.post(f"/data-requests/{req['id']}/decision", {"decision": "denied", "reason": "IRB still pending"},
                        world.operator(), 200).get_json()
    assert (denied["status"], denied["reason"], denied["export"]) == ("denied", "IRB still pending", None)
    [event] = outbox(world.db, "DataRequestDecided", request_id=req["id"])
    assert event["data"]["decision"] == "denied" and event["data"]["reason"] == "IRB still pending"
    r = world.post(f"/data-requests/{req['id']}/decision", decision, world.operator(), 409)
    assert r.get_json()["type"].endswith("/already-decided")
    world.post(f"/data-requests/{req['id']}/download-link", {}, requester, 409)
    assert rows(world.db, "SELECT count(*) AS n FROM research_exports WHERE request_id = :r", r=req["id"])[0]["n"] == 0
    # an operator's own request is decided by another operator
    own_operator = world.operator()
    own = world.post("/data-requests", body(), own_operator, 201).get_json()
    assert own["requester_role"] == "operator" and own["requester_institution_id"] is None
    world.post(f"/data-requests/{own['id']}/decision", decision, own_operator, 403)
    world.post(f"/data-requests/{own['id']}/decision", decision, world.operator(), 200)


def test_bad_input_is_422_with_pointers_and_writes_nothing(world):
    requester = world.mentee()
    today = datetime.now(timezone.utc).date()
    counts = "SELECT (SELECT count(*) FROM research_requests) AS r, (SELECT count(*) FROM research_audit) AS a"
    before = rows(world.db, counts)
    cases = [
        ({"irb_status": "approved", "irb_number": None}, ["#/irb_number"]),
        ({"irb_status": "exempt", "irb_number": "  "}, ["#/irb_number"]),
        ({"period_start": today.isoformat(), "period_end": (today - timedelta(days=3)).isoformat()}, ["#/period_end"]),
        ({"period_end": (today + timedelta(days=1)).isoformat()}, ["#/period_end"]),
        ({"datasets": ["mentorships", "names"]}, ["#/datasets/1"]),
        ({"datasets": []}, ["#/datasets"]),
        ({"datasets": ["requests", "requests"]}, ["#/datasets"]),
        ({"irb_status": "maybe"}, ["#/irb_status"]),
        ({"period_start": "2024-13-01"}, ["#/period_start"]),
        ({"status": "approved"}, ["#/status"]),
        ({"requester_id": str(uuid.uuid4())}, ["#/requester_id"]),
        ({"title": "", "purpose": None}, ["#/purpose", "#/title"]),
        ({"title": "   "}, ["#/title"]),
    ]
    for change, pointers in cases:
        r = world.post("/data-requests", body(**change), requester, 422)
        assert r.mimetype == "application/problem+json"
        assert sorted({e["pointer"] for e in r.get_json()["errors"]}) == pointers, (change, r.get_json())
    r = world.post("/data-requests", {}, requester, 422)
    assert {e["pointer"] for e in r.get_json()["errors"]} >= {"#/title", "#/purpose", "#/irb_status", "#/datasets",
                                                                "#/period_start", "#/period_end"}
    world.post("/data-requests", body(), None, 401)
    assert rows(world.db, counts) == before
    world.get("/data-requests", world.operator(), 422, status="pending")
    world.get(f"/data-requests/{uuid.uuid4()}", requester, 404)
    world.post(f"/data-requests/{uuid.uuid4()}/decision", {"decision": "approved", "reason": "x"}, world.operator(),
               404)


def test_catalogue_names_the_datasets_and_their_columns(world):
    catalogue = world.get("/data-requests/catalogue", world.mentee(), 200).get_json()
    assert [d["name"] for d in catalogue] == ALL
    columns = {c for d in catalogue for c in d["columns"]}
    assert not columns & {"name", "email", "user_id", "mentorship_id", "request_id", "institution_id",
                          "program_text", "shared_text"}


def test_openapi_documents_the_research_endpoints(client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/data-requests", "/data-requests/{request_id}", "/data-requests/{request_id}/decision",
                 "/data-requests/{request_id}/download-link", "/data-requests/{request_id}/export", "/research-audit"):
        assert PREFIX + path in paths, path
    download = paths[PREFIX + "/data-requests/{request_id}/export"]["get"]
    assert "application/zip" in download["responses"]["200"]["content"]
