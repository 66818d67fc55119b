#!/usr/bin/env bash
# Installs what building and testing Keygate needs, skipping whatever is
# already there at the right version. Safe to run again; quick the second time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
# The release wasm builds compile std from source (env.sh, release_wasm_env):
# its sources, and the crates it depends on, fetched now so trunk's offline
# build finds them.
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src
(release_wasm_env && cargo fetch --quiet)

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! have_version trunk "$TRUNK_VERSION"; then
  echo "setup: installing trunk $TRUNK_VERSION (a few minutes)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi
if ! "$SCHEMATHESIS_BIN" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "setup: installing schemathesis $SCHEMATHESIS_VERSION into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ "${KEYGATE_SETUP_BROWSER:-0}" = 1 ] && [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian chromium for the browser tests"
  # As root (CI) directly, else through sudo.
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo DEBIAN_FRONTEND=noninteractive)
  export DEBIAN_FRONTEND=noninteractive
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq && ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq chromium >/dev/null
fi
