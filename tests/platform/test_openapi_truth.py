"""The OpenAPI documents are true: what each service says it answers is what it answers.

In process (fast): every service's document is valid OpenAPI 3.1 and plain JSON, says who may call each
operation and documents its errors as the problems the services send; no view builds its JSON by hand
past its response schema (the exceptions are measured hot paths, each named below with a test that
checks its output against the document).

Through the gateway of the running platform, with the demo's people: directory search — which sends
JSON pre-serialised by PostgreSQL — is checked against its schema, and schemathesis generates requests for
every operation of every service from the served documents, signed in as each role the operation names
(operator, institution admin, mentor, mentee; public operations without a token), and checks that no
answer is a 5xx and every answer matches its documented schema.
"""
from __future__ import annotations

import ast
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from shared import config
from shared.auth import ROLES
from tests.journeys import admit_published_mentor, call, demo_people, sign_in

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_JSON = "application/problem+json"


# --- in process ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    """Each service's document as its app serves it (built without a database, as `mmm openapi` does)."""
    from mmm.services import load

    out = {}
    for name in config.SERVICES:
        app = load(name).create_app({"DIRECTORY_SEARCH_WARM": "off"})
        with app.app_context():
            out[name] = app.extensions["mmm_api"].spec.to_dict()
    return out


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield path, method, operation


def test_every_document_is_valid_openapi_3_1(documents):
    from openapi_spec_validator import OpenAPIV31SpecValidator

    assert set(documents) == set(config.SERVICES)
    for name, document in documents.items():
        text = json.dumps(document)  # plain JSON: no Decimal, date or other object left in it
        assert json.loads(text) == document, name
        assert document["openapi"].startswith("3.1"), name
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in OpenAPIV31SpecValidator(json.loads(text)).iter_errors()]
        assert errors == [], (name, errors[:10])
        assert len(document["paths"]) >= 5, name


def test_every_operation_names_its_callers_and_documents_problems(documents):
    problem = {"$ref": "#/components/schemas/Problem"}
    for name, document in documents.items():
        for path, method, operation in _operations(document):
            where = (name, method.upper(), path)
            if operation.get("security"):
                roles = operation.get("x-roles")
                assert roles and set(roles) <= set(ROLES), where
            else:
                assert "x-roles" not in operation, where
            default = operation["responses"].get("default")
            assert default == {"$ref": "#/components/responses/DEFAULT_ERROR"}, where
            for status, response in operation["responses"].items():
                if "$ref" in response or not status.startswith("2"):
                    continue
                assert response.get("content") or status == "204", (where, status, "no documented body")
        for ref in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
            content = document["components"]["responses"].get(ref, {"content": {PROBLEM_JSON: {"schema": problem}}})
            assert content["content"] == {PROBLEM_JSON: {"schema": problem}}, (name, ref)
        fields = document["components"]["schemas"]["Problem"]["properties"]
        assert {"type", "title", "status", "detail", "errors"} <= set(fields), name


def test_decimals_are_documented_as_they_are_sent(documents):
    """training sends CME hours as exact decimal strings ("1.50"); its document says so, and a bound of a
    decimal input is a number (it was the string "50.00": invalid OpenAPI)."""
    schemas = documents["training"]["components"]["schemas"]
    for name in ("ModuleOut", "ModuleVersionOut", "CreditOut", "MyCmeOut", "VerificationOut"):
        for field_name, prop in schemas[name]["properties"].items():
            if "credit_hours" in field_name:
                types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
                assert "string" in types and "number" not in types and prop["format"] == "decimal", (name, field_name)
    for name in ("ModuleCreate", "ModuleUpdate"):
        prop = schemas[name]["properties"]["cme_credit_hours"]
        assert prop["maximum"] == 50 and prop["minimum"] == 0, (name, prop)


# Views allowed to send JSON they serialised themselves: measured hot paths, each with the test that
# holds its output to the document.
HAND_BUILT = {
    "services/directory/api.py":
        "search and a published profile are JSON built by PostgreSQL and cached (benchmarks/search.py); "
        "test_directory_search_answers_match_the_document and the schemathesis run check them",
    "services/evaluation/reports/api.py":
        "the participation report of 500 mentors is serialised directly (a third of its time went to "
        "marshmallow); tests/evaluation/test_reports.py and the schemathesis run check it",
}


