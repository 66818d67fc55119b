#!/usr/bin/env python3
"""Admin-plane benchmark helpers (driven by scripts/bench-admin.sh).

seed  <layout d1|kv> <n> <out-dir>   writes seed.sql (D1 rows and audit events,
                                     layout d1) and kv.json (a `wrangler kv bulk
                                     put` file: h/ projections, and for the old
                                     kv layout also k/ and a/ entries)
time  <base-url> <token> <label> <out.json>
                                     times every admin call (median of REPEATS)
                                     and the cron run, and appends to out.json

Every key set has the same 150 keys due for a notice, 150 expired ones and
100 keys of organization `fixed` (described "fixed-term n"), whatever its
size: a cron run, the export of `fixed` and the search for "fixed-term" do
the same work at every size, and what changes is only how many other keys
there are.
"""

import http.client
import json
import os
import random
import statistics
import sys
import time
import urllib.parse

NEVER = 1 << 53
DAY = 86_400_000
NOW = int(time.time() * 1000)
ORGS = 100
DUE, EXPIRED, FIXED = 150, 150, 100
# D1 refuses statements over 100 KB (SQLITE_TOOBIG): about 1 KB a row.
ROWS_PER_INSERT = 40


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def records(n):
    rnd = random.Random(7)
    for i in range(n):
        if i < DUE:
            expires = NOW + (i % 29 + 1) * DAY
        elif i < DUE + EXPIRED:
            expires = NOW - (i % 5 + 1) * DAY
        else:
            expires = NOW + rnd.randint(40, 700) * DAY
        fixed = DUE + EXPIRED <= i < DUE + EXPIRED + FIXED
        yield {
            "id": f"key_bench{i:011d}",
            "name": f"key {i:06d}",
            "description": f"fixed-term {i}" if fixed else f"bench key number {i}",
            "organization": "fixed" if fixed else f"org{i % ORGS}",
            "group": f"g{i % 10}",
            "roles": ["calls:read"],
            "ip_allowlist": [],
            "enabled": i % 9 != 0,
            "created_at": iso(NOW - 400 * DAY + i * 1000),
            "created_by": "bootstrap",
            "expires_at": iso(expires),
            "hint": f"kg_{i % 10000:04d}…wxyz",
            "hash": f"{rnd.getrandbits(256):064x}",
        }, expires


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def seed(layout, n, out):
    os.makedirs(out, exist_ok=True)
    kv = []
    rows, events = [], []
    for r, expires in records(n):
        record = json.dumps(r, ensure_ascii=False, separators=(",", ":"))
        event = json.dumps({"at": r["created_at"], "actor": "bootstrap", "action": "key.created",
                            "key_id": r["id"], "details": {"organization": r["organization"], "name": r["name"]}},
                           ensure_ascii=False, separators=(",", ":"))
        search = "\n".join([r["name"], r["description"], r["organization"], r["group"],
                            r["created_by"], r["hint"], *r["roles"]]).lower()
        if layout == "d1":
            created = NOW - 400 * DAY
            rows.append("(" + ",".join([
                sql_text(r["id"]), sql_text(r["hash"]), sql_text(r["organization"]),
                sql_text(r["name"].lower()), sql_text(r["group"]), "1" if r["enabled"] else "0",
                str(created), str(expires), str(expires), sql_text(search), "1", sql_text(record),
                # Every threshold counts (created 400 days before): the
                # 30-day notice is the next one.
                str(expires - 30 * DAY),
            ]) + ")")
            events.append("(" + ",".join([str(created), "'bootstrap'", "'key.created'", sql_text(r["id"]),
                                          sql_text(r["organization"]), sql_text(event)]) + ")")
            kv.append({"key": "h/" + r["hash"], "value": record, "metadata": {"v": 1}})
        else:
            kv.append({"key": "h/" + r["hash"], "value": record})
            meta = json.loads(record) if len(record.encode()) <= 1024 else None
            kv.append({"key": "k/" + r["id"], "value": record, **({"metadata": meta} if meta else {})})
            inverted = 9_999_999_999_999 - (NOW - 400 * DAY + len(kv))
            kv.append({"key": f"a/{inverted:013d}bench{len(kv) % 10}", "value": event,
                       "metadata": json.loads(event)})
    with open(os.path.join(out, "kv.json"), "w") as f:
        json.dump(kv, f, ensure_ascii=False)
    with open(os.path.join(out, "seed.sql"), "w") as f:
        for i in range(0, len(rows), ROWS_PER_INSERT):
            f.write("INSERT INTO keys (id, hash, organization, name_key, key_group, enabled, created_at, "
                    "expires_at, expiry_key, search, version, record, next_notice_at) VALUES\n")
            f.write(",\n".join(rows[i:i + ROWS_PER_INSERT]) + ";\n")
        for i in range(0, len(events), ROWS_PER_INSERT):
            f.write("INSERT INTO audit (at, actor, action, key_id, organization, event) VALUES\n")
            f.write(",\n".join(events[i:i + ROWS_PER_INSERT]) + ";\n")


