"""The mentor's own profile: a draft on MentorEnrolled, edits by its owner only, publication (R9) and
its refusals, unpublishing; no payload can set published, status, institution or counts; bad input is
422 problem+json and writes nothing."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from shared.testing import outbox_events
from tests.directory.conftest import FULL_PROFILE, deliver


def snapshot(database, user_id) -> tuple:
    with database.sessions() as conn:
        row = conn.execute(sa.text("SELECT to_jsonb(p) - 'search_vector' FROM mentor_profiles p WHERE user_id = :u"),
                           {"u": user_id}).scalar_one()
        outbox = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    return row, outbox


def test_enrolment_creates_a_draft_named_after_the_mentor(world):
    inst = world.institution()
    m = world.mentor(inst, name="Dr. Kwame Mensah", trained=False)
    own = world.call("get", "/me/profile", m["headers"], expect=200).get_json()
    assert own["id"] == m["id"] and own["institution_id"] == str(inst)
    assert own["display_name"] == "Dr. Kwame Mensah" and own["published"] is False and own["trained"] is False
    assert own["status"] == "active" and own["open_slots"] == 3 and own["active_mentees"] == 0
    assert "specialties" in own["missing_fields"] and 0 < own["completeness"] < 50
    # a repeated MentorEnrolled changes nothing
    deliver(world.db, "MentorEnrolled", {"user_id": m["uuid"], "institution_id": inst, "name": "Dr. Kwame Mensah",
                                         "email": "k@example.org"})
    assert world.call("get", "/me/profile", m["headers"], expect=200).get_json()["display_name"] == "Dr. Kwame Mensah"


def test_mentor_fills_and_publishes_with_consent(world):
    inst = world.institution()
    m = world.mentor(inst)
    own = world.call("patch", "/me/profile", m["headers"], FULL_PROFILE, expect=200).get_json()
    assert own["missing_fields"] == [] and own["completeness"] == 100
    assert own["languages"] == ["English", "Spanish"]  # normalised
    r = world.call("post", "/me/profile/publish", m["headers"], {"consent_to_search": False}, expect=422)
    assert r.content_type == "application/problem+json"
    world.call("post", "/me/profile/publish", m["headers"], {}, expect=422)
    own = world.call("post", "/me/profile/publish", m["headers"], {"consent_to_search": True}, expect=200).get_json()
    assert own["published"] is True and own["published_at"]
    [event] = outbox_events(world.db, "MentorProfilePublished", mentor_id=m["id"])
    assert event["data"] == {"mentor_id": m["id"], "institution_id": str(inst), "scope": "national"}
    # publishing again is a no-op; unpublishing records why
    world.call("post", "/me/profile/publish", m["headers"], {"consent_to_search": True}, expect=200)
    assert len(outbox_events(world.db, "MentorProfilePublished", mentor_id=m["id"])) == 1
    own = world.call("post", "/me/profile/unpublish", m["headers"], expect=200).get_json()
    assert own["published"] is False
    [event] = outbox_events(world.db, "MentorProfileUnpublished", mentor_id=m["id"])
    assert event["data"]["reason"] == "mentor"


def test_publishing_needs_training_required_fields_and_an_active_mentor(world):
    inst = world.institution()
    untrained = world.mentor(inst, trained=False, profile=FULL_PROFILE, publish=False)
    r = world.call("post", "/me/profile/publish", untrained["headers"], {"consent_to_search": True}, expect=409)
    assert r.get_json()["type"].endswith("/training-incomplete")
    # training for the mentee track does not count
    deliver(world.db, "TrainingCompleted", {"user_id": untrained["uuid"], "institution_id": inst, "track": "mentee",
                                            "curriculum_version": 1, "completed_at": "2026-01-01T00:00:00+00:00"})
    world.call("post", "/me/profile/publish", untrained["headers"], {"consent_to_search": True}, expect=409)

    incomplete = world.mentor(inst, profile={"bio": "Short bio"}, publish=False)
    r = world.call("post", "/me/profile/publish", incomplete["headers"], {"consent_to_search": True}, expect=409)
    body = r.get_json()
    assert body["type"].endswith("/profile-incomplete") and "specialties" in body["detail"]

    ejected = world.mentor(inst, profile=FULL_PROFILE, publish=False)
    deliver(world.db, "MentorEjected", {"user_id": ejected["uuid"], "institution_id": inst, "reason": "unresponsive"})
    r = world.call("post", "/me/profile/publish", ejected["headers"], {"consent_to_search": True}, expect=409)
    assert r.get_json()["type"].endswith("/mentor-not-active")
    assert world.call("get", "/me/profile", incomplete["headers"], expect=200).get_json()["next_step"] is None
    deliver(world.db, "MentorReinstated", {"user_id": ejected["uuid"], "institution_id": inst, "reason": "ok"})
    # reinstated: the profile stays unpublished, and the mentor is told to review and publish it again
    own = world.call("get", "/me/profile", ejected["headers"], expect=200).get_json()
    assert own["status"] == "active" and own["published"] is False
    assert own["next_step"]["code"] == "review-and-publish-profile" and own["next_step"]["since"]
    assert "stays unpublished until you publish it again" in own["next_step"]["detail"]
    published = world.call("post", "/me/profile/publish", ejected["headers"], {"consent_to_search": True},
                           expect=200).get_json()
    assert published["next_step"] is None


def test_a_published_profile_keeps_its_required_fields_and_a_scope_change_is_announced(world):
    inst = world.institution()
    m = world.mentor(inst, profile=FULL_PROFILE)
    before = snapshot(world.db, m["id"])
    r = world.call("patch", "/me/profile", m["headers"], {"specialties": []}, expect=409)
    assert r.get_json()["type"].endswith("/published-profile-incomplete")
    assert snapshot(world.db, m["id"]) == before
    world.call("patch", "/me/profile", m["headers"], {"scope": "local"}, expect=200)
    scopes = [e["data"]["scope"] for e in outbox_events(world.db, "MentorProfilePublished", mentor_id=m["id"])]
    assert scopes == ["national", "local"]
    world.call("patch", "/me/profile", m["headers"], {"bio": "A new bio."}, expect=200)
    assert len(outbox_events(world.db, "MentorProfilePublished", mentor_id=m["id"])) == 2


@pytest.mark.parametrize("field,value", [
    ("published", True), ("status", "active"), ("institution_id", str(uuid.uuid4())), ("user_id", str(uuid.uuid4())),
    ("id", str(uuid.uuid4())), ("active_mentees", 0), ("open_slots", 3), ("trained", True), ("rank_boost", 9.0),
    ("responsiveness", 1.0), ("response_rate", 1.0), ("published_at", "2026-01-01T00:00:00Z"),
])
def test_no_payload_sets_state_owned_by_the_platform(world, field, value):
    inst = world.institution()
    m = world.mentor(inst, trained=False)
    before = snapshot(world.db, m["id"])
    r = world.call("patch", "/me/profile", m["headers"], {"bio": "x", field: value}, expect=422)
    body = r.get_json()
    assert r.content_type == "application/problem+json" and body["type"].endswith("/validation-error")
    assert {"pointer": f"#/{field}", "detail": "Unknown field."} in body["errors"]
    assert snapshot(world.db, m["id"]) == before


@pytest.mark.parametrize("body,pointer", [
    ({"specialties": ["Astrology"]}, "#/specialties/0"),
    ({"specialties": "Cardiology"}, "#/specialties"),
    ({"state": "ZZ"}, "#/state"),
    ({"scope": "global"}, "#/scope"),
    ({"hours_per_month": "four"}, "#/hours_per_month"),
    ({"hours_per_month": -1}, "#/hours_per_month"),
    ({"meeting_modes": ["carrier pigeon"]}, "#/meeting_modes/0"),
    ({"time_windows": [{"day": "tue", "start": "20:00", "end": "18:00"}]}, "#/time_windows/0/end"),
    ({"time_windows": [{"day": "someday", "start": "18:00", "end": "19:00"}]}, "#/time_windows/0/day"),
    ({"time_windows": [{"day": "tue", "start": "6pm", "end": "19:00"}]}, "#/time_windows/0/start"),
    ({"timezone": "Mars/Olympus_Mons"}, "#/timezone"),
    ({"shared_background": ["urim", "urim"]}, "#/shared_background"),
    ({"shared_background": ["race"]}, "#/shared_background/0"),
    ({"languages": ["English", "English"]}, "#/languages"),
    ({"display_name": ""}, "#/display_name"),
    ({"bio": "x" * 4001}, "#/bio"),
    ({}, "#"),
])
def test_bad_profile_input_is_422_with_a_pointer_and_writes_nothing(world, body, pointer):
    inst = world.institution()
    m = world.mentor(inst, trained=False)
    before = snapshot(world.db, m["id"])
    r = world.call("patch", "/me/profile", m["headers"], body, expect=422)
    assert r.content_type == "application/problem+json"
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]], r.get_json()
    assert snapshot(world.db, m["id"]) == before


def test_every_invalid_field_is_named_at_once_in_words(world):
    m = world.mentor(world.institution(), trained=False)
    before = snapshot(world.db, m["id"])
    r = world.call("patch", "/me/profile", m["headers"], {
        "state": "ZZ", "time_windows": [{"day": "funday", "start": "25:00", "end": "20:00"},
                                        {"day": "mon", "start": "21:00", "end": "20:00"}]}, expect=422)
    errors = {e["pointer"]: e["detail"] for e in r.get_json()["errors"]}
    assert set(errors) == {"#/state", "#/time_windows/0/day", "#/time_windows/0/start", "#/time_windows/1/end"}
    assert errors["#/time_windows/0/start"] == "Give a time of day as HH:MM on the 24-hour clock, such as 18:00."
    assert errors["#/time_windows/1/end"] == "The end time must be after the start time."
    assert snapshot(world.db, m["id"]) == before


def test_refusals_to_publish_name_the_fields_as_the_form_does(world):
    inst = world.institution()
    incomplete = world.mentor(inst, profile={"bio": "Short bio"}, publish=False)
    body = world.call("post", "/me/profile/publish", incomplete["headers"], {"consent_to_search": True},
                      expect=409).get_json()
    assert body["missing_fields"] == ["academic_rank", "specialties", "languages", "city", "state", "scope",
                                      "hours_per_month", "meeting_modes", "time_windows", "timezone"]
    assert body["detail"] == ("Fill in your academic rank, specialties, languages, city, state, whom you mentor, "
                              "hours per month, meeting modes, time windows (days and times) and time zone "
                              "before publishing.")
    published = world.mentor(inst, profile=FULL_PROFILE)
    body = world.call("patch", "/me/profile", published["headers"], {"specialties": [], "timezone": None},
                      expect=409).get_json()
    assert body["missing_fields"] == ["specialties", "timezone"]
    assert body["detail"] == ("A published profile keeps its required fields: to clear your specialties and "
                              "time zone, unpublish your profile first.")
    untrained = world.mentor(inst, trained=False, profile=FULL_PROFILE, publish=False)
    body = world.call("post", "/me/profile/publish", untrained["headers"], {"consent_to_search": True},
                      expect=409).get_json()
    assert body["detail"] == "Complete the mentor training before publishing your profile."
    body = world.call("post", "/me/profile/publish", untrained["headers"], {"consent_to_search": False},
                      expect=422).get_json()
    assert body["errors"][0]["detail"] == ("Publishing is your consent to be found in search: give your consent "
                                           "to publish.")


def test_malformed_json_is_422(world):
    m = world.mentor(world.institution(), trained=False)
    r = world.c.patch("/api/v1/directory/me/profile", data="{not json", headers={**m["headers"],
                                                                                  "Content-Type": "application/json"})
    assert r.status_code == 422 and r.get_json()["type"].endswith("/malformed-json")


def test_only_mentors_have_an_own_profile_and_authentication_comes_first(world):
    inst = world.institution()
    for role in ("mentee", "institution_admin", "operator"):
        world.call("patch", "/me/profile", world.headers(role, inst=inst), {"bio": "x"}, expect=403)
        world.call("post", "/me/profile/publish", world.headers(role, inst=inst), {"consent_to_search": True},
                   expect=403)
    r = world.call("patch", "/me/profile", None, {"published": True}, expect=401)  # 401 before body validation
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # a mentor the directory does not know yet
    r = world.call("get", "/me/profile", world.headers("mentor", inst=inst), expect=404)
    assert r.get_json()["type"].endswith("/no-profile")


@pytest.mark.slow  # searches: the search reads what was committed
def test_a_mentor_edits_only_their_own_profile(world):
    inst = world.institution()
    a = world.mentor(inst, profile=FULL_PROFILE)
    b = world.mentor(inst, trained=False)
    world.call("patch", "/me/profile", b["headers"], {"bio": "B's bio"}, expect=200)
    assert world.call("get", f"/mentors/{a['id']}", a["headers"], expect=200).get_json()["bio"] == FULL_PROFILE["bio"]
    # there is no route that takes another mentor's id for writing
    world.call("patch", f"/mentors/{a['id']}", b["headers"], {"bio": "hijack"}, expect=405)


def test_specialties_list_is_shipped(client):
    r = client.get("/api/v1/directory/specialties")
    names = r.get_json()["specialties"]
    assert r.status_code == 200 and len(names) >= 40 and "Family Medicine" in names and names == sorted(names)
