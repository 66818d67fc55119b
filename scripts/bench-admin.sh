#!/usr/bin/env bash
# Admin-plane benchmark, loopback only (method and figures: BENCHMARKS.md).
#
# Seeds 1,000, 10,000 and 100,000 keys straight into local D1 and KV (not
# through the API: bench/admin_bench.py writes the rows, audit events and
# projections, applied with `wrangler d1 execute --file` and `wrangler kv
# bulk put`), starts the worker under `wrangler dev` on each, and times
# the admin calls and one cron run. In the same run, the previous design
# (every admin read a scan of KV: the last commit before the D1 plane,
# OLD_COMMIT, built from git in a worktree) is timed at 1,000 and 10,000
# keys. SIZES, OLD_SIZES and REPEATS (5) tune it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
SIZES=${SIZES:-"1000 10000 100000"}
OLD_SIZES=${OLD_SIZES:-"1000 10000"}
OLD_COMMIT=${OLD_COMMIT:-6320d7d}
export REPEATS=${REPEATS:-5}
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
cargo build --quiet --release -p keygate-cli

work="$ROOT/target/bench-admin"; rm -rf "$work/run"; mkdir -p "$work/run"
results="$work/run/results.json"

# The previous design, built once from git beside this checkout.
if [ -n "$OLD_SIZES" ] && [ ! -f "$work/old/edge/build/index.js" ]; then
  rm -rf "$work/old"; git worktree prune
  git worktree add --detach "$work/old" "$OLD_COMMIT" >/dev/null
  ln -s "$ROOT/node_modules" "$work/old/node_modules"
  (cd "$work/old" && CARGO_TARGET_DIR="$work/old-target" bash scripts/build.sh >/dev/null)
fi

config() { # file main with-d1
  cat > "$1" <<TOML
name = "bench-admin"
main = "$2"
compatibility_date = "2026-04-01"
[[kv_namespaces]]
binding = "KEYS"
id = "00000000000000000000000000000000"
TOML
  if [ "$3" = 1 ]; then cat >> "$1" <<TOML
[[d1_databases]]
binding = "DB"
database_name = "keygate"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "$ROOT/migrations"
TOML
  fi
  cat >> "$1" <<TOML
[vars]
MAX_KEYS_PER_ORG = "10"
VERIFY_CACHE_SECONDS = "0"
TOML
}

run_case() { # layout n
  local layout=$1 n=$2 dir="$work/run/$1-$2" port=18900 pid
  mkdir -p "$dir"
  if [ "$layout" = d1 ]; then
    # The admin plane alone: it answers the admin API itself (no front
    # worker is needed to time it; bench/admin_bench.py sends the header
    # the front would).
    config "$dir/wrangler.toml" "$ROOT/edge/build/plane/index.js" 1
    CI=true wrangler d1 migrations apply DB --local --config "$dir/wrangler.toml" --persist-to "$dir/state" >/dev/null
  else
    config "$dir/wrangler.toml" "$work/old/edge/build/index.js" 0
  fi
  python3 bench/admin_bench.py seed "$layout" "$n" "$dir"
  local t0=$SECONDS
  if [ "$layout" = d1 ]; then
    CI=true wrangler d1 execute DB --local --yes --config "$dir/wrangler.toml" --persist-to "$dir/state" --file "$dir/seed.sql" >/dev/null
  fi
  wrangler kv bulk put "$dir/kv.json" --binding KEYS --local --config "$dir/wrangler.toml" --persist-to "$dir/state" >/dev/null
  echo "bench-admin: seeded $layout $n in $((SECONDS - t0)) s"
  if [ "$layout" = d1 ]; then
    ./target/release/keygate bootstrap --config "$dir/wrangler.toml" --persist-to "$dir/state" --save "$dir/admin" >/dev/null 2>&1
  else
    # The old design's CLI writes KV only: bootstrap through the old build.
    (cd "$work/old" && CARGO_TARGET_DIR="$work/old-target" cargo run --quiet --release -p keygate-cli -- \
      bootstrap --config "$dir/wrangler.toml" --persist-to "$dir/state" --save "$dir/admin" >/dev/null 2>&1)
  fi
  KEYGATE_SKIP_BUILD=1 setsid wrangler dev --config "$dir/wrangler.toml" --ip 127.0.0.1 --port $port \
    --persist-to "$dir/state" --inspector-port 0 --test-scheduled >"$dir/wrangler.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/health" && break; sleep 0.5; done
  local label="new $n"; [ "$layout" = kv ] && label="old $n"
  python3 bench/admin_bench.py time "http://127.0.0.1:$port" "$(cat "$dir/admin")" "$label" "$results" \
    || { tail -30 "$dir/wrangler.log"; kill -- -"$pid"; exit 1; }
  kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

for n in $SIZES; do run_case d1 "$n"; done
for n in $OLD_SIZES; do run_case kv "$n"; done
python3 bench/admin_bench.py report "$results"
