"""Bulk enrolment through the gateway, on the platform as `make up` runs it (issue 13, item 8): an
institution admin imports a CSV file of 75 mentor invitations; a file with one bad row applies nothing
and names the row and field; the invitees receive their invitation e-mails and one of them accepts."""
from __future__ import annotations

import time
import uuid

import requests

from shared.testing import wait_for_mail
from tests.journeys import institution_with_admin, new_operator

PASSWORD = "a-long-test-password-1"
API = "/api/v1/identity"


def _post(url, path, body, token=None, expect=201):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.post(url + API + path, json=body, headers=headers, timeout=30)
    assert r.status_code == expect, (path, r.status_code, r.text)
    return r.json()


def _sign_in(url, email, password=PASSWORD):
    return _post(url, "/auth/token", {"email": email, "password": password}, expect=200)["access_token"]


def _import(url, inst_id, body: str, token):
    return requests.post(f"{url}{API}/institutions/{inst_id}/mentor-invitations/import", data=body.encode(),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}, timeout=30)


def test_an_admin_imports_75_mentor_invitations_through_the_gateway(platform, platform_mail_dir):
    tag = uuid.uuid4().hex[:8]
    op = new_operator(platform, "Gateway Operator")
    inst, admin = institution_with_admin(platform, op, tag, name="Import School", class_size=120)

    rows = [(f"Dr. Mentor {i}", f"mentor{i}-{tag}@example.org", "teaching_award;first_generation",
             f"Teaching award {2000 + i % 25}") for i in range(1, 76)]
    good = "name,email,criteria,evidence\r\n" + "".join(",".join(r) + "\r\n" for r in rows)

    # one bad row among 75 (row 41 of the file: a criterion no one can be admitted on): nothing applied
    bad = good.replace(
        f"mentor40-{tag}@example.org,teaching_award;first_generation", f"mentor40-{tag}@example.org,kindness")
    r = _import(platform, inst["id"], bad, admin)
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json"), r.text
    problem = r.json()
    assert [(e["pointer"], e["row"], e["column"]) for e in problem["errors"]] == [
        ("#/rows/41/criteria", 41, "criteria")]
    assert "“kindness” is not an admission criterion" in problem["errors"][0]["detail"]
    assert "row 41" in problem["detail"]
    listed = requests.get(f"{platform}{API}/institutions/{inst['id']}/invitations",
                          headers={"Authorization": f"Bearer {admin}"}, timeout=30).json()
    assert not [i for i in listed if i["kind"] == "mentor"]

    started = time.perf_counter()
    r = _import(platform, inst["id"], good, admin)
    elapsed = time.perf_counter() - started
    print(f"\nimport of 75 mentor invitations through the gateway: {elapsed:.3f} s")
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["count"] == 75 and [i["email"] for i in created["invitations"]] == [row[1] for row in rows]

    # the same file again: every row is now an address with a pending invitation
    r = _import(platform, inst["id"], good, admin)
    assert r.status_code == 422 and len(r.json()["errors"]) == 75

    # InvitationIssued reached notifications: the first and the last invitee have their e-mail
    for row in (rows[0], rows[-1]):
        wait_for_mail(platform_mail_dir, row[1], timeout=60)
    # and an invitee accepts, becoming an enrolled mentor of the institution
    version = requests.get(f"{platform}{API}/agreements/mentor/current", timeout=10).json()["version"]
    mentor = _post(platform, "/invitations/accept", {"token": created["invitations"][0]["token"], "password": PASSWORD,
                                                     "accept_agreement_version": version})
    assert mentor["role"] == "mentor" and mentor["institution_id"] == inst["id"]
