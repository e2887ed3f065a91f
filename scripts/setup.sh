#!/usr/bin/env bash
# Installs what the local stack and the test suites need, only when missing:
# Debian packages (PostgreSQL 15 + pg_cron + pgTAP, Chromium for Playwright),
# npm dependencies (which include Deno, through the `deno` npm package).
# Never downloads a browser or a binary from outside the npm registry / Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in postgresql-15 postgresql-15-cron postgresql-15-pgtap chromium; do
  have_pkg "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${need_pkgs[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "[setup] missing Debian packages: ${need_pkgs[*]}; run as root or install sudo, then: apt-get install ${need_pkgs[*]}" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  # Debian's postgresql-common creates and starts a default cluster; the project runs its own.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    $SUDO pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lockfile.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm dependencies"
  # `npm install` (not `npm ci`): the lockfile records only this platform's optional binaries.
  npm install --no-audit --no-fund --loglevel=error
fi

# Deno type-checks `node:` imports against @types/node next to deno.json
# (nodeModulesDir "manual"): point supabase/functions at the project's packages.
ln -sfn ../../node_modules supabase/functions/node_modules

if [ ! -x node_modules/.bin/deno ]; then
  echo "[setup] Deno is missing from node_modules (npm package 'deno'); run: npm install" >&2
  exit 1
fi
