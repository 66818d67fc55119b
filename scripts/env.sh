# Sourced by the other scripts: tool paths, and quiet, offline wrangler.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
# The wasm-bindgen CLI must be exactly the library version in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$ROOT/Cargo.lock")
TRUNK_VERSION=0.21.14
SCHEMATHESIS_VERSION=4.32.5
export SCHEMATHESIS_BIN="$ROOT/.tools/venv/bin/schemathesis"
# The release wasm builds (worker and SPA) compile std themselves under
# panic = "immediate-abort"; why, and how to undo it: README, "Release
# profile". Unlocked for these builds only; needs rust-src (setup.sh).
release_wasm_env() {
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT=true
  export CARGO_PROFILE_RELEASE_PANIC=immediate-abort
}
