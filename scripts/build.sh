#!/usr/bin/env bash
# Builds the worker (worker-build) and the admin SPA (trunk), offline, with
# the local wasm-bindgen, esbuild and wasm-opt. wrangler runs this as its
# [build] command; KEYGATE_SKIP_BUILD=1 skips it when a harness built already.
set -euo pipefail
[ "${KEYGATE_SKIP_BUILD:-0}" = 1 ] && exit 0
source "$(dirname "$0")/env.sh"
cd "$ROOT/edge"
worker-build --release >/dev/null
# Our own wasm-opt pass (worker-build's is off in edge/Cargo.toml): -Oz was the
# smallest after gzip of -Oz/-Os/-O3, and a second -Oz round saves ~2 KB more
# (BENCHMARKS.md, Sizes). The feature list
# is worker-build's own: what rustc emits and workerd accepts, nothing newer.
wasm-opt build/index_bg.wasm -Oz -Oz --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types \
  --enable-exception-handling -o build/index_bg.opt.wasm
mv build/index_bg.opt.wasm build/index_bg.wasm
cd "$ROOT/frontend"
# erase_components: Leptos makes every component return a type-erased view
# instead of one concrete type per view tree, which cut the SPA's wasm from
# 186,151 to ~168,000 bytes gzipped (BENCHMARKS.md, Sizes). Only this build
# gets the flag, so its artifacts sit beside the unflagged ones.
RUSTFLAGS="--cfg erase_components" \
  trunk build --release --offline --public-url /admin/ --dist "$ROOT/frontend/dist/admin" >/dev/null
# §8: no inline script, so the CSP allows scripts from 'self' only.
node "$ROOT/scripts/externalize-loader.mjs" "$ROOT/frontend/dist/admin" /admin/
echo "build: worker $(stat -c %s "$ROOT/edge/build/index_bg.wasm" 2>/dev/null || echo '?') bytes of wasm; SPA in frontend/dist/admin"
