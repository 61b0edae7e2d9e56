"""Who is asking: a mentor sees each request's mentee — name, institution, training stage, expected
graduation year — before answering, and beside each mentorship; all of it from events (MenteeEnrolled,
MenteeProfileUpdated, InstitutionSubscribed/Updated), order-tolerant, and never eligibility or
demographics. GET /me tells a mentor their capacity (R11)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from services.mentorship.events import handlers
from shared.events import registry
from shared.testing import Person, bearer, handle_event
from tests.mentorship.conftest import apply

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)  # before any enrollment of the test

SENSITIVE_WORDS = ("eligib", "urim", "first_generation", "economically", "race", "ethnic", "demographic",
                   "gender", "pronoun", "birth", "hispanic", "phone")


def _institution(world, name: str, *, time=None, event="InstitutionSubscribed") -> uuid.UUID:
    inst = world.institution
    apply(world.db, event, {"institution_id": inst, "name": name, "kind": "academic", "class_size": 40,
                            "minimum_mentors": 25, "subscription_status": "active"}, time=time)
    return inst


def _studies(stage, year) -> dict:
    return {"training_stage": stage, "expected_graduation_year": year}


def test_a_mentor_sees_who_is_asking_before_answering_and_beside_the_mentorship(world):
    _institution(world, "Lakeshore School of Medicine")
    mentor = world.mentor()
    mentee = world.mentee(enrollment=_studies("medical_student", 2027))
    req = world.request(mentee, mentor)
    card = {"user_id": str(mentee.id), "name": mentee.name, "institution_id": str(mentee.institution_id),
            "institution_name": "Lakeshore School of Medicine", "training_stage": "medical_student",
            "expected_graduation_year": 2027}
    listed = world.get("/requests", mentor, expect=200).get_json()
    assert [r["mentee"] for r in listed] == [card]
    one = world.get(f"/requests/{req['id']}", mentor, expect=200).get_json()
    assert one["mentee"] == card and one["goals"] == ["residency applications", "research"]
    assert one["mentee_contact"] is None  # the e-mail only once accepted
    assert req["mentee"] == card  # the mentee sees what the mentor sees
    world.accept(mentor, req["id"])
    [ms] = world.get("/mentorships", mentor, expect=200).get_json()
    assert ms["mentee"] == card and ms["mentee_contact"]["email"] == mentee.email
    for body in (listed, one, ms):
        text = json.dumps(body).lower()
        assert not [w for w in SENSITIVE_WORDS if w in text], text


def test_the_card_follows_the_latest_event_in_any_order(world):
    inst = _institution(world, "Old Name College", time=T0)
    mentor = world.mentor()
    mentee = world.mentee(enrollment={"institution_name": "Old Name College", **_studies("premedical", 2030)})
    req = world.request(mentee, mentor)

    def card():
        return world.get(f"/requests/{req['id']}", mentor, expect=200).get_json()["mentee"]

    assert (card()["institution_name"], card()["training_stage"]) == ("Old Name College", "premedical")
    # a rename after the enrollment; an older event arriving late changes nothing
    now = datetime.now(timezone.utc)
    _institution(world, "New Name University", time=now + timedelta(minutes=1), event="InstitutionUpdated")
    _institution(world, "Stale Name", time=now - timedelta(minutes=1), event="InstitutionUpdated")
    assert card()["institution_name"] == "New Name University"
    # the mentee changes their training stage and year; a late older update and a repeat change nothing
    update = {"user_id": mentee.id, "institution_id": inst, **_studies("medical_student", 2029)}
    body = apply_profile(world, update, now + timedelta(minutes=1))
    apply_profile(world, {**update, **_studies("resident", None)}, now - timedelta(minutes=1))
    handle_event(world.db, handlers, "MenteeProfileUpdated", {}, body=body)
    assert {k: card()[k] for k in ("training_stage", "expected_graduation_year")} == _studies("medical_student", 2029)
    # a cleared stage is cleared
    apply_profile(world, {**update, **_studies(None, None)}, now + timedelta(minutes=2))
    assert (card()["training_stage"], card()["expected_graduation_year"]) == (None, None)


def apply_profile(world, data, time):
    return handle_event(world.db, handlers, "MenteeProfileUpdated", data, time=time)


def test_an_update_before_the_enrollment_is_kept_and_older_publishers_still_load(world):
    mentor = world.mentor()
    uid = uuid.uuid4()
    # the profile update overtakes the (older) enrollment event: the update's values stay
    apply(world.db, "MenteeProfileUpdated", {"user_id": uid, "institution_id": world.institution,
                                             **_studies("fellow", 2026)}, time=datetime.now(timezone.utc))
    apply(world.db, "MenteeEnrolled", {"user_id": uid, "institution_id": world.institution, "name": "Ada Early",
                                       "email": "ada@example.org", **_studies("resident", 2025)},
          time=datetime.now(timezone.utc) - timedelta(minutes=5))
    # an enrollment event of an older publisher (no optional fields) loads, and names no institution
    assert registry.by_name("MenteeEnrolled").load(
        {"user_id": str(uid), "institution_id": str(world.institution), "name": "A", "email": "a@example.org"}
    )["training_stage"] is None
    mentee = Person(uid, world.institution, "mentee", "Ada Early", "ada@example.org",
                    bearer(world.keys.mint("mentee", sub=uid, inst=world.institution)))
    world.train(mentee)
    req = world.request(mentee, mentor)
    assert req["mentee"] == {"user_id": str(uid), "name": "Ada Early", "institution_id": str(world.institution),
                             "institution_name": None, "training_stage": "fellow", "expected_graduation_year": 2026}


def test_me_tells_a_mentor_their_capacity(world):
    mentor = world.mentor()
    me = world.get("/me", mentor, expect=200).get_json()
    assert me == {"user_id": str(mentor.id), "role": "mentor", "status": "active", "trained": True,
                  "published": True, "scope": "national", "active_mentees": 0, "max_active_mentees": 3,
                  "open_slots": 3, "at_capacity": False}
    mentees = [world.mentee() for _ in range(4)]
    reqs = [world.request(m, mentor)["id"] for m in mentees]
    accepted = [world.accept(mentor, r) for r in reqs[:3]]
    me = world.get("/me", mentor, expect=200).get_json()
    assert (me["active_mentees"], me["open_slots"], me["at_capacity"]) == (3, 0, True)
    # the fourth was declined by the platform when the third was accepted ("at capacity")
    fourth = world.get(f"/requests/{reqs[3]}", mentor, expect=200).get_json()
    assert (fourth["status"], fourth["declined_automatically"], fourth["decline_reason"]) == \
        ("declined", True, "at capacity")
    world.post(f"/mentorships/{accepted[0]['mentorship_id']}/conclude", {"reason": "goals reached"}, mentor,
               expect=200)
    me = world.get("/me", mentor, expect=200).get_json()
    assert (me["active_mentees"], me["open_slots"], me["at_capacity"]) == (2, 1, False)
    # a mentee: the mentor's fields are empty
    mentee = world.get("/me", mentees[0], expect=200).get_json()
    assert (mentee["role"], mentee["status"], mentee["trained"], mentee["active_mentees"], mentee["at_capacity"]) == \
        ("mentee", "active", True, None, None)
    # someone whose enrollment has not arrived is pending; other roles are refused
    stranger = world.person("mentor", enrolled=False, trained=False)
    assert world.get("/me", stranger, expect=200).get_json()["status"] == "pending"
    world.get("/me", world.admin(), expect=403)
    world.get("/me", None, expect=401)
