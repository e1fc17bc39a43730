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
bash scripts/setup.sh --engines

echo "== typecheck"
pnpm -s typecheck
echo "== lint (oxlint --type-aware) and format (prettier --check)"
pnpm -s lint
pnpm -s format:check
echo "== unit and store tests (Node + Chromium)"
pnpm -s exec vitest run
echo "== build, pack, and a new user's app (e2e/consumer/consumer.ts)"
pnpm -s consumer
echo "== size budgets (size-budgets.json) and the READMEs' figures"
pnpm -s sizes
echo "== API report (api/*.api.md; pnpm api:update rewrites it)"
pnpm -s api:check
echo "== TypeScript snippets of the docs and READMEs, against the packed packages"
pnpm -s docs:snippets
echo "== documentation site: API reference, VitePress build, dead links and anchors"
pnpm -s exec tsx scripts/docs/site.ts
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  echo "== end-to-end (Playwright, Chromium)"
  pnpm -s exec playwright test
fi
# The engines suite in Firefox and WebKit, every scenario (a few minutes). Chromium's run of it is
# left to `pnpm test:engines`: the Playwright suite above covers Chromium.
echo "== end-to-end core in Firefox ESR and WebKitGTK (e2e/engines)"
FERRY_ENGINES=firefox,webkit pnpm -s exec vitest run --config e2e/engines/vitest.config.ts
