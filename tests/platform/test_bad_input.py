"""Bad input is never a 500: the class, on every operation of every service.

The operations come from each service's own OpenAPI document (its app in-process, on this run's
database). For each one, every JSON body field and every query parameter is sent each kind of value no
field may hold — a NUL character, a lone surrogate, arrays nested 1,000 deep, an integer of 5,000 digits,
one beyond PostgreSQL's bigint, NaN, an integer beyond PostgreSQL's integer, a paging offset beyond any
page — and the answer must be a 400/422 problem naming that field, with nothing written (no event in
any outbox). The end of the module sends the same through the gateway of the running platform to the
public doors: sign-in, invitation acceptance, registration and the mentor search.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import pytest
import requests
import sqlalchemy as sa

from shared import config
from shared.app import db_of

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

PROBLEM = "application/problem+json"
ROLES = ("operator", "institution_admin", "mentor", "mentee")
DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 5000  # beyond Python's 4,300-digit conversion limit
BEYOND_BIGINT = str(2 ** 63)
BEYOND_INT = str(2 ** 31)

# (name, JSON text of the value, whether the guard refuses it whatever the field's type)
BODY_VALUES = [
    ("nul", json.dumps("a\x00b"), True),
    ("surrogate", '"a\\ud800b"', True),
    ("deep", DEEP, True),
    ("huge integer", HUGE, True),
    ("beyond bigint", BEYOND_BIGINT, True),
    ("nan", "NaN", True),
    ("infinite", "1e999", True),
]
# query parameter values (percent-encoded by the test client); "integer" ones only for integer parameters
QUERY_VALUES = [("nul", "a\x00b", False), ("huge integer", HUGE, True), ("beyond bigint", BEYOND_BIGINT, True),
                ("beyond integer", BEYOND_INT, True)]


@dataclass
class Operation:
    service: str
    method: str
    path: str  # with path parameters filled in
    template: str
    body: dict | None = None  # the JSON body's schema (resolved), when it takes JSON
    query: dict[str, dict] = field(default_factory=dict)  # name -> schema
    string_path_params: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def _types(schema: dict) -> set[str]:
    t = schema.get("type")
    return set(t) if isinstance(t, list) else {t} if t else set()


def operations(spec: dict, service: str) -> list[Operation]:
    out = []
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            path, strings = template, []
            for p in params:
                if p["in"] != "path":
                    continue
                schema = p.get("schema", {})
                value = str(uuid.uuid4()) if schema.get("format") == "uuid" else \
                    (schema.get("enum") or ["1" if "integer" in _types(schema) else "x"])[0]
                if schema.get("format") != "uuid" and not schema.get("enum"):
                    strings.append(p["name"])
                path = path.replace("{" + p["name"] + "}", str(value))
            body = None
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(spec, content["application/json"].get("schema", {}))
            query = {p["name"]: _resolve(spec, p.get("schema", {})) for p in params if p["in"] == "query"}
            out.append(Operation(service, method, path, template, body, query, strings))
    return out


@pytest.fixture(scope="module")
def tokens(signing_keys):
    inst = uuid.uuid4()
    return {role: {"Authorization": "Bearer " + signing_keys.mint(role, inst=inst if role != "operator" else None)}
            for role in ROLES}


def _outbox_count(app) -> int:
    with db_of(app).engine.connect() as c:
        return c.scalar(sa.text("SELECT count(*) FROM outbox"))


def _send(client, op: Operation, headers: dict, *, body: str | None = None, query: dict | None = None):
    kwargs = {"headers": headers, "query_string": query or {}}
    if body is not None:
        kwargs.update(data=body.encode("utf-8", "surrogatepass"), content_type="application/json")
    return client.open(op.path, method=op.method.upper(), **kwargs)


def _passing_role(client, op: Operation, tokens: dict) -> str | None:
    """The first role (or "" for no token) whose request gets past authentication and role checks:
    probed with an unknown field, which every request schema refuses, so nothing is written."""
    for role in ("", *ROLES):
        headers = tokens[role] if role else {}
        if op.body is not None:
            r = _send(client, op, headers, body='{"mmm_probe_unknown": 1}')
        elif op.query:
            r = _send(client, op, headers, query={"mmm_probe_unknown": "1"})
        else:
            return None
        assert r.status_code < 500, (str(op), role, r.status_code, r.get_data(as_text=True)[:300])
        if r.status_code not in (401, 403):
            return role
    return None


def _refused(r, op: Operation, what: str, *, pointer: str | None = None, parameter: str | None = None) -> None:
    text = r.get_data(as_text=True)[:400]
    assert r.status_code in (400, 422), (str(op), what, r.status_code, text)
    assert r.content_type == PROBLEM, (str(op), what, r.content_type)
    if pointer is not None:
        pointers = {e.get("pointer") for e in r.json.get("errors", [])}
        assert any(p == pointer or (p or "").startswith(pointer + "/") for p in pointers), (str(op), what, text)
    if parameter is not None:
        assert parameter in {e.get("parameter") for e in r.json.get("errors", [])}, (str(op), what, text)


def _body_fields(op: Operation) -> dict[str, dict]:
    return {name: schema for name, schema in (op.body or {}).get("properties", {}).items()
            if not schema.get("readOnly")}


@pytest.mark.parametrize("service", config.SERVICES)
def test_no_bad_input_reaches_a_field(service, service_app, tokens):
    app = service_app(service)
    client = app.test_client()
    spec = client.get(f"/api/v1/{service}/openapi.json").json
    ops = operations(spec, service)
    before = _outbox_count(app)
    tried = {"body fields": 0, "query parameters": 0, "past authentication": 0,
             "operations with input": sum(op.body is not None or bool(op.query) for op in ops)}
    for op in ops:
        role = _passing_role(client, op, tokens)
        headers = tokens[role] if role else {}
        auth_passed = role is not None
        tried["past authentication"] += auth_passed
        if op.body is not None:
            # the whole body
            for what, value, _ in BODY_VALUES:
                _refused(_send(client, op, headers, body=value), op, "body: " + what)
            for name, schema in _body_fields(op).items():
                tried["body fields"] += 1
                pointer = "#/" + name.replace("~", "~0").replace("/", "~1")
                for what, value, _ in BODY_VALUES:
                    _refused(_send(client, op, headers, body=f"{{{json.dumps(name)}: {value}}}"), op,
                             f"{name}: {what}", pointer=pointer)
                if "integer" in _types(schema) and auth_passed:
                    _refused(_send(client, op, headers, body=f"{{{json.dumps(name)}: {BEYOND_INT}}}"), op,
                             f"{name}: beyond integer", pointer=pointer)
        for name, schema in op.query.items():
            tried["query parameters"] += 1
            integer = "integer" in _types(schema)
            for what, value, integers_only in QUERY_VALUES:
                if integers_only and not integer:
                    continue
                r = _send(client, op, headers, query={name: value})
                if what == "nul" or auth_passed:
                    _refused(r, op, f"?{name}: {what}", parameter=name)
                else:
                    assert r.status_code < 500, (str(op), name, what, r.status_code)
        if "offset" in op.query and auth_passed:
            r = _send(client, op, headers, query={"offset": "9223372036854775807"})
            _refused(r, op, "an offset beyond any page", parameter="offset")
        for name in op.string_path_params:
            r = client.open(op.path.replace("/x", "/a%00b", 1) if "/x" in op.path else op.path + "%00",
                            method=op.method.upper(), headers=headers)
            assert 400 <= r.status_code < 500 and r.content_type == PROBLEM, (str(op), name, r.status_code)
    # the walk reached the class: bodies, parameters, and operations beyond authentication
    assert tried["operations with input"] and \
        tried["past authentication"] >= tried["operations with input"] * 3 // 4, tried
    assert _outbox_count(app) == before, "a refused request wrote an event"


def test_every_service_has_bodies_and_query_parameters_to_walk(service_app):
    """The walk above is not vacuous: the documents it reads hold the fields it tries."""
    totals = {"body": 0, "query": 0}
    for service in config.SERVICES:
        spec = service_app(service).test_client().get(f"/api/v1/{service}/openapi.json").json
        for op in operations(spec, service):
            totals["body"] += len(_body_fields(op))
            totals["query"] += len(op.query)
    assert totals["body"] > 100 and totals["query"] > 15, totals


def test_the_guard_refuses_each_class_and_names_where(service_app, tokens):
    """The guard's answers, one by one, on directory's profile (a body) and search (a query)."""
    client = service_app("directory").test_client()
    url = "/api/v1/directory/me/profile"
    mentor = tokens["mentor"]

    def patch(text: str):
        return client.patch(url, data=text.encode("utf-8", "surrogatepass"), content_type="application/json",
                          headers=mentor)

    r = patch('{"bio": "a\\u0000b"}')
    assert r.status_code == 422 and r.json["errors"] == [
        {"pointer": "#/bio", "detail": "This text holds a NUL character, which no text here may hold."}]
    r = patch('{"bio": "\\udc00"}')
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "#/bio"
    assert "surrogate" in r.json["errors"][0]["detail"]
    r = patch('{"time_windows": ' + "[" * 40 + "]" * 40 + "}")
    assert r.status_code == 422 and r.json["errors"][0]["pointer"].startswith("#/time_windows/0/0")
    assert "nested too deeply" in r.json["errors"][0]["detail"]
    r = patch(DEEP)  # beyond what the parser can follow: found again token by token
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "#" + "/0" * 32
    r = patch('{"hours_per_month": ' + HUGE + "}")
    assert r.status_code == 422 and r.json["errors"][0]["pointer"] == "#/hours_per_month"
    assert "too large" in r.json["errors"][0]["detail"]
    r = patch('{"a\\u0000": 1, "b": "\\u0000"}')  # every invalid value at once
    assert r.status_code == 422 and len(r.json["errors"]) == 2
    r = patch('{"bio": ')
    assert r.status_code == 422 and r.json["title"] == "Malformed JSON"
    r = client.get("/api/v1/directory/mentors", query_string={"q": "card\x00iology"}, headers=mentor)
    assert r.status_code == 422 and r.json["errors"][0] == {
        "parameter": "q", "in": "query", "detail": "This text holds a NUL character, which no text here may hold."}
    r = client.get("/api/v1/directory/mentors/%00", headers=mentor)
    assert r.status_code == 400 and r.content_type == PROBLEM


def test_every_service_reads_its_arguments_through_the_guard(service_app):
    """A new blueprint made from flask_smorest's own class would read its arguments unguarded."""
    import flask_smorest

    from shared.app import Blueprint

    for service in config.SERVICES:
        blueprints = [bp for bp in service_app(service).blueprints.values()
                      if isinstance(bp, flask_smorest.Blueprint)]
        assert blueprints and all(isinstance(bp, Blueprint) for bp in blueprints), service


