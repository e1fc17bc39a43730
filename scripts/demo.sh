#!/usr/bin/env bash
# Ferry's main job. Until the chat demo lands, this runs the ported seed example:
# an operation persisted first, sent while offline, retried, delivered.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm -s --filter @ferry/core example:main
