"""Unit tests of services/identity/rules.py."""
from datetime import datetime, timedelta, timezone

import pytest

from services.identity import rules


@pytest.mark.parametrize("class_size, tier, minimum", [
    (0, "under_50", 25), (1, "under_50", 25), (49, "under_50", 25),
    (50, "50_to_100", 50), (75, "50_to_100", 50), (100, "50_to_100", 50),
    (101, "over_100", 75), (250, "over_100", 75),
])
def test_r1_table_at_the_boundaries(class_size, tier, minimum):
    assert rules.size_tier("academic", class_size) == rules.SizeTier(tier, minimum)
    assert rules.minimum_mentors("academic", class_size) == minimum


@pytest.mark.parametrize("class_size", [0, 10, 49, 50, 100, 101, 500])
def test_r1_hbcu_of_any_size_has_no_minimum(class_size):
    assert rules.size_tier("hbcu", class_size) == rules.SizeTier("hbcu", 0)


def test_r1_refuses_unknown_kind_and_negative_size():
    with pytest.raises(ValueError):
        rules.size_tier("community_college", 10)
    with pytest.raises(ValueError):
        rules.size_tier("academic", -1)


@pytest.mark.parametrize("minimum, active, short", [(25, 0, 25), (25, 24, 1), (25, 25, 0), (25, 30, 0), (0, 0, 0)])
def test_shortfall(minimum, active, short):
    assert rules.shortfall(minimum, active) == short


@pytest.mark.parametrize("before, after, crossed", [
    ((25, 25), (24, 25), True),    # at the minimum, one mentor fewer
    ((30, 25), (24, 25), True),    # above it, straight below
    ((24, 25), (23, 25), False),   # already below
    ((26, 25), (25, 25), False),   # down to the minimum: not below
    ((25, 25), (25, 50), True),    # a larger class raises the minimum
    ((25, 50), (25, 75), False),   # already below the old minimum
    ((0, 0), (0, 25), True),       # an HBCU becomes an academic institution
    ((1, 0), (0, 0), False),       # an HBCU is never below
])
def test_r1_falling_below_the_minimum(before, after, crossed):
    assert rules.fell_below_minimum(before, after) is crossed


def test_r1_only_active_mentors_count():
    assert rules.counts_toward_minimum("mentor", "active")
    for role, status in [("mentor", "ejected"), ("mentor", "deactivated"), ("mentee", "active"),
                         ("institution_admin", "active")]:
        assert not rules.counts_toward_minimum(role, status)


def test_r2_needs_a_known_criterion_and_evidence():
    rules.check_mentor_criteria(["teaching_award"], "award letter")
    for criteria, evidence, field in [([], "x", "criteria"), (["charisma"], "x", "criteria"),
                                      (["teaching_award"], "", "evidence"), (["teaching_award"], "  ", "evidence"),
                                      (["teaching_award"], None, "evidence")]:
        with pytest.raises(rules.RuleViolation) as exc:
            rules.check_mentor_criteria(criteria, evidence)
        assert exc.value.field == field


def test_r2_every_listed_criterion_is_accepted():
    assert len(rules.MENTOR_CRITERIA) == 8
    for criterion in rules.MENTOR_CRITERIA:
        active = True if criterion == rules.NOMINATED_BY_MENTOR else None
        rules.check_mentor_criteria([criterion], "evidence", nominator_active=active)


def test_r2_nomination_by_a_mentor_needs_an_active_mentor():
    with pytest.raises(rules.RuleViolation) as exc:
        rules.check_mentor_criteria([rules.NOMINATED_BY_MENTOR], "colleague", nominator_active=False)
    assert exc.value.slug == "nominator-not-active"
    with pytest.raises(rules.RuleViolation):
        rules.check_mentor_criteria([rules.NOMINATED_BY_MENTOR], "colleague", nominator_active=None)


def test_r4_eligibility_needs_one_basis_and_attestation():
    for basis in rules.ELIGIBILITY_BASES:
        rules.check_eligibility([basis], True)
    rules.check_eligibility(list(rules.ELIGIBILITY_BASES), True)
    with pytest.raises(rules.RuleViolation):
        rules.check_eligibility([], True)
    with pytest.raises(rules.RuleViolation):
        rules.check_eligibility(["urim"], False)
    with pytest.raises(rules.RuleViolation):
        rules.check_eligibility(["left_handed"], True)


def test_r5_agreement_outstanding():
    assert rules.agreement_outstanding(None, None) is False
    assert rules.agreement_outstanding(1, None) is True
    assert rules.agreement_outstanding(2, 1) is True
    assert rules.agreement_outstanding(2, 2) is False
    assert rules.agreement_role("mentor") == "mentor"
    assert rules.agreement_role("mentee") == "mentee"
    assert rules.agreement_role("institution_admin") is None
    assert rules.agreement_role("operator") is None


def test_status_transitions():
    assert rules.can_eject("mentor", "active") and not rules.can_eject("mentor", "ejected")
    assert not rules.can_eject("mentee", "active")
    assert rules.can_reinstate("mentor", "ejected") and not rules.can_reinstate("mentor", "active")
    assert rules.can_exit("mentee", "active") and not rules.can_exit("mentee", "pending")
    assert rules.can_become_mentor("mentee", "exited") and not rules.can_become_mentor("mentee", "active")
    assert rules.can_sign_in("active") and not any(rules.can_sign_in(s) for s in rules.USER_STATUSES if s != "active")


def test_lockout_policy_grows_and_is_capped():
    policy = rules.LockoutPolicy(free_attempts=3, base=timedelta(seconds=10), maximum=timedelta(seconds=60))
    t = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert rules.locked_until(2, t, policy) is None
    assert rules.locked_until(3, t, policy) == t + timedelta(seconds=10)
    assert rules.locked_until(4, t, policy) == t + timedelta(seconds=20)
    assert rules.locked_until(5, t, policy) == t + timedelta(seconds=40)
    assert rules.locked_until(6, t, policy) == t + timedelta(seconds=60)
    assert rules.locked_until(1000, t, policy) == t + timedelta(seconds=60)


def test_an_ejected_mentor_is_told_why_with_the_dates_and_whom_to_ask():
    expiries = [{"request_id": "b", "expired_at": datetime(2025, 3, 5, 23, 30, tzinfo=timezone.utc)},
                {"request_id": "a", "expired_at": datetime(2025, 3, 1, 9, tzinfo=timezone.utc)}]
    facts = rules.unresponsive_facts(2, 30, expiries)
    assert [e["request_id"] for e in facts["expiries"]] == ["a", "b"]  # in the order they expired
    at = datetime(2025, 3, 6, 1, tzinfo=timezone.utc)
    detail = rules.ejection_detail(facts, "unresponsive: 2 requests", at, ["Ada Admin <ada@x.edu>"])
    assert detail.startswith("You were removed from the MentorMeMed mentor program on 6 March 2025 because 2 of "
                             "your mentorship requests expired unanswered within 30 days (on 1 March 2025 and "
                             "5 March 2025). To ask for reinstatement, write to your institution's MentorMeMed "
                             "program administrators (Ada Admin <ada@x.edu>)"), detail
    one = rules.ejection_detail(rules.unresponsive_facts(1, 7, expiries[:1]), None, at, [])
    assert "because 1 of your mentorship requests expired unanswered within 7 days (on 5 March 2025)." in one
    assert "write to your institution's MentorMeMed program administrators:" in one
    # an ejection without facts (before they were kept) says the reason it has
    assert "on 6 March 2025 (unresponsive: 3 requests)." in rules.ejection_detail(None, "unresponsive: 3 requests",
                                                                                  at, [])