def _hand_built_json(tree: ast.AST) -> list[int]:
    """Lines of a module that make a JSON answer outside the response schemas: json.dumps(...) or a
    Response whose mimetype is application/json."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name == "dumps" and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "json":
            lines.append(node.lineno)
        elif name in ("Response", "make_response", "jsonify"):
            kinds = [k.value for k in node.keywords if k.arg in ("mimetype", "content_type")]
            if name == "jsonify" or any(isinstance(v, ast.Constant) and "json" in str(v.value) for v in kinds):
                lines.append(node.lineno)
    return lines


def test_views_answer_through_their_response_schemas():
    found = {}
    for path in sorted(ROOT.glob("services/**/api.py")):
        rel = path.relative_to(ROOT).as_posix()
        lines = _hand_built_json(ast.parse(path.read_text(), rel))
        if lines:
            found[rel] = lines
    assert set(found) <= set(HAND_BUILT), {k: v for k, v in found.items() if k not in HAND_BUILT}
    # the checker finds each way of building JSON by hand
    sample = ast.parse("import json\nfrom flask import Response, jsonify\n"
                       "a = Response(json.dumps({}), mimetype='application/json')\nb = jsonify({})\n")
    assert sorted(_hand_built_json(sample)) == [3, 3, 4]


# --- through the gateway -----------------------------------------------------------------------------------------

@dataclass
class People:
    """Tokens of one person per role (demo data), the ids a GET may use to reach real objects, and a
    published mentor."""
    tokens: dict[str, str]
    known: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> path parameter -> value
    mentor_id: str = ""


_PEOPLE: dict[str, People] = {}


def _people(url: str) -> People:
    if url in _PEOPLE:
        return _PEOPLE[url]
    client, logins = demo_people(url)
    mentor = admit_published_mentor(url, client, logins)
    tokens = {"operator": sign_in(url, logins["operator"]["email"], logins["operator"]["password"]),
              "institution_admin": sign_in(url, logins["harbor admin"]["email"], logins["harbor admin"]["password"]),
              "mentor": mentor.token,
              "mentee": sign_in(url, logins["harbor mentee1"]["email"], logins["harbor mentee1"]["password"])}
    people = People(tokens=tokens, mentor_id=mentor.id)
    for role, token in tokens.items():
        me = call(url, "GET", "/api/v1/identity/me", token).json()["user"]
        people.known[role] = {"user_id": me["id"], "mentor_id": mentor.id,
                              "institution_id": me["institution_id"] or mentor.institution_id}
    modules = call(url, "GET", "/api/v1/training/modules", tokens["mentor"]).json()
    if modules:
        people.known["mentor"]["module_id"] = modules[0]["id"]
    _PEOPLE[url] = people
    return people


def _schema(url: str, service: str, **generation):
    import schemathesis

    settings = {"generation": {"allow-x00": False, "with-security-parameters": False, "deterministic": True,
                               **generation}}
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/{service}/openapi.json",
                                           config=schemathesis.Config.from_dict(settings))
    return schema


def test_directory_search_answers_match_the_document(platform):
    """Search and the published profile are pre-serialised JSON (the hot path keeps them so): their bytes
    must still match the schemas the document gives, with results and facets present."""
    people = _people(platform)
    schema = _schema(platform, "directory")
    search = schema["/api/v1/directory/mentors"]["GET"]
    profile = schema["/api/v1/directory/mentors/{mentor_id}"]["GET"]
    for role in ("mentee", "mentor", "institution_admin", "operator"):
        for query in ({}, {"q": "hospitalist"}, {"specialty": "Internal Medicine", "has_open_slot": "true"},
                      {"state": "GA", "meeting_mode": "video"}, {"page": 2, "per_page": 1}):
            r = call(platform, "GET", "/api/v1/directory/mentors", people.tokens[role], params=query)
            search.validate_response(r)
        r = call(platform, "GET", f"/api/v1/directory/mentors/{people.mentor_id}", people.tokens[role])
        profile.validate_response(r)
    everyone = call(platform, "GET", "/api/v1/directory/mentors", people.tokens["operator"]).json()
    assert any(m["id"] == people.mentor_id for m in everyone["results"]) and everyone["facets"], everyone


def _tampered(response: requests.Response, change) -> requests.Response:
    """A copy of an answer with its JSON body changed by `change(body)`."""
    body = response.json()
    change(body)
    fake = requests.Response()
    fake.status_code, fake._content = response.status_code, json.dumps(body).encode()
    fake.headers = requests.structures.CaseInsensitiveDict(response.headers)
    fake.request, fake.url, fake.elapsed, fake.encoding = response.request, response.url, response.elapsed, "utf-8"
    fake.raw = response.raw  # schemathesis reads the headers there
    return fake


def test_the_conformance_check_catches_drift(platform):
    """The check the schemathesis run applies fails on the drifts this item was about: CME hours sent as a
    number where the document says a decimal string (and the reverse), a field the schema does not know,
    a wrong type in pre-serialised search JSON."""
    people = _people(platform)
    training = _schema(platform, "training")["/api/v1/training/me/cme"]["GET"]
    cme = call(platform, "GET", "/api/v1/training/me/cme", people.tokens["mentor"])
    training.validate_response(cme)
    assert isinstance(cme.json()["total_credit_hours"], str)
    directory = _schema(platform, "directory")["/api/v1/directory/mentors"]["GET"]
    search = call(platform, "GET", "/api/v1/directory/mentors", people.tokens["mentee"])
    assert search.json()["results"]
    drifts = [(training, cme, lambda b: b.update(total_credit_hours=float(b["total_credit_hours"]))),
              (training, cme, lambda b: b.update(undocumented=1)),
              (directory, search, lambda b: b["results"][0].update(score=str(b["results"][0]["score"]))),
              (directory, search, lambda b: b["results"][0].update(email="someone@example.org"))]
    for operation, answer, change in drifts:
        with pytest.raises((AssertionError, BaseExceptionGroup)) as caught:  # one failure, or schemathesis's group
            operation.validate_response(_tampered(answer, change))
        names = [type(e).__name__ for e in getattr(caught.value, "exceptions", [caught.value])]
        assert names == ["JsonSchemaError"], caught.value


# Operations not fuzzed, each with its reason.
EXCLUDED = {
    ("POST", "/api/v1/identity/agreements/{role}"):
        "publishing a new agreement version makes every mentor and mentee of the shared test platform accept "
        "it before acting again, so the other platform tests of the run would be refused",
}

EXAMPLES = int(config.env("MMM_OPENAPI_EXAMPLES", "20"))
BUDGET_S = float(config.env("MMM_OPENAPI_BUDGET_S", "60"))


@dataclass
class Failure:
    role: str
    operation: str
    status: int
    message: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.role} -> {self.status}\n{self.message}"


def test_every_operation_answers_as_documented_for_every_role(platform):
    """schemathesis against every operation of the six services through the gateway: for each role the
    operation names (public ones without a token), `EXAMPLES` generated requests (deterministic), checked
    for server errors and for conformance of the answer to its documented schema. A GET reaches the
    caller's own objects (their institution, their user, a published mentor) where the path names them;
    a write gets generated ids, so it changes only what it creates."""
    import hypothesis
    from hypothesis import HealthCheck, Phase
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    people = _people(platform)
    sessions = {role: requests.Session() for role in (*ROLES, "anonymous")}
    failures: list[Failure] = []
    stats = {"operations": 0, "runs": 0, "requests": 0}
    statuses: Counter[int] = Counter()
    answered: set[str] = set()  # operations with at least one 2xx answer: their bodies were checked
    started = time.monotonic()

    def fuzz(operation, role: str, token: str | None, examples: int) -> None:
        path_parameters = {}
        if operation.method.upper() == "GET":
            path_parameters = {name: value for name, value in people.known.get(role, {}).items()
                               if "{" + name + "}" in operation.path}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        seen: set[tuple[int, str]] = set()

        @hypothesis.settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                             print_blob=False)
        @hypothesis.given(case=operation.as_strategy(path_parameters=path_parameters or None))
        def run(case):
            response = case.call(base_url=platform, session=sessions[role], headers=headers, timeout=30)
            stats["requests"] += 1
            statuses[response.status_code] += 1
            if 200 <= response.status_code < 300:
                answered.add(f"{operation.method.upper()} {operation.path}")
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            except (AssertionError, BaseExceptionGroup) as exc:  # a check failed: recorded, the run goes on
                names = [type(e).__name__ for e in getattr(exc, "exceptions", [exc])]
                key = (response.status_code, ",".join(sorted(names)))
                if key not in seen:
                    seen.add(key)
                    failures.append(Failure(role, f"{operation.method.upper()} {operation.path}",
                                            response.status_code, str(exc)[:3000]))

        run()
        stats["runs"] += 1

    for service in config.SERVICES:
        schema = _schema(platform, service)
        for result in schema.get_all_operations():
            operation = result.ok()
            key = (operation.method.upper(), operation.path)
            if key in EXCLUDED:
                continue
            stats["operations"] += 1
            roles = operation.definition.raw.get("x-roles")
            examples = EXAMPLES if time.monotonic() - started < BUDGET_S else 1
            for role in (roles or ["anonymous"]):
                fuzz(operation, role, people.tokens.get(role), examples)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {stats['operations']} operations ({len(answered)} answered 2xx), {stats['runs']} "
          f"operation × role runs, {stats['requests']} requests in {elapsed:.0f} s; statuses "
          f"{dict(sorted(statuses.items()))}; {len(failures)} failures")
    assert stats["operations"] >= 100 and stats["requests"] >= stats["runs"]
    assert len(answered) >= stats["operations"] // 3, sorted(answered)  # not only refusals
    assert not failures, "\n\n".join(map(str, failures[:15])) + f"\n\n… {len(failures)} failures in all"
