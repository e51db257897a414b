#!/usr/bin/env bash
# `npm start`: the main job. Sets up what is missing (scripts/setup.sh, quick when done), builds, and runs
# VS Code (code-server) on 127.0.0.1 with the extension loaded from this folder and a sample workspace of
# real patent documents (.vscode-test/sample-workspace/) open; prints the URL and runs until Ctrl-C.
#   PORT=9000 npm start        another port (default 8080)
#   npm start -- --check       start in scratch folders, check the extension in chromium, stop (npm test)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null || { echo 'npm start: set-up failed; run bash scripts/setup.sh to see why' >&2; exit 1; }
npm run --silent build
if node -e 'process.exit(require("./package.json").scripts?.["build:models"] ? 0 : 1)'; then
  npm run --silent build:models
fi
exec node --import tsx test/vscode/start.ts "$@"
