"""The notifications rules in plain Python: feed projections, preferences, retries, webhook addresses;
and every category's template renders its four parts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications import messages, rules
from shared.events import registry

A, B = uuid.uuid4(), uuid.uuid4()


def test_a_request_across_institutions_gives_each_only_its_own_member():
    mentee, mentor, request = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    data = {"request_id": request, "mentee_id": mentee, "mentor_id": mentor, "mentee_institution_id": A,
            "mentor_institution_id": B, "created_at": "2026-01-01T00:00:00+00:00",
            "respond_by": "2026-01-15T00:00:00+00:00"}
    copies = rules.project("RequestCreated", data, lambda _: None)
    assert copies == {
        A: {"institution_id": A, "mentee_id": mentee, "request_id": request, "created_at": data["created_at"],
            "respond_by": data["respond_by"]},
        B: {"institution_id": B, "mentor_id": mentor, "request_id": request, "created_at": data["created_at"],
            "respond_by": data["respond_by"]},
    }


def test_members_whose_institution_the_event_omits_are_looked_up_and_unknown_ones_left_out():
    mentee, mentor = uuid.uuid4(), uuid.uuid4()
    data = {"request_id": uuid.uuid4(), "mentee_id": mentee, "mentor_id": mentor, "mentorship_id": uuid.uuid4(),
            "created_at": "x", "responded_at": "y"}
    copies = rules.project("RequestAccepted", data, {mentee: A}.get)
    assert list(copies) == [A] and copies[A]["mentee_id"] == mentee and "mentor_id" not in copies[A]
    assert "created_at" not in copies[A]  # only the listed facts


def test_same_institution_copy_names_both_members_once():
    mentee, mentor = uuid.uuid4(), uuid.uuid4()
    copies = rules.project("MentorshipStarted", {
        "mentorship_id": uuid.uuid4(), "mentor_id": mentor, "mentee_id": mentee, "mentor_institution_id": A,
        "mentee_institution_id": A, "request_id": uuid.uuid4(), "started_at": "t"}, lambda _: None)
    assert list(copies) == [A] and copies[A]["mentor_id"] == mentor and copies[A]["mentee_id"] == mentee
    assert "request_id" not in copies[A]


def test_feeds_never_forward_names_emails_or_tokens():
    for name, projection in rules.FEEDS.items():
        fields = set(registry.by_name(name).schema().fields)
        assert set(projection.keep) <= fields, name
        assert not set(projection.keep) & {"name", "email", "token", "title"}, name
    assert "InvitationIssued" not in rules.FEEDS
    member = {"user_id": uuid.uuid4(), "institution_id": A, "name": "Ada", "email": "ada@example.org"}
    assert rules.project("MentorEnrolled", member, lambda _: None) == {A: {"institution_id": A,
                                                                          "user_id": member["user_id"]}}


def test_unknown_categories_and_mandatory_opt_outs_are_refused():
    rules.check_preferences({"request_accepted": False, "request_received": True})
    for bad, why in (({"no_such": True}, "no such"), ({"request_received": False}, "cannot be switched off"),
                     ({"mentor_ejected": False}, "cannot be switched off")):
        with pytest.raises(rules.PreferenceRefused, match=why):
            rules.check_preferences(bad)
    assert rules.email_wanted("request_received", False) is True
    assert rules.email_wanted("request_accepted", False) is False
    assert rules.email_wanted("request_accepted", None) is True


def test_backoff_grows_exponentially_to_its_cap():
    base, cap = timedelta(seconds=10), timedelta(hours=1)
    delays = [rules.backoff(n, base, cap, jitter=0).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80] and delays[-1] == 3600
    assert all(a <= b for a, b in zip(delays, delays[1:]))
    jittered = rules.backoff(3, base, cap)
    assert 36 <= jittered.total_seconds() <= 44


def test_retries_last_at_least_a_day_with_the_defaults():
    # With the default schedule (PT10S doubling to PT1H, for P1D), count attempts until give-up.
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    at, n, retry_until = start, 0, start + timedelta(days=1)
    while True:
        n += 1
        at = at + rules.backoff(n, timedelta(seconds=10), timedelta(hours=1), jitter=0)
        if rules.give_up(at, retry_until):
            break
    assert at - start >= timedelta(days=1) and 25 < n < 40


def test_disabling_after_failing_long_enough():
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert not rules.should_disable(t, None, timedelta(days=2))
    assert not rules.should_disable(t + timedelta(days=1), t, timedelta(days=2))
    assert rules.should_disable(t + timedelta(days=2), t, timedelta(days=2))


@pytest.mark.parametrize("url,allow,ok", [
    ("https://hooks.example.org/x", False, True),
    ("http://hooks.example.org/x", False, False),
    ("http://127.0.0.1:9000/x", True, True),
    ("ftp://hooks.example.org/x", False, False),
    ("https://user:pw@hooks.example.org/x", False, False),
    ("https:///nohost", False, False),
    ("https://hooks.example.org:99999/x", False, False),
])
def test_url_shapes(url, allow, ok):
    if ok:
        rules.check_url_shape(url, allow)
    else:
        with pytest.raises(rules.UrlRefused):
            rules.check_url_shape(url, allow)


@pytest.mark.parametrize("address,refused", [
    ("127.0.0.1", True), ("::1", True), ("10.1.2.3", True), ("172.16.0.9", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("fe80::1", True), ("fc00::1", True),
    ("::ffff:127.0.0.1", True), ("224.0.0.1", True), ("93.184.216.34", False), ("2606:4700::1111", False),
])
def test_addresses(address, refused):
    assert (rules.address_refused(address) is not None) is refused


SAMPLE = {
    "name": "Dr. Ana O'Brien & Co", "public_url": "https://m.test", "preferences_url": "https://m.test/settings",
    "mandatory": False, "link": "https://m.test/x?a=1&b=2", "mentee_name": "Jordan <Ellis>", "mentor_name": "Dr. Kwame",
    "respond_by": "2026-12-01T10:00:00+00:00", "strikes": 1, "strikes_left": 1, "window_days": 180,
    "automatic": True, "reason_text": "at capacity", "reason": "2 requests expired", "admins": "Ada <a@x.org>",
    "window_days_": 0, "kind": "periodic", "due_at": "2026-12-01T10:00:00+00:00",
    "closes_at": "2026-12-31T10:00:00+00:00", "title": "Career update 2026", "track": "mentor",
    "next_step": "Publish your profile.", "button_label": "Publish", "credit_hours": "1.50",
    "certificate_code": "CME-ABC", "credits_link": "https://m.test/training/cme", "institution_name": "Harbor HBCU",
    "mentee_email": "j@x.org", "enrolled_mentors": 24, "minimum_mentors": 25, "url": "https://hooks.x/y",
    "failing_since": "2026-11-01T00:00:00+00:00", "last_error": "HTTP 500", "role_label": "a mentor",
    "role_text": "Mentors guide learners.", "agreement_label": "the mentor agreement",
    "expires_at": "2026-12-13T00:00:00+00:00", "decision": "denied",
}


@pytest.mark.parametrize("category", sorted(set(rules.CATEGORIES) | {rules.INVITATION}))
def test_every_category_renders_subject_summary_text_and_html(category):
    out = messages.render(category, SAMPLE)
    assert out.subject and "\n" not in out.subject and len(out.subject) < 200
    assert out.summary and out.text and out.html.startswith("<!DOCTYPE html>")
    assert "{{" not in out.text + out.html and "{%" not in out.text + out.html
    assert "&amp;" not in out.text and "&#39;" not in out.subject  # plain text is not escaped
    if "O'Brien" in out.text:
        assert "O&#39;Brien &amp; Co" in out.html  # HTML is
    assert "<Ellis>" not in out.html


def test_the_strike_warning_says_how_many_more_expiries_lead_to_ejection():
    one_left = messages.render("request_expired_strike", {**SAMPLE, "strikes": 1, "strikes_left": 1})
    assert "1 more expiry leads to ejection" in one_left.subject
    assert "1 more expired request within 180 days will lead to ejection" in one_left.summary
    none_left = messages.render("request_expired_strike", {**SAMPLE, "strikes": 2, "strikes_left": 0})
    assert "0 more expiries lead to ejection" in none_left.subject
    assert "That makes 2 expired requests" in none_left.text
    unknown = messages.render("request_expired_strike", {**SAMPLE, "strikes": None, "strikes_left": None})
    assert unknown.subject == "A request expired unanswered"
