#!/usr/bin/env bash
# Unit tests of the core with Node's own test runner (TypeScript through tsx).
# Pass test files to run only those: scripts/test-unit.sh test/unit/cli.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test/unit -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-reporter=spec "${files[@]}"
