#!/usr/bin/env bash
# Prints the built workers' and SPA's sizes, raw and gzipped, and what
# `wrangler deploy --dry-run` reports. Run after scripts/build.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
size() { printf '%-34s %9s bytes  %9s gzip -9\n' "$1" "$(stat -c %s "$2")" "$(gzip -9c "$2" | wc -c)"; }
size "front worker wasm (edge/build)" edge/build/keygate_edge_bg.wasm
size "front worker JS entry" edge/build/index.js
size "front worker JS core" edge/build/core.js
size "front worker JS glue (wasm-bindgen)" edge/build/keygate_edge.js
for f in edge/build/snippets/*/js/*.js; do size "front worker JS $(basename "$f")" "$f"; done
size "admin plane wasm (edge/build/plane)" edge/build/plane/keygate_edge_bg.wasm
size "admin plane JS entry" edge/build/plane/index.js
size "admin plane JS glue (wasm-bindgen)" edge/build/plane/keygate_edge.js
for f in frontend/dist/admin/*_bg.wasm; do size "SPA wasm" "$f"; done
for f in frontend/dist/admin/keygate-admin-*.js; do size "SPA JS glue" "$f"; done
for f in frontend/dist/admin/*.css; do size "SPA CSS" "$f"; done
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run --outdir target/deploy-dry-run 2>&1 | grep -E "Total Upload" | sed 's/^/wrangler deploy --dry-run (front): /'
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run -c admin-plane/wrangler.toml --outdir "$PWD/target/deploy-dry-run-plane" 2>&1 | grep -E "Total Upload" | sed 's/^/wrangler deploy --dry-run (admin plane): /'
