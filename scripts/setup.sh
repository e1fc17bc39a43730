#!/usr/bin/env bash
# Installs everything Ferry's commands need on a machine that has only Node 20 and npm:
# pnpm (the version pinned in package.json), the workspace's packages, and Debian's browsers
# for the browser tests (Chromium with --browser; Chromium, Firefox ESR and WebKitGTK with --engines). Safe to run again: each step is skipped when already done.
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

# --browser: Debian's Chromium. --engines: Chromium, Firefox ESR and WebKitGTK (with its driver,
# an X server for it, and the Python bindings tools/webkitBrowser.py runs on).
chrome=()
want=()
case "${1:-}" in
  --browser | --engines)
    # Playwright cannot download its own browser here; Debian's Chromium works (shared/NOTES.md).
    [ -x "${FERRY_CHROMIUM:-/usr/bin/chromium}" ] || chrome+=(chromium)
    ;;
esac
if [ "${1:-}" = "--engines" ]; then
  [ -x "${FERRY_FIREFOX:-/usr/bin/firefox-esr}" ] || want+=(firefox-esr)
  [ -x "${FERRY_WEBKIT_DRIVER:-/usr/bin/WebKitWebDriver}" ] || want+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || want+=(xvfb)
  command -v xauth >/dev/null || want+=(xauth)
  /usr/bin/python3 -c 'import gi; gi.require_version("WebKit2", "4.1"); gi.require_version("Gtk", "3.0"); from gi.repository import WebKit2, Gtk' 2>/dev/null ||
    want+=(python3-gi gir1.2-webkit2-4.1)
fi
if [ $((${#chrome[@]} + ${#want[@]})) -gt 0 ]; then
  echo "setup: installing Debian's ${chrome[*]} ${want[*]}"
  if [ "$(id -u)" = 0 ]; then apt_get() { apt-get "$@"; }; else apt_get() { sudo apt-get "$@"; }; fi
  apt_get update -qq
  [ ${#chrome[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt_get install -y -qq "${chrome[@]}" >/dev/null
  # Firefox ESR, WebKitGTK and the rest: about 30 s and 110 MB without recommends (shared/NOTES.md).
  [ ${#want[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
