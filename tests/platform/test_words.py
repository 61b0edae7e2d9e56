"""Messages in people's words. What a person reads when the platform refuses something — a problem's
`detail`, each invalid field's `detail` — names no rule number ("(R6)"), no event ("TrainingCompleted") and
no field by its code name ("academic_rank"): the code stays in `type`, a field's code in its pointer or in
a machine-readable member such as `missing_fields`.

The first test guards the class in the source of every service and of shared/; the second walks it
through the gateway with the people who live it: a mentor at 3 mentees answering a request the platform
declined for them, the mentee of that request, and a mentor filling in and publishing their profile."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.journeys import (admit_published_mentor, admit_trained_mentor, call, demo_people, request_mentorship,
                            sign_in, until)

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

ROOT = Path(__file__).resolve().parents[2]

RULE_NUMBER = re.compile(r"\(R\d+(?:,\s*R\d+)*\)|\bR\d{1,2}\b")
CODE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # snake_case: academic_rank, consent_to_search
PLACEHOLDER = re.compile(r"\{[^}]*\}")

# Calls whose argument at the given position is read by people, and their detail keywords.
DETAIL_ARGS = {"Problem": 3, "conflict": 1, "_forbidden": 1, "Refused": 1, "PublishRefusal": 1, "Closed": 1,
               "_field_error": 1, "ValidationError": 0, "invalid_field": 0, "_unauthorized": 0,
               "RuleViolation": 1, "problem_response": 2, "error": 2}  # error: an import file's row error
DETAIL_KEYWORDS = {"detail", "errors", "error"}
# Texts for developers, not for the people who use the platform.
DEVELOPER_KEYWORDS = {"description", "metadata", "summary", "help"}
DEVELOPER_CALLS = {"RuntimeError", "AssertionError", "SystemExit", "TypeError", "KeyError", "NotImplementedError",
                   "print", "text"}
LOGGERS = {"log", "logger", "_log", "LOG"}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|SET|CREATE|ALTER|DROP|AND|OR|WHERE|FROM|JOIN)\b")

# Genuine exceptions, each with the reason it is one: (path, a fragment of the text).
ALLOWED = {
    ("services/identity/invitation_import.py", "teaching_award"):
        "a criterion as the admin writes it in the import file's criteria column",
    ("services/identity/invitation_import.py", "nominated_by_current_mentor"):
        "a criterion as the admin writes it in the import file's criteria column",
    ("services/identity/invitation_import.py", "nominated_by column"):
        "the import file's column, named as its header row names it",
    ("services/identity/invitation_import.py", "“{}” is not an admission criterion"):
        "lists the criteria as the admin writes them in the import file",
    ("services/mentorship/schemas.py", "mentee_contact once accepted"):
        "the OpenAPI description of a response field (MENTEE_CARD), read by developers",
    ("services/evaluation/research/rules.py", "Required when the IRB status is {}."):
        "the IRB status as the form offers it (approved, exempt)",
}
DEVELOPER_FILES = {"services/notifications/asyncapi.py"}  # the AsyncAPI document of the webhook feeds


@dataclass(frozen=True)
class Text:
    path: str
    line: int
    text: str  # f-string placeholders as {}

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _pieces(node: ast.AST):
    """The string literals of an expression a person reads, but not JSON pointers or parameter names."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and key.value in ("pointer", "parameter", "in")):
                yield from _pieces(value)
        return
    text = _literal(node)
    if text is not None:
        yield node, text
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield from _pieces(child)


def _is_sentence(text: str) -> bool:
    return " " in text.strip() and not SQL.match(text) and bool(
        re.match(r"^[A-Z“\"]", text) or re.search(r"[.!?:]\s*$", text))


def texts_for_people() -> list[Text]:
    """Every text of services/ and shared/ that may reach a person: the detail arguments of the calls that
    refuse something, and every other literal sentence that is not a docstring, an API description, a log
    line, SQL or an error for programmers."""
    out: list[Text] = []
    for path in sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if "migrations" in path.parts or rel in DEVELOPER_FILES:
            continue
        tree = ast.parse(path.read_text(), rel)
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body \
                    and isinstance(node.body[0], ast.Expr):
                skip.add(id(node.body[0].value))
            elif isinstance(node, ast.keyword) and node.arg in DEVELOPER_KEYWORDS:
                skip.update(id(n) for n in ast.walk(node.value))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value in ("description", "summary"):
                        skip.update(id(n) for n in ast.walk(value))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and "DESCRIPTION" in t.id
                                                      for t in node.targets):
                skip.update(id(n) for n in ast.walk(node.value))
            elif isinstance(node, ast.Call) and (
                    _name(node.func) in DEVELOPER_CALLS
                    or (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in LOGGERS)):
                skip.update(id(n) for n in ast.walk(node))
            elif isinstance(node, ast.JoinedStr):
                skip.update(id(v) for v in node.values)
        seen: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in DETAIL_ARGS:
                at = DETAIL_ARGS[_name(node.func)]
                args = node.args[at:at + 1]
                args += [k.value for k in node.keywords if k.arg in DETAIL_KEYWORDS]
                for arg in args:
                    for literal, text in _pieces(arg):
                        if id(literal) not in skip and id(literal) not in seen:
                            seen.add(id(literal))
                            out.append(Text(rel, literal.lineno, text))
        for node in ast.walk(tree):
            text = _literal(node)
            if text is not None and id(node) not in skip and id(node) not in seen and _is_sentence(text):
                out.append(Text(rel, node.lineno, text))
    return out


