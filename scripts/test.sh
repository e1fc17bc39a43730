#!/usr/bin/env bash
# Every test Ferry has, the way CI runs them: typecheck, lint (type-aware), format,
# unit and store tests (Node and real Chromium), the build and what it ships (the
# consumer test: packed tarballs installed with npm into a create-vite app), size
# budgets per entry, end-to-end tests (Playwright, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

echo "== typecheck"
pnpm -s typecheck
echo "== lint (oxlint --type-aware) and format (prettier --check)"
pnpm -s lint
pnpm -s format:check
echo "== unit and store tests (Node + Chromium)"
pnpm -s exec vitest run
echo "== build, pack, and a new user's app (e2e/consumer/consumer.ts)"
pnpm -s consumer
echo "== size budgets (size-budgets.json)"
pnpm -s sizes
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  echo "== end-to-end (Playwright, Chromium)"
  pnpm -s exec playwright test
fi
# Firefox ESR and WebKitGTK (e2e/engines) run in `pnpm test:engines` for now: their 10x loop is not
# finished on the current code (see the issue-16 note), and a flaky engine must not hold CI back.
