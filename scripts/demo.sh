#!/usr/bin/env bash
# Ferry's main job, `pnpm demo`: the offline-first chat. Installs what is missing
# (scripts/setup.sh), builds the page and its service worker with Vite, then
# starts the reference server on 127.0.0.1 and prints the URL. PORT picks the
# port (default 5173; a free one when that is taken). Messages and idempotency
# keys are kept in an embedded database (PGlite) in demo/.data/db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm -s --filter @ferry/demo build
exec pnpm -s --filter @ferry/demo start
