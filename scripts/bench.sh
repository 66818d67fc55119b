#!/usr/bin/env bash
# Load benchmark, loopback only (method and figures: BENCHMARKS.md).
#
# Eight workers run side by side under wrangler dev (workerd + local KV), all
# pinned to CPU 0, and wrk (one thread, pinned to CPU 1) drives them one
# case at a time, the cases interleaved round by round so that drift of
# the machine falls on all of them alike; a first round warms the JITs up
# and is thrown away:
#   null     a worker that does nothing: the most this setup serves at all;
#            on /relay it only forwards to the origin (the gateway's ceiling)
#   floor    one KV read, then 200: what any KV-backed verifier must pay
#   do-floor one KV read and one call to a Durable Object that counts and
#            stores the count (bench/do-floor): what exact limits must pay
#   peer     a verify endpoint in plain JavaScript (bench/peer/worker.js)
#   keygate  the real front worker (verify endpoint and gateway, with keys
#            without limits, a rate-limited one, one with credits and one
#            whose credits are spent: the 429 path), each session with its
#            admin plane beside it (the limiter objects, the admin API that
#            makes the keys), and the same with VERIFY_CACHE_SECONDS=0, and
#            as wrangler.toml deploys it (`deployed`: also the admin app's
#            files in their own assets-only worker), and in the shape it
#            was deployed in before (`assets`: `[assets]` on the front
#            itself, run_worker_first = true)
# plus the loopback origin alone. Each worker case is measured `direct`, on
# the socket of the workerd that runs the worker, and, if asked, `proxied`,
# through wrangler dev's own proxy on its public port (that proxy, not the
# worker, is then the bottleneck).
# Then, unless PROFILE=0, a CPU profile of one worker's isolate per case,
# each worker alone (bench/profile.mjs on the runtime's own inspector):
# where the time of a request goes, the breakdown in BENCHMARKS.md
# "Issue 19".
# BEFORE=<git revision> adds that revision's worker (built in a worktree
# under target/bench), cache off, beside this one's: before/after of a
# change in the same run, where machine drift between runs cannot pass
# for it. BEFORE_CACHE=1 runs it with the cache on instead, beside the
# cached cases, the limited ones among them (a change to the limiter).
# BEFORE_PAIRED (a regex on case names of the worker that BEFORE_CACHE
# picks) chooses the cases it is paired with instead.
# CASES (an extended regex on the case names, e.g.
# 'floor|do-floor|keygate-verify-(valid|ratelimited|credits)') keeps only those.
# DURATION (5s), CONNS (16), REPEATS (3), LAYERS ("direct"; "direct proxied"
# adds the proxy), PROFILE (1) and PROFILE_SECONDS (5) tune it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
DURATION=${DURATION:-5s}; CONNS=${CONNS:-16}; REPEATS=${REPEATS:-3}; LAYERS=${LAYERS:-direct}
PROFILE=${PROFILE:-1}; PROFILE_SECONDS=${PROFILE_SECONDS:-5}; BEFORE=${BEFORE:-}
BEFORE_CACHE=${BEFORE_CACHE:-0}
bash scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v taskset >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux >/dev/null; }
# ss finds each worker's direct socket and inspector (below).
command -v ss >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; }
bash scripts/build.sh >/dev/null
cargo build --quiet --release -p keygate-cli -p keygate-e2e --bin keygate --bin bench_origin

