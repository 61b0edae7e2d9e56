"""Institution event feeds (R18): webhooks signed the Standard Webhooks way and verified by a real
receiver, retries with growing delays in the delivery log, replays with the same webhook-id, disabling
of a subscription that keeps failing, secret rotation; the pull feed and its cursor; and institution A
never receives an event about institution B's members."""
from __future__ import annotations

import json
import time
import uuid
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notifications import jobs
from tests.notifications.conftest import apply, count, now, settings_for

pytestmark = pytest.mark.slow  # webhook deliveries to a receiver, retried in real time

FAST = {"NOTIFICATIONS_WEBHOOK_RETRY_BASE": "PT1S", "NOTIFICATIONS_WEBHOOK_RETRY_MAX": "PT8S",
        "NOTIFICATIONS_WEBHOOK_RETRY_FOR": "PT1H", "NOTIFICATIONS_WEBHOOK_TIMEOUT": "3"}


def _run_jobs(database, **overrides) -> None:
    settings = settings_for(**{**FAST, **overrides})
    jobs.sequence_feed(database, settings)
    jobs.deliver_webhooks(database, settings)


@pytest.fixture()
def subscribe(world):
    made = []

    def make(admin, url, types=("RequestCreated", "MentorEnrolled", "MentorEjected"), **extra):
        r = world.call("POST", f"/institutions/{admin.institution_id}/webhooks", admin, 201,
                       json={"url": url, "event_types": list(types), **extra})
        made.append((admin, r.get_json()["id"]))
        return r.get_json()

    yield make
    for admin, sub_id in made:  # leave nothing due for other tests' job runs
        world.call("DELETE", f"/webhooks/{sub_id}", admin)


def _verify(secret: str, received) -> dict:
    return Webhook(secret).verify(received.body, {k: v for k, v in received.headers.items()
                                                  if k.startswith("webhook-")})


def test_deliveries_are_signed_and_carry_the_minimised_cloudevent(world, notifications_db, receiver, subscribe):
    inst, other = world.institution(), world.institution()
    admin = world.person("institution_admin", inst)
    sub = subscribe(admin, receiver.url)
    assert sub["secret"].startswith("whsec_") and sub["status"] == "active"
    assert "secret" not in world.call("GET", f"/webhooks/{sub['id']}", admin, 200).get_json()
    mentor, mentee = world.person("mentor", inst), world.person("mentee", other)
    data = world.request(mentee, mentor)
    _run_jobs(notifications_db)
    types = {e["type"] for e in receiver.events()}
    assert types == {"org.mentormemed.identity.MentorEnrolled.v1", "org.mentormemed.mentorship.RequestCreated.v1"}
    created = next(r for r in receiver.requests if b"RequestCreated" in r.body)
    payload = _verify(sub["secret"], created)
    assert payload["specversion"] == "1.0" and payload["source"] == "/services/mentorship"
    assert payload["data"] == {"institution_id": str(inst), "mentor_id": str(mentor.id),
                               "request_id": str(data["request_id"]), "created_at": payload["data"]["created_at"],
                               "respond_by": payload["data"]["respond_by"]}
    assert str(mentee.id) not in created.body.decode() and str(other) not in created.body.decode()
    enrolled = next(r for r in receiver.requests if b"MentorEnrolled" in r.body)
    assert mentor.email.encode() not in enrolled.body and mentor.name.encode() not in enrolled.body
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(created.body, {k: v for k, v in created.headers.items()
                                                                   if k.startswith("webhook-")})


