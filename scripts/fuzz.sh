#!/usr/bin/env bash
# Fuzzes every target with cargo fuzz (libFuzzer, nightly), SECONDS_PER_TARGET
# each (default 300), one after the other, with a corpus kept in
# target/fuzz-corpus/ and the committed seeds. A crash is left in
# fuzz/artifacts/<target>/: copy it to fuzz/regressions/<target>/ so that
# `cargo test -p keygate-fuzz` replays it for ever.
#   bash scripts/fuzz.sh                 # every target
#   bash scripts/fuzz.sh api_bodies      # one
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
seconds="${SECONDS_PER_TARGET:-300}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(token_parse verify_decision api_bodies ip_allowlist gateway_config canonical_path record_roundtrip origin_signature)
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-corpus/$t"
  echo "== $t (${seconds}s)"
  # Fuzzing wants speed and debug assertions, not the size-tuned release profile.
  log="target/fuzz-corpus/$t.log"
  rc=0
  CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_PANIC=unwind \
    cargo +nightly fuzz run --fuzz-dir fuzz --features libfuzzer "$t" \
    "target/fuzz-corpus/$t" "fuzz/seeds/$t" -- -max_total_time="$seconds" -print_final_stats=1 \
    >"$log" 2>&1 || rc=$?
  grep -E "^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|Done)|panicked at|Test unit written|SUMMARY" "$log" || true
  if [ "$rc" -ne 0 ]; then echo "$t: crash or build failure, see $log"; exit "$rc"; fi
done
