"""Prints the profiles bench/profile.mjs wrote (<dir>/<case>.json) as one
table: per request, the wall time on the workers' CPU (all of workerd is
pinned to one core and kept busy by wrk, so this is its CPU time per
request), how much of it the worker's own isolate was busy, split by
where, and the rest: workerd outside the isolate (HTTP, the local KV and
D1 services, the subrequest, other workers' routers)."""
import glob
import json
import os
import sys

GROUPS = ["entry", "js", "wasm", "native", "runtime", "gc"]


def main(directory):
    rows = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path) as f:
            p = json.load(f)
        if not p.get("requests"):
            continue
        wall = p["wall_ms"] * 1000 / p["requests"]
        busy = p["isolate_busy_us_per_request"]
        groups = p["by_group_us_per_request"]
        top = next(iter(p["top_us_per_request"].items()), ("", 0))
        rows.append((os.path.basename(path)[:-5], wall, busy, groups, top))
    print("== where the time goes (µs per request; CPU profile of the worker's isolate, 50 µs sampling)")
    head = f"{'case':<32}{'CPU 0':>8}{'isolate':>9}" + "".join(f"{g:>9}" for g in GROUPS) + f"{'outside':>9}"
    print(head)
    for name, wall, busy, groups, _ in rows:
        cells = "".join(f"{groups.get(g, 0):>9.0f}" for g in GROUPS)
        print(f"{name:<32}{wall:>8.0f}{busy:>9.0f}{cells}{wall - busy:>9.0f}")
    print("\nlargest single item per case:")
    for name, _, _, _, (item, us) in rows:
        print(f"  {name:<32}{us:>7.0f}  {item[:90]}")


main(sys.argv[1] if len(sys.argv) > 1 else "target/bench/profile")
