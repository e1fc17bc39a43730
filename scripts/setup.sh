#!/usr/bin/env bash
# Installs everything Ferry's commands need on a machine that has only Node 20 and npm:
# pnpm (the version pinned in package.json), the workspace's packages, and Debian's Chromium
# for the browser tests. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  echo "setup: installing pnpm $want_pnpm"
  # corepack fails its signature check here (shared/NOTES.md); a global npm install works.
  npm install -g --silent "pnpm@$want_pnpm" >/dev/null 2>&1 || npm install -g "pnpm@$want_pnpm"
fi

if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  echo "setup: installing packages"
  pnpm install --frozen-lockfile --reporter=append-only
fi

if [ "${1:-}" = "--browser" ] && [ ! -x "${FERRY_CHROMIUM:-/usr/bin/chromium}" ]; then
  # Playwright cannot download its own browser here; Debian's Chromium works (shared/NOTES.md).
  echo "setup: installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then apt_get() { apt-get "$@"; }; else apt_get() { sudo apt-get "$@"; }; fi
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq chromium >/dev/null
fi