def wrong_words(text: str, events: set[str]) -> list[str]:
    """What a person should not read in `text`: rule numbers, event names, code names of fields."""
    words = PLACEHOLDER.sub("{}", text)
    found = RULE_NUMBER.findall(words) + CODE_NAME.findall(words)
    found += [w for w in re.findall(r"\b[A-Z][A-Za-z]+\b", words) if w in events]
    if re.search(r"\bsend \w+=", words):
        found.append("an instruction to send a field's value")
    return found


def test_what_people_read_names_no_rule_event_or_code_field():
    from shared.events import registry

    events = {t.name for t in registry.all_types()}
    texts = texts_for_people()
    # the scan finds the refusals it guards (were it to find nothing, it would guard nothing)
    found = {t.text for t in texts}
    assert {"You already have an open request to this mentor.", "Only a pending invitation can be revoked.",
            "The end time must be after the start time.", "Give each value once."} <= found
    assert any(t.path == "services/mentorship/rules.py" and "declined automatically" in t.text for t in texts)
    used = set()
    wrong = []
    for t in texts:
        allowed = [key for key in ALLOWED if key[0] == t.path and key[1] in t.text]
        used.update(allowed)
        if not allowed and wrong_words(t.text, events):
            wrong.append(f"{t}  →  {wrong_words(t.text, events)}")
    assert not wrong, "texts people read name rules, events or code names:\n" + "\n".join(wrong)
    assert used == set(ALLOWED), f"allowed exceptions that no longer occur: {set(ALLOWED) - used}"


def test_the_checker_catches_each_kind_of_wrong_word():
    events = {"TrainingCompleted"}
    assert wrong_words("This mentor has not published a profile (R9).", events) == ["(R9)"]
    assert wrong_words("Fill the required fields first: academic_rank, time_windows.", events) == [
        "academic_rank", "time_windows"]
    assert wrong_words("Complete the mentor training (TrainingCompleted) before publishing.", events) == [
        "TrainingCompleted"]
    assert wrong_words("Publishing is consent to be searched: send consent=true.", events) == [
        "an instruction to send a field's value"]
    assert wrong_words("This request was declined automatically when you reached {} mentees.", events) == []


def _schema(dotted: str):
    import importlib

    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("schema, body, pointers", [
    # a bad day does not hide a bad start; a bad state does not hide an end before its start
    ("services.directory.schemas.ProfileUpdate",
     {"state": "ZZ", "time_windows": [{"day": "funday", "start": "25:00", "end": "20:00"},
                                      {"day": "mon", "start": "21:00", "end": "20:00"}]},
     {"state", "time_windows/0/day", "time_windows/0/start", "time_windows/1/end"}),
    ("services.directory.schemas.SearchQuery", {"state": "ZZ", "page": 100, "per_page": 50}, {"state", "page"}),
    # an answer beyond the choices does not wait for a valid pass mark
    ("services.training.schemas.KnowledgeCheckIn",
     {"pass_mark": 0, "questions": [{"prompt": "p", "choices": ["a", "a"], "answer": 2}]},
     {"pass_mark", "questions/0/answer", "questions/0/choices"}),
    ("services.evaluation.research.schemas.DecisionIn", {"decision": "maybe", "reason": "  "}, {"decision", "reason"}),
    ("services.evaluation.surveys.schemas.AudienceIn",
     {"roles": ["mentee", "mentee"], "institution_ids": ["not-an-id"]}, {"roles", "institution_ids/0"}),
    ("services.evaluation.surveys.schemas.SurveyUpdate",
     {"response_days": 0, "questions": [{"id": "a", "type": "text", "label": "A"},
                                        {"id": "a", "type": "text", "label": "B"}]},
     {"response_days", "questions/1/id"}),
])
def test_one_answer_names_every_invalid_field(schema, body, pointers):
    from marshmallow import ValidationError

    from shared.errors import _pointers

    with pytest.raises(ValidationError) as refused:
        _schema(schema)().load(body)
    errors = _pointers(refused.value.messages)
    assert {e["pointer"].removeprefix("#/") for e in errors} == pointers, errors
    for e in errors:
        assert e["detail"][0].isupper() and e["detail"].rstrip().endswith("."), e


# --- through the gateway ------------------------------------------------------------------------------------

MENTORSHIP = "/api/v1/mentorship"
PROFILE = "/api/v1/directory/me/profile"