def test_roles_come_before_the_guard(service_app, tokens):
    """The guard reads the body where the arguments are read: after the role check, which never looks at
    the body — a mentee sending an over-deep body to an operator's endpoint is told 403, not 422."""
    client = service_app("identity").test_client()
    r = client.post("/api/v1/identity/institutions", data=DEEP, content_type="application/json",
                    headers=tokens["mentee"])
    assert r.status_code == 403
    r = client.post("/api/v1/identity/institutions", data=DEEP, content_type="application/json",
                    headers=tokens["operator"])
    assert r.status_code == 422 and r.json["errors"][0]["pointer"].startswith("#/0/0")


def test_paging_is_bounded_with_a_clear_message(service_app, tokens):
    client = service_app("mentorship").test_client()
    r = client.get("/api/v1/mentorship/requests", query_string={"offset": "9223372036854775808"},
                   headers=tokens["mentee"])
    assert r.status_code == 422 and r.json["errors"][0]["parameter"] == "offset"
    assert r.json["errors"][0]["detail"] == \
        "Give an offset from 0 to 1000000; narrow the list rather than page further."
    r = client.get("/api/v1/mentorship/requests", query_string={"offset": "1000000"}, headers=tokens["mentee"])
    assert r.status_code == 200


# --- through the gateway ------------------------------------------------------------------------------------