def test_a_failing_receiver_gets_retries_with_growing_delays_then_a_replay_keeps_the_webhook_id(
        world, notifications_db, receiver, subscribe):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    receiver.status = lambda n: 503 if n <= 4 else 204
    sub = subscribe(admin, receiver.url, types=("MentorEjected",))
    mentor = world.person("mentor", inst)
    apply(notifications_db, "MentorEjected", {"user_id": mentor.id, "institution_id": inst, "reason": "2 expired"})
    deadline = time.monotonic() + 60
    while len(receiver.requests) < 5 and time.monotonic() < deadline:
        _run_jobs(notifications_db)
        time.sleep(0.2)
    assert len(receiver.requests) == 5
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # the same message on every attempt
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:])]
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6 and gaps[2] >= 3.2 and gaps[3] >= 6.0, gaps  # 1, 2, 4, 8 s ±10 %
    (delivery,) = world.call("GET", f"/webhooks/{sub['id']}/deliveries", admin, 200).get_json()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 5
    assert [a["status_code"] for a in delivery["attempt_log"]] == [503, 503, 503, 503, 204]
    assert [a["error"] for a in delivery["attempt_log"]][:4] == ["HTTP 503"] * 4
    assert all(a["next_attempt_at"] for a in delivery["attempt_log"][:4]) and not delivery["attempt_log"][4]["next_attempt_at"]
    assert delivery["webhook_id"] == ids.pop()

    replayed = world.call("POST", f"/webhooks/{sub['id']}/deliveries/{delivery['id']}/replay", admin, 202).get_json()
    assert replayed["status"] == "pending"
    _run_jobs(notifications_db)
    assert len(receiver.requests) == 6
    assert receiver.requests[-1].headers["webhook-id"] == delivery["webhook_id"]
    assert receiver.requests[-1].body == receiver.requests[0].body
    _verify(sub["secret"], receiver.requests[-1])
    log = world.call("GET", f"/webhooks/{sub['id']}/deliveries", admin, 200).get_json()[0]["attempt_log"]
    assert len(log) == 6 and log[-1]["replay"] is True and log[-1]["status_code"] == 204


def test_a_subscription_that_keeps_failing_is_disabled_and_its_admins_told(world, notifications_db, receiver, subscribe):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    receiver.status = 500
    sub = subscribe(admin, receiver.url, types=("MentorEnrolled",))
    world.person("mentor", inst)
    world.person("mentor", inst)
    _run_jobs(notifications_db, NOTIFICATIONS_WEBHOOK_DISABLE_AFTER="PT2S")
    assert len(receiver.requests) == 2
    time.sleep(2.2)
    with notifications_db.unit_of_work() as session:
        session.connection().exec_driver_sql(
            "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE subscription_id = %s", (uuid.UUID(sub["id"]),))
    _run_jobs(notifications_db, NOTIFICATIONS_WEBHOOK_DISABLE_AFTER="PT2S")
    state = world.call("GET", f"/webhooks/{sub['id']}", admin, 200).get_json()
    assert state["status"] == "disabled" and state["disabled_reason"].startswith("every delivery failed since")
    statuses = {d["status"] for d in world.call("GET", f"/webhooks/{sub['id']}/deliveries", admin, 200).get_json()}
    assert statuses == {"cancelled"}
    notice = [i for i in world.inbox(admin)["items"] if i["category"] == "admin_webhook_disabled"]
    assert len(notice) == 1 and receiver.url in notice[0]["body"]
    sent = len(receiver.requests)
    world.person("mentor", inst)
    _run_jobs(notifications_db)
    assert len(receiver.requests) == sent  # nothing more to a disabled subscription
    cancelled = world.call("GET", f"/webhooks/{sub['id']}/deliveries", admin, 200).get_json()[0]
    replay = world.call("POST", f"/webhooks/{sub['id']}/deliveries/{cancelled['id']}/replay", admin, 409)
    assert replay.get_json()["type"].endswith("subscription-disabled")
    receiver.status = 204
    world.call("PATCH", f"/webhooks/{sub['id']}", admin, 200, json={"active": True})
    world.person("mentor", inst)
    _run_jobs(notifications_db)
    assert len(receiver.requests) == sent + 1


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(world, notifications_db, receiver, subscribe):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    sub = subscribe(admin, receiver.url, types=("MentorEnrolled",))
    rotated = world.call("POST", f"/webhooks/{sub['id']}/secret", admin, 200).get_json()
    assert rotated["secret"] != sub["secret"]
    world.person("mentor", inst)
    _run_jobs(notifications_db)
    (received,) = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    _verify(rotated["secret"], received)
    _verify(sub["secret"], received)


