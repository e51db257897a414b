#!/usr/bin/env bash
# Installs the embedding benchmark's comparison baseline, @huggingface/transformers, into .bench/deps —
# outside the project's dependencies (it is 475 MB with onnxruntime-web and sharp) and out of CI.
# Offline-safe: the onnxruntime-node CUDA download is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -f .bench/deps/node_modules/@huggingface/transformers/package.json ]; then
  echo "transformers.js already installed in .bench/deps"
  exit 0
fi
mkdir -p .bench/deps
[ -f .bench/deps/package.json ] || echo '{ "name": "bench-deps", "private": true }' > .bench/deps/package.json
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix .bench/deps --no-audit --no-fund --save-exact @huggingface/transformers@4.3.2
