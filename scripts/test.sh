#!/usr/bin/env bash
# Every test Ferry has, the way CI runs them: typecheck, lint (type-aware), format,
# unit and store tests (Node and real Chromium), the build and what it ships (the
# consumer test: packed tarballs installed with npm into a create-vite app), size
# budgets per entry and the sizes the package READMEs state, the API report (api/*.api.md), the docs'
# TypeScript snippets against the packed packages, the documentation site with its links and anchors,
# end-to-end tests (Playwright, Chromium), and Ferry's end-to-end core in
# Firefox ESR and WebKitGTK (e2e/engines).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's heading says how long the run has taken so far, so a slow step shows in the log.
step() { echo "== $1 [$((SECONDS / 60))m$((SECONDS % 60))s]"; }
bash scripts/setup.sh --engines

step "typecheck"
pnpm -s typecheck
step "lint (oxlint --type-aware) and format (prettier --check)"
pnpm -s lint
pnpm -s format:check
step "unit and store tests (Node + Chromium)"
pnpm -s exec vitest run
step "build, pack, and a new user's app (e2e/consumer/consumer.ts)"
pnpm -s consumer
step "size budgets (size-budgets.json) and the READMEs' figures"
pnpm -s sizes
step "API report (api/*.api.md; pnpm api:update rewrites it)"
pnpm -s api:check
step "TypeScript snippets of the docs and READMEs, against the packed packages"
pnpm -s docs:snippets
step "documentation site: API reference, VitePress build, dead links and anchors"
pnpm -s exec tsx scripts/docs/site.ts
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  step "end-to-end (Playwright, Chromium)"
  pnpm -s exec playwright test
fi
# The engines suite in Firefox and WebKit, every scenario (a few minutes). Chromium's run of it is
# left to `pnpm test:engines`: the Playwright suite above covers Chromium.
step "end-to-end core in Firefox ESR and WebKitGTK (e2e/engines)"
FERRY_ENGINES=firefox,webkit pnpm -s exec vitest run --config e2e/engines/vitest.config.ts
step "done"
