#!/usr/bin/env bash
# The project's test command (`npm test`): static checks, build, then the three test levels —
#   unit         the core, with Node's test runner (scripts/test-unit.sh);
#   integration  mocha inside the real VS Code extension host (code-server), test/integration/;
#   e2e          the workbench driven in chromium, test/e2e/, screenshots in artifacts/screenshots/;
# and a check that `npm start` serves the extension (scripts/start.sh --check).
# Prints each step's time and, last, one line `N passed, N failed` summed over everything (each static
# check counts as one). Exits non-zero if anything failed. Sets up what is missing first (scripts/setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

total_passed=0
total_failed=0
summary=()
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

record() { # name passed failed seconds
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  summary+=("$(printf '%-12s %4s passed %4s failed %5ss' "$1" "$2" "$3" "$4")")
}

# Runs a command with its output shown and kept; sets $status, $seconds and $log.
run_logged() { # name command...
  local name=$1
  shift
  log="$logs/$name.log"
  printf '\n=== %s: %s\n' "$name" "$*"
  local started=$SECONDS
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  seconds=$((SECONDS - started))
  printf '=== %s: exit %s after %ss\n' "$name" "$status" "$seconds"
}

# A check passes or fails as a whole.
check() { # name command...
  run_logged "$@"
  if [ "$status" -eq 0 ]; then record "$1" 1 0 "$seconds"; else record "$1" 0 1 "$seconds"; fi
}

# A test level reports counts; a non-zero exit without a reported failure (a crash) counts as one.
level() { # name parser command...
  local name=$1 parser=$2
  shift 2
  run_logged "$name" "$@"
  local counts passed failed
  counts=$("$parser" "$log")
  passed=${counts% *}
  failed=${counts#* }
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  record "$name" "$passed" "$failed" "$seconds"
}

# Node's spec reporter ends with `ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`.
node_test_counts() {
  awk '/^ℹ pass /{p=$3} /^ℹ fail /{f+=$3} /^ℹ cancelled /{f+=$3} END{print p+0, f+0}' "$1"
}

# Our VS Code runners end with `N passed, N failed`.
summary_counts() {
  grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1 | awk '{print $1+0, $3+0}' | grep . || echo '0 0'
}

check setup bash scripts/setup.sh
[ "$status" -eq 0 ] || {
  echo "$total_passed passed, $total_failed failed"
  exit 1
}
check typecheck npm run --silent typecheck
check lint node_modules/.bin/eslint .
check format node_modules/.bin/prettier --check .
check build npm run build
if [ "$status" -eq 0 ] && node -e 'process.exit(require("./package.json").scripts?.["build:models"] ? 0 : 1)'; then
  check models npm run build:models
fi

if [ "$status" -eq 0 ]; then
  level unit node_test_counts bash scripts/test-unit.sh
  level integration summary_counts node --import tsx test/vscode/run-integration.ts
  # The same bundle once more with the sample workspace untrusted (Restricted Mode suites run only then).
  level restricted summary_counts env PATENT_PASSAGES_RESTRICTED=1 PATENT_PASSAGES_TEST_GREP='Restricted Mode' \
    node --import tsx test/vscode/run-integration.ts
  level e2e summary_counts node --import tsx test/vscode/run-e2e.ts
  # The main job (`npm start`) in scratch folders: the extension installed by link activates.
  check start node --import tsx test/vscode/start.ts --check
else
  echo 'The build failed: the test levels did not run.' >&2
fi

printf '\n=== summary\n'
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
