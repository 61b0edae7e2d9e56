"""The API gateway: the real nginx on the rendered template, in front of a tiny local upstream.

Upstreams: identity, directory, training, evaluation, notifications → a local HTTP server started here
(problem+json 404s, an echo of what the gateway forwarded, a slow endpoint); mentorship → a closed port.
"""
from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from shared import config, gateway

pytestmark = pytest.mark.slow  # platform tests: the shared mechanisms end to end

try:
    NGINX: str | None = gateway.nginx_binary()
except gateway.GatewayError:
    NGINX = None

needs_nginx = pytest.mark.skipif(NGINX is None, reason="no nginx binary (on PATH or /usr/sbin/nginx); "
                                                        "scripts/bootstrap.sh installs it")

PROBLEM = "application/problem+json"
UPSTREAM_PROBLEM = {"type": "https://mentormemed.org/problems/not-found", "title": "Not Found",
                    "status": 404, "detail": "No such widget.", "instance": "/api/v1/identity/widgets/7",
                    "from": "upstream"}
SLOW_SECONDS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keepalive, as the gateway's upstream blocks expect

    def _send(self, status: int, body: dict, ctype: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if self.headers.get("X-Request-Id"):
            self.send_header("X-Request-Id", self.headers["X-Request-Id"])
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path.endswith("/widgets/7"):
            self._send(404, UPSTREAM_PROBLEM, PROBLEM)
        elif path.endswith("/slow"):
            time.sleep(SLOW_SECONDS)
            try:
                self._send(200, {"slow": True})
            except OSError:  # the gateway gave up first, as it should
                self.close_connection = True
        else:
            self._send(200, {
                "path": self.path, "method": self.command, "body_bytes": len(body),
                "x_request_id": self.headers.get("X-Request-Id"),
                "x_forwarded_for": self.headers.get("X-Forwarded-For"),
                "x_forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            })

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    def log_message(self, *args) -> None:
        pass


@dataclass
class Gateway:
    url: str
    runtime: Path
    conf: Path
    access_log: Path

    def access_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# A built web client as web/dist holds it (index.html, hashed assets, the service worker, the manifest,
# icons), small and fixed so that the tests do not depend on a real build.
FAKE_SCRIPT = "// the application\n" + "export const answer = 42;\n" * 200  # over gzip_min_length
FAKE_BUILD = {
    "index.html": '<!doctype html><html lang="en"><head><title>MentorMeMed</title>'
                  '<script type="module" crossorigin src="/assets/index-AbC123.js"></script>'
                  '<link rel="stylesheet" href="/assets/index-AbC123.css"></head>'
                  '<body><div id="root"></div></body></html>\n',
    "assets/index-AbC123.js": FAKE_SCRIPT,
    "assets/index-AbC123.css": "body { margin: 0 }\n",
    "sw.js": 'const VERSION = "abc"; self.addEventListener("fetch", () => {});\n',
    "manifest.webmanifest": '{"name": "MentorMeMed", "start_url": "/", "display": "standalone"}\n',
    "icons/icon-192.png": b"\x89PNG\r\n\x1a\n",
}


@pytest.fixture(scope="module")
def fake_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    for name, content in FAKE_BUILD.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (root / name).write_bytes(content)
        else:
            (root / name).write_text(content)
    return root


def start_gateway(upstream: str, runtime: Path, web_root: Path) -> tuple[Gateway, subprocess.Popen]:
    port = free_port()
    values = gateway.local_values(runtime, listen=f"127.0.0.1:{port}")
    values["WEB_ROOT"] = str(web_root)
    for name in config.SERVICES:
        values[f"{name.upper()}_UPSTREAM"] = upstream
    values["MENTORSHIP_UPSTREAM"] = f"127.0.0.1:{free_port()}"  # nothing listens: 502
    values.update(GATEWAY_UPSTREAM_TIMEOUT="1s", GATEWAY_SIGNIN_RATE="10r/m", GATEWAY_SIGNIN_BURST="2",
                  GATEWAY_API_RATE="1000r/s", GATEWAY_API_BURST="1000")
    conf = gateway.render(values, out=runtime / "nginx.conf")
    gateway.check_config(runtime, conf)
    access_log = runtime / "stdout.log"
    with access_log.open("wb") as out, (runtime / "stderr.log").open("wb") as err:
        proc = subprocess.Popen(gateway.nginx_command(runtime, conf), stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("nginx did not start:\n" + (runtime / "stderr.log").read_text())
        time.sleep(0.1)
    return Gateway(url=url, runtime=runtime, conf=conf, access_log=access_log), proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def gw(upstream: str, fake_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """The gateway with a built web client (WEB_ROOT = a fake web/dist)."""
    if NGINX is None:
        pytest.skip("no nginx binary")
    started, proc = start_gateway(upstream, tmp_path_factory.mktemp("gateway"), fake_build)
    yield started
    stop(proc)


@pytest.fixture(scope="module")
def gw_placeholder(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """The gateway before the web client is built: WEB_ROOT = deploy/web, the placeholder page."""
    if NGINX is None:
        pytest.skip("no nginx binary")
    started, proc = start_gateway(upstream, tmp_path_factory.mktemp("gateway-placeholder"), gateway.WEB_PLACEHOLDER)
    yield started
    stop(proc)


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= body.keys()
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


# --- render(), without nginx -------------------------------------------------------------------------

def test_render_refuses_an_unfilled_placeholder(tmp_path):
    template = tmp_path / "t.template"
    template.write_text("listen ${GATEWAY_LISTEN}; root ${WEB_ROOT}; set $x $request_id;\n")
    with pytest.raises(gateway.GatewayError, match="WEB_ROOT"):
        gateway.render({"GATEWAY_LISTEN": "8080"}, template, tmp_path / "out.conf")
    assert not (tmp_path / "out.conf").exists()


def test_render_replaces_only_upper_case_placeholders(tmp_path):
    template = tmp_path / "t.template"
    template.write_text("listen ${GATEWAY_LISTEN}; root ${WEB_ROOT}; set $x $request_id; ${lower}\n")
    out = gateway.render({"GATEWAY_LISTEN": "8080", "WEB_ROOT": "/srv/web"}, template, tmp_path / "o.conf")
    assert out.read_text() == "listen 8080; root /srv/web; set $x $request_id; ${lower}\n"


@pytest.mark.parametrize("value", ["8080; include /etc/passwd", "a b", "x}", "$host", "a\nb", '"q"'])
def test_render_refuses_values_that_could_break_out_of_a_directive(tmp_path, value):
    template = tmp_path / "t.template"
    template.write_text("listen ${GATEWAY_LISTEN};\n")
    with pytest.raises(gateway.GatewayError, match="unsafe"):
        gateway.render({"GATEWAY_LISTEN": value}, template, tmp_path / "o.conf")


def test_local_values_fill_every_placeholder_of_the_template(tmp_path):
    values = gateway.local_values(tmp_path)
    assert gateway.placeholders() == set(values)
    for name, port in config.API_PORTS.items():
        assert values[f"{name.upper()}_UPSTREAM"] == f"127.0.0.1:{port}"
    assert values["GATEWAY_LISTEN"] == "127.0.0.1:8080"


def test_compose_gives_the_gateway_every_placeholder():
    compose = (gateway.REPO_ROOT / "docker-compose.yml").read_text()
    section = compose.split("\n  gateway:\n", 1)[1]
    for name in gateway.placeholders():
        assert re.search(rf"^\s+{name}: ", section, re.M), f"docker-compose.yml gateway lacks {name}"


def test_compose_gateway_image_serves_the_built_client():
    """No Docker engine here: the gateway's image is checked by reading. compose builds it from
    deploy/Dockerfile's gateway target, which bakes in the template and the built client at compose's
    WEB_ROOT."""
    compose = (gateway.REPO_ROOT / "docker-compose.yml").read_text()
    section = compose.split("\n  gateway:\n", 1)[1].split("\n\n", 1)[0]
    assert "dockerfile: deploy/Dockerfile\n      target: gateway" in section and "volumes:" not in section
    web_root = re.search(r"^\s+WEB_ROOT: (\S+)$", section, re.M).group(1)
    dockerfile = (gateway.REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert f"COPY --from=web /web/dist {web_root}\n" in dockerfile
    assert "COPY deploy/gateway/nginx.conf.template /etc/nginx/templates/nginx.conf.template\n" in dockerfile
    assert "FROM nginx:1.27-alpine AS gateway" in dockerfile and "FROM app AS openapi" in dockerfile
    assert "mmm.cli openapi /tmp/openapi" in dockerfile and "MMM_OPENAPI_DIR=/openapi npm run build" in dockerfile
    ignored = (gateway.REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert "!deploy/Dockerfile" in ignored and "!deploy/gateway/nginx.conf.template" in ignored
    assert "web/node_modules" in ignored and "web" not in ignored


def test_template_has_no_placeholder_in_comments():
    for line in gateway.TEMPLATE.read_text().splitlines():
        if line.lstrip().startswith("#"):
            assert not gateway.PLACEHOLDER.search(line), line


# --- the running gateway --------------------------------------------------------------------------------

@needs_nginx
def test_nginx_accepts_the_rendered_config(gw):
    gateway.check_config(gw.runtime, gw.conf)


def assert_client_headers(r: requests.Response) -> None:
    """The client's security headers: no inline script or style, no framing, no sniffing."""
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin" and r.headers["X-Request-Id"]


@needs_nginx
def test_healthz(gw):
    r = requests.get(gw.url + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok", "service": "gateway"}
    assert r.headers["X-Request-Id"]


def test_web_root_is_the_build_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.setattr(gateway, "WEB_DIST", tmp_path / "dist")
    assert gateway.web_root() == gateway.WEB_PLACEHOLDER
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html>")
    assert gateway.web_root() == tmp_path / "dist"
    assert gateway.local_values(tmp_path / "run")["WEB_ROOT"] == str(tmp_path / "dist")


@needs_nginx
def test_placeholder_page_until_the_client_is_built(gw_placeholder):
    r = requests.get(gw_placeholder.url + "/", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    for name in config.SERVICES:
        assert f'href="/api/v1/{name}/openapi.json"' in r.text
    assert "<style" not in r.text and "<script>" not in r.text
    assert_client_headers(r)
    css = requests.get(gw_placeholder.url + "/placeholder.css", timeout=5)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert_problem(requests.get(gw_placeholder.url + "/nope.png", timeout=5), 404)


@needs_nginx
def test_built_client_at_the_root_with_its_security_headers(gw):
    r = requests.get(gw.url + "/", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert r.text == FAKE_BUILD["index.html"]
    assert r.headers["Cache-Control"] == "no-cache"
    assert_client_headers(r)
    assert "<script>" not in r.text and "<style" not in r.text


@needs_nginx
@pytest.mark.parametrize("path", ["/signin", "/mentors", "/mentors/5f0c1a52-3b7e-4a8e-9c1d-2f6b7a8c9d0e",
                                  "/institutions/7/webhooks/new", "/nope", "/requests/"])
def test_client_side_routes_are_the_applications_page(gw, path):
    """The SPA fallback: any extension-less path is index.html; the app says "Page not found" itself."""
    r = requests.get(gw.url + path + "?token=abc", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert r.text == FAKE_BUILD["index.html"]
    assert r.headers["Cache-Control"] == "no-cache"
    assert_client_headers(r)


@needs_nginx
def test_built_assets_are_immutable_and_compressed(gw):
    r = requests.get(gw.url + "/assets/index-AbC123.js", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/javascript")
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Content-Encoding"] == "gzip" and r.text == FAKE_SCRIPT
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    css = requests.get(gw.url + "/assets/index-AbC123.css", timeout=5)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@needs_nginx
@pytest.mark.parametrize("path,ctype", [("/sw.js", "application/javascript"),
                                        ("/manifest.webmanifest", "application/manifest+json"),
                                        ("/icons/icon-192.png", "image/png"),
                                        ("/index.html", "text/html")])
def test_service_worker_manifest_and_icons_are_revalidated(gw, path, ctype):
    """Not immutable: they name the current build's files, so each use asks the server again."""
    r = requests.get(gw.url + path, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype)
    assert r.content == (FAKE_BUILD[path.lstrip("/")] if isinstance(FAKE_BUILD[path.lstrip("/")], bytes)
                         else FAKE_BUILD[path.lstrip("/")].encode())
    assert r.headers["Cache-Control"] == "no-cache"
    assert_client_headers(r)


@needs_nginx
@pytest.mark.parametrize("path", ["/nope.png", "/favicon.ico", "/index.htm", "/mentors/old.js", "/assets/missing.js",
                                  "/assets/", "/api/v2/identity/x", "/api/v1/unknown/things", "/api/",
                                  "/api/v1/unknown/openapi.json"])
def test_unknown_path_is_a_problem_404(gw, path):
    """A file the build does not have (a name with an extension, anything under /assets/) and an /api/
    path naming no service are 404 problems, never the application's page."""
    body = assert_problem(requests.get(gw.url + path, timeout=5), 404)
    assert body["instance"] == path
    assert body["type"].endswith("/not-found")


@needs_nginx
def test_unsafe_path_is_not_echoed_into_json(gw):
    conn = http.client.HTTPConnection(gw.url.removeprefix("http://"), timeout=5)
    conn.request("GET", '/api/x"y\\z')  # a raw quote and backslash, which requests would have encoded
    r = conn.getresponse()
    assert r.status == 404 and r.getheader("Content-Type").startswith(PROBLEM)
    body = json.loads(r.read())
    assert body["instance"] == ""
    assert body["request_id"] == r.getheader("X-Request-Id")
    conn.close()


@needs_nginx
def test_service_prefix_without_slash_redirects_relatively(gw):
    r = requests.get(gw.url + "/api/v1/identity", allow_redirects=False, timeout=5)
    assert r.status_code == 301 and r.headers["Location"] == "/api/v1/identity/"


@needs_nginx
def test_request_is_passed_through_with_ids_and_forwarding_headers(gw):
    r = requests.get(gw.url + "/api/v1/identity/echo?q=1", headers={"X-Request-Id": "client-id.42"}, timeout=5)
    assert r.status_code == 200
    seen = r.json()
    assert seen["path"] == "/api/v1/identity/echo?q=1"
    assert seen["x_request_id"] == "client-id.42"
    assert r.headers["X-Request-Id"] == "client-id.42"
    assert seen["x_forwarded_for"] == "127.0.0.1"
    assert seen["x_forwarded_proto"] == "http"
    r = requests.get(gw.url + "/api/v1/training/echo", headers={"X-Forwarded-For": "10.1.2.3"}, timeout=5)
    assert r.json()["x_forwarded_for"] == "10.1.2.3, 127.0.0.1"


@needs_nginx
def test_request_id_is_generated_when_absent_or_unsafe(gw):
    r = requests.get(gw.url + "/api/v1/directory/echo", timeout=5)
    generated = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert r.json()["x_request_id"] == generated
    r = requests.get(gw.url + "/api/v1/directory/echo", headers={"X-Request-Id": "bad id <script>"}, timeout=5)
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    assert r.json()["x_request_id"] == r.headers["X-Request-Id"]


@needs_nginx
def test_one_request_id_header_only(gw):
    """The upstream's X-Request-Id is hidden, the gateway's added: never two."""
    r = requests.get(gw.url + "/api/v1/identity/echo", headers={"X-Request-Id": "one"}, timeout=5)
    assert r.raw.headers.getlist("X-Request-Id") == ["one"]


@needs_nginx
def test_gateway_errors_echo_the_clients_request_id(gw):
    r = requests.get(gw.url + "/nope.png", headers={"X-Request-Id": "abc-123"}, timeout=5)
    assert assert_problem(r, 404)["request_id"] == "abc-123"


@needs_nginx
def test_service_problem_passes_through_unchanged(gw):
    r = requests.get(gw.url + "/api/v1/identity/widgets/7", headers={"X-Request-Id": "svc-err"}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == PROBLEM
    assert r.json() == UPSTREAM_PROBLEM
    assert r.headers["X-Request-Id"] == "svc-err"


@needs_nginx
def test_body_over_the_limit_is_a_problem_413(gw):
    r = requests.post(gw.url + "/api/v1/evaluation/echo", data=b"x" * (1024 * 1024 + 1),
                      headers={"Content-Type": "application/json"}, timeout=10)
    body = assert_problem(r, 413)
    assert body["instance"] == "/api/v1/evaluation/echo"
    r = requests.post(gw.url + "/api/v1/evaluation/echo", data=b"x" * (512 * 1024),
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200 and r.json()["body_bytes"] == 512 * 1024


@needs_nginx
def test_upstream_down_is_a_problem_502(gw):
    response = requests.get(gw.url + "/api/v1/mentorship/requests", timeout=10)
    body = assert_problem(response, 502)
    assert body["service"] == "mentorship"
    assert body["type"].endswith("/upstream-unavailable")
    assert int(response.headers["Retry-After"]) > 0  # the client is told when to come back
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@needs_nginx
def test_slow_upstream_is_a_problem_504(gw):
    started = time.monotonic()
    response = requests.get(gw.url + "/api/v1/notifications/slow", timeout=10)
    body = assert_problem(response, 504)
    assert time.monotonic() - started < SLOW_SECONDS
    assert body["service"] == "notifications"
    assert int(response.headers["Retry-After"]) > 0


@needs_nginx
def test_sign_in_burst_is_rate_limited_with_a_problem_429(gw):
    url = gw.url + "/api/v1/identity/auth/token"
    # GET is not sign-in: never limited by the sign-in zone.
    assert all(requests.get(url, timeout=5).status_code == 200 for _ in range(8))
    responses = [requests.post(url, json={"email": "a@b.c", "password": "x"}, timeout=5) for _ in range(8)]
    statuses = [r.status_code for r in responses]
    assert statuses[:3] == [200, 200, 200], statuses  # 1 + burst 2
    limited = [r for r in responses if r.status_code == 429]
    assert limited, statuses
    assert assert_problem(limited[0], 429)["type"].endswith("/rate-limited")
    # Other identity paths are not held back by the sign-in limit.
    assert requests.post(gw.url + "/api/v1/identity/users", json={}, timeout=5).status_code == 200


@needs_nginx
def test_access_log_is_json_lines_with_the_request_id(gw):
    requests.get(gw.url + "/api/v1/identity/echo", headers={"X-Request-Id": "logged-1"}, timeout=5)
    requests.get(gw.url + "/missing.txt", headers={"X-Request-Id": "logged-2"}, timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        by_id = {line["request_id"]: line for line in gw.access_lines()}
        if {"logged-1", "logged-2"} <= by_id.keys():
            break
        time.sleep(0.1)
    assert by_id["logged-1"]["status"] == 200 and by_id["logged-1"]["path"] == "/api/v1/identity/echo"
    assert by_id["logged-1"]["upstream"]
    assert by_id["logged-2"]["status"] == 404 and by_id["logged-2"]["service"] == "gateway"


@pytest.mark.skipif(shutil.which("envsubst") is None, reason="no envsubst (Debian: gettext-base)")
def test_envsubst_as_in_the_nginx_image_renders_what_render_does(tmp_path):
    """docker-compose renders the template with the official image's envsubst of every defined
    environment variable; the result must equal render()'s, even with unrelated variables defined."""
    values = gateway.local_values(tmp_path / "run")
    env = {"PATH": config.env("PATH", "/usr/bin:/bin"), "HOME": "/root", "HOSTNAME": "abc123",
           "NGINX_VERSION": "1.27.5", "PKG_RELEASE": "1", "NGINX_ENVSUBST_OUTPUT_DIR": "/etc/nginx", **values}
    shell_format = " ".join(f"${{{name}}}" for name in env)  # as 20-envsubst-on-templates.sh builds it
    rendered = subprocess.run(["envsubst", shell_format], input=gateway.TEMPLATE.read_text(), env=env,
                              capture_output=True, text=True, check=True).stdout
    assert rendered == gateway.render(values, out=tmp_path / "nginx.conf").read_text()


def test_the_gateway_closes_idle_upstream_connections_before_the_apis_do():
    """An API closing a kept-alive connection just as the gateway sends a request on it answers 502
    ("upstream prematurely closed connection"): the gateway's keepalive_timeout must be the shorter."""
    from mmm.cli import api_argv

    template = gateway.TEMPLATE.read_text()
    upstreams = re.findall(r"^\s*upstream mmm_(\w+)\s*\{(.*)\}", template, re.M)
    assert {name for name, _ in upstreams} == set(config.SERVICES)
    for name, body in upstreams:
        gateway_idle = int(re.search(r"keepalive_timeout (\d+)s;", body).group(1))
        argv = api_argv(name)
        api_idle = int(argv[argv.index("--keep-alive") + 1])
        assert gateway_idle < api_idle, (name, gateway_idle, api_idle)