work="$ROOT/target/bench"
git worktree remove --force "$work/before-src" 2>/dev/null || true
rm -rf "$work"; git worktree prune; mkdir -p "$work/results"
origin_port=18788
workers=(keygate keygate-nocache keygate-deployed keygate-assets null floor peer do-floor)
declare -A main=(
  [keygate]="$ROOT/edge/build/index.js" [keygate-nocache]="$ROOT/edge/build/index.js"
  [keygate-deployed]="$ROOT/edge/build/index.js" [keygate-assets]="$ROOT/edge/build/index.js"
  [null]="$ROOT/bench/null/worker.js"
  [floor]="$ROOT/bench/floor/worker.js" [peer]="$ROOT/bench/peer/worker.js"
  [do-floor]="$ROOT/bench/do-floor/worker.js"
)
if [ -n "$BEFORE" ]; then
  git worktree add --quiet --detach "$work/before-src" "$BEFORE"
  # Its own target dir, kept between runs (build.sh reads its own
  # target/): the two builds do not undo each other's cache.
  mkdir -p "$ROOT/target/before"; ln -s "$ROOT/target/before" "$work/before-src/target"
  (cd "$work/before-src" && KEYGATE_BUILD_ONLY=worker bash scripts/build.sh >/dev/null)
  workers+=(before)
  main[before]="$work/before-src/edge/build/index.js"
fi
declare -A public=() direct=() inspector=() pids=()
config() { # worker extra-toml
  cat > "$work/$1.toml" <<TOML
name = "bench-$1"
main = "${main[$1]}"
compatibility_date = "2026-04-01"
$2
[[kv_namespaces]]
binding = "KEYS"
id = "00000000000000000000000000000000"
[[d1_databases]]
binding = "DB"
database_name = "keygate"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "$ROOT/migrations"
[vars]
ORIGIN_URL = "http://127.0.0.1:$origin_port"
MAX_KEYS_PER_ORG = "0"
TOML
}
# The keygate workers run as wrangler.toml deploys them: the front worker
# measured here, with its admin plane (admin-plane/wrangler.toml: the admin
# API that makes the bench's keys, and the limiter objects of §9) in the
# same session, bound as ADMIN and LIMITER.
plane() { # worker: its admin plane's config, and the front's bindings to it
  local assets=${2:-}
  cat > "$work/$1-plane.toml" <<TOML
name = "bench-$1-plane"
main = "$3"
compatibility_date = "2026-04-01"
$assets
[[kv_namespaces]]
binding = "KEYS"
id = "00000000000000000000000000000000"
[[d1_databases]]
binding = "DB"
database_name = "keygate"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "$ROOT/migrations"
[[durable_objects.bindings]]
name = "LIMITER"
class_name = "KeyLimiter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["KeyLimiter"]
[vars]
MAX_KEYS_PER_ORG = "0"
TOML
  extra_config[$1]="--config $work/$1-plane.toml ${extra_config[$1]:-}"
  front="[[services]]
binding = \"ADMIN\"
service = \"bench-$1-plane\"
[[durable_objects.bindings]]
name = \"LIMITER\"
class_name = \"KeyLimiter\"
script_name = \"bench-$1-plane\""
}
declare -A extra_config=()
# A build from before the split (BEFORE=…) has one worker with the class.
limiter='[[durable_objects.bindings]]
name = "LIMITER"
class_name = "KeyLimiter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["KeyLimiter"]'
plane_main="$ROOT/edge/build/plane/index.js"
assets_binding="[[services]]
binding = \"ASSETS\"
service = \"bench-admin\""
for w in "${workers[@]}"; do config "$w" ""; done
plane keygate "" "$plane_main"; config keygate "$front"
plane keygate-nocache "" "$plane_main"; config keygate-nocache "$front"
config do-floor '[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]'

echo 'VERIFY_CACHE_SECONDS = "0"' >> "$work/keygate-nocache.toml"
if [ -n "$BEFORE" ]; then
  # A split build: its plane under edge/build/plane/ (edge/build/admin/
  # before the rename).
  before_plane=""
  for dir in plane admin; do
    if [ -f "$work/before-src/edge/build/$dir/index.js" ]; then
      before_plane="$work/before-src/edge/build/$dir/index.js"
      break
    fi
  done
  if [ -n "$before_plane" ]; then
    plane before "" "$before_plane"; config before "$front"
  else
    config before "$limiter"
  fi
  [ "$BEFORE_CACHE" = 1 ] || echo 'VERIFY_CACHE_SECONDS = "0"' >> "$work/before.toml"
