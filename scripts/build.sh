#!/usr/bin/env bash
# Builds the worker (worker-build) and the admin SPA (trunk), offline, with
# the local wasm-bindgen, esbuild and wasm-opt. wrangler runs this as its
# [build] command; KEYGATE_SKIP_BUILD=1 skips it when a harness built already.
set -euo pipefail
[ "${KEYGATE_SKIP_BUILD:-0}" = 1 ] && exit 0
source "$(dirname "$0")/env.sh"
cd "$ROOT/edge"
worker-build --release >/dev/null
cd "$ROOT/frontend"
trunk build --release --offline --public-url /admin/ --dist "$ROOT/frontend/dist/admin" >/dev/null
echo "build: worker $(stat -c %s "$ROOT/edge/build/index_bg.wasm" 2>/dev/null || echo '?') bytes of wasm; SPA in frontend/dist/admin"
