"""Reads wrk outputs (bench dir/<case>.<n>.txt), prints medians and ratios."""
import glob
import os
import re
import statistics
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {}
    for pct, val, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        lat[pct] = float(val) * UNITS[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, lat.get("50", float("nan")), lat.get("99", float("nan")), int(non2xx.group(1)) if non2xx else 0


def main(folder):
    cases = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.txt"))):
        case = os.path.basename(path).rsplit(".", 2)[0]
        cases.setdefault(case, []).append(parse(path))
    med = {}
    print(f"{'case':<28} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  (median of {max(len(v) for v in cases.values())} runs)")
    for case, runs in cases.items():
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        bad = max(r[3] for r in runs)
        med[case] = rps
        print(f"{case:<28} {rps:>10.0f} {p50:>8.2f} {p99:>8.2f} {bad:>8}")
    print()
    ratios = [
        ("keygate verify valid / floor", "keygate-verify-valid", "floor", 0.9),
        ("keygate verify valid / JS peer", "keygate-verify-valid", "peer-valid", 1.1),
        ("keygate verify unknown / JS peer", "keygate-verify-unknown", "peer-unknown", None),
        ("keygate verify malformed / floor", "keygate-verify-malformed", "floor", 2.0),
        ("keygate verify malformed / JS peer", "keygate-verify-malformed", "peer-malformed", None),
        ("keygate gateway valid / origin alone", "keygate-gateway-valid", "origin-alone", None),
    ]
    for label, a, b, target in ratios:
        if a in med and b in med and med[b]:
            goal = f"  (target >= {target})" if target else ""
            print(f"{label:<40} {med[a] / med[b]:>6.2f}x{goal}")


if __name__ == "__main__":
    main(sys.argv[1])
