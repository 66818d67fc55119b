#!/usr/bin/env bash
# Prints the built worker's and SPA's sizes, raw and gzipped, and what
# `wrangler deploy --dry-run` reports. Run after scripts/build.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
size() { printf '%-34s %9s bytes  %9s gzip -9\n' "$1" "$(stat -c %s "$2")" "$(gzip -9c "$2" | wc -c)"; }
size "worker wasm (edge/build)" edge/build/keygate_edge_bg.wasm
size "worker JS entry" edge/build/index.js
size "worker JS glue (wasm-bindgen)" edge/build/keygate_edge.js
for f in edge/build/snippets/*/js/*.js; do size "worker JS $(basename "$f")" "$f"; done
for f in frontend/dist/admin/*_bg.wasm; do size "SPA wasm" "$f"; done
for f in frontend/dist/admin/keygate-admin-*.js; do size "SPA JS glue" "$f"; done
for f in frontend/dist/admin/*.css; do size "SPA CSS" "$f"; done
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run --outdir target/deploy-dry-run 2>&1 | grep -E "Total Upload" | sed 's/^/wrangler deploy --dry-run: /'
