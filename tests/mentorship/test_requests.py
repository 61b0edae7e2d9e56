"""Requests and mentorships through the API: preconditions (R6, R8, R11), idempotent creation,
answers, withdrawal, conclusion, the cap with automatic "at capacity" declines, contact details only
after acceptance, lists and institution counts — each state change paired with its event."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.mentorship.conftest import count, outbox


def test_request_created_with_deadlines_and_event(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)
    assert req["status"] == "open" and req["mentee_id"] == str(mentee.id) and req["mentor_id"] == str(mentor.id)
    assert req["goals"] == ["residency applications", "research"]
    assert req["mentor_contact"] is None and req["mentee_contact"] is None
    [ev] = outbox(mentorship_db, "RequestCreated", request_id=req["id"])
    assert ev["data"]["mentee_institution_id"] == str(mentee.institution_id)
    respond_by = datetime.fromisoformat(ev["data"]["respond_by"])
    assert respond_by == datetime.fromisoformat(req["respond_by"])
    assert respond_by - datetime.fromisoformat(ev["data"]["created_at"]) == timedelta(days=14)  # P14D


def test_each_refused_precondition_has_its_own_problem_type(world, mentorship_db):
    mentor = world.mentor()
    other_inst = uuid.uuid4()

    def refused(mentee, mentor_, status, slug):
        r = world.post("/requests", {"mentor_id": str(mentor_.id), "message": "hello", "goals": ["x"]}, mentee,
                       expect=status)
        body = r.get_json()
        assert r.headers["Content-Type"] == "application/problem+json"
        assert body["type"].endswith("/" + slug), body
        assert body["detail"]

    refused(world.mentee(enrolled=False, trained=False), mentor, 409, "mentee-not-enrolled")
    refused(world.mentee(trained=False), mentor, 409, "mentee-not-trained")
    mentee = world.mentee()
    refused(mentee, world.mentor(enrolled=False, published=True), 409, "mentor-not-active")
    refused(mentee, world.mentor(trained=False), 409, "mentor-not-trained")
    refused(mentee, world.mentor(published=False), 409, "mentor-not-published")
    refused(world.mentee(other_inst), world.mentor(scope="local"), 409, "mentor-local-only")
    # a local mentor is requestable by mentees of their own institution
    world.request(world.mentee(), world.mentor(scope="local"))
    r = world.post("/requests", {"mentor_id": str(uuid.uuid4()), "message": "hello", "goals": ["x"]}, mentee,
                   expect=404)
    assert r.get_json()["type"].endswith("/not-found")
    req = world.request(mentee, mentor)
    refused(mentee, mentor, 409, "request-already-open")
    world.accept(mentor, req["id"])
    refused(mentee, mentor, 409, "mentorship-already-active")
    full = world.mentor()
    for _ in range(3):
        world.accept(full, world.request(world.mentee(), full)["id"])
    refused(world.mentee(), full, 409, "mentor-no-open-slot")
    # an ejected mentor is not active
    from tests.mentorship.conftest import apply
    gone = world.mentor()
    apply(mentorship_db, "MentorEjected", {"user_id": gone.id, "institution_id": gone.institution_id, "reason": "x"})
    refused(world.mentee(), gone, 409, "mentor-not-active")


def test_idempotency_key_returns_the_first_request(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    body = {"mentor_id": str(mentor.id), "message": "Hello", "goals": ["career"]}
    first = world.post("/requests", body, mentee, expect=201, headers=key).get_json()
    again = world.post("/requests", body, mentee, expect=200, headers=key).get_json()
    assert again["id"] == first["id"]
    assert len(outbox(mentorship_db, "RequestCreated", mentee_id=mentee.id)) == 1
    # the same key for another mentor is a mistake, said so
    other = world.mentor()
    r = world.post("/requests", {**body, "mentor_id": str(other.id)}, mentee, expect=422, headers=key)
    assert r.get_json()["type"].endswith("/idempotency-key-reused")
    # keys are per mentee: another mentee's same key makes their own request
    mine = world.post("/requests", body, world.mentee(), expect=201, headers=key).get_json()
    assert mine["id"] != first["id"]
    # a bad key is a 422 and writes nothing
    before = count(mentorship_db, "SELECT count(*) FROM requests")
    r = world.post("/requests", {**body, "mentor_id": str(other.id)}, world.mentee(), expect=422,
                   headers={"Idempotency-Key": "x" * 201})
    assert r.get_json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert count(mentorship_db, "SELECT count(*) FROM requests") == before


def test_accept_starts_a_mentorship_and_shows_contacts(world, mentorship_db):
    mentor, mentee = world.mentor(), world.mentee()
    req = world.request(mentee, mentor)
    # before acceptance neither side sees the other's contact details
    assert world.get(f"/requests/{req['id']}", mentor, expect=200).get_json()["mentee_contact"] is None
    out = world.accept(mentor, req["id"])
    assert out["status"] == "accepted" and out["mentorship_id"]
    assert out["mentee_contact"] == {"user_id": str(mentee.id), "name": mentee.name, "email": mentee.email}
    assert out["mentor_contact"] is None  # the mentor sees the mentee's, not their own
    seen = world.get(f"/requests/{req['id']}", mentee, expect=200).get_json()
    assert seen["mentor_contact"] == {"user_id": str(mentor.id), "name": mentor.name, "email": mentor.email}
    ms = world.get(f"/mentorships/{out['mentorship_id']}", mentee, expect=200).get_json()
    assert ms["status"] == "active" and ms["mentor_contact"]["email"] == mentor.email
    [acc] = outbox(mentorship_db, "RequestAccepted", request_id=req["id"])
    [started] = outbox(mentorship_db, "MentorshipStarted", request_id=req["id"])
    assert acc["data"]["mentorship_id"] == started["data"]["mentorship_id"] == out["mentorship_id"]
    # answered requests cannot change again
    for path, who, body in ((f"/requests/{req['id']}/accept", mentor, {}),
                            (f"/requests/{req['id']}/decline", mentor, {"reason": "changed my mind"}),
                            (f"/requests/{req['id']}/withdraw", mentee, {})):
        r = world.post(path, body, who, expect=409)
        assert r.get_json()["type"].endswith("/request-not-open")
        assert r.get_json()["request_status"] == "accepted" and r.get_json()["reason"] == "accepted"
        assert r.get_json()["detail"] == ("You have already accepted this request." if who is mentor else
                                          "The mentor has already accepted this request; the mentorship has started.")


def test_decline_withdraw_and_conclude(world, mentorship_db):
    mentor = world.mentor()
    a, b, c = world.mentee(), world.mentee(), world.mentee()
    ra, rb, rc = world.request(a, mentor), world.request(b, mentor), world.request(c, mentor)
    d = world.post(f"/requests/{ra['id']}/decline", {"reason": "my schedule is full this term"}, mentor,
                   expect=200).get_json()
    assert d["status"] == "declined" and d["decline_reason"] == "my schedule is full this term"
    assert not d["declined_automatically"]
    [ev] = outbox(mentorship_db, "RequestDeclined", request_id=ra["id"])
    assert ev["data"]["automatic"] is False and ev["data"]["reason"] == "my schedule is full this term"
    w = world.post(f"/requests/{rb['id']}/withdraw", {}, b, expect=200).get_json()
    assert w["status"] == "withdrawn" and len(outbox(mentorship_db, "RequestWithdrawn", request_id=rb["id"])) == 1
    # answering them later says who closed them
    late = world.post(f"/requests/{ra['id']}/withdraw", {}, a, expect=409).get_json()
    assert late["detail"] == "The mentor has declined this request." and late["reason"] == "declined-by-mentor"
    late = world.post(f"/requests/{ra['id']}/accept", {}, mentor, expect=409).get_json()
    assert late["detail"] == "You have already declined this request."
    late = world.post(f"/requests/{rb['id']}/accept", {}, mentor, expect=409).get_json()
    assert late["detail"] == "The mentee has withdrawn this request." and late["reason"] == "withdrawn-by-mentee"
    late = world.post(f"/requests/{rb['id']}/withdraw", {}, b, expect=409).get_json()
    assert late["detail"] == "You have already withdrawn this request."
    ms_id = world.accept(mentor, rc["id"])["mentorship_id"]
    r = world.post(f"/mentorships/{ms_id}/conclude", {"reason": "goals met"}, c, expect=200).get_json()
    assert r["status"] == "concluded" and r["concluded_by"] == "mentee" and r["conclusion_reason"] == "goals met"
    [ev] = outbox(mentorship_db, "MentorshipConcluded", mentorship_id=ms_id)
    assert ev["data"]["concluded_by"] == "mentee"
    world.post(f"/mentorships/{ms_id}/conclude", {"reason": "again"}, mentor, expect=409)
    # the concluded mentorship freed the slot, and the pair may start again
    again = world.request(c, mentor)
    ms2 = world.accept(mentor, again["id"])["mentorship_id"]
    r = world.post(f"/mentorships/{ms2}/conclude", {"reason": "moving away"}, mentor, expect=200).get_json()
    assert r["concluded_by"] == "mentor"
    assert count(mentorship_db, "SELECT active_mentees FROM members WHERE user_id = :m", m=mentor.id) == 0


def test_reaching_three_declines_the_other_open_requests_automatically(world, mentorship_db):
    mentor = world.mentor()
    mentees = [world.mentee() for _ in range(5)]
    reqs = [world.request(m, mentor) for m in mentees]
    for r in reqs[:2]:
        world.accept(mentor, r["id"])
    assert all(world.get(f"/requests/{r['id']}", mentor).get_json()["status"] == "open" for r in reqs[2:])
    world.accept(mentor, reqs[2]["id"])
    for r in reqs[3:]:
        got = world.get(f"/requests/{r['id']}", mentor, expect=200).get_json()
        assert got["status"] == "declined" and got["decline_reason"] == "at capacity"
        assert got["declined_automatically"] is True
        [ev] = outbox(mentorship_db, "RequestDeclined", request_id=r["id"])
        assert ev["data"]["automatic"] is True and ev["data"]["reason"] == "at capacity"
        # the mentor accepting it later reads why it is closed, not that they declined it
        late = world.post(f"/requests/{r['id']}/accept", {}, mentor, expect=409).get_json()
        assert late["request_status"] == "declined" and late["reason"] == "mentor-at-capacity"
        assert late["detail"] == ("This request was declined automatically when you reached 3 mentees, the most "
                                  "a mentor may have; it can no longer be answered.")
    assert world.get("/requests", mentor, expect=200).get_json() == []
    assert count(mentorship_db, "SELECT count(*) FROM mentorships WHERE mentor_id = :m AND status = 'active'",
                 m=mentor.id) == 3


def test_lists_and_counts(world, mentorship_db):
    inst = uuid.uuid4()
    m1, m2 = world.mentor(inst), world.mentor(inst)
    mentee = world.mentee(inst)
    r1 = world.request(mentee, m1)
    r2 = world.request(mentee, m2)
    others = [world.request(world.mentee(), m1) for _ in range(2)]
    # the mentor's open requests, by deadline
    soon = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    world.c.put(f"/api/v1/mentorship/requests/{others[1]['id']}/deadline", json={"respond_by": soon},
                headers=world.operator())
    listed = world.get("/requests", m1, expect=200).get_json()
    assert [r["id"] for r in listed] == [others[1]["id"], r1["id"], others[0]["id"]]
    assert [r["id"] for r in world.get("/requests", mentee, expect=200).get_json()] == [r2["id"], r1["id"]]
    ms = world.accept(m1, r1["id"])["mentorship_id"]
    assert [m["id"] for m in world.get("/mentorships", mentee, expect=200).get_json()] == [ms]
    assert [m["id"] for m in world.get("/mentorships", m1, status="active", expect=200).get_json()] == [ms]
    assert world.get("/mentorships", m1, status="concluded", expect=200).get_json() == []
    assert [r["id"] for r in world.get("/requests", m1, status="accepted", expect=200).get_json()] == [r1["id"]]
    counts = world.get(f"/institutions/{inst}/counts", world.admin(inst), expect=200).get_json()
    assert counts["mentees"]["requests"] == {"open": 1, "accepted": 1, "declined": 0, "withdrawn": 0, "expired": 0}
    assert counts["mentors"]["requests"]["open"] == 3 and counts["mentors"]["mentorships"]["active"] == 1
    assert counts["mentors"]["enrolled_mentors"] == 2 and counts["mentors"]["mentors_in_mentorships"] == 1
    assert counts["mentors"]["mentors_at_capacity"] == 0
    assert world.get(f"/institutions/{inst}/counts", world.operator(), expect=200).get_json() == counts