def call(conn, method, path, token, body=None):
    # The d1 layout runs the admin plane alone, without the front worker
    # that would send it its settings (KEY_PREFIX "kg", no ADMIN_HOSTNAME):
    # the bench sends them as the front would (edge/src/config.rs).
    headers = {"authorization": f"Bearer {token}", "x-keygate-front": "kg -"}
    if body is not None:
        headers["content-type"] = "application/json"
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return (time.perf_counter() - start) * 1000, resp.status, data


def timed(base, token, label, out):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    repeats = int(os.environ.get("REPEATS", "5"))
    results = {}

    def measure(name, method, path, body=None, expect=200):
        times = []
        for _ in range(repeats):
            ms, status, data = call(conn, method, path, token, body)
            if status != expect:
                raise SystemExit(f"{label} {name}: {status} {data[:300]!r}")
            times.append(ms)
        results[name] = statistics.median(times)
        return data

    # One untimed call first: the isolate's start and the first D1 open
    # are not what is measured.
    call(conn, "GET", "/api/v1/keys?limit=1", token)
    measure("list (first page)", "GET", "/api/v1/keys?limit=100")
    measure("search (100 matches)", "GET", "/api/v1/keys?q=fixed-term")
    measure("search (no match)", "GET", "/api/v1/keys?q=" + urllib.parse.quote("no such text"))
    measure("filtered list (100 keys)", "GET", "/api/v1/keys?organization=fixed&status=active&limit=100")
    measure("filtered list (1% of all)", "GET", "/api/v1/keys?organization=org7&status=active&limit=100")
    measure("get", "GET", "/api/v1/keys/key_bench00000000500")
    measure("audit page", "GET", "/api/v1/audit?limit=100")
    measure("export (100 keys)", "GET", "/api/v1/keys/export.csv?organization=fixed")
    creates, deletes = [], []
    for i in range(repeats):
        ms, status, data = call(conn, "POST", "/api/v1/keys", token,
                                json.dumps({"name": f"bench {i}", "organization": "bench"}))
        if status != 201:
            raise SystemExit(f"{label} create: {status} {data[:300]!r}")
        creates.append(ms)
        key_id = json.loads(data)["key"]["id"]
        ms, status, data = call(conn, "DELETE", f"/api/v1/keys/{key_id}", token)
        if status != 204:
            raise SystemExit(f"{label} delete: {status} {data[:300]!r}")
        deletes.append(ms)
    results["create"] = statistics.median(creates)
    results["delete"] = statistics.median(deletes)
    # One cron run (purge, notices, reconciliation), through wrangler dev's
    # --test-scheduled route; it changes state, so it is timed once.
    ms, status, data = call(conn, "GET", "/__scheduled?cron=17+*+*+*+*", token)
    results["cron run"] = ms
    all_results = {}
    if os.path.exists(out):
        with open(out) as f:
            all_results = json.load(f)
    all_results[label] = results
    with open(out, "w") as f:
        json.dump(all_results, f, indent=1)
    print(label, json.dumps({k: round(v, 1) for k, v in results.items()}))


def report(path):
    with open(path) as f:
        results = json.load(f)
    labels = list(results)
    calls = list(next(iter(results.values())))
    print("| call | " + " | ".join(labels) + " | new 100k / new 1k |")
    print("|---|" + "---|" * (len(labels) + 1))
    for c in calls:
        cells = [f"{results[label].get(c, float('nan')):.1f} ms" for label in labels]
        ratio = ""
        if "new 100000" in results and "new 1000" in results:
            ratio = f"{results['new 100000'][c] / results['new 1000'][c]:.2f}×"
        print(f"| {c} | " + " | ".join(cells) + f" | {ratio} |")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "seed":
        seed(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "time":
        timed(*sys.argv[2:6])
    elif cmd == "report":
        report(sys.argv[2])
