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
npm ci --no-audit --no-fund
