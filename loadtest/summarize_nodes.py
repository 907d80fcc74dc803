"""Summarise a bench-nodes.sh results folder: per round, the one-node latencies against the
same-node and cross-node latencies of the two-node run, and what the Redis hop adds.

Added = cross-node (two-node run) minus one-node (baseline run of the same round), per
percentile; the within-run figure (cross-node minus same-node, both from the two-node run)
is shown beside it, as the machine is shared and noisy. The headline is the median over
rounds."""
import json
import pathlib
import statistics
import sys

TARGET_P50_MS = 0.3
TARGET_P99_MS = 2.0

out = pathlib.Path(sys.argv[1])


def load(tag):
    p = out / f"{tag}.json"
    return json.loads(p.read_text())[0] if p.exists() else None


def sub(a, b):
    return None if a is None or b is None else a - b


def f(v, d=2, sign=False):
    if v is None:
        return "-"
    return f"{v:+.{d}f}" if sign else f"{v:,.{d}f}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


rounds = []
i = 1
while (out / f"one-{i}.json").exists() or (out / f"two-{i}.json").exists():
    one, two = load(f"one-{i}"), load(f"two-{i}")
    if one and two and two.get("cross_node") and two.get("same_node"):
        cross, same = two["cross_node"], two["same_node"]
        r = {"round": i}
        for kind, (k50, k99, k999) in {
            "moves": ("p50_ms", "p99_ms", "p999_ms"),
            "cursors": ("awareness_p50_ms", "awareness_p99_ms", "awareness_p999_ms"),
        }.items():
            r[kind] = {
                "one": (one.get(k50), one.get(k99), one.get(k999)),
                "same": (same.get(k50), same.get(k99), same.get(k999)),
                "cross": (cross.get(k50), cross.get(k99), cross.get(k999)),
            }
        r["samples"] = (one["latency_samples"], same["latency_samples"], cross["latency_samples"])
        r["errors"] = sum(x["errors"] + x["drops"] + x["denied"] for x in (one, two))
        r["deliv"] = (one["delivered_per_s"], two["delivered_per_s"])
        rounds.append(r)
    i += 1

if not rounds:
    sys.exit(f"no complete round in {out}")

for kind, label in [("moves", "item moves (committed to PostgreSQL, then relayed)"), ("cursors", "cursors (awareness: relayed at once, no commit)")]:
    print(f"\n### {label}\n")
    print("| round | one node p50 / p99 / p99.9 ms | two nodes, same node p50 / p99 / p99.9 | two nodes, cross node p50 / p99 / p99.9 | added p50 (cross − one) | added p99 (cross − one) | within run: cross − same p50 / p99 |")
    print("|---|---|---|---|---|---|---|")
    for r in rounds:
        one, same, cross = r[kind]["one"], r[kind]["same"], r[kind]["cross"]
        trip = lambda t: " / ".join(f(x) for x in t)
        print(
            f"| {r['round']} | {trip(one)} | {trip(same)} | {trip(cross)} | {f(sub(cross[0], one[0]), sign=True)} | {f(sub(cross[1], one[1]), sign=True)} "
            f"| {f(sub(cross[0], same[0]), sign=True)} / {f(sub(cross[1], same[1]), sign=True)} |"
        )
    m = lambda who, q: med([r[kind][who][q] for r in rounds])
    mone, msame, mcross = (tuple(m(w, q) for q in range(3)) for w in ("one", "same", "cross"))
    add50 = med([sub(r[kind]["cross"][0], r[kind]["one"][0]) for r in rounds])
    add99 = med([sub(r[kind]["cross"][1], r[kind]["one"][1]) for r in rounds])
    in50 = med([sub(r[kind]["cross"][0], r[kind]["same"][0]) for r in rounds])
    in99 = med([sub(r[kind]["cross"][1], r[kind]["same"][1]) for r in rounds])
    trip = lambda t: " / ".join(f(x) for x in t)
    print(f"| median | {trip(mone)} | {trip(msame)} | {trip(mcross)} | {f(add50, sign=True)} | {f(add99, sign=True)} | {f(in50, sign=True)} / {f(in99, sign=True)} |")
    if kind == "moves":
        headline = (add50, add99)

print()
print("| round | latency samples (one / same / cross) | delivered msgs/s (one / two) | errors + drops + refusals |")
print("|---|---|---|---|")
for r in rounds:
    print(f"| {r['round']} | {' / '.join(str(x) for x in r['samples'])} | {r['deliv'][0]:,.0f} / {r['deliv'][1]:,.0f} | {r['errors']} |")

add50, add99 = headline
print()
print("| target (item moves, median over rounds) | figure | met |")
print("|---|---|---|")
met = lambda v, t: "-" if v is None else ("yes" if v <= t else "no")
print(f"| added p50 ≤ {TARGET_P50_MS} ms | {f(add50, sign=True)} ms | {met(add50, TARGET_P50_MS)} |")
print(f"| added p99 ≤ {TARGET_P99_MS} ms | {f(add99, sign=True)} ms | {met(add99, TARGET_P99_MS)} |")
