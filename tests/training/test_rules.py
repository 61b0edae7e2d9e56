"""Unit tests of services/training/rules.py and the starter curriculum data."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.training import rules
from services.training.curriculum import starter_modules
from shared.pdf import latin1

QUESTIONS = [{"prompt": "a", "choices": ["x", "y"], "answer": 1},
             {"prompt": "b", "choices": ["x", "y", "z"], "answer": 2},
             {"prompt": "c", "choices": ["x", "y"], "answer": 0}]


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[x](javascript:alert(1))", 'href="javascript'),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("![x](javascript:alert(1))", "javascript:alert(1)\""),
    ('<a href="https://x.org" onclick="steal()">x</a>', "<a"),
    ("<iframe src=https://evil.example></iframe>", "<iframe"),
    ("<style>body{}</style>", "<style"),
])
def test_markdown_is_rendered_to_html_no_script_can_run(source, forbidden):
    html = rules.render_markdown(source)
    assert forbidden not in html


def test_markdown_keeps_what_a_module_needs():
    html = rules.render_markdown("# Title\n\n**bold** *em* `code`\n\n- a\n- b\n\n> q\n\n[link](https://aamc.org)")
    for part in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<li>a</li>",
                 "<blockquote>", 'href="https://aamc.org"', 'rel="noopener noreferrer nofollow"'):
        assert part in html


def test_grading_and_the_pass_mark():
    assert rules.grade(QUESTIONS, 100, [1, 2, 0]).passed
    g = rules.grade(QUESTIONS, 67, [1, 2, 1])
    assert (g.score, g.total, g.passed) == (2, 3, False)  # 66.7% < 67%
    assert rules.grade(QUESTIONS, 66, [1, 2, 1]).passed
    assert rules.answer_errors(QUESTIONS, [1, 2]) and rules.answer_errors(QUESTIONS, [1, 2, 5])
    assert rules.answer_errors(QUESTIONS, [0, 0, 0]) == []
    assert rules.question_errors([{"prompt": "p", "choices": ["a", "b"], "answer": 2}])
    assert rules.question_errors([{"prompt": "p", "choices": ["a", "a"], "answer": 0}])


def test_learners_never_get_the_answers():
    shown = rules.learner_questions(QUESTIONS)
    assert all(set(q) == {"index", "prompt", "choices"} for q in shown)


def test_completion_needs_every_required_module_and_at_least_one():
    assert rules.is_complete(["a", "b"], ["b", "a", "c"])
    assert not rules.is_complete(["a", "b"], ["a"])
    assert not rules.is_complete([], ["a"])
    assert rules.outstanding(["a", "b", "c"], ["b"]) == ["a", "c"]
    assert rules.awards_cme("mentor", Decimal("0.5")) and not rules.awards_cme("mentee", Decimal("1"))
    assert not rules.awards_cme("mentor", None) and not rules.awards_cme("mentor", Decimal("0"))


def test_certificate_codes():
    codes = {rules.new_certificate_code() for _ in range(1000)}
    assert len(codes) == 1000 and all(rules.CODE_PATTERN.match(c) for c in codes)
    assert rules.normalise_code(" mmm-abcd-efgh-jkmn-pqr0 ") == "MMM-ABCD-EFGH-JKMN-PQR0"
    assert rules.normalise_code("mmm-o1l0-0000-0000-0000") == "MMM-0110-0000-0000-0000"
    assert latin1("Nguyễn Adébáyọ̀") == "Nguyen Adébáyo"


def test_the_starter_curriculum_is_written_for_the_program():
    modules = starter_modules()
    mentor = [m for m in modules if m["track"] == "mentor"]
    mentee = [m for m in modules if m["track"] == "mentee"]
    assert len(mentor) >= 5 and len(mentee) >= 4
    assert all(m["cme_credit_hours"] for m in mentor) and not any(m["cme_credit_hours"] for m in mentee)
    assert all(m["required"] for m in mentor) and any(not m["required"] for m in mentee)
    assert len({m["slug"] for m in modules}) == len(modules)
    assert all(m["body_html"].startswith("<h1>") for m in modules)