PUBLIC = [
    ("POST", "/api/v1/identity/auth/token", "email"),
    ("POST", "/api/v1/identity/invitations/accept", "token"),
    ("POST", "/api/v1/identity/mentees/registrations", "email"),
]


@pytest.mark.parametrize("method, path, name", PUBLIC)
def test_public_doors_refuse_bad_input_through_the_gateway(platform, method, path, name):
    for what, value, _ in BODY_VALUES:
        text = f'{{"{name}": {value}}}'
        r = requests.request(method, platform + path, data=text.encode("utf-8", "surrogatepass"),
                             headers={"Content-Type": "application/json", "X-Request-Id": "bad-input-1"},
                             timeout=10)
        assert r.status_code == 422, (path, what, r.status_code, r.text[:300])
        assert r.headers["Content-Type"].startswith(PROBLEM) and r.json()["request_id"] == "bad-input-1"
        assert any(e["pointer"].startswith(f"#/{name}") for e in r.json()["errors"]), (what, r.text[:300])
    r = requests.request(method, platform + path, data=DEEP, headers={"Content-Type": "application/json"},
                         timeout=10)
    assert r.status_code == 422 and r.headers["Content-Type"].startswith(PROBLEM), r.text[:300]


def test_search_refuses_bad_input_through_the_gateway(platform):
    from tests.journeys import demo_people, sign_in

    _client, logins = demo_people(platform)
    mentee = logins["lakeside mentee1"]
    headers = {"Authorization": "Bearer " + sign_in(platform, mentee["email"], mentee["password"])}
    for q in ("card%00iology", "%ED%A0%80", "x" * 300):
        r = requests.get(f"{platform}/api/v1/directory/mentors?q={q}", headers=headers, timeout=10)
        assert r.status_code < 500, (q, r.status_code, r.text[:300])
        if "%00" in q:
            assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "q"
    r = requests.get(f"{platform}/api/v1/directory/mentors?page=9223372036854775808", headers=headers,
                     timeout=10)
    assert r.status_code == 422 and r.headers["Content-Type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["parameter"] == "page"
