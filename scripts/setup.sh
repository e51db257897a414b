#!/usr/bin/env bash
# Installs what building, running and testing need on a fresh Debian machine:
#   1. Debian packages: chromium (the test browser), libkrb5-dev + build tools (code-server's native
#      modules build from source), ripgrep (stands in for @vscode/ripgrep's GitHub download), strace (the
#      privacy test watches system calls);
#   2. the project's npm dependencies (`npm ci`, onnxruntime-node's CUDA download skipped);
#   3. code-server 4.100.3 (VS Code 1.100.3, the last release for Node 20) into .vscode-test/code-server/,
#      a test tool kept out of the extension's own dependencies.
# Idempotent: each step checks first and is skipped when already done (a repeat run takes seconds).
# Only the npm registry and Debian's apt repositories are used.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

readonly CODE_SERVER_VERSION=4.100.3
readonly CODE_SERVER_DIR="$root/.vscode-test/code-server"
readonly APT_PACKAGES=(chromium libkrb5-dev ripgrep build-essential python3 ca-certificates strace)

step_started=0
step() {
  step_started=$(date +%s)
  printf '\n== setup: %s\n' "$1"
}
step_done() {
  printf '== setup: %s (%ss)\n' "$1" "$(($(date +%s) - step_started))"
}

# ---------------------------------------------------------------------------------------------------------
step 'Debian packages'
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  step_done "all present: ${APT_PACKAGES[*]}"
else
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "setup: need root (or sudo) to install Debian packages: ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  step_done "installed ${missing[*]}"
fi

# node-gyp (code-server's native modules) must find Node's headers locally: it cannot download them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

# ---------------------------------------------------------------------------------------------------------
step 'npm dependencies'
# True when every package in package-lock.json is installed at its locked version (optional packages for
# other platforms may be absent). Avoids `npm ci` wiping a node_modules that is already right.
lock_in_sync() {
  node - <<'EOF'
const fs = require('node:fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (!path.startsWith('node_modules/') || entry.link) continue;
  let installed;
  try {
    installed = JSON.parse(fs.readFileSync(`${path}/package.json`, 'utf8')).version;
  } catch {
    if (entry.optional) continue;
    process.exit(1);
  }
  if (installed !== entry.version) process.exit(1);
}
EOF
}
# Hold the checkout's npm lock (as every npm install here does) so a concurrent install is never mistaken
# for a stale node_modules.
if command -v flock >/dev/null; then
  exec 9>"$root/.npm-lock"
  flock 9
fi
if [ -d node_modules ] && lock_in_sync; then
  step_done 'node_modules matches package-lock.json'
else
  # onnxruntime-node's install script would download the CUDA provider from GitHub: the CPU build ships
  # in the package, so skip it (also set in .npmrc; the variable covers npm versions that ignore it).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  step_done 'npm ci'
fi
exec 9>&-

# ---------------------------------------------------------------------------------------------------------
step "code-server $CODE_SERVER_VERSION"
readonly CODE_SERVER_PKG="$CODE_SERVER_DIR/node_modules/code-server"
readonly CODE_SERVER_BIN="$CODE_SERVER_DIR/node_modules/.bin/code-server"
readonly CODE_SERVER_STAMP="$CODE_SERVER_DIR/.installed-$CODE_SERVER_VERSION"
if [ -f "$CODE_SERVER_STAMP" ] && [ -x "$CODE_SERVER_BIN" ]; then
  step_done 'already installed'
else
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  # Its own temp folder: @vscode/ripgrep looks for a cached download in os.tmpdir() before fetching
  # ripgrep from GitHub (unreachable). A tarball holding Debian's rg satisfies it ("Using cached download").
  export TMPDIR="$root/.vscode-test/tmp"
  mkdir -p "$TMPDIR"
  case "$(uname -m)" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64) rg_target=aarch64-unknown-linux-musl ;;
    *)
      echo "setup: no ripgrep stand-in for $(uname -m)" >&2
      exit 1
      ;;
  esac
  rg_cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
  rg_stage="$TMPDIR/rg-stage"
  mkdir -p "$rg_cache" "$rg_stage"
  cp "$(command -v rg)" "$rg_stage/rg"
  tar -czf "$rg_cache/ripgrep-v13.0.0-10-$rg_target.tar.gz" -C "$rg_stage" rg
  rm -rf "$rg_stage"

  # npm_config_unsafe_perm: code-server's postinstall refuses to run as root without it (as an environment
  #   variable it reaches the nested installs on every npm version, unlike the removed --unsafe-perm flag).
  # npm_config_yes: node-pty's build runs `npx node-gyp`, which otherwise asks (and fails without stdin).
  # npm_config_dangerously_allow_all_scripts: npm 11 is moving to allow-listed install scripts; code-server
  #   needs its own and its nested dependencies' (node-pty, kerberos, @parcel/watcher, ...) to run. Older npm
  #   ignores the setting.
  # A local install in a folder of its own, not `--global --prefix`: npm hands its settings to scripts as
  # npm_config_* variables, and with `global` among them code-server's postinstall `npm install` inside
  # lib/vscode would install that folder globally over code-server itself.
  printf '{ "name": "vscode-test-code-server", "private": true }\n' >"$CODE_SERVER_DIR/package.json"
  if ! (cd "$CODE_SERVER_DIR" && npm_config_unsafe_perm=true npm_config_yes=true \
    npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --foreground-scripts --save-exact "code-server@$CODE_SERVER_VERSION"); then
    echo "setup: installing code-server $CODE_SERVER_VERSION failed (see the npm output above)" >&2
    exit 1
  fi
  # npm may skip install scripts without failing: check that code-server's postinstall really built VS Code.
  for needed in lib/vscode/node_modules/node-pty lib/vscode/node_modules/@vscode/ripgrep/bin/rg \
    lib/vscode/extensions/node_modules; do
    if [ ! -e "$CODE_SERVER_PKG/$needed" ]; then
      echo "setup: code-server's install scripts did not complete: $CODE_SERVER_PKG/$needed is missing" >&2
      exit 1
    fi
  done
  XDG_CONFIG_HOME="$TMPDIR/config" "$CODE_SERVER_BIN" --version # its default config goes to scratch
  touch "$CODE_SERVER_STAMP"
  step_done "installed into ${CODE_SERVER_DIR#"$root/"}"
fi

printf '\nsetup: done\n'
