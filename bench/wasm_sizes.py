#!/usr/bin/env python3
"""Where a wasm module's bytes go: code size per function, grouped by the
crate (first path segment) of its name, plus the data section. Needs a
build with the name section (KEYGATE_WASM_NAMES=1 bash scripts/build.sh).

    python3 bench/wasm_sizes.py edge/build/keygate_edge_bg.wasm [top N]
"""
import re
import sys
from collections import Counter


def leb(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def sections(buf):
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, j = leb(buf, i + 1)
        yield sid, buf[j : j + size]
        i = j + size


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    buf = open(path, "rb").read()
    imported_funcs = 0
    bodies = []
    names = {}
    data = 0
    for sid, body in sections(buf):
        if sid == 2:  # imports: function imports take the first indices
            n, i = leb(body, 0)
            for _ in range(n):
                for _ in range(2):
                    ln, i = leb(body, i)
                    i += ln
                kind = body[i]
                i += 1
                if kind == 0:
                    _, i = leb(body, i)
                    imported_funcs += 1
                elif kind == 1:
                    i += 1
                    flags, i = leb(body, i)
                    _, i = leb(body, i)
                    if flags & 1:
                        _, i = leb(body, i)
                elif kind == 2:
                    flags, i = leb(body, i)
                    _, i = leb(body, i)
                    if flags & 1:
                        _, i = leb(body, i)
                elif kind == 3:
                    i += 2
                else:
                    _, i = leb(body, i)
        elif sid == 10:
            n, i = leb(body, 0)
            for _ in range(n):
                size, j = leb(body, i)
                bodies.append(size)
                i = j + size
        elif sid == 11:
            data = len(body)
        elif sid == 0:
            ln, i = leb(body, 0)
            if body[i : i + ln] != b"name":
                continue
            i += ln
            while i < len(body):
                sub = body[i]
                size, j = leb(body, i + 1)
                if sub == 1:
                    n, k = leb(body, j)
                    for _ in range(n):
                        idx, k = leb(body, k)
                        ln, k = leb(body, k)
                        names[idx] = body[k : k + ln].decode("utf-8", "replace")
                        k += ln
                i = j + size
    total = sum(bodies)
    rows = []
    groups = Counter()
    for n, size in enumerate(bodies):
        name = names.get(n + imported_funcs, f"func{n + imported_funcs}")
        name = re.sub(r"::h[0-9a-f]{16}$", "", name)
        rows.append((size, name))
        core = re.sub(r"^<|^_<", "", name)
        groups[re.split(r"::|<| as ", core)[0]] += size
    print(f"code {total} bytes in {len(bodies)} functions; data {data} bytes")
    print("\nby crate:")
    for g, size in groups.most_common(25):
        print(f"{size:9d} {100 * size / total:5.1f}%  {g}")
    print(f"\ntop {top} functions:")
    for size, name in sorted(rows, reverse=True)[:top]:
        print(f"{size:9d}  {name[:150]}")


main()
