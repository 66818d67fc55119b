"""Reads wrk outputs (<dir>/<layer>~<case>.<n>.txt, or <case>.<n>.txt for
cases without a layer; n is the round), prints per-layer medians and the
ratios of issues 6, 16 and 19 with their targets. A ratio is taken within
each round (the two cases ran minutes apart at most) and the median of
those is printed, with their range: drift of the machine between rounds
moves both sides of a ratio alike, and the range shows what is left."""
import glob
import os
import re
import statistics
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}

# (label, case, baseline case, target or None)
RATIOS = [
    ("keygate verify valid / floor", "keygate-verify-valid", "floor", 0.9),
    ("keygate verify valid / JS peer", "keygate-verify-valid", "peer-valid", 1.1),
    ("uncached verify valid / JS peer", "keygate-nocache-verify-valid", "peer-valid", 1.2),
    ("uncached verify valid / floor", "keygate-nocache-verify-valid", "floor", 0.8),
    ("keygate verify unknown / JS peer", "keygate-verify-unknown", "peer-unknown", None),
    ("keygate verify malformed / floor", "keygate-verify-malformed", "floor", 2.0),
    ("keygate verify malformed / JS peer", "keygate-verify-malformed", "peer-malformed", None),
    ("keygate verify malformed / empty JS worker", "keygate-verify-malformed", "null", 0.8),
    ("floor / ceiling (null worker)", "floor", "null", None),
    ("deployed verify valid / bare", "keygate-deployed-verify-valid", "keygate-verify-valid", 0.9),
    ("deployed gateway valid / bare", "keygate-deployed-gateway-valid", "keygate-gateway-valid", 0.9),
    ("  old shape ([assets] on the worker) verify / bare", "keygate-assets-verify-valid", "keygate-verify-valid", None),
    ("  old shape ([assets] on the worker) gateway / bare", "keygate-assets-gateway-valid", "keygate-gateway-valid", None),
    ("keygate gateway valid / floor", "keygate-gateway-valid", "floor", None),
    ("keygate gateway valid / bare JS relay", "keygate-gateway-valid", "relay", 0.9),
    ("rate-limited key (verify) / floor", "keygate-verify-ratelimited", "floor", 0.5),
    ("credit-limited key (verify) / floor", "keygate-verify-credits", "floor", 0.5),
    ("spent credits, 429 (gateway) / floor", "keygate-gateway-exhausted", "floor", 0.5),
    ("  KV read + Durable Object call in JS / floor", "do-floor", "floor", None),
    ("credit-limited key (verify) / JS KV + DO floor", "keygate-verify-credits", "do-floor", None),
    ("rate-limited key (verify) / JS KV + DO floor", "keygate-verify-ratelimited", "do-floor", None),
    ("uncached malformed / empty JS worker", "keygate-nocache-verify-malformed", "null", None),
    # BEFORE=<revision> (scripts/bench.sh): the same cases on that build.
    ("uncached verify valid: this build / BEFORE", "keygate-nocache-verify-valid", "before-nocache-verify-valid", None),
    ("malformed: this build / BEFORE", "keygate-nocache-verify-malformed", "before-nocache-verify-malformed", None),
    ("  BEFORE uncached verify valid / JS peer", "before-nocache-verify-valid", "peer-valid", None),
    ("  BEFORE malformed / empty JS worker", "before-nocache-verify-malformed", "null", None),
    # BEFORE_CACHE=1: that build with the cache on, beside the limited cases.
    ("verify valid: this build / BEFORE", "keygate-verify-valid", "before-verify-valid", None),
    ("rate-limited verify: this build / BEFORE", "keygate-verify-ratelimited", "before-verify-ratelimited", None),
    ("credit-limited verify: this build / BEFORE", "keygate-verify-credits", "before-verify-credits", None),
    ("429 at the gateway: this build / BEFORE", "keygate-gateway-exhausted", "before-gateway-exhausted", None),
    # BEFORE_CACHE=1 BEFORE_PAIRED=…: the gateway and the cached worker's malformed case.
    ("gateway valid: this build / BEFORE", "keygate-gateway-valid", "before-gateway-valid", None),
    ("malformed (cache on): this build / BEFORE", "keygate-verify-malformed", "before-verify-malformed", None),
    ("  BEFORE gateway valid / bare JS relay", "before-gateway-valid", "relay", None),
    ("  BEFORE malformed (cache on) / empty JS worker", "before-verify-malformed", "null", None),
]

# (label, limited case, baseline): latency the limiter adds, against the
# same worker's verification of a key without limits (one cached KV read
# and an answer; the 429 path never reaches the origin either).
ADDED = [
    ("rate-limited verify", "keygate-verify-ratelimited", "keygate-verify-valid"),
    ("credit-limited verify", "keygate-verify-credits", "keygate-verify-valid"),
    ("429 at the gateway", "keygate-gateway-exhausted", "keygate-verify-valid"),
]


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {}
    for pct, val, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        lat[pct] = float(val) * UNITS[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", text)
    return (
        rps,
        lat.get("50", float("nan")),
        lat.get("99", float("nan")),
        int(non2xx.group(1)) if non2xx else 0,
        int(timeouts.group(1)) if timeouts else 0,
    )


def medians(runs):
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        statistics.median(r[2] for r in runs),
        max(r[3] for r in runs),
        max(r[4] for r in runs),
    )


def main(folder):
    # layer → case → round → parsed run
    layers = {}
    shared = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.txt"))):
        name, n, _ = os.path.basename(path).rsplit(".", 2)
        layer, _, case = name.rpartition("~")
        target = layers.setdefault(layer, {}) if layer else shared
        target.setdefault(case, {})[n] = parse(path)
    for layer, cases in layers.items():
        cases = {**cases, **shared}
        runs = max(len(v) for v in cases.values())
        print(f"== {layer} (median of {runs} runs)")
        print(f"{'case':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'timeouts':>8}")
        lat = {}
        for case in sorted(cases):
            rps, p50, p99, bad, timeouts = medians(cases[case].values())
            lat[case] = (p50, p99)
            print(f"{case:<32} {rps:>8.0f} {p50:>8.2f} {p99:>8.2f} {bad:>8} {timeouts:>8}")
        print()
        print(f"{'ratio (median of per-round ratios)':<48} {'':>6}  {'range':<13}")
        for label, a, b, target in RATIOS:
            if a not in cases or b not in cases:
                continue
            per_round = [run[0] / cases[b][n][0] for n, run in cases[a].items() if n in cases[b] and cases[b][n][0]]
            if not per_round:
                continue
            ratio = statistics.median(per_round)
            spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
            goal = ""
            if target:
                goal = f"  target >= {target}: {'met' if ratio >= target else 'NOT met'}"
            print(f"{label:<48} {ratio:>6.2f}x  {spread:<13}{goal}")
        print()
        for label, a, b in ADDED:
            if a in lat and b in lat:
                print(f"added by the limiter, {label:<24} p50 {lat[a][0] - lat[b][0]:+7.2f} ms  p99 {lat[a][1] - lat[b][1]:+7.2f} ms")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
