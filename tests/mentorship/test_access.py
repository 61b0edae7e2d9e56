"""Access and validation: only the mentor answers a request, only its mentee withdraws it, only the two
sides see it; admins see only their institution's counts; bad input is a 422 problem+json that writes
nothing; authentication comes before validation."""
from __future__ import annotations

import uuid

import pytest

from tests.mentorship.conftest import PREFIX, count


def _writes(db) -> tuple[int, int, int]:
    return (count(db, "SELECT count(*) FROM requests"), count(db, "SELECT count(*) FROM mentorships"),
            count(db, "SELECT count(*) FROM outbox"))


def test_only_the_mentor_answers_and_only_the_mentee_withdraws(world):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)
    stranger_mentor, stranger_mentee = world.mentor(), world.mentee()
    # the mentee may see the request but not answer it: their role may not
    assert world.post(f"/requests/{req['id']}/accept", {}, mentee, expect=403)
    world.post(f"/requests/{req['id']}/decline", {"reason": "no"}, mentee, expect=403)
    # another mentor does not see it at all
    world.post(f"/requests/{req['id']}/accept", {}, stranger_mentor, expect=404)
    world.post(f"/requests/{req['id']}/decline", {"reason": "no"}, stranger_mentor, expect=404)
    world.get(f"/requests/{req['id']}", stranger_mentor, expect=404)
    # only its mentee withdraws it
    world.post(f"/requests/{req['id']}/withdraw", {}, mentor, expect=403)
    world.post(f"/requests/{req['id']}/withdraw", {}, stranger_mentee, expect=404)
    world.get(f"/requests/{req['id']}", stranger_mentee, expect=404)
    # admins and operators cannot act for either side
    world.post(f"/requests/{req['id']}/accept", {}, world.admin(), expect=403)
    world.post(f"/requests/{req['id']}/withdraw", {}, world.operator(), expect=403)
    world.get(f"/requests/{req['id']}", world.admin(), expect=403)
    assert world.get(f"/requests/{req['id']}", world.operator(), expect=200).get_json()["status"] == "open"
    world.get("/requests", world.admin(), expect=403)
    world.get("/mentorships", world.admin(), expect=403)
    # mentors do not make requests
    world.post("/requests", {"mentor_id": str(mentor.id), "message": "hi", "goals": ["a"]}, stranger_mentor,
               expect=403)
    ms = world.accept(mentor, req["id"])["mentorship_id"]
    world.get(f"/mentorships/{ms}", stranger_mentee, expect=404)
    world.post(f"/mentorships/{ms}/conclude", {"reason": "x"}, stranger_mentor, expect=404)
    world.post(f"/mentorships/{ms}/conclude", {"reason": "x"}, world.operator(), expect=403)
    world.post(f"/requests/{req['id']}/deadline", {}, world.operator(), expect=405)
    r = world.c.put(f"{PREFIX}/requests/{req['id']}/deadline", json={"respond_by": "2030-01-01T00:00:00Z"},
                    headers=mentor.headers)
    assert r.status_code == 403


def test_admins_see_only_counts_of_their_institution(world):
    inst, other = uuid.uuid4(), uuid.uuid4()
    world.request(world.mentee(inst), world.mentor(inst))
    world.get(f"/institutions/{inst}/counts", world.admin(inst), expect=200)
    r = world.get(f"/institutions/{other}/counts", world.admin(inst), expect=404)
    assert r.headers["Content-Type"] == "application/problem+json"
    world.get(f"/institutions/{inst}/counts", world.mentor(inst), expect=403)
    world.get(f"/institutions/{inst}/counts", world.mentee(inst), expect=403)
    world.get(f"/institutions/{inst}/counts", expect=401)


@pytest.mark.parametrize("body, pointer", [
    ({}, "/mentor_id"),
    ({"mentor_id": "not-a-uuid", "message": "m", "goals": ["g"]}, "/mentor_id"),
    ({"message": "m", "goals": ["g"]}, "/mentor_id"),
    ({"mentor_id": str(uuid.uuid4()), "message": "", "goals": ["g"]}, "/message"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m" * 4001, "goals": ["g"]}, "/message"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": []}, "/goals"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": "career"}, "/goals"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": ["g"] * 11}, "/goals"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": ["g"], "status": "accepted"}, "/status"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": ["g"], "mentee_id": str(uuid.uuid4())}, "/mentee_id"),
    ({"mentor_id": str(uuid.uuid4()), "message": "m", "goals": ["g"], "respond_by": "2030-01-01T00:00:00Z"},
     "/respond_by"),
])
def test_bad_request_bodies_are_422_and_write_nothing(world, mentorship_db, body, pointer):
    mentee = world.mentee()
    world.mentor()
    before = _writes(mentorship_db)
    r = world.post("/requests", body, mentee, expect=422)
    problem = r.get_json()
    assert r.headers["Content-Type"] == "application/problem+json" and problem["status"] == 422
    assert any(e["pointer"] == "#" + pointer for e in problem["errors"]), problem
    assert _writes(mentorship_db) == before


def test_bad_answers_are_422_and_change_nothing(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)
    before = _writes(mentorship_db)
    world.post(f"/requests/{req['id']}/decline", {}, mentor, expect=422)
    world.post(f"/requests/{req['id']}/decline", {"reason": ""}, mentor, expect=422)
    world.post(f"/requests/{req['id']}/accept", {"status": "accepted"}, mentor, expect=422)
    world.post(f"/requests/{req['id']}/withdraw", {"reason": 5}, mentee, expect=422)
    r = world.c.post(f"{PREFIX}/requests/{req['id']}/accept", data="{not json", headers={
        **mentor.headers, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.get_json()["type"].endswith("/malformed-json")
    world.get("/requests", mentor, status="pending", expect=422)
    world.get("/requests", mentor, colour="blue", expect=422)
    world.get("/mentorships", mentee, limit=0, expect=422)
    r = world.c.put(f"{PREFIX}/requests/{req['id']}/deadline", json={"respond_by": "2030-01-01T00:00:00"},
                    headers=world.operator())
    assert r.status_code == 422  # a deadline without a time zone is ambiguous
    assert _writes(mentorship_db) == before
    assert world.get(f"/requests/{req['id']}", mentee).get_json()["status"] == "open"


def test_authentication_comes_before_validation(world):
    r = world.post("/requests", {"bogus": True})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = world.post(f"/requests/{uuid.uuid4()}/decline", {})
    assert r.status_code == 401
    r = world.post("/requests", {"bogus": True}, world.mentor())
    assert r.status_code == 403
