"""Prints the profiles bench/profile.mjs wrote (<dir>/<case>.json) as one
table, per request: the wall time of the profile (start to stop,
including wrk's start and end) over wrk's request count, labelled CPU 0
because everything of the worker's session runs on that core (workerd,
its KV, D1 and object services, and wrangler's own processes) and wrk
keeps it busy; how much of it the worker's isolate was busy, split by
where; the rest ("outside": workerd outside the isolate, the subrequest,
wrangler, and any time CPU 0 was not saturated); and the isolate's idle
share. The sampler slows the isolate: read the split, not the speed."""
import glob
import json
import os
import sys

GROUPS = ["js", "wasm", "native", "runtime", "gc"]


def main(directory):
    rows = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        name = os.path.basename(path)[:-5]
        try:
            with open(path) as f:
                p = json.load(f)
        except (OSError, ValueError):
            print(f"{name}: no profile (the run failed)")
            continue
        if not p.get("requests"):
            print(f"{name}: no requests served while profiled")
            continue
        wall = p["wall_ms"] * 1000 / p["requests"]
        busy = p["isolate_busy_us_per_request"]
        groups = p["by_group_us_per_request"]
        top = next(iter(p["top_us_per_request"].items()), ("", 0))
        failed = p.get("non2xx", 0)
        rows.append((name, wall, busy, groups, top, p.get("isolate_idle_share", 0), failed, p.get("socket_errors")))
    print("== where the time goes (µs per request; CPU profile of the worker's isolate, 50 µs sampling)")
    head = f"{'case':<32}{'CPU 0':>8}{'isolate':>9}" + "".join(f"{g:>9}" for g in GROUPS)
    print(head + f"{'outside':>9}{'idle':>7}{'non-2xx':>9}")
    for name, wall, busy, groups, _, idle, failed, _ in rows:
        cells = "".join(f"{groups.get(g, 0):>9.0f}" for g in GROUPS)
        print(f"{name:<32}{wall:>8.0f}{busy:>9.0f}{cells}{wall - busy:>9.0f}{idle:>7.2f}{failed:>9}")
    print("\nlargest single item per case:")
    for name, _, _, _, (item, us), _, _, errors in rows:
        print(f"  {name:<32}{us:>7.0f}  {item[:90]}" + (f"  ({errors})" if errors else ""))


main(sys.argv[1] if len(sys.argv) > 1 else "target/bench/profile")
