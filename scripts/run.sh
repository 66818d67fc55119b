#!/usr/bin/env bash
# Runs Keygate locally: installs what is missing, builds, makes a first
# root admin key if there is none (printing it, and keeping it in the
# git-ignored .keygate-admin-token), then serves on http://127.0.0.1:8787
# (KEYGATE_PORT=8788 for another port). Further arguments go to wrangler dev.
set -euo pipefail
port=${KEYGATE_PORT:-8787}
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
cargo build --quiet --release -p keygate-cli
# D1's schema (migrations/) on the local database wrangler dev uses.
CI=true wrangler d1 migrations apply DB --local >/dev/null
token=$(./target/release/keygate bootstrap --local --name "local admin" --save .keygate-admin-token)
if [ -n "$token" ]; then
  echo "Admin key (shown once; also saved in .keygate-admin-token): $token"
elif [ -f .keygate-admin-token ]; then
  echo "Admin key (from .keygate-admin-token): $(cat .keygate-admin-token)"
fi
echo "Admin app: http://127.0.0.1:$port/admin/   API: http://127.0.0.1:$port/api/v1/health"
# Three workers in one session: the front (wrangler.toml, first: it takes
# the port), the admin plane (admin-plane/wrangler.toml) and the admin
# app's files (admin/wrangler.toml).
KEYGATE_SKIP_BUILD=1 exec wrangler dev -c wrangler.toml -c admin-plane/wrangler.toml -c admin/wrangler.toml \
  --ip 127.0.0.1 --port "$port" --test-scheduled "$@"
