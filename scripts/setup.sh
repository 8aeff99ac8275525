#!/usr/bin/env bash
# Installs what co86 needs on a fresh Debian machine: Debian's Chromium (the e2e tests drive it; Playwright
# cannot download its own browser here) and the npm dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# `npm install` against the committed lockfile rather than `npm ci`: the npm on these machines writes
# lockfiles without other platforms' optional packages (rollup's per-platform binaries) and then refuses
# them in `npm ci`. With the lockfile in sync, `npm install` installs exactly what it pins.
npm install --no-audit --no-fund