def test_feeds_and_webhooks_of_institution_a_never_carry_institution_b_members(world, notifications_db, subscribe):
    from tests.notifications.conftest import Receiver

    a, b = world.institution(), world.institution()
    admin_a, admin_b = world.person("institution_admin", a), world.person("institution_admin", b)
    all_types = [t["name"] for t in world.call("GET", "/event-types", None, 200).get_json()]
    with Receiver() as hook_a, Receiver() as hook_b:
        subscribe(admin_a, hook_a.url, types=all_types)
        subscribe(admin_b, hook_b.url, types=all_types)
        people = {a: [world.person("mentor", a), world.person("mentee", a)],
                  b: [world.person("mentor", b), world.person("mentee", b)]}
        (mentor_a, mentee_a), (mentor_b, mentee_b) = people[a], people[b]
        t = now()
        for mentee, mentor in ((mentee_a, mentor_b), (mentee_b, mentor_a), (mentee_a, mentor_a)):
            req = world.request(mentee, mentor)
            base = {"request_id": req["request_id"], "mentee_id": mentee.id, "mentor_id": mentor.id}
            apply(notifications_db, "RequestAccepted", {**base, "mentorship_id": uuid.uuid4(), "created_at": t,
                                                        "responded_at": t})
            apply(notifications_db, "MentorshipStarted", {
                "mentorship_id": uuid.uuid4(), "mentor_id": mentor.id, "mentee_id": mentee.id, "request_id": base["request_id"],
                "mentor_institution_id": mentor.institution_id, "mentee_institution_id": mentee.institution_id,
                "started_at": t})
        apply(notifications_db, "MentorEjected", {"user_id": mentor_b.id, "institution_id": b, "reason": "expired"})
        apply(notifications_db, "InstitutionBelowMinimum", {"institution_id": b, "active_mentors": 1,
                                                            "minimum_mentors": 50})
        _run_jobs(notifications_db)
        feed_a = world.call("GET", "/feed", admin_a, 200, query_string={"limit": 500}).get_json()["events"]
        feed_b = world.call("GET", "/feed", admin_b, 200, query_string={"limit": 500}).get_json()["events"]
        for feed, hooks, own, foreign, foreign_inst in ((feed_a, hook_a, people[a], people[b], b),
                                                        (feed_b, hook_b, people[b], people[a], a)):
            assert len(feed) >= 10
            texts = [json.dumps(e) for e in feed] + [r.body.decode() for r in hooks.requests]
            assert len(hooks.requests) == len(feed)
            for text in texts:
                for person in foreign:
                    assert str(person.id) not in text
                assert str(foreign_inst) not in text
            assert all(str(p.id) in "".join(texts) for p in own)
            assert sorted(e["id"] for e in feed) == sorted(json.loads(r.body)["id"] for r in hooks.requests)
        assert any(e["type"].endswith("InstitutionBelowMinimum.v1") for e in feed_b)
        assert not any(e["type"].endswith("InstitutionBelowMinimum.v1") for e in feed_a)


def test_the_feed_pages_from_a_stable_cursor(world, notifications_db):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    mentors = [world.person("mentor", inst) for _ in range(7)]
    jobs.sequence_feed(notifications_db, settings_for())
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"after": cursor} if cursor else {})}
        page = world.call("GET", "/feed", admin, 200, query_string=params).get_json()
        seen += page["events"]
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages == 3 and len(seen) == 8  # the admin's and the seven mentors' enrollments
    assert [e["data"]["user_id"] for e in seen][1:] == [str(m.id) for m in mentors]
    assert world.call("GET", "/feed", admin, 200, query_string={"after": cursor}).get_json()["events"] == []
    late = world.person("mentor", inst)
    assert world.call("GET", "/feed", admin, 200, query_string={"after": cursor}).get_json()["events"] == []  # not yet sequenced
    jobs.sequence_feed(notifications_db, settings_for())
    page = world.call("GET", "/feed", admin, 200, query_string={"after": cursor}).get_json()
    assert [e["data"]["user_id"] for e in page["events"]] == [str(late.id)]
    only = world.call("GET", "/feed", admin, 200, query_string={"type": "InstitutionAdminEnrolled"}).get_json()
    assert [e["data"]["user_id"] for e in only["events"]] == [str(admin.id)]
    bad = world.call("GET", "/feed", admin, 422, query_string={"after": "not-a-cursor"}).get_json()
    assert bad["errors"][0]["parameter"] == "after"