fi
printf 'name = "bench-admin"\ncompatibility_date = "2026-04-01"\n[assets]\ndirectory = "%s"\n' "$ROOT/frontend/dist" > "$work/admin.toml"
extra_config[keygate-deployed]="--config $work/admin.toml"
plane keygate-deployed "$assets_binding" "$plane_main"; config keygate-deployed "$front"
# The old shape: the front worker with assets of its own in front of it.
plane keygate-assets "" "$plane_main"
config keygate-assets "[assets]
directory = \"$ROOT/frontend/dist\"
binding = \"ASSETS\"
run_worker_first = true
$front"

start() { # worker port
  public[$1]=$2
  # VSCODE_INSPECTOR_OPTIONS keeps wrangler's inspector proxy off the
  # runtime (wrangler 4 takes it for a VS Code debug terminal). Attached,
  # that proxy turns on the runtime's Network domain and posts every
  # inspector event to wrangler's node process, one loopback request per
  # event: each subrequest (relay, gateway, Durable Object call) left
  # thousands of sockets behind, workerd ran out of file descriptors and
  # the backlog took CPU 0 from every worker measured after it. The
  # runtime's own inspector stays up, free for bench/profile.mjs; the
  # inspector port given is wrangler's idle proxy's, one per worker so that
  # eight of them do not race for the default.
  # shellcheck disable=SC2086 # extra_config is a few words
  VSCODE_INSPECTOR_OPTIONS=bench setsid taskset -c 0 wrangler dev --config "$work/$1.toml" ${extra_config[$1]:-} \
    --ip 127.0.0.1 --port "$2" --inspector-port $(($2 + 500)) --persist-to "$work/state-$1" >"$work/$1.log" 2>&1 &
  pids[$1]=$!
}
listener() { # port → pid of the process listening there
  ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
# wrangler dev's proxy (its own workerd, on the public port) forwards to a
# socket of the workerd that runs the worker and keeps that connection
# open: the port it is connected to, on a workerd other than itself, is
# the worker's direct socket.
direct_socket() { # public port → port
  local proxy peer owner
  proxy=$(listener "$1")
  for peer in $(ss -tnpH state established | grep "pid=$proxy," | awk '{print $4}' | sed 's/.*://' | sort -u); do
    owner=$(listener "$peer")
    [ -n "$owner" ] && [ "$owner" != "$proxy" ] && grep -q workerd "/proc/$owner/comm" 2>/dev/null && { echo "$peer"; return 0; }
  done
  return 1
}
# The runtime's inspector: the socket of that workerd that answers as one.
runtime_inspector() { # direct port → port
  local owner port
  owner=$(listener "$1")
  for port in $(ss -ltnpH | grep "pid=$owner," | awk '{print $4}' | sed 's/.*://'); do
    curl -s -m 2 "http://127.0.0.1:$port/json/version" | grep -q '"Browser"' && { echo "$port"; return 0; }
  done
  return 1
}
ready() { # worker: waits, then sets direct[worker] and inspector[worker]
  local port=""
  for _ in $(seq 1 480); do
    if curl -s -o /dev/null "http://127.0.0.1:${public[$1]}/" && port=$(direct_socket "${public[$1]}"); then
      direct[$1]=$port; inspector[$1]=$(runtime_inspector "$port" || true); return 0
    fi
    sleep 0.25
  done
  echo "bench: $1 did not start"; tail -50 "$work/$1.log"; exit 1
}
stop_all() {
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

taskset -c 1 ./target/release/bench_origin $origin_port & origin=$!
trap 'stop_all; kill $origin 2>/dev/null || true; [ -z "$BEFORE" ] || git worktree remove --force "$work/before-src" 2>/dev/null || true' EXIT

# Keygate's state first (an admin, then a key made through the API); every
# other worker starts from a copy of it, so all read the same records.
CI=true wrangler d1 migrations apply DB --local --config "$work/keygate.toml" --persist-to "$work/state-keygate" >/dev/null
./target/release/keygate bootstrap --config "$work/keygate.toml" --persist-to "$work/state-keygate" --save "$work/admin" >/dev/null 2>&1
start keygate 18800; ready keygate
make_key() { # body → token
  curl -s -H "Authorization: Bearer $(cat "$work/admin")" -d "$1" "http://127.0.0.1:18800/api/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
token=$(make_key '{"name":"bench"}')
# Limited keys (§9): a rate limit never reached, credits never run out,
# and credits already spent (the 429 path).
rated=$(make_key '{"name":"bench rated","rate_limit":{"limit":1000000,"period_seconds":86400}}')
credited=$(make_key '{"name":"bench credited","credits":{"remaining":1000000000000}}')
exhausted=$(make_key '{"name":"bench exhausted","credits":{"remaining":0}}')
stop_all
for w in "${workers[@]}"; do [ "$w" = keygate ] || cp -r "$work/state-keygate" "$work/state-$w"; done
wrangler kv key put floor ok --binding KEYS --config "$work/floor.toml" --local --persist-to "$work/state-floor" >/dev/null 2>&1
wrangler kv key put floor ok --binding KEYS --config "$work/do-floor.toml" --local --persist-to "$work/state-do-floor" >/dev/null 2>&1
n=0; for w in "${workers[@]}"; do start "$w" $((18800 + n)); n=$((n + 1)); done
for w in "${workers[@]}"; do ready "$w"; done

unknown="kg_$(python3 -c 'import zlib,secrets,string
a=string.digits+string.ascii_uppercase+string.ascii_lowercase
r="".join(secrets.choice(a) for _ in range(32)); n=zlib.crc32(r.encode()); s=""
for _ in range(6): s=a[n%62]+s; n//=62
print(r+s)')"
post_lua() { printf 'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = %s\n' "'{\"token\":\"$1\"}'" > "$work/$2.lua"; }
post_lua "$token" valid; post_lua "$unknown" unknown; post_lua kg_malformed malformed
post_lua "$rated" rated; post_lua "$credited" credited
printf 'wrk.headers["x-api-key"] = "%s"\n' "$token" > "$work/gateway.lua"
printf 'wrk.headers["x-api-key"] = "%s"\n' "$exhausted" > "$work/gateway-exhausted.lua"

# case worker path lua-script
cases=(
  "null null / -"
  "relay null /relay -"
  "floor floor / -"
  "do-floor do-floor / -"
  "peer-valid peer / valid"
  "peer-unknown peer / unknown"
  "peer-malformed peer / malformed"
  "keygate-verify-valid keygate /api/v1/verify valid"
  "keygate-verify-unknown keygate /api/v1/verify unknown"
  "keygate-verify-malformed keygate /api/v1/verify malformed"
  "keygate-gateway-valid keygate /calls/x gateway"
  "keygate-verify-ratelimited keygate /api/v1/verify rated"
  "keygate-verify-credits keygate /api/v1/verify credited"
  "keygate-gateway-exhausted keygate /calls/x gateway-exhausted"
  "keygate-nocache-verify-valid keygate-nocache /api/v1/verify valid"
  "keygate-nocache-verify-unknown keygate-nocache /api/v1/verify unknown"
  "keygate-nocache-verify-malformed keygate-nocache /api/v1/verify malformed"
  "keygate-deployed-verify-valid keygate-deployed /api/v1/verify valid"
  "keygate-deployed-gateway-valid keygate-deployed /calls/x gateway"
  "keygate-assets-verify-valid keygate-assets /api/v1/verify valid"
  "keygate-assets-gateway-valid keygate-assets /calls/x gateway"
)
if [ -n "$BEFORE" ]; then
  # Each BEFORE case right after its counterpart: seconds apart, not minutes.
  with_before=()
  paired='keygate-nocache-verify-valid|keygate-nocache-verify-malformed'
  [ "$BEFORE_CACHE" = 1 ] && paired='keygate-verify-valid|keygate-verify-ratelimited|keygate-verify-credits|keygate-gateway-exhausted'
  paired=${BEFORE_PAIRED:-$paired}
  for c in "${cases[@]}"; do
    with_before+=("$c")
    read -r name _ path script <<<"$c"
    if [[ $name =~ ^($paired)$ ]]; then with_before+=("before-${name#keygate-} before $path $script"); fi
  done
  cases=("${with_before[@]}")
fi
if [ -n "${CASES:-}" ]; then
  # Only the cases whose whole name matches: a longer, narrower run.
  kept=()
  for c in "${cases[@]}"; do
    read -r name _ <<<"$c"
    if [[ $name =~ ^($CASES)$ ]]; then kept+=("$c"); fi
  done
  [ ${#kept[@]} -gt 0 ] || { echo "bench: CASES='$CASES' matches no case" >&2; exit 2; }
  cases=("${kept[@]}")
fi
load() { # out url script duration
  local script=(); [ "$3" = - ] || script=(-s "$work/$3.lua")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"$4" --latency "${script[@]}" "$2" > "$1"
}
for round in $(seq 0 "$REPEATS"); do
  d=$DURATION; [ "$round" = 0 ] && d=2s
  for c in "${cases[@]}"; do
    read -r name worker path script <<<"$c"
    for layer in $LAYERS; do
      port=${direct[$worker]}; [ "$layer" = proxied ] && port=${public[$worker]}
      load "$work/results/$layer~$name.$round.txt" "http://127.0.0.1:$port$path" "$script" "$d"
    done
  done
  load "$work/results/origin-alone.$round.txt" "http://127.0.0.1:$origin_port/calls/x" - "$d"
  [ "$round" = 0 ] && rm -f "$work"/results/*.0.txt
  echo "bench: round $round of $REPEATS done$([ "$round" = 0 ] && echo ' (warm-up, not counted)')"
done
echo
echo "wrk -t1 -c$CONNS -d$DURATION on CPU 1, workers on CPU 0, $REPEATS rounds, loopback, $(nproc) cores"
python3 bench/report.py "$work/results"
if [ "$PROFILE" = 1 ]; then
  # One worker at a time, alone on CPU 0 (with all eight up, wrangler's
  # own processes and the other workers' logging disturb the sampled
  # one), and one case at a time with the sampler attached. Sampling
  # slows the isolate down: read the split, not the throughput.
  stop_all
  mkdir -p "$work/profile"
  for worker in null floor peer keygate-nocache keygate keygate-deployed keygate-assets; do
    start "$worker" "${public[$worker]}"; ready "$worker"
    for entry in "${cases[@]}"; do
      read -r name w path script <<<"$entry"
      [ "$w" = "$worker" ] || continue
      case $name in *unknown|*ratelimited|*credits|*exhausted) continue ;; esac
      args=(); [ "$script" = - ] || args=(-s "$work/$script.lua")
      url="http://127.0.0.1:${direct[$worker]}$path"
      # Warm the JITs first, as the rounds do.
      taskset -c 1 wrk -t1 -c"$CONNS" -d2s "${args[@]}" "$url" >/dev/null
      if PROFILE_RAW="$work/profile/$name.cpuprofile" taskset -c 1 timeout 60 node bench/profile.mjs "${inspector[$worker]}" "bench-$worker" "$PROFILE_SECONDS" -- \
        -t1 -c"$CONNS" "${args[@]}" "$url" > "$work/profile/$name.tmp"; then
        mv "$work/profile/$name.tmp" "$work/profile/$name.json"
      else
        echo "bench: profiling $name failed"
      fi
    done
    stop_all
  done
  echo
  python3 bench/profile_report.py "$work/profile"
fi
echo
bash scripts/sizes.sh
