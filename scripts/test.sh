#!/usr/bin/env bash
# Every test Ferry has, the way CI runs them: typecheck, size budgets, unit and
# store tests (Node and real Chromium), end-to-end tests (Playwright, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

echo "== typecheck"
pnpm -s typecheck
echo "== unit and store tests (Node + Chromium)"
pnpm -s exec vitest run
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  echo "== end-to-end (Playwright, Chromium)"
  pnpm -s exec playwright test
fi
