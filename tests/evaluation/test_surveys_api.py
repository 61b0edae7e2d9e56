"""Surveys over HTTP (R14): operators define versioned surveys and open them to an audience computed
from the Member read model; respondents see and answer only their own; statistics never show who
answered what, and an institution admin sees only their institution's counts, withheld under 3."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.evaluation.conftest import apply, outbox, rows

QUESTIONS = [
    {"id": "field", "type": "single_choice", "label": "Your field", "options": ["Surgery", "Pediatrics", "Other"],
     "required": True},
    {"id": "topics", "type": "multiple_choice", "label": "Topics", "options": ["Research", "Career", "Balance"],
     "max_selections": 2},
    {"id": "story", "type": "text", "label": "Anything else?", "max_length": 200},
    {"id": "hours", "type": "number", "label": "Hours a month", "integer": True, "min": 0, "max": 200},
    {"id": "graduated", "type": "date", "label": "Graduation", "min": "1990-01-01"},
]


def feedback(institutions, roles=("mentee", "alumni"), questions=QUESTIONS, **extra):
    return {"kind": "program_feedback", "title": "Program feedback", "description": "Tell us how it goes",
            "audience": {"roles": list(roles), "institution_ids": [str(i) for i in institutions]},
            "questions": questions, **extra}


def create(world, body):
    return world.post("/surveys", body, world.operator(), expect=201).get_json()


def count(world, table: str) -> int:
    return rows(world.db, f"SELECT count(*) AS n FROM {table}")[0]["n"]


@pytest.fixture()
def no_open_career_survey(world):
    """Career-update surveys are one open at a time in this shared database: none before, none after."""
    sql = "UPDATE surveys SET status = 'closed', closed_at = now() WHERE kind = 'career_update' AND status = 'open'"
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(sql)
    yield
    with world.db.unit_of_work() as session:
        conn = session.connection()
        conn.exec_driver_sql(sql)


def exit_mentee(world, person, reason="graduated"):
    apply(world.db, "MenteeExited", {"user_id": person.id, "institution_id": person.institution_id, "reason": reason})


def deactivate(world, person):
    apply(world.db, "UserDeactivated", {"user_id": person.id, "institution_id": person.institution_id,
                                        "role": person.role})


# --- defining surveys --------------------------------------------------------------------------------------

def test_operator_creates_a_draft_with_normalized_questions(world):
    survey = create(world, feedback([world.institution], response_days=30))
    assert (survey["status"], survey["version"], survey["versions"], survey["assigned"]) == ("draft", 1, [1], 0)
    assert survey["audience"] == {"roles": ["mentee", "alumni"], "institution_ids": [str(world.institution)]}
    topics = survey["questions"][1]
    assert (topics["required"], topics["min_selections"], topics["max_selections"]) == (False, 0, 2)
    assert survey["questions"][2]["max_length"] == 200
    got = world.get(f"/surveys/{survey['id']}", world.operator(), expect=200).get_json()
    assert got == survey
    listed = world.get("/surveys", world.operator(), expect=200, kind="program_feedback", status="draft").get_json()
    assert survey["id"] in [s["id"] for s in listed]
    world.get("/surveys", world.operator(), expect=422, colour="red")


def test_only_operators_define_open_close_and_list(world):
    survey = create(world, feedback([world.institution]))
    for who in (world.mentee(), world.mentor(), world.admin()):
        world.post("/surveys", feedback([world.institution]), who, expect=403)
        world.post(f"/surveys/{survey['id']}/open", {}, who, expect=403)
        world.post(f"/surveys/{survey['id']}/close", {}, who, expect=403)
        world.get("/surveys", who, expect=403)
        world.get(f"/surveys/{survey['id']}", who, expect=403)
        r = world.c.patch(f"/api/v1/evaluation/surveys/{survey['id']}", json={"title": "x"},
                          headers=who.headers if hasattr(who, "headers") else who)
        assert r.status_code == 403
    world.post("/surveys", feedback([world.institution]), None, expect=401)
    world.get(f"/surveys/{uuid.uuid4()}", world.operator(), expect=404)


def test_bad_definitions_are_422_with_pointers_and_write_nothing(world):
    before = (count(world, "surveys"), count(world, "survey_versions"))
    bad = [
        {"id": "a", "type": "slider", "label": "A"},  # unknown type
        {"id": "b", "type": "single_choice", "label": "B"},  # choices without options
        {"id": "b", "type": "text", "label": "Again", "options": ["x", "y"]},  # duplicate id, options on text
        {"id": "Bad Id", "type": "number", "label": "N", "min": 9, "max": 1},
        {"id": "d", "type": "date", "label": "D", "max": "tomorrow", "colour": "red"},
    ]
    r = world.post("/surveys", feedback([world.institution], questions=bad), world.operator(), expect=422)
    assert r.mimetype == "application/problem+json"
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert {"#/questions/0/type", "#/questions/1/options", "#/questions/2/options", "#/questions/3/id",
            "#/questions/4/max", "#/questions/4/colour"} <= pointers, pointers
    # duplicate ids are judged once every question is well-formed
    twice = [QUESTIONS[0], {**QUESTIONS[2], "id": "field"}]
    r = world.post("/surveys", feedback([world.institution], questions=twice), world.operator(), expect=422)
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["#/questions/1/id"]
    too_many = [{"id": f"q{n}", "type": "text", "label": f"Q{n}"} for n in range(51)]
    r = world.post("/surveys", feedback([world.institution], questions=too_many), world.operator(), expect=422)
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["#/questions"]
    for body, pointer in [
        ({**feedback([world.institution]), "questions": []}, "#/questions"),
        ({**feedback([world.institution]), "audience": None}, "#/audience"),
        ({k: v for k, v in feedback([]).items() if k != "audience"}, "#/audience"),
        ({**feedback([world.institution], roles=["mentee", "admin"])}, "#/audience/roles/1"),
        ({**feedback([world.institution]), "kind": "career_update"}, None),
        ({**feedback([world.institution], roles=["mentor"]), "kind": "career_update"}, "#/audience/roles"),
        ({**feedback([world.institution]), "status": "open"}, "#/status"),
        ({**feedback([world.institution]), "response_days": 0}, "#/response_days"),
    ]:
        r = world.post("/surveys", body, world.operator())
        if pointer is None:
            assert r.status_code == 201  # a career survey of mentees and alumni is fine
            continue
        assert r.status_code == 422, (body, r.get_json())
        assert pointer in [e["pointer"] for e in r.get_json()["errors"]], (pointer, r.get_json())
    assert (count(world, "surveys"), count(world, "survey_versions")) == (before[0] + 1, before[1] + 1)


def test_changed_questions_make_a_new_version_and_assigned_versions_never_change(world):
    inst = world.new_institution()
    first = world.mentee(inst)
    survey = create(world, feedback([inst]))
    sid = survey["id"]
    op = world.operator()

    def patch(body, expect=200):
        r = world.c.patch(f"/api/v1/evaluation/surveys/{sid}", json=body, headers=op)
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    assert patch({"title": "Renamed"})["version"] == 1
    assert patch({"questions": QUESTIONS})["version"] == 1  # the same questions: no new version
    changed = patch({"questions": QUESTIONS[:2]})
    assert (changed["version"], changed["versions"], len(changed["questions"])) == (2, [1, 2], 2)
    patch({}, expect=422)
    world.post(f"/surveys/{sid}/open", {}, op, expect=200)
    patch({"audience": {"roles": ["mentor"]}}, expect=409)  # the audience is fixed once open
    third = patch({"questions": QUESTIONS[:1]})
    assert third["version"] == 3
    second = world.mentee(inst)
    world.post(f"/surveys/{sid}/open", {}, op, expect=200)
    versions = {r["user_id"]: r["version"] for r in rows(
        world.db, "SELECT user_id, version FROM survey_assignments WHERE survey_id = :s", s=sid)}
    assert versions == {first.id: 2, second.id: 3}
    [v2] = rows(world.db, "SELECT questions FROM survey_versions WHERE survey_id = :s AND version = 2", s=sid)
    assert [q["id"] for q in v2["questions"]] == ["field", "topics"]
    world.post(f"/surveys/{sid}/close", {}, op, expect=200)
    patch({"title": "Too late"}, expect=409)
    world.post(f"/surveys/{sid}/open", {}, op, expect=409)


# --- opening: the audience ---------------------------------------------------------------------------------

def test_open_assigns_the_audience_once_each(world):
    inst, other = world.new_institution(), world.new_institution()
    mentees = [world.mentee(inst) for _ in range(3)]
    alumnus, gone, mentor, elsewhere = world.mentee(inst), world.mentee(inst), world.mentor(inst), world.mentee(other)
    exit_mentee(world, alumnus)
    deactivate(world, gone)
    survey = create(world, feedback([inst], response_days=14))
    opened = world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200).get_json()
    assert (opened["status"], opened["newly_assigned"], opened["assigned"]) == ("open", 4, 4)
    events = outbox(world.db, "SurveyAssigned", survey_id=survey["id"])
    assert sorted(e["data"]["user_id"] for e in events) == sorted(str(p.id) for p in [*mentees, alumnus])
    e = events[0]["data"]
    assert (e["kind"], e["title"], e["institution_id"]) == ("program_feedback", "Program feedback", str(inst))
    assert e["due_at"] is not None and events[0]["subject"] == f"survey-assignments/{e['assignment_id']}"
    # opening again assigns only newcomers
    again = world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200).get_json()
    assert again["newly_assigned"] == 0
    newcomer = world.mentee(inst)
    again = world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200).get_json()
    assert (again["newly_assigned"], again["assigned"]) == (1, 5)
    assert len(outbox(world.db, "SurveyAssigned", survey_id=survey["id"])) == 5
    assert len(outbox(world.db, "SurveyAssigned", survey_id=survey["id"], user_id=newcomer.id)) == 1
    for p in (mentor, gone, elsewhere):
        assert outbox(world.db, "SurveyAssigned", survey_id=survey["id"], user_id=p.id) == []
    # mentors only, of two institutions, in batches
    both = create(world, feedback([inst, other], roles=["mentor"]))
    extra = [world.mentor(other) for _ in range(2)]
    opened = world.post(f"/surveys/{both['id']}/open", {}, world.operator(), expect=200).get_json()
    assert opened["newly_assigned"] == 3
    assert {e["data"]["user_id"] for e in outbox(world.db, "SurveyAssigned", survey_id=both["id"])} == {
        str(p.id) for p in [mentor, *extra]}


def test_alumna_who_stays_on_as_mentor_is_a_mentor_and_still_an_alumna(world):
    """R17 then R14: the exited mentee admitted as a mentor (same user id) is a mentor of the inviting
    institution and still asked for career updates as an alumna — once, whichever way the survey asks."""
    inst = world.new_institution()
    alumna = world.mentee(inst)
    exit_mentee(world, alumna)
    apply(world.db, "MentorEnrolled", {"user_id": alumna.id, "institution_id": inst, "name": "Dr. Alumna",
                                       "email": alumna.email}, time=datetime.now(timezone.utc) + timedelta(seconds=1))
    [row] = rows(world.db, "SELECT role, status, exited_at FROM members WHERE user_id = :u", u=alumna.id)
    assert (row["role"], row["status"]) == ("mentor", "active") and row["exited_at"] is not None
    survey = create(world, feedback([inst], roles=("mentor", "alumni")))
    world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200)
    assert [e["data"]["user_id"] for e in outbox(world.db, "SurveyAssigned", survey_id=survey["id"])] == [str(alumna.id)]


def test_one_open_career_survey_at_a_time(world, no_open_career_survey):
    mentee, alumnus, gone, mentor = world.mentee(), world.mentee(), world.mentee(), world.mentor()
    exit_mentee(world, alumnus, "left")
    deactivate(world, gone)
    career = {"kind": "career_update", "title": "Where are you now?", "questions": QUESTIONS[:1]}
    first, second = create(world, career), create(world, career)
    assert first["audience"] == {"roles": ["mentee", "alumni"], "institution_ids": None}
    world.post(f"/surveys/{first['id']}/open", {}, world.operator(), expect=200)
    r = world.post(f"/surveys/{second['id']}/open", {}, world.operator(), expect=409)
    assert r.get_json()["open_survey_id"] == first["id"]
    got = {e["data"]["user_id"] for e in outbox(world.db, "SurveyAssigned", survey_id=first["id"])}
    assert {str(mentee.id), str(alumnus.id)} <= got and not {str(gone.id), str(mentor.id)} & got
    world.post(f"/surveys/{first['id']}/close", {}, world.operator(), expect=200)
    # the next career survey skips whoever had a career update within the interval (a year here)
    opened = world.post(f"/surveys/{second['id']}/open", {}, world.operator(), expect=200).get_json()
    assert outbox(world.db, "SurveyAssigned", survey_id=second["id"], user_id=mentee.id) == []
    assert opened["status"] == "open"


# --- respondents ------------------------------------------------------------------------------------------

def opened_survey(world, inst, n=1, **extra):
    people = [world.mentee(inst) for _ in range(n)]
    survey = create(world, feedback([inst], **extra))
    world.post(f"/surveys/{survey['id']}/open", {}, world.operator(), expect=200)
    ids = {r["user_id"]: r["id"] for r in rows(world.db, "SELECT id, user_id FROM survey_assignments "
                                                         "WHERE survey_id = :s", s=survey["id"])}
    return survey, people, [ids[p.id] for p in people]


GOOD = {"field": "Surgery", "topics": ["Career"], "story": "Found my residency.", "hours": 4,
        "graduated": "2024-05-20"}


def test_respondent_sees_and_answers_only_their_own(world):
    inst = world.new_institution()
    survey, (me, other), (mine, theirs) = opened_survey(world, inst, 2)
    listed = world.get("/survey-assignments", me, expect=200).get_json()
    assert [a["id"] for a in listed] == [str(mine)]
    assert listed[0]["status"] == "open" and listed[0]["title"] == "Program feedback"
    detail = world.get(f"/survey-assignments/{mine}", me, expect=200).get_json()
    assert [q["id"] for q in detail["questions"]] == [q["id"] for q in QUESTIONS] and detail["answers"] is None
    world.get(f"/survey-assignments/{theirs}", me, expect=404)
    world.post(f"/survey-assignments/{theirs}/response", {"answers": GOOD}, me, expect=404)
    world.get(f"/survey-assignments/{uuid.uuid4()}", me, expect=404)
    for who in (world.operator(), world.admin(inst)):
        world.get(f"/survey-assignments/{mine}", who, expect=403)
        world.get("/survey-assignments", who, expect=403)
    done = world.post(f"/survey-assignments/{mine}/response", {"answers": GOOD}, me, expect=201).get_json()
    assert done["status"] == "completed" and done["answers"] == GOOD
    [ev] = outbox(world.db, "SurveyCompleted", assignment_id=mine)
    assert ev["data"]["user_id"] == str(me.id) and set(ev["data"]) == {
        "assignment_id", "survey_id", "kind", "user_id", "institution_id", "completed_at"}  # never the answers
    r = world.post(f"/survey-assignments/{mine}/response", {"answers": GOOD}, me, expect=409)
    assert r.get_json()["type"].endswith("/already-completed")
    assert world.get("/survey-assignments", me, expect=200, status="completed").get_json()[0]["id"] == str(mine)
    assert world.get("/survey-assignments", me, expect=200, status="open").get_json() == []
    # closed: the other mentee can no longer answer, and the survey leaves their list; mine stays
    world.post(f"/surveys/{survey['id']}/close", {}, world.operator(), expect=200)
    r = world.post(f"/survey-assignments/{theirs}/response", {"answers": GOOD}, other, expect=409)
    assert r.get_json()["type"].endswith("/survey-closed")
    assert world.get("/survey-assignments", other, expect=200).get_json() == []
    assert world.get(f"/survey-assignments/{theirs}", other, expect=200).get_json()["status"] == "closed"
    assert len(world.get("/survey-assignments", me, expect=200).get_json()) == 1


def test_bad_answers_are_422_per_question_and_write_nothing(world):
    inst = world.new_institution()
    _, (me,), (mine,) = opened_survey(world, inst)
    bad = {"topics": ["Research", "Career", "Balance"], "story": "x" * 201, "hours": 1.5, "graduated": "1980-01-01",
           "shoe/size": 42}
    r = world.post(f"/survey-assignments/{mine}/response", {"answers": bad}, me, expect=422)
    assert r.mimetype == "application/problem+json"
    assert {e["pointer"] for e in r.get_json()["errors"]} == {
        "#/answers/field", "#/answers/topics", "#/answers/story", "#/answers/hours", "#/answers/graduated",
        "#/answers/shoe~1size"}
    world.post(f"/survey-assignments/{mine}/response", {"answers": {**GOOD, "field": 3}}, me, expect=422)
    world.post(f"/survey-assignments/{mine}/response", {"answers": GOOD, "score": 5}, me, expect=422)
    world.post(f"/survey-assignments/{mine}/response", {"answers": ["Surgery"]}, me, expect=422)
    assert rows(world.db, "SELECT count(*) AS n FROM survey_responses WHERE assignment_id = :a", a=mine)[0]["n"] == 0
    [row] = rows(world.db, "SELECT completed_at FROM survey_assignments WHERE id = :a", a=mine)
    assert row["completed_at"] is None
    assert outbox(world.db, "SurveyCompleted", assignment_id=mine) == []
    # only the required question: the rest are optional
    world.post(f"/survey-assignments/{mine}/response", {"answers": {"field": "Other", "story": " "}}, me, expect=201)


# --- statistics --------------------------------------------------------------------------------------------

def test_operator_statistics_without_names(world):
    inst, small = world.new_institution("Hilltop"), world.new_institution("Smallville")
    survey, people, ids = opened_survey(world, inst, 4)
    world.mentee(small)  # outside the audience
    answers = [GOOD, {**GOOD, "field": "Pediatrics", "topics": ["Career", "Balance"], "hours": 8, "story": "Busy"},
               {"field": "Surgery", "hours": 3}]
    for person, aid, body in zip(people, ids, answers):
        world.post(f"/survey-assignments/{aid}/response", {"answers": body}, person, expect=201)
    stats = world.get(f"/surveys/{survey['id']}/statistics", world.operator(), expect=200).get_json()
    assert (stats["assigned"], stats["completed"], stats["completion_rate"]) == (4, 3, 0.75)
    per_institution = [(i["institution_name"], i["assigned"], i["completed"]) for i in stats["institutions"]]
    assert per_institution == [("Hilltop", 4, 3)]
    [v1] = stats["versions"]
    by_id = {q["id"]: q for q in v1["questions"]}
    assert v1["responses"] == 3
    assert by_id["field"]["options"] == [{"option": "Surgery", "count": 2}, {"option": "Pediatrics", "count": 1},
                                         {"option": "Other", "count": 0}]
    assert by_id["topics"]["options"][1] == {"option": "Career", "count": 2}
    assert (by_id["hours"]["answered"], by_id["hours"]["mean"]) == (3, 5.0)
    assert by_id["story"]["texts"] == ["Busy", "Found my residency."]
    assert by_id["graduated"]["earliest"] == "2024-05-20"
    body = json.dumps(stats)
    for p in people:  # nobody is named, nor identified by id
        assert str(p.id) not in body and p.name not in body and p.email not in body
    for aid in ids:
        assert str(aid) not in body
    one = world.get(f"/surveys/{survey['id']}/statistics", world.operator(), expect=200,
                    institution_id=str(small)).get_json()
    assert (one["assigned"], one["completed"], "versions" in one) == (0, 0, False)


def test_admin_sees_only_their_institutions_counts_withheld_under_three(world):
    inst, other = world.new_institution(), world.new_institution()
    survey, people, ids = opened_survey(world, inst, 4)
    sid = survey["id"]
    admin = world.admin(inst)
    for person, aid in zip(people[:2], ids[:2]):
        world.post(f"/survey-assignments/{aid}/response", {"answers": GOOD}, person, expect=201)
    stats = world.get(f"/surveys/{sid}/statistics", admin, expect=200).get_json()
    assert (stats["institution_id"], stats["minimum"]) == (str(inst), 3)
    assert (stats["assigned"], stats["completed"], stats["completion_rate"]) == (4, None, None)  # 2 < 3: withheld
    assert "versions" not in stats and "institutions" not in stats
    world.post(f"/survey-assignments/{ids[2]}/response", {"answers": GOOD}, people[2], expect=201)
    stats = world.get(f"/surveys/{sid}/statistics", admin, expect=200, institution_id=str(inst)).get_json()
    assert (stats["assigned"], stats["completed"], stats["completion_rate"]) == (4, 3, 0.75)
    listed = world.get(f"/institutions/{inst}/surveys", admin, expect=200).get_json()
    assert [(s["assigned"], s["completed"]) for s in listed if s["survey_id"] == sid] == [(4, 3)]
    assert "texts" not in json.dumps(listed) and "Surgery" not in json.dumps(stats)
    # another institution's admin, or this admin asking about another institution: 404
    world.get(f"/surveys/{sid}/statistics", world.admin(other), expect=404)
    world.get(f"/surveys/{sid}/statistics", admin, expect=404, institution_id=str(other))
    world.get(f"/institutions/{other}/surveys", admin, expect=404)
    assert sid not in [s["survey_id"] for s in world.get(f"/institutions/{other}/surveys", world.admin(other),
                                                          expect=200).get_json()]
    # a draft is not theirs to see; a mentee is refused
    draft = create(world, feedback([inst]))
    world.get(f"/surveys/{draft['id']}/statistics", admin, expect=404)
    world.get(f"/surveys/{sid}/statistics", people[0], expect=403)
    world.get(f"/institutions/{inst}/surveys", people[0], expect=403)
    # small audiences: every count under three is withheld
    tiny, _, _ = opened_survey(world, other, 2)
    stats = world.get(f"/surveys/{tiny['id']}/statistics", world.admin(other), expect=200).get_json()
    assert (stats["assigned"], stats["completed"], stats["completion_rate"]) == (None, None, None)
    op = world.get(f"/institutions/{other}/surveys", world.operator(), expect=200).get_json()
    assert [(s["assigned"], s["completed"]) for s in op if s["survey_id"] == tiny["id"]] == [(2, 0)]


@pytest.mark.slow  # two submissions at once, in threads
def test_two_submissions_at_once_are_one_response(world, evaluation_app):
    import threading

    inst = world.new_institution()
    _, (me,), (mine,) = opened_survey(world, inst)
    barrier, codes = threading.Barrier(3), []

    def submit():
        client = evaluation_app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/evaluation/survey-assignments/{mine}/response", json={"answers": GOOD},
                        headers=me.headers)
        codes.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [201, 409, 409]
    assert len(outbox(world.db, "SurveyCompleted", assignment_id=mine)) == 1
