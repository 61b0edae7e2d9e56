"""The API gateway's local run: render deploy/gateway/nginx.conf.template and build the nginx command.

The same template is rendered by the official nginx image's envsubst in docker-compose; here only
dollar-brace UPPER_CASE placeholders are replaced, so nginx's own lowercase `$variables` are untouched.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from shared import config

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "deploy" / "gateway" / "nginx.conf.template"
# The web client as scripts/bootstrap.sh builds it (web/dist); a placeholder page until it is built.
WEB_DIST = REPO_ROOT / "web" / "dist"
WEB_PLACEHOLDER = REPO_ROOT / "deploy" / "web"


def web_root() -> Path:
    return WEB_DIST if (WEB_DIST / "index.html").exists() else WEB_PLACEHOLDER

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# A value lands inside an nginx directive: nothing that could end it or start another.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_./:@%+,=\[\]-]+$")

# Tunables with their local defaults; each can be overridden by the environment variable of that name.
DEFAULTS = {
    "GATEWAY_API_RATE": "200r/s",
    "GATEWAY_API_BURST": "400",
    "GATEWAY_SIGNIN_RATE": "10r/m",
    "GATEWAY_SIGNIN_BURST": "5",
    "GATEWAY_UPSTREAM_TIMEOUT": "30s",
    "GATEWAY_UPSTREAM_KEEPALIVE_REQUESTS": "100",
}


class GatewayError(RuntimeError):
    """The gateway's configuration could not be rendered or was refused by nginx."""


def placeholders(template: Path = TEMPLATE) -> set[str]:
    """Names of the placeholders the template uses."""
    return set(PLACEHOLDER.findall(template.read_text()))


def render(values: Mapping[str, str], template: Path = TEMPLATE, out: Path | None = None) -> Path:
    """Write the template with every placeholder replaced by its value; return the written path.

    `out` defaults to <GATEWAY_RUNTIME_DIR>/nginx.conf. Raises GatewayError when a placeholder has no
    value or a value could break out of its directive. The runtime dir is created when missing.
    """
    text = template.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise GatewayError(f"no value for gateway placeholder(s): {', '.join(missing)}")
    for name, value in values.items():
        if not _SAFE_VALUE.match(str(value)):
            raise GatewayError(f"unsafe value for {name}: {value!r} (no spaces, quotes, ; {{ }} or $)")
    rendered = PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
    if "GATEWAY_RUNTIME_DIR" in values:
        Path(values["GATEWAY_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)
    if out is None:
        if "GATEWAY_RUNTIME_DIR" not in values:
            raise GatewayError("give `out` or a GATEWAY_RUNTIME_DIR value")
        out = Path(values["GATEWAY_RUNTIME_DIR"]) / "nginx.conf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rendered)
    return out


def local_values(runtime_dir: Path, listen: str = "127.0.0.1:8080") -> dict[str, str]:
    """Placeholder values of a local run: every service's API on 127.0.0.1:<API_PORTS[svc]>."""
    values = {
        "GATEWAY_LISTEN": listen,
        "GATEWAY_RUNTIME_DIR": str(Path(runtime_dir).resolve()),
        "WEB_ROOT": str(web_root()),
    }
    for service, port in config.API_PORTS.items():
        values[f"{service.upper()}_UPSTREAM"] = f"127.0.0.1:{port}"
    for name, default in DEFAULTS.items():
        values[name] = config.env(name, default) or default
    return values


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        raise GatewayError("nginx not found on PATH nor at /usr/sbin/nginx (Debian: apt-get install nginx-light)")
    return found


def nginx_command(runtime_dir: Path, conf: Path) -> list[str]:
    """`nginx -p <runtime_dir> -c <conf> -g 'daemon off;'` in the foreground.

    Run as root, the workers keep root's identity ("user root") instead of nginx's compiled-in
    unprivileged user, which could not read a checkout or runtime dir under a private home. The
    container image does not use this command and drops its workers to its `nginx` user.
    """
    directives = "daemon off;"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        directives += " user root;"
    return [nginx_binary(), "-p", f"{Path(runtime_dir).resolve()}/", "-c", str(Path(conf).resolve()),
            "-g", directives]


def check_config(runtime_dir: Path, conf: Path) -> None:
    """`nginx -t` on the rendered config; raises GatewayError with nginx's message when it is refused."""
    command = nginx_command(runtime_dir, conf)
    command.insert(1, "-t")
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        raise GatewayError(f"nginx -t failed:\n{result.stderr.strip()}")


def render_local(runtime_dir: Path, listen: str = "127.0.0.1:8080") -> Path:
    """local_values + render into <runtime_dir>/nginx.conf + check_config; returns the config path."""
    conf = render(local_values(runtime_dir, listen))
    check_config(runtime_dir, conf)
    return conf