def _people_words(detail: str) -> None:
    assert detail and "_" not in detail and not RULE_NUMBER.search(detail), detail


def test_people_read_what_happened_in_their_words(platform):
    client, logins = demo_people(platform)

    # --- a mentor at 3 mentees answers the request the platform declined when they reached 3 ---------------
    mentor = admit_published_mentor(platform, client, logins)
    # the trained mentee of each demo institution asks the new mentor, who mentors nationally
    mentees = [sign_in(platform, logins[f"{inst} mentee1"]["email"], logins[f"{inst} mentee1"]["password"])
               for inst in ("lakeside", "riverside", "metropolitan", "harbor")]
    request_ids = []
    for token in mentees:
        created = until(lambda token=token: request_mentorship(platform, token, mentor.id))
        assert created is not None and created.status_code == 201, created and created.text
        request_ids.append(created.json()["id"])
    *accepted, last = request_ids
    for rid in accepted:
        call(platform, "POST", f"{MENTORSHIP}/requests/{rid}/accept", mentor.token, json={})
    declined = call(platform, "GET", f"{MENTORSHIP}/requests/{last}", mentees[-1]).json()
    assert declined["status"] == "declined" and declined["declined_automatically"] is True

    late = call(platform, "POST", f"{MENTORSHIP}/requests/{last}/accept", mentor.token, (409,), json={})
    assert late.headers["Content-Type"].startswith("application/problem+json")
    body = late.json()
    assert body["type"].endswith("/request-not-open") and body["request_status"] == "declined"
    assert body["reason"] == "mentor-at-capacity"
    assert body["detail"] == ("This request was declined automatically when you reached 3 mentees, the most a "
                              "mentor may have; it can no longer be answered."), body
    assert "This request is declined" not in body["detail"]
    # the mentee of that request, withdrawing it, reads the same in their words
    gone = call(platform, "POST", f"{MENTORSHIP}/requests/{last}/withdraw", mentees[-1], (409,), json={}).json()
    assert gone["detail"].startswith("This request was declined automatically when the mentor reached 3 mentees")
    # and a request the mentor accepted is named as such
    again = call(platform, "POST", f"{MENTORSHIP}/requests/{accepted[0]}/accept", mentor.token, (409,),
                 json={}).json()
    assert again["detail"] == "You have already accepted this request." and again["reason"] == "accepted"

    # --- the mentor saves a profile with bad time windows: every invalid field at once, nothing written ------
    before = call(platform, "GET", PROFILE, mentor.token).json()
    bad = call(platform, "PATCH", PROFILE, mentor.token, (422,), json={
        "display_name": "Someone Else",
        "time_windows": [{"day": "funday", "start": "25:00", "end": "20:00"},
                         {"day": "mon", "start": "21:00", "end": "20:00"}]}).json()
    assert bad["type"].endswith("/validation-error")
    pointers = {e["pointer"]: e["detail"] for e in bad["errors"]}
    assert set(pointers) == {"#/time_windows/0/day", "#/time_windows/0/start", "#/time_windows/1/end"}, bad
    assert pointers["#/time_windows/1/end"] == "The end time must be after the start time."
    for detail in pointers.values():
        _people_words(detail)
        assert detail[0].isupper() and detail.endswith("."), detail
    after = call(platform, "GET", PROFILE, mentor.token).json()
    assert after["display_name"] == before["display_name"] == mentor.name
    assert after["time_windows"] == before["time_windows"]

    # --- a mentor publishing an incomplete profile reads the missing fields as the form names them ---------
    newcomer = admit_trained_mentor(platform, client, logins, admin_login="lakeside admin")
    until(lambda: requests.get(platform + PROFILE, headers={"Authorization": f"Bearer {newcomer.token}"},
                               timeout=30).status_code == 200)
    call(platform, "PATCH", PROFILE, newcomer.token, json={
        "display_name": newcomer.name, "languages": ["English"], "city": "Boston", "state": "MA",
        "bio": "Cardiologist who likes to teach.", "scope": "national", "hours_per_month": 3,
        "meeting_modes": ["video"], "timezone": "America/New_York"})

    def publish_refused():
        r = requests.post(platform + PROFILE + "/publish", json={"consent_to_search": True}, timeout=30,
                          headers={"Authorization": f"Bearer {newcomer.token}"})
        return r if r.status_code == 409 and r.json()["type"].endswith("/profile-incomplete") else None
    refused = until(publish_refused)  # once the directory knows the newcomer completed their training
    assert refused is not None, "publishing never reached the profile check"
    body = refused.json()
    assert body["missing_fields"] == ["academic_rank", "specialties", "time_windows"], body
    assert body["detail"] == ("Fill in your academic rank, specialties and time windows (days and times) "
                              "before publishing."), body
    _people_words(body["detail"])
    assert call(platform, "GET", PROFILE, newcomer.token).json()["published"] is False
