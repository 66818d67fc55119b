#!/usr/bin/env bash
# Builds the worker (cargo + wasm-bindgen + our entry) and the admin SPA
# (trunk), offline, with the local wasm-bindgen and wasm-opt. wrangler runs this as its
# [build] command; KEYGATE_SKIP_BUILD=1 skips it when a harness built already.
set -euo pipefail
[ "${KEYGATE_SKIP_BUILD:-0}" = 1 ] && exit 0
source "$(dirname "$0")/env.sh"
# The workers: one crate built twice (edge/Cargo.toml's features): the
# front worker (`gateway`) in edge/build/, which wrangler.toml deploys and
# every request enters, and the admin plane (`admin-plane`) in
# edge/build/plane/, which admin-plane/wrangler.toml deploys behind the
# front's ADMIN binding (README "Deploying", BENCHMARKS.md "Issue 19").
# Each: cargo, then wasm-bindgen's plain ES module output (`--target web`:
# an `initSync` the entry calls once), then our own entry modules
# (edge/js/core.js and front.js or plane.js as index.js), which wrangler
# bundles. No worker-build and no generated entrypoint class. The reset
# function lets the entry start a fresh instance after a trap.
release_wasm_env
# Our own wasm-opt pass: -Oz was the
# smallest after gzip of -Oz/-Os/-O3, and a second -Oz round saves ~2 KB more
# (BENCHMARKS.md, Sizes). The feature list is what rustc emits and workerd
# accepts, nothing newer. KEYGATE_WASM_NAMES=1 keeps the function names
# (for bench/profile.mjs); the deployed modules have none.
strip=(--strip-debug --strip-producers)
[ "${KEYGATE_WASM_NAMES:-0}" = 1 ] && strip=(--debuginfo)
build_worker() { # features, output folder, entry
  local features=$1 out=$2 entry=$3
  cargo build --quiet --lib --release --target wasm32-unknown-unknown -p keygate-edge \
    --no-default-features --features "$features"
  mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --experimental-reset-state-function \
    --out-dir "$out" "$ROOT/target/wasm32-unknown-unknown/release/keygate_edge.wasm"
  wasm-opt "$out/keygate_edge_bg.wasm" -Oz -Oz "${strip[@]}" \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types \
    --enable-exception-handling -o "$out/keygate_edge_bg.opt.wasm"
  mv "$out/keygate_edge_bg.opt.wasm" "$out/keygate_edge_bg.wasm"
  cp "$ROOT/edge/js/core.js" "$out/core.js"
  cp "$ROOT/edge/js/$entry" "$out/index.js"
}
out="$ROOT/edge/build"
rm -rf "$out"
build_worker gateway "$out" front.js
build_worker admin-plane "$out/plane" plane.js
# KEYGATE_BUILD_ONLY=worker stops here (the bench's BEFORE build).
[ "${KEYGATE_BUILD_ONLY:-}" = worker ] && exit 0
cd "$ROOT/frontend"
# erase_components: Leptos makes every component return a type-erased view
# instead of one concrete type per view tree, which cut the SPA's wasm from
# 186,151 to ~168,000 bytes gzipped (BENCHMARKS.md, Sizes). Only this build
# gets the flag, so its artifacts sit beside the unflagged ones.
RUSTFLAGS="--cfg erase_components" \
  trunk build --release --offline --public-url /admin/ --dist "$ROOT/frontend/dist/admin" >/dev/null
# The OpenAPI document, served from the admin app's files (edge/src/openapi.rs).
mkdir -p "$ROOT/frontend/dist/api/v1"
cp "$ROOT/edge/openapi.json" "$ROOT/frontend/dist/api/v1/openapi.json"
# §8: no inline script, so the CSP allows scripts from 'self' only.
node "$ROOT/scripts/externalize-loader.mjs" "$ROOT/frontend/dist/admin" /admin/
echo "build: front worker $(stat -c %s "$out/keygate_edge_bg.wasm") and admin plane $(stat -c %s "$out/plane/keygate_edge_bg.wasm") bytes of wasm; SPA in frontend/dist/admin"
