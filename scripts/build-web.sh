#!/usr/bin/env bash
# The web client (web/): Node.js and npm from Debian's packages when missing, Debian's Chromium for the
# browser tests (--with-browser, as scripts/test.sh asks), `npm ci` when package-lock.json changed and
# `npm run build` when the client's sources or the services' APIs changed. Called by bootstrap.sh; a
# run with nothing changed only hashes the inputs (well under a second). One line per step.
# MMM_SKIP_WEB=1 skips it all (the gateway then serves deploy/web's placeholder page).
set -euo pipefail
cd "$(dirname "$0")/.."

with_browser=0
[ "${1:-}" = "--with-browser" ] && with_browser=1

if [ "${MMM_SKIP_WEB:-}" = "1" ]; then
  echo "== web: skipped (MMM_SKIP_WEB=1); the gateway serves the placeholder page"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
  if [ $apt_updated -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# Node.js and npm. NodeSource's nodejs package carries its own npm (and conflicts with Debian's npm),
# so each is installed only when its command is missing.
if ! command -v node >/dev/null 2>&1; then
  echo "== web: installing Node.js from Debian's packages"
  apt_install nodejs
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "== web: installing npm from Debian's packages"
  apt_install npm
fi
# Vite 8 needs Node.js 20.19 or newer (Debian 13's nodejs; Debian 12's is 18).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "build-web: Node.js $(node --version) is too old for the web client's build (Vite needs 20.19 or newer)." >&2
  echo "build-web: install a newer nodejs (Debian 13's package, or NodeSource's), or run with MMM_SKIP_WEB=1" >&2
  echo "build-web: to start the platform without the web client." >&2
  exit 1
fi
echo "== web: Node.js $(node --version), npm $(npm --version)"

if [ $with_browser -eq 1 ]; then
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "== web: installing Chromium from Debian's packages (for the browser tests)"
    apt_install chromium
  fi
  echo "== web: Chromium $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | awk '{print $2}')"
fi

# Packages: npm ci when package.json or package-lock.json changed since the last install.
stamp=web/node_modules/.mmm-installed
want=$(cat web/package.json web/package-lock.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "== web: npm packages up to date"
else
  if [ -f "$stamp" ]; then
    echo "== web: npm ci (package.json or package-lock.json changed)"
  else
    echo "== web: npm ci (first install)"
  fi
  log=$(mktemp)
  if ! (cd web && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "build-web: installing the web client's npm packages failed (above)." >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" > "$stamp"
fi

# The build: web/dist, rebuilt when any input changed — the client's sources (tests excepted), its
# configuration and packages, and what the services' OpenAPI documents are made of (the typed client
# is generated from them, so an API change the client does not follow fails here).
inputs_hash() {
  {
    find web/src web/public -type f \
      ! -path 'web/src/api/schema/*' ! -name '*.test.ts' ! -name '*.test.tsx' -print0
    printf '%s\0' web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json \
      web/scripts/openapi-types.mjs pyproject.toml mmm/cli.py
    find services -mindepth 2 -maxdepth 2 \( -name app.py -o -name api.py -o -name schemas.py \) -print0
    find shared -maxdepth 1 -name '*.py' -print0
  } | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
built=web/node_modules/.mmm-built
want=$(inputs_hash)
if [ -f web/dist/index.html ] && [ -f "$built" ] && [ "$(cat "$built")" = "$want" ]; then
  echo "== web: client up to date (web/dist)"
else
  echo "== web: building the client (npm run build: OpenAPI types, tsc, vite)"
  started=$(date +%s)
  rm -f "$built"
  log=$(mktemp)
  if ! (cd web && MMM_PYTHON="$PWD/../.venv/bin/python" npm run build --silent) >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "build-web: the web client's build failed (above)." >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" > "$built"
  echo "== web: built web/dist in $(( $(date +%s) - started ))s"
fi