def test_an_operator_reads_a_named_institution_feed(world, notifications_db):
    inst = world.institution()
    world.person("institution_admin", inst)
    jobs.sequence_feed(notifications_db, settings_for())
    op = world.operator()
    assert world.call("GET", "/feed", op, 422).get_json()["errors"][0]["parameter"] == "institution_id"
    events = world.call("GET", "/feed", op, 200, query_string={"institution_id": str(inst)}).get_json()["events"]
    assert len(events) == 1


def test_the_asyncapi_document_describes_every_subscribable_event(world):
    doc = world.call("GET", "/asyncapi.json", None, 200).get_json()
    assert doc["asyncapi"] == "3.0.0"
    names = {t["name"] for t in world.call("GET", "/event-types", None, 200).get_json()}
    assert set(doc["channels"]) == names == set(doc["components"]["messages"])
    payload = doc["components"]["messages"]["RequestCreated"]["payload"]
    assert payload["properties"]["type"]["const"] == "org.mentormemed.mentorship.RequestCreated.v1"
    data = payload["properties"]["data"]["properties"]
    assert set(data) == {"institution_id", "mentee_id", "mentor_id", "request_id", "created_at", "respond_by"}
    assert data["respond_by"] == {"type": "string", "format": "date-time"}
    for message in doc["components"]["messages"].values():
        assert not {"name", "email", "token"} & set(message["payload"]["properties"]["data"]["properties"])


def test_urls_to_private_addresses_are_refused_unless_allowed(world, notifications_db, monkeypatch):
    inst = world.institution()
    admin = world.person("institution_admin", inst)
    from services.notifications import service
    from shared.auth import Principal

    principal = Principal(admin.id, "institution_admin", inst)
    strict = settings_for(NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE="off")
    before = count(notifications_db, "SELECT count(*) FROM webhook_subscriptions")
    for url in ("https://127.0.0.1/hook", "https://10.0.0.5/hook", "https://[::1]/hook", "https://localhost/hook",
                "http://hooks.example.org/hook", "https://169.254.169.254/latest"):
        with notifications_db.unit_of_work() as session, pytest.raises(Exception) as refused:
            service.subscribe(session, strict, principal, inst, {"url": url, "event_types": ["MentorEnrolled"]})
        assert refused.value.status == 422 and refused.value.extra["errors"][0]["pointer"] == "#/url", url
    # A public-looking name that resolves to a private address is refused after resolution.
    fake = lambda host, port, type=None: [(2, 1, 6, "", ("192.168.7.7", port))]  # noqa: E731
    with pytest.raises(Exception, match="private"):
        service.check_webhook_url("https://hooks.example.org/x", False, resolve=fake)
    public = lambda host, port, type=None: [(2, 1, 6, "", ("93.184.216.34", port))]  # noqa: E731
    service.check_webhook_url("https://hooks.example.org/x", False, resolve=public)
    assert count(notifications_db, "SELECT count(*) FROM webhook_subscriptions") == before


def test_delivery_checks_the_address_again(world, notifications_db):
    from services.notifications import senders

    attempt = senders.deliver(settings_for(NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE="off"), "https://127.0.0.1:9/x",
                              "msg_x", b"{}", ["whsec_" + "A" * 43 + "="])
    assert attempt.status_code is None and "loopback" in attempt.error
