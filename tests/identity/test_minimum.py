"""R1: InstitutionBelowMinimum, recorded once when a change takes an institution's active mentors from at
or above its minimum to below it — an ejection, a deactivation, or a class size or kind that raises the
minimum — and never for an HBCU; two concurrent ejections report the crossing exactly once."""
from __future__ import annotations

import threading
import uuid

import pytest

from services.identity import service
from shared.testing import outbox_events


def below(database, inst) -> list[dict]:
    return outbox_events(database, "InstitutionBelowMinimum", institution_id=inst["id"])


def mentors(world, inst, admin, n: int) -> list[str]:
    """n active mentors of the institution (invited and accepted through the API); their ids."""
    version = world.agreement_version("mentor")
    return [world.accept(world.mentor_invitation(inst, admin)["token"], accept_agreement_version=version)["id"]
            for _ in range(n)]


def at_minimum(world, **institution) -> tuple[dict, dict, list[str]]:
    inst = world.institution(class_size=40, **institution)  # under 50: minimum 25
    admin = world.admin(inst)
    return inst, admin, mentors(world, inst, admin, 25)


def eject(database, user_id: str) -> None:
    with database.unit_of_work() as session:
        service.eject_mentor(session, uuid.UUID(user_id), "unresponsive: 3 requests expired unanswered")


def compliance(world, inst) -> dict:
    return world.get(f"/institutions/{inst['id']}/compliance", world.operator["headers"], expect=200).get_json()


def test_an_ejection_that_crosses_the_minimum_is_reported_once(world, identity_db):
    inst, admin, ids = at_minimum(world)
    assert compliance(world, inst)["shortfall"] == 0
    eject(identity_db, ids[0])
    [event] = below(identity_db, inst)
    assert event["subject"] == f"institutions/{inst['id']}"
    assert event["data"] == {"institution_id": inst["id"], "enrolled_mentors": 24, "active_mentors": 24, "minimum_mentors": 25}
    # already below: a further ejection or deactivation reports nothing
    eject(identity_db, ids[1])
    world.post(f"/users/{ids[2]}/deactivate", {"reason": "moved away"}, admin["headers"], expect=200)
    assert len(below(identity_db, inst)) == 1
    assert compliance(world, inst)["enrolled_mentors"] == 22
    # back at the minimum (reinstated, newly admitted) and below again: reported again
    for user_id in ids[:2]:
        world.post(f"/users/{user_id}/reinstate", {"reason": "explained"}, world.operator["headers"], expect=200)
    mentors(world, inst, admin, 1)
    assert compliance(world, inst)["enrolled_mentors"] == 25 and len(below(identity_db, inst)) == 1
    eject(identity_db, ids[0])
    assert [e["data"]["enrolled_mentors"] for e in below(identity_db, inst)] == [24, 24]


def test_a_deactivation_that_crosses_the_minimum_is_reported_once(world, identity_db):
    inst, admin, ids = at_minimum(world)
    # deactivating people who are not active mentors changes nothing
    mentee = world.mentee(inst, admin)
    world.post(f"/users/{mentee['id']}/deactivate", {"reason": "left"}, admin["headers"], expect=200)
    assert below(identity_db, inst) == []
    world.post(f"/users/{ids[0]}/deactivate", {"reason": "retired"}, admin["headers"], expect=200)
    [event] = below(identity_db, inst)
    assert event["data"] == {"institution_id": inst["id"], "enrolled_mentors": 24, "active_mentors": 24, "minimum_mentors": 25}
    world.post(f"/users/{ids[1]}/deactivate", {"reason": "retired"}, world.operator["headers"], expect=200)
    assert len(below(identity_db, inst)) == 1


def test_no_report_when_already_below(world, identity_db):
    inst = world.institution(class_size=40)
    admin = world.admin(inst)
    ids = mentors(world, inst, admin, 3)
    eject(identity_db, ids[0])
    world.post(f"/users/{ids[1]}/deactivate", {"reason": "retired"}, admin["headers"], expect=200)
    world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json={"class_size": 150},
                  headers=world.operator["headers"])
    assert below(identity_db, inst) == []


def test_an_hbcu_never_falls_below(world, identity_db):
    inst = world.institution(kind="hbcu", class_size=120)
    admin = world.admin(inst)
    ids = mentors(world, inst, admin, 2)
    eject(identity_db, ids[0])
    world.post(f"/users/{ids[1]}/deactivate", {"reason": "retired"}, admin["headers"], expect=200)
    world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json={"class_size": 20},
                  headers=world.operator["headers"])
    assert compliance(world, inst)["enrolled_mentors"] == 0 and below(identity_db, inst) == []


def test_a_new_class_size_or_kind_that_raises_the_minimum_past_the_count(world, identity_db):
    op = world.operator["headers"]
    inst, admin, ids = at_minimum(world)

    def patch(body):
        r = world.c.patch(f"/api/v1/identity/institutions/{inst['id']}", json=body, headers=op)
        assert r.status_code == 200, r.get_json()

    patch({"name": f"Renamed {uuid.uuid4().hex[:6]}", "class_size": 45})  # still minimum 25: nothing
    assert below(identity_db, inst) == []
    patch({"class_size": 80})  # minimum 50 with 25 active mentors
    [event] = below(identity_db, inst)
    assert event["data"] == {"institution_id": inst["id"], "enrolled_mentors": 25, "active_mentors": 25, "minimum_mentors": 50}
    patch({"class_size": 150})  # minimum 75: already below
    assert len(below(identity_db, inst)) == 1
    patch({"kind": "hbcu"})  # no minimum: not below any more
    patch({"kind": "academic", "class_size": 30})  # minimum 25 with 25: at the minimum, not below
    assert len(below(identity_db, inst)) == 1
    patch({"class_size": 60})  # minimum 50 again: a new crossing
    assert [e["data"]["minimum_mentors"] for e in below(identity_db, inst)] == [50, 50]

    # an HBCU without mentors that becomes an academic institution falls below at once
    hbcu = world.institution(kind="hbcu", class_size=70)
    r = world.c.patch(f"/api/v1/identity/institutions/{hbcu['id']}", json={"kind": "academic"}, headers=op)
    assert r.status_code == 200
    [event] = below(identity_db, hbcu)
    assert event["data"] == {"institution_id": hbcu["id"], "enrolled_mentors": 0, "active_mentors": 0, "minimum_mentors": 50}


@pytest.mark.slow  # two ejections at once, in threads
def test_concurrent_ejections_report_the_crossing_exactly_once(world, identity_db):
    """Two ejections at once from an institution at its minimum: one crosses (reports), the other
    follows it (already below). Five rounds, each brought back to the minimum by reinstatement."""
    inst, admin, ids = at_minimum(world)
    rounds = 5
    for n in range(rounds):
        pair = ids[2 * n: 2 * n + 2]
        barrier = threading.Barrier(2)
        errors = []

        def run(user_id):
            try:
                barrier.wait(timeout=10)
                eject(identity_db, user_id)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(user_id,)) for user_id in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert compliance(world, inst)["enrolled_mentors"] == 23
        events = below(identity_db, inst)
        assert len(events) == n + 1, events
        assert events[-1]["data"]["active_mentors"] == 24
        for user_id in pair:
            world.post(f"/users/{user_id}/reinstate", {"reason": "explained"}, world.operator["headers"], expect=200)
