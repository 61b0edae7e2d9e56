"""End to end through the gateway, on the platform as `make up` runs it: the identity demo enrols
mentors (MentorEnrolled reaches the directory's worker), TrainingCompleted arrives on the broker for
mentor1 and mentor2 of each institution (as the training service sends it), the directory demo
fills and publishes profiles through the gateway, and mentees search through the gateway — a local
mentor reaching only their own institution's mentees."""
from __future__ import annotations

from datetime import datetime, timezone

import jwt
import requests

from demo import directory as directory_demo
from demo import identity as identity_demo
from demo.client import Client
from shared.events import envelope
from shared.testing import publish_events

PREFIX = "/api/v1/directory"


def _claims(client: Client, login: dict) -> dict:
    token = client.post("/api/v1/identity/auth/token", json={"email": login["email"], "password": login["password"]},
                        expect=(200,))["access_token"]
    return {**jwt.decode(token, options={"verify_signature": False}), "token": token}


def _publish_training_completed(people: list[dict]) -> None:
    publish_events([envelope.build("TrainingCompleted", {
        "user_id": p["sub"], "institution_id": p["inst"], "track": "mentor", "curriculum_version": 1,
        "completed_at": datetime.now(timezone.utc)}) for p in people])


def test_demo_profiles_published_and_searched_through_the_gateway(platform):
    from demo.loader import OPERATOR, ensure_operator

    ensure_operator()
    client = Client(platform)
    logins = {"operator": dict(OPERATOR)}
    identity_demo.load(client, logins)
    mentors = {k: _claims(client, v) for k, v in logins.items() if v["role"] == "mentor"}
    _publish_training_completed([c for k, c in mentors.items() if k.split()[1] in directory_demo.TRAINED])
    summary = directory_demo.load(client, logins)
    assert len(summary["published"]) == 2 * len({k.split()[0] for k in mentors})
    assert all(k.endswith("mentor3") for k in summary["drafts"])
    assert directory_demo.load(client, logins) == summary  # running it again changes nothing

    lakeside = _claims(client, logins["lakeside mentee1"])
    metro = _claims(client, logins["metropolitan mentee1"])

    def search(who, **params):
        r = requests.get(platform + PREFIX + "/mentors", params=params, timeout=30,
                         headers={"Authorization": f"Bearer {who['token']}"})
        assert r.status_code == 200, r.text
        return r.json()

    # lakeside mentor2 is local (institutions in name order take PROFILES variants 0, 1, 2, ...)
    local = mentors["lakeside mentor2"]["sub"]
    assert local in [r["id"] for r in search(lakeside, per_page=50)["results"]]
    everyone_metro = search(metro, per_page=50)
    assert local not in [r["id"] for r in everyone_metro["results"]]
    assert mentors["lakeside mentor1"]["sub"] in [r["id"] for r in everyone_metro["results"]]  # national
    r = requests.get(f"{platform}{PREFIX}/mentors/{local}", timeout=30,
                     headers={"Authorization": f"Bearer {metro['token']}"})
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    # free text and a filter, through nginx
    hits = search(lakeside, q="cardiologist trials", specialty="Cardiology")
    assert hits["total"] >= 1 and all("Cardiology" in h["specialties"] for h in hits["results"])
    # the admin sees drafts with what they lack
    admin = _claims(client, logins["lakeside admin"])
    r = requests.get(f"{platform}{PREFIX}/institutions/{admin['inst']}/mentors", timeout=30,
                     headers={"Authorization": f"Bearer {admin['token']}"})
    rows = {row["id"]: row for row in r.json()}
    draft = rows[mentors["lakeside mentor3"]["sub"]]
    assert draft["published"] is False and "time_windows" in draft["missing_fields"]
