#!/usr/bin/env bash
# Load benchmark, loopback only: the floor (one KV read), a plain-JS peer
# verifier, and Keygate (verify endpoint and gateway, plus the origin
# alone), one after another under the same wrangler dev/workerd setup and
# the same wrk load. Prints medians and the ratios keygate/floor and
# keygate/peer. DURATION (5s), CONNS (32), REPEATS (3) tune it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
DURATION=${DURATION:-5s}; CONNS=${CONNS:-32}; REPEATS=${REPEATS:-3}
bash scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
bash scripts/build.sh >/dev/null
cargo build --quiet --release -p keygate-cli

work="$ROOT/target/bench"; rm -rf "$work"; mkdir -p "$work/results"
state="$work/state"; port=18787; origin_port=18788
config() { # name main extra-toml
  cat > "$work/$1.toml" <<TOML
name = "bench-$1"
main = "$2"
compatibility_date = "2026-04-01"
$3
[[kv_namespaces]]
binding = "KEYS"
id = "00000000000000000000000000000000"
[vars]
ORIGIN_URL = "http://127.0.0.1:$origin_port"
MAX_KEYS_PER_ORG = "0"
TOML
}
config keygate "$ROOT/edge/build/index.js" "[assets]
directory = \"$ROOT/frontend/dist\"
binding = \"ASSETS\"
run_worker_first = true"
config floor "$ROOT/bench/floor/worker.js" ""
config peer "$ROOT/bench/peer/worker.js" ""

pid=""
start() {
  setsid wrangler dev --config "$work/$1.toml" --ip 127.0.0.1 --port $port --persist-to "$state" \
    --inspector-port 0 --log-level error >"$work/$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.25; done
  echo "bench: $1 did not start"; cat "$work/$1.log"; exit 1
}
stop() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; sleep 1; }
post_lua() { printf 'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = %s\n' "'$1'" > "$work/$2.lua"; }
run() { # case url [wrk args...]
  local case=$1 url=$2; shift 2
  for n in $(seq 1 "$REPEATS"); do wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" > "$work/results/$case.$n.txt"; done
  echo "bench: $case done"
}

python3 bench/origin.py $origin_port & origin=$!
trap 'stop; kill $origin 2>/dev/null || true' EXIT
./target/release/keygate bootstrap --config "$work/keygate.toml" --persist-to "$state" --save "$work/admin" >/dev/null 2>&1
wrangler kv key put floor ok --binding KEYS --config "$work/floor.toml" --local --persist-to "$state" >/dev/null 2>&1

start keygate
token=$(curl -s -H "Authorization: Bearer $(cat "$work/admin")" -d '{"name":"bench"}' "http://127.0.0.1:$port/api/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
unknown="kg_$(python3 -c 'import zlib,secrets,string
a=string.digits+string.ascii_uppercase+string.ascii_lowercase
r="".join(secrets.choice(a) for _ in range(32)); n=zlib.crc32(r.encode()); s=""
for _ in range(6): s=a[n%62]+s; n//=62
print(r+s)')"
post_lua "{\"token\":\"$token\"}" valid; post_lua "{\"token\":\"$unknown\"}" unknown; post_lua '{"token":"kg_malformed"}' malformed
run keygate-verify-valid "http://127.0.0.1:$port/api/v1/verify" -s "$work/valid.lua"
run keygate-verify-unknown "http://127.0.0.1:$port/api/v1/verify" -s "$work/unknown.lua"
run keygate-verify-malformed "http://127.0.0.1:$port/api/v1/verify" -s "$work/malformed.lua"
run keygate-gateway-valid "http://127.0.0.1:$port/calls/x" -H "x-api-key: $token"
stop
run origin-alone "http://127.0.0.1:$origin_port/calls/x"
start floor; run floor "http://127.0.0.1:$port/"; stop
start peer
run peer-valid "http://127.0.0.1:$port/" -s "$work/valid.lua"
run peer-unknown "http://127.0.0.1:$port/" -s "$work/unknown.lua"
run peer-malformed "http://127.0.0.1:$port/" -s "$work/malformed.lua"
stop
echo
echo "wrk -t2 -c$CONNS -d$DURATION, $REPEATS runs each, loopback, $(nproc) cores"
python3 bench/report.py "$work/results"
echo
bash scripts/sizes.sh
