#!/usr/bin/env bash
# Installs what the platform needs on a fresh machine: Python packages into .venv, nginx from
# Debian's packages when missing, and the web client (scripts/build-web.sh: Node.js, npm packages, the
# build in web/dist). Idempotent and quick when everything is already there.
#   --with-browser   also Debian's Chromium, for the browser tests (scripts/test.sh passes it)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "bootstrap: Python 3.11 or newer is needed as '$PYTHON' (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.mmm-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c 'import mmm.cli, flask_smorest, pika' 2>/dev/null; then
  echo "== installing Python packages into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "$want" > "$stamp"
fi

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "== installing nginx from Debian's packages"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null \
    || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
  # The package starts a system nginx on port 80; the platform runs its own gateway instead.
  $SUDO service nginx stop >/dev/null 2>&1 || $SUDO pkill -f 'nginx: master' >/dev/null 2>&1 || true
fi

# PgBouncer (transaction mode) for `MMM_PGBOUNCER=1 make up`, and for the test suite's PgBouncer test.
if { [ "${MMM_PGBOUNCER:-0}" != "0" ] && [ "${MMM_PGBOUNCER:-0}" != "off" ]; } || [[ " $* " == *" --with-browser "* ]]; then
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "== installing pgbouncer from Debian's packages"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq pgbouncer >/dev/null
    # The package may start a system PgBouncer on 6432; the platform runs its own.
    $SUDO service pgbouncer stop >/dev/null 2>&1 || true
  fi
fi

./scripts/build-web.sh "$@"
