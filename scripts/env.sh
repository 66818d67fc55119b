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
