"""What evaluation learns from other services' events: institutions with their reward policy, members
and their status, requests and their outcomes, CME credits — and the schedule a mentorship starts."""
from __future__ import annotations

from datetime import timedelta

from tests.evaluation.conftest import apply, now, rows


def test_institution_later_event_wins_and_older_changes_nothing(world):
    inst = world.new_institution("Lakeside", {"dedicated_fte": {"offered": True, "details": "0.05 FTE"}})
    later, earlier = now() + timedelta(seconds=5), now() - timedelta(days=1)
    base = {"institution_id": inst, "kind": "academic", "class_size": 100, "minimum_mentors": 5,
            "subscription_status": "active"}
    apply(world.db, "InstitutionUpdated", {**base, "name": "Lakeside School of Medicine"}, time=later)
    apply(world.db, "InstitutionUpdated", {**base, "name": "Old name", "reward_policy": {}}, time=earlier)
    [row] = rows(world.db, "SELECT name, reward_policy FROM institutions WHERE institution_id = :i", i=inst)
    assert row["name"] == "Lakeside School of Medicine"
    assert row["reward_policy"] == {}  # the later event carried no policy: an older publisher's event


def test_exited_mentee_is_alumnus_and_does_not_come_back(world):
    mentee = world.mentee()
    apply(world.db, "MenteeExited", {"user_id": mentee.id, "institution_id": mentee.institution_id, "reason": "graduated"})
    apply(world.db, "MenteeEnrolled", {"user_id": mentee.id, "institution_id": mentee.institution_id,
                                       "name": mentee.name, "email": mentee.email}, time=now() + timedelta(seconds=5))
    [row] = rows(world.db, "SELECT status, exit_reason, trained_at FROM members WHERE user_id = :u", u=mentee.id)
    assert (row["status"], row["exit_reason"]) == ("exited", "graduated")
    assert row["trained_at"] is not None


def test_request_outcomes_in_any_order(world):
    mentor, mentee = world.mentor(), world.mentee()
    mid = world.start(mentor, mentee)
    [req] = rows(world.db, "SELECT * FROM request_facts WHERE mentor_id = :m", m=mentor.id)
    assert req["outcome"] == "accepted" and req["responded_at"] - req["created_at"] == timedelta(days=2)
    # an answer that comes before its creation keeps its outcome when the creation arrives
    import uuid
    rid, created = uuid.uuid4(), now()
    pair = {"request_id": rid, "mentee_id": mentee.id, "mentor_id": mentor.id}
    apply(world.db, "RequestDeclined", {**pair, "reason": "at capacity", "automatic": True, "created_at": created,
                                        "responded_at": created})
    apply(world.db, "RequestCreated", {**pair, "mentee_institution_id": mentee.institution_id,
                                       "mentor_institution_id": mentor.institution_id, "created_at": created,
                                       "respond_by": created + timedelta(days=14)})
    [req] = rows(world.db, "SELECT * FROM request_facts WHERE request_id = :r", r=rid)
    assert (req["outcome"], req["automatic"], req["responded_at"]) == ("declined", True, None)
    assert mid


def test_cme_credit_once_per_certificate(world):
    import uuid
    mentor = world.mentor()
    credit = {"user_id": mentor.id, "institution_id": mentor.institution_id, "module_id": uuid.uuid4(),
              "module_version": 1, "credit_hours": "1.50", "certificate_code": f"CME-{mentor.id.hex[:10]}",
              "awarded_at": now()}
    apply(world.db, "CmeCreditAwarded", credit)
    apply(world.db, "CmeCreditAwarded", credit)
    [row] = rows(world.db, "SELECT sum(credit_hours) AS h, count(*) AS n FROM cme_credits WHERE user_id = :u", u=mentor.id)
    assert (str(row["h"]), row["n"]) == ("1.50", 1)


def test_mentorship_plans_first_periodic_then_final_on_conclusion(world):
    mentor, mentee = world.mentor(), world.mentee()
    started = now() - timedelta(days=10)
    mid = world.start(mentor, mentee, started)
    [first] = rows(world.db, "SELECT * FROM evaluations WHERE mentorship_id = :m", m=mid)
    assert (first["kind"], first["sequence"], first["status"]) == ("periodic", 1, "scheduled")
    assert first["due_at"] - started == timedelta(days=182)
    concluded = now()
    world.conclude(mid, concluded)
    world.conclude(mid, concluded)  # a repeat changes nothing
    evs = rows(world.db, "SELECT kind, sequence, status, due_at, closes_at FROM evaluations WHERE mentorship_id = :m "
                         "ORDER BY sequence", m=mid)
    assert [(e["kind"], e["status"]) for e in evs] == [("final", "scheduled"), ("periodic", "cancelled")]
    assert evs[0]["due_at"] == concluded and evs[0]["closes_at"] - concluded == timedelta(days=30)


def test_conclusion_before_start_plans_only_the_final(world):
    import uuid
    mentor, mentee = world.mentor(), world.mentee()
    mid, started = uuid.uuid4(), now() - timedelta(days=3)
    common = {"mentorship_id": mid, "mentor_id": mentor.id, "mentee_id": mentee.id,
              "mentor_institution_id": mentor.institution_id, "mentee_institution_id": mentee.institution_id}
    apply(world.db, "MentorshipConcluded", {**common, "reason": "x", "concluded_by": "mentor", "started_at": started,
                                            "concluded_at": now()})
    apply(world.db, "MentorshipStarted", {**common, "request_id": uuid.uuid4(), "started_at": started})
    evs = rows(world.db, "SELECT kind FROM evaluations WHERE mentorship_id = :m", m=mid)
    assert [e["kind"] for e in evs] == ["final"]
