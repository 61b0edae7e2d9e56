"""Institution admins list their institution's mentors with completeness and publication state;
another institution's admin gets 404; mentees and mentors may not list."""
from __future__ import annotations

from tests.directory.conftest import FULL_PROFILE


def test_admin_lists_their_mentors_with_completeness_and_published_state(world):
    inst, other = world.institution(), world.institution()
    published = world.mentor(inst, name="Dr. Published", profile=FULL_PROFILE)
    draft = world.mentor(inst, name="Dr. Draft", trained=False, profile={"bio": "Just started"}, publish=False)
    world.mentor(other, name="Dr. Elsewhere")
    rows = world.call("get", f"/institutions/{inst}/mentors", world.admin(inst), expect=200).get_json()
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {published["id"], draft["id"]}
    assert by_id[published["id"]]["published"] is True and by_id[published["id"]]["completeness"] == 100
    assert by_id[draft["id"]]["published"] is False and by_id[draft["id"]]["trained"] is False
    assert "specialties" in by_id[draft["id"]]["missing_fields"] and by_id[draft["id"]]["completeness"] < 50
    assert by_id[draft["id"]]["name"] == "Dr. Draft"
    only = world.call("get", f"/institutions/{inst}/mentors", world.admin(inst), published="true",
                      expect=200).get_json()
    assert [r["id"] for r in only] == [published["id"]]
    assert len(world.call("get", f"/institutions/{inst}/mentors", world.operator(), expect=200).get_json()) == 2


def test_other_institutions_and_other_roles_are_refused(world):
    inst, other = world.institution(), world.institution()
    world.mentor(inst)
    world.call("get", f"/institutions/{inst}/mentors", world.admin(other), expect=404)
    world.call("get", f"/institutions/{inst}/mentors", world.mentee(inst), expect=403)
    world.call("get", f"/institutions/{inst}/mentors", world.headers("mentor", inst=inst), expect=403)
    world.call("get", f"/institutions/{inst}/mentors", None, expect=401)
    r = world.call("get", f"/institutions/{inst}/mentors", world.admin(inst), expect=422, limit=0)
    assert r.content_type == "application/problem+json"
