#!/usr/bin/env bash
# Every test Ferry has, the way CI runs them: typecheck, size budgets, unit and
# store tests (Node and real Chromium), end-to-end tests (Playwright, Chromium), and Ferry's
# end-to-end core in Firefox ESR and WebKitGTK (e2e/engines; `pnpm test:engines` adds Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --engines

echo "== typecheck"
pnpm -s typecheck
echo "== unit and store tests (Node + Chromium)"
pnpm -s exec vitest run
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  echo "== end-to-end (Playwright, Chromium)"
  pnpm -s exec playwright test
fi
echo "== end-to-end core in Firefox ESR and WebKitGTK (e2e/engines)"
FERRY_ENGINES="${FERRY_ENGINES:-firefox,webkit}" pnpm -s exec vitest run --config e2e/engines/vitest.config.ts
