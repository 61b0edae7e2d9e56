"""Bulk enrolment (issue 13, item 8): a CSV file of mentor or mentee invitations, checked as a whole,
all invitations and their InvitationIssued events written or none."""
from __future__ import annotations

import time
import uuid

import sqlalchemy as sa

from shared.testing import outbox_events
from tests.identity.conftest import PREFIX, unique_email

CSV = {"Content-Type": "text/csv"}


def mentor_csv(rows: list[tuple], header: str = "name,email,criteria,evidence") -> bytes:
    lines = [header] + [",".join(f'"{v}"' if "," in v else v for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def mentor_rows(n: int, tag: str | None = None) -> list[tuple]:
    tag = tag or uuid.uuid4().hex[:8]
    return [(f"Dr. Mentor {i}", f"mentor{i}-{tag}@example.org", "teaching_award;urim_identity",
             f"Teaching award, {2000 + i % 25}") for i in range(1, n + 1)]


def post_csv(world, inst, kind, body, headers):
    return world.c.post(f"{PREFIX}/institutions/{inst['id']}/{kind}-invitations/import", data=body,
                        headers={**headers, **CSV})


def invitations_of(database, institution_id) -> int:
    with database.sessions() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM invitations WHERE institution_id = :i"),
                            {"i": institution_id}).scalar_one()


def issued_for(database, institution_id) -> list[dict]:
    return outbox_events(database, "InvitationIssued", institution_id=institution_id)


def test_75_mentor_rows_create_75_invitations_and_75_events(world, identity_db):
    inst = world.institution(class_size=150)
    admin = world.admin(inst)
    rows = mentor_rows(75)
    started = time.perf_counter()
    r = post_csv(world, inst, "mentor", mentor_csv(rows), admin["headers"])
    elapsed = time.perf_counter() - started
    print(f"\nimport of 75 mentor invitations (in-process API): {elapsed:.3f} s")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["kind"] == "mentor" and body["count"] == 75
    assert [i["email"] for i in body["invitations"]] == [row[1] for row in rows]
    assert {i["state"] for i in body["invitations"]} == {"pending"}
    assert invitations_of(identity_db, inst["id"]) == 75 + 1  # and the admin's own
    events = issued_for(identity_db, inst["id"])
    mentor_events = [e for e in events if e["data"]["role"] == "mentor"]
    assert len(mentor_events) == 75
    by_id = {e["data"]["invitation_id"]: e for e in mentor_events}
    first = body["invitations"][0]
    assert by_id[first["id"]]["data"]["email"] == rows[0][1]
    assert by_id[first["id"]]["subject"] == f"invitations/{first['id']}"
    # each token (the e-mail's) accepts its invitation as a single invitation's would
    accepted = world.accept(by_id[first["id"]]["data"]["token"],
                            accept_agreement_version=world.agreement_version("mentor"))
    assert accepted["role"] == "mentor" and accepted["email"] == rows[0][1]
    listed = world.get(f"/institutions/{inst['id']}/invitations", admin["headers"], expect=200).get_json()
    assert len([i for i in listed if i["kind"] == "mentor"]) == 75


def test_one_bad_row_among_75_applies_nothing_and_names_the_row_and_field(world, identity_db):
    inst = world.institution(class_size=150)
    admin = world.admin(inst)
    rows = mentor_rows(75)
    rows[5] = (rows[5][0], "not-an-address", rows[5][2], rows[5][3])  # the 7th row of the file
    before = len(issued_for(identity_db, inst["id"]))
    r = post_csv(world, inst, "mentor", mentor_csv(rows), admin["headers"])
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    problem = r.get_json()
    assert problem["errors"] == [{"pointer": "#/rows/7/email", "row": 7, "column": "email",
                                  "detail": "“not-an-address” is not an e-mail address."}]
    assert "row 7" in problem["detail"] and "Nothing was imported" in problem["detail"]
    assert invitations_of(identity_db, inst["id"]) == 1
    assert len(issued_for(identity_db, inst["id"])) == before


def test_every_bad_row_and_field_is_reported_at_once(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    good = mentor_rows(3)
    body = mentor_csv([good[0], ("", "x@", "teaching_award;bogus", ""), good[1],
                       ("Dr. Nominee", unique_email("n"), "nominated_by_current_mentor", "Named by a colleague")])
    r = post_csv(world, inst, "mentor", body, admin["headers"])
    assert r.status_code == 422
    got = [(e["pointer"], e["detail"]) for e in r.get_json()["errors"]]
    assert [p for p, _ in got] == ["#/rows/3/criteria", "#/rows/3/email", "#/rows/3/evidence", "#/rows/3/name",
                                   "#/rows/5/nominated_by"]
    assert "“bogus” is not an admission criterion" in got[0][1]
    assert "rows 3 and 5" in r.get_json()["detail"]
    assert invitations_of(identity_db, inst["id"]) == 1


def test_duplicates_in_the_file_members_and_pending_invitations_are_refused(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    pending = world.mentor_invitation(inst, admin)["email"]
    member = world.mentor(inst, admin)["email"]
    rows = mentor_rows(4)
    rows.append((rows[1][0], rows[1][1].upper(), rows[1][2], rows[1][3]))  # row 6: row 3 again, in capitals
    rows.append(("Dr. Pending", pending, "teaching_award", "Award"))  # row 7
    rows.append(("Dr. Member", member, "teaching_award", "Award"))  # row 8
    count_before = invitations_of(identity_db, inst["id"])
    r = post_csv(world, inst, "mentor", mentor_csv(rows), admin["headers"])
    assert r.status_code == 422
    assert [(e["pointer"], e["detail"]) for e in r.get_json()["errors"]] == [
        ("#/rows/6/email", "This e-mail address is already on row 3."),
        ("#/rows/7/email", "This e-mail address already has a pending invitation; revoke it first to send a new one."),
        ("#/rows/8/email", "An account with this e-mail address already exists."),
    ]
    assert invitations_of(identity_db, inst["id"]) == count_before


def test_mentee_import_by_an_operator(world, identity_db):
    inst = world.institution()
    tag = uuid.uuid4().hex[:8]
    body = f"\ufeffEmail,Name\r\njordan-{tag}@example.org,Jordan Lee\r\n,\r\nsam-{tag}@example.org,\"Sam, Jr.\"\r\n"
    r = post_csv(world, inst, "mentee", body.encode(), world.operator["headers"])
    assert r.status_code == 201, r.get_json()
    invitations = r.get_json()["invitations"]
    assert [(i["kind"], i["name"], i["email"]) for i in invitations] == [
        ("mentee", "Jordan Lee", f"jordan-{tag}@example.org"), ("mentee", "Sam, Jr.", f"sam-{tag}@example.org")]
    assert {e["data"]["role"] for e in issued_for(identity_db, inst["id"])} == {"mentee"}
    # a mentee file has no criteria column
    r = post_csv(world, inst, "mentee", b"name,email,criteria\r\nA,a@example.org,teaching_award\r\n",
                 world.operator["headers"])
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "#/rows/1"


def test_another_institution_is_404_and_mentors_and_mentees_403(world, identity_db):
    inst, other = world.institution(), world.institution()
    admin = world.admin(inst)
    body = mentor_csv(mentor_rows(2))
    r = post_csv(world, other, "mentor", body, admin["headers"])
    assert r.status_code == 404
    r = post_csv(world, other, "mentee", b"name,email\r\nA,a@example.org\r\n", admin["headers"])
    assert r.status_code == 404
    mentor = world.mentor(inst, admin)
    mentee = world.mentee(inst, admin)
    for person in (mentor, mentee):
        assert post_csv(world, inst, "mentor", body, person["headers"]).status_code == 403
        assert post_csv(world, inst, "mentee", b"name,email\r\nA,a@example.org\r\n",
                        person["headers"]).status_code == 403
    assert invitations_of(identity_db, other["id"]) == 0


def test_empty_files_wrong_headers_and_bounds_are_422_or_413(world, identity_db):
    inst = world.institution()
    admin = world.admin(inst)
    h = admin["headers"]

    def problem(body, kind="mentor"):
        r = post_csv(world, inst, kind, body, h)
        assert r.status_code == 422, (r.status_code, r.get_json())
        return r.get_json()

    assert "no one to invite" in problem(b"name,email,criteria,evidence\r\n\r\n")["detail"]
    assert "The file is empty" in problem(b"")["detail"]
    wrong = problem(mentor_csv(mentor_rows(2), header="name,mail,criteria,evidence"))
    assert [e["pointer"] for e in wrong["errors"]] == ["#/rows/1", "#/rows/1"]
    assert "unknown column “mail”" in wrong["errors"][0]["detail"]
    assert "lacks the column email" in wrong["errors"][1]["detail"]
    assert "not UTF-8" in problem(b"name,email\r\nJos\xe9,jose@example.org\r\n", "mentee")["detail"]
    assert "NUL" in problem(b"name,email\r\nA\x00,a@example.org\r\n", "mentee")["detail"]
    # a lone surrogate, UTF-8-encoded, is not UTF-8 either
    assert "not UTF-8" in problem(b"name,email\r\nA\xed\xa0\x80,a@example.org\r\n", "mentee")["detail"]
    short = problem(b"name,email,criteria,evidence\r\nA,a@example.org,teaching_award\r\n")
    assert short["errors"][0]["pointer"] == "#/rows/2" and "3 cells" in short["errors"][0]["detail"]
    many = "name,email\r\n" + "".join(f"P{i},p{i}@example.org\r\n" for i in range(501))
    assert "more than 500" in problem(many.encode(), "mentee")["detail"]
    big = b"name,email\r\n" + b"x" * (300 * 1024) + b",a@example.org\r\n"
    assert post_csv(world, inst, "mentee", big, h).status_code == 413
    # JSON to the import is refused by media type, before anything is read
    r = world.c.post(f"{PREFIX}/institutions/{inst['id']}/mentee-invitations/import",
                     json={"name": "A", "email": "a@example.org"}, headers=h)
    assert r.status_code == 415 and "text/csv" in r.get_json()["detail"]
    assert invitations_of(identity_db, inst["id"]) == 1


def test_the_openapi_document_describes_the_csv_body(client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    op = spec["paths"][f"{PREFIX}/institutions/{{institution_id}}/mentor-invitations/import"]["post"]
    content = op["requestBody"]["content"]
    assert list(content) == ["text/csv"]
    assert "criteria" in content["text/csv"]["schema"]["description"]
    assert "teaching_award" in content["text/csv"]["schema"]["description"]
