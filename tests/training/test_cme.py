"""CME (R7): credit-bearing mentor modules award credit and a PDF certificate once; the public
verification of a code shows only what the certificate shows; a mentor's credits and total hours."""
from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pypdf

from services.training.curriculum import module_id
from tests.training.conftest import PREFIX, PROBLEM, outbox_events


def test_certificate_pdf_opens_and_its_code_verifies(learning, client, training_db):
    name = "Dr. Ngozi Adébáyọ̀-Nguyễn"
    mentor = learning.learner("mentor", name=name)
    required = learning.complete(mentor)
    cme = client.get(PREFIX + "/me/cme", headers=mentor["headers"]).get_json()
    expected = sum(Decimal(m["cme_credit_hours"]) for m in required if m["cme_credit_hours"])
    assert Decimal(cme["total_credit_hours"]) == expected and expected > 0
    assert len(cme["credits"]) == sum(1 for m in required if m["cme_credit_hours"])
    awarded = outbox_events(training_db, "CmeCreditAwarded", user_id=str(mentor["id"]))
    assert sorted(e["data"]["certificate_code"] for e in awarded) == sorted(c["code"] for c in cme["credits"])

    credit = next(c for c in cme["credits"] if c["module_id"] == str(module_id("identity-conscious-mentoring")))
    r = client.get(f"{PREFIX}/me/cme/{credit['id']}/certificate", headers=mentor["headers"])
    assert r.status_code == 200 and r.content_type == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1
    for part in ("Identity-conscious mentoring across difference", credit["code"], "1 CME credit hour ",
                 credit["awarded_at"][:10], "Adébáyọ̀"[:5]):
        assert part in text, (part, text)

    v = client.get(f"{PREFIX}/certificates/{credit['code']}")  # public: no token
    assert v.status_code == 200
    assert v.get_json() == {"valid": True, "code": credit["code"], "name": name,
                            "module_title": "Identity-conscious mentoring across difference",
                            "credit_hours": "1.00", "awarded_on": credit["awarded_at"][:10]}
    # as a person may type it
    assert client.get(f"{PREFIX}/certificates/{credit['code'].lower()}").status_code == 200


def test_a_made_up_code_does_not_verify(client):
    for code in ("MMM-0000-0000-0000-0000", "nonsense", "MMM-" + uuid.uuid4().hex[:19]):
        r = client.get(f"{PREFIX}/certificates/{code}")
        assert r.status_code == 404 and r.content_type == PROBLEM
        assert r.get_json()["type"].endswith("/certificate-not-found")


def test_credit_is_awarded_once_per_module_and_certificates_are_private(learning, client, training_db):
    mentor = learning.learner("mentor")
    other = learning.learner("mentor", institution_id=mentor["institution_id"])
    module = next(m for m in learning.modules(mentor) if m["id"] == str(module_id("responsiveness")))
    learning.take(mentor, module)
    learning.attest(mentor, module, expect=200)
    [credit] = client.get(PREFIX + "/me/cme", headers=mentor["headers"]).get_json()["credits"]
    assert len(outbox_events(training_db, "CmeCreditAwarded", user_id=str(mentor["id"]))) == 1
    path = f"{PREFIX}/me/cme/{credit['id']}/certificate"
    assert client.get(path, headers=other["headers"]).status_code == 404
    assert client.get(path, headers=learning.admin(mentor["institution_id"])).status_code == 403
    assert client.get(path).status_code == 401
    assert client.get(path, headers=learning.operator).status_code == 200
    assert client.get(PREFIX + "/me/cme", headers=other["headers"]).get_json() == {"total_credit_hours": "0",
                                                                                  "credits": []}
    mentee = learning.learner("mentee")
    assert client.get(PREFIX + "/me/cme", headers=mentee["headers"]).status_code == 403


def test_a_certificate_prints_without_a_unicode_font(monkeypatch):
    from datetime import datetime, timezone

    from services.training import certificates
    from services.training.models import CmeCertificate

    import shared.pdf

    monkeypatch.setattr(shared.pdf, "_unicode_font", lambda: None)
    cert = CmeCertificate(code="MMM-ABCD-EFGH-JKMN-PQRS", learner_name="Dr. Nguyễn Thị Hồng", module_title="Module",
                          credit_hours=Decimal("0.75"), awarded_at=datetime(2025, 3, 1, tzinfo=timezone.utc))
    text = pypdf.PdfReader(io.BytesIO(certificates.render(cert))).pages[0].extract_text()
    assert "Nguyen Thi Hong" in text and "MMM-ABCD-EFGH-JKMN-PQRS" in text and "0.75 CME credit hours" in text
