"""Summarise a bench.sh results folder: one row per server, and Folio's ratios against the
targets of SPEC §14."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
servers = [l.split()[0] for l in (out / "versions.txt").read_text().splitlines()]
versions = dict(l.split(maxsplit=1) for l in (out / "versions.txt").read_text().splitlines())


def load(name, scenario):
    p = out / f"{name}-{scenario}.json"
    return json.loads(p.read_text()) if p.exists() else None


def saturation(name, scenario="saturate"):
    steps = load(name, scenario) or []
    ok = [s for s in steps if s.get("extra", {}).get("under_limit")]
    return max((s["delivered_per_s"] for s in ok), default=0.0)


rows = {}
for s in servers:
    rooms = (load(s, "rooms") or [{}])[0]
    crowd = (load(s, "crowd") or [{}])[0]
    churn = (load(s, "churn") or [{}])[0]
    cold = (load(s, "cold") or [{}])[0]
    rows[s] = {
        "sat": saturation(s),
        "sat50": saturation(s, "saturate50"),
        "p99": rooms.get("p99_ms"),
        "cpu": rooms.get("cpu_us_per_delivered"),
        "room_kb": rooms.get("extra", {}).get("rss_kb_per_loaded_room"),
        "conn_kb": churn.get("extra", {}).get("rss_kb_per_connection"),
        "crowd_ms": crowd.get("extra", {}).get("all_converged_ms"),
        "cold_ms": cold.get("extra", {}).get("first_sync_ms_median"),
        "book_kb": cold.get("extra", {}).get("rss_kb_loaded_book"),
    }


def f(v, d=1):
    return "-" if v is None else f"{v:,.{d}f}"


print("| server | version | saturation msgs/s (p99<10ms) | p99 ms (rooms) | CPU µs/msg | RSS KiB/room | RSS KiB/book (cold) | RSS KiB/conn | crowd converged ms | cold first sync ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for s, r in rows.items():
    print(f"| {s} | {versions.get(s, '')} | {f(r['sat'], 0)} | {f(r['p99'], 2)} | {f(r['cpu'])} | {f(r['room_kb'])} | {f(r['book_kb'], 0)} | {f(r['conn_kb'])} | {f(r['crowd_ms'], 0)} | {f(r['cold_ms'], 1)} |")


def ratio(a, b):
    return None if not a or not b else a / b


for s, r in rows.items():
    if r["sat50"]:
        print(f"\n{s}: saturation with p99 < 50 ms: {f(r['sat50'], 0)} msgs/s")

folio = rows.get("folio")
if folio:
    print()
    print("| SPEC §14 target | figure | met |")
    print("|---|---|---|")
    def check(label, value, target, higher=True):
        met = "-" if value is None else ("yes" if (value >= target if higher else value <= target) else "no")
        print(f"| {label} | {f(value, 2)} | {met} |")
    for other, target in [("y-websocket", 3.0), ("hocuspocus", 5.0), ("y-sweet", 1.5)]:
        if other in rows:
            check(f"saturation ≥ {target}× {other}", ratio(folio["sat"], rows[other]["sat"]), target)
            if rows[other]["sat50"]:
                check(f"saturation ≥ {target}× {other} (its p99 < 50 ms)", ratio(folio["sat"], rows[other]["sat50"]), target)
    if "relay" in rows:
        check("saturation ≥ 0.5× bare relay", ratio(folio["sat"], rows["relay"]["sat"]), 0.5)
    others = [rows[o]["p99"] for o in ("y-websocket", "hocuspocus", "y-sweet") if o in rows and rows[o]["p99"]]
    if others:
        check("p99 ≤ 1/3 of the best other", ratio(folio["p99"], min(others)), 1 / 3, higher=False)
    if "y-sweet" in rows:
        check("RSS per loaded room ≤ 1/2 of y-sweet", ratio(folio["room_kb"], rows["y-sweet"]["room_kb"]), 0.5, higher=False)
        check("RSS per loaded 1,000-item book ≤ 1/2 of y-sweet", ratio(folio["book_kb"], rows["y-sweet"]["book_kb"]), 0.5, higher=False)
        check("RSS per connection ≤ 1/2 of y-sweet", ratio(folio["conn_kb"], rows["y-sweet"]["conn_kb"]), 0.5, higher=False)
    if "folio-power" in rows:
        check("durable (power) throughput ≥ 0.9× default", ratio(rows["folio-power"]["sat"], folio["sat"]), 0.9)
    colds = [rows[o]["cold_ms"] for o in ("y-websocket", "hocuspocus", "y-sweet") if o in rows and rows[o]["cold_ms"]]
    if colds:
        check("cold load ≤ 1/2 of the best other", ratio(folio["cold_ms"], min(colds)), 0.5, higher=False)
