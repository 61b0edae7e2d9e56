"""Every category renders, in-app and as an e-mail (text and HTML), from the blocks render() uses."""
from __future__ import annotations

import pytest

from services.notifications import messages, rules

CONTEXT = {
    "name": "Ana O'Brien & Sons", "public_url": "https://mentormemed.example", "mandatory": False,
    "preferences_url": "https://mentormemed.example/settings/notifications", "link": "https://mentormemed.example/x",
    "mentor_name": "Dr. Kwame Osei", "mentee_name": "Imani <Reyes>", "institution_name": "School of Medicine",
    "respond_by": "2026-12-01T12:00:00+00:00", "due_at": "2026-12-01T12:00:00+00:00",
    "closes_at": "2026-12-31T12:00:00+00:00", "expires_at": "2026-12-08T12:00:00+00:00",
    "failing_since": "2026-11-27T12:00:00+00:00", "strikes": 1, "strikes_left": 1, "window_days": 180,
    "reason": "unanswered requests", "reason_text": "graduated", "automatic": False,
    "admins": "Grace Mensah <grace@example.org>", "title": "Career update", "kind": "periodic",
    "credit_hours": "1.50", "certificate_code": "ABC123", "credits_link": "https://mentormemed.example/training/cme",
    "track": "mentor", "next_step": "Publish your profile.", "button_label": "Publish your profile",
    "enrolled_mentors": 20, "minimum_mentors": 25, "url": "https://hooks.example/x", "last_error": "HTTP 500",
    "mentee_email": "imani@example.org", "role_label": "a mentor", "role_text": "Mentors guide learners.",
    "agreement_label": "the mentor agreement", "decision": "approved",
}


@pytest.mark.parametrize("category", sorted(messages.categories_with_templates()))
def test_every_category_renders_as_an_email(category):
    mandatory = category in rules.CATEGORIES and rules.CATEGORIES[category].mandatory
    rendered = messages.render(category, {**CONTEXT, "mandatory": mandatory})
    assert rendered.subject and rendered.summary and rendered.text
    assert "O'Brien & Sons" in rendered.text
    assert "O&#39;Brien &amp; Sons" in rendered.html and "O'Brien & Sons" not in rendered.html
    if "link" in (messages.TEMPLATES / f"{category}.j2").read_text() and "button(" in (
            messages.TEMPLATES / f"{category}.j2").read_text():
        assert 'href="https://mentormemed.example/x"' in rendered.html  # the button macro ran


def test_in_app_parts_only():
    rendered = messages.render("request_received", CONTEXT, email=False)
    assert rendered.text == rendered.html == ""
    assert rendered.subject.startswith("Imani <Reyes> asks you for mentorship")
