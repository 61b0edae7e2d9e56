"""Survey rules in plain Python: question definitions, answers judged against a version, distributions."""
from __future__ import annotations

from services.evaluation.surveys import rules

CHOICE = {"id": "field", "type": "single_choice", "label": "Field", "options": ["Surgery", "Pediatrics"]}


def test_each_type_takes_only_its_own_settings():
    assert rules.question_errors(CHOICE) == {}
    assert rules.question_errors({"id": "a", "type": "single_choice", "label": "A"}) == {
        "options": ["Choice questions need options."]}
    assert "options" in rules.question_errors({"id": "t", "type": "text", "label": "T", "options": ["x", "y"]})
    assert rules.question_errors({**CHOICE, "options": ["Yes", "yes "]}) == {"options": ["Options must differ."]}
    assert rules.question_errors({**CHOICE, "options": ["only"]}) == {"options": ["Give between 2 and 50 options."]}
    many = {"id": "m", "type": "multiple_choice", "label": "M", "options": ["a", "b"], "min_selections": 2,
            "max_selections": 3}
    assert set(rules.question_errors(many)) == {"max_selections"}
    assert set(rules.question_errors({**many, "max_selections": 1})) == {"min_selections"}
    number = {"id": "n", "type": "number", "label": "N", "min": 5, "max": 1}
    assert rules.question_errors(number) == {"min": ["The minimum must not be more than the maximum."]}
    assert set(rules.question_errors({**number, "min": "x", "max": 1.5, "integer": True})) == {"min", "max"}
    assert set(rules.question_errors({"id": "n", "type": "number", "label": "N", "min": True})) == {"min"}
    date = {"id": "d", "type": "date", "label": "D", "min": "2020-02-30", "max": "2020-01-01T00:00"}
    assert set(rules.question_errors(date)) == {"min", "max"}
    late = {**date, "min": "2021-01-01", "max": "2020-01-01"}
    assert rules.question_errors(late) == {"min": ["The earliest date must not be after the latest."]}


def test_duplicate_ids_point_at_the_later_question():
    assert rules.definition_errors([CHOICE, {**CHOICE}, {**CHOICE, "id": "other"}]) == {
        1: {"id": ["Duplicate question id 'field'."]}}


def test_normalized_writes_the_defaults_out():
    q = rules.normalized({"id": "m", "type": "multiple_choice", "label": "M", "options": ["a", "b", "c"],
                          "required": True})
    assert (q["min_selections"], q["max_selections"]) == (1, 3)
    assert rules.normalized({"id": "t", "type": "text", "label": "T"})["max_length"] == rules.TEXT_DEFAULT_LENGTH
    assert rules.normalized({"id": "n", "type": "number", "label": "N", "integer": True, "min": 1.0})["min"] == 1


QUESTIONS = [rules.normalized(q) for q in [
    {**CHOICE, "required": True},
    {"id": "topics", "type": "multiple_choice", "label": "Topics", "options": ["a", "b", "c"], "max_selections": 2},
    {"id": "story", "type": "text", "label": "Story", "max_length": 10},
    {"id": "years", "type": "number", "label": "Years", "integer": True, "min": 0, "max": 60},
    {"id": "score", "type": "number", "label": "Score"},
    {"id": "since", "type": "date", "label": "Since", "min": "1950-01-01", "max": "2100-12-31"},
]]


def test_answers_are_judged_against_the_version():
    clean, errors = rules.judge_answers(QUESTIONS, {"field": "Surgery", "topics": ["c", "a"], "story": "  ok ",
                                                    "years": 3.0, "score": 2.5, "since": "2020-05-01"})
    assert errors == {}
    assert clean == {"field": "Surgery", "topics": ["a", "c"], "story": "ok", "years": 3, "score": 2.5,
                     "since": "2020-05-01"}
    clean, errors = rules.judge_answers(QUESTIONS, {"story": "", "topics": []})
    assert (clean, errors) == ({}, {"field": ["An answer is required."]})  # blank optional answers: unanswered
    _, errors = rules.judge_answers(QUESTIONS, {
        "field": "Dentistry", "topics": ["a", "b", "c"], "story": "x" * 11, "years": 2.5, "score": True,
        "since": "1900-01-01", "shoe_size": 42})
    assert set(errors) == {"field", "topics", "story", "years", "score", "since", "shoe_size"}
    _, errors = rules.judge_answers(QUESTIONS, {"field": "Surgery", "topics": ["a", "a"], "years": 61,
                                                "since": "May 2020"})
    assert set(errors) == {"topics", "years", "since"}


def test_distributions():
    choice, many, text, years = QUESTIONS[0], QUESTIONS[1], QUESTIONS[2], QUESTIONS[3]
    assert rules.distribution(choice, ["Surgery", "Surgery"], with_texts=True)["options"] == [
        {"option": "Surgery", "count": 2}, {"option": "Pediatrics", "count": 0}]
    assert rules.distribution(many, [["a", "b"], ["b"]], with_texts=True)["options"][1] == {"option": "b", "count": 2}
    d = rules.distribution(years, [1, 2, 4], with_texts=True)
    assert (d["answered"], d["mean"], d["min"], d["max"]) == (3, 2.33, 1, 4)
    assert rules.distribution(years, [], with_texts=True)["mean"] is None
    assert rules.distribution(text, ["b", "A"], with_texts=True)["texts"] == ["A", "b"]
    assert "texts" not in rules.distribution(text, ["b"], with_texts=False)
    assert rules.rate(0, 0) is None and rules.rate(3, 1) == 0.3333
