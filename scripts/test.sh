#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the worker and the SPA,
# then the native unit/property tests and the end-to-end tests against the
# real worker under `wrangler dev` (workerd + local KV, loopback only).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
KEYGATE_SETUP_BROWSER=1 bash scripts/setup.sh
bash scripts/build.sh
# The deployable bundle must validate (no account needed): a failure shows
# wrangler's output and fails the run; otherwise its summary lines show.
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run --outdir target/deploy-dry-run > target/deploy-dry-run.log 2>&1 \
  || { cat target/deploy-dry-run.log; echo "test: wrangler deploy --dry-run failed"; exit 1; }
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run -c admin-plane/wrangler.toml --outdir "$PWD/target/deploy-dry-run-plane" > target/deploy-dry-run-plane.log 2>&1 \
  || { cat target/deploy-dry-run-plane.log; echo "test: wrangler deploy --dry-run of admin-plane/ failed"; exit 1; }
KEYGATE_SKIP_BUILD=1 wrangler deploy --dry-run -c admin/wrangler.toml --outdir "$PWD/target/deploy-dry-run-admin" > target/deploy-dry-run-admin.log 2>&1 \
  || { cat target/deploy-dry-run-admin.log; echo "test: wrangler deploy --dry-run of admin/ failed"; exit 1; }
grep -E "Total Upload|--dry-run" target/deploy-dry-run.log target/deploy-dry-run-plane.log target/deploy-dry-run-admin.log || true
# Fresh transcripts and worker logs for the secrets scan below.
rm -rf target/e2e test-output/secrets
cargo test --workspace --all-targets
cargo test --workspace --doc
# keygate-origin's tower layer (feature-gated) with its axum test and doctest.
cargo test -p keygate-origin --all-features
# The front worker's build natively (the admin plane's routes compiled out:
# admin requests are passed on, verification and the gateway answered), as
# wrangler.toml deploys it; the admin plane's own tests need its feature.
cargo test -p keygate-edge --no-default-features --features gateway --all-targets
# No token in any reply the end-to-end suite received or any worker log.
cargo run --quiet -p keygate-e2e --bin scan_secrets
