"""Summarise a bench-ingest.sh results folder: per setting (files per request), the
throughput and the server's peak memory, per round and as the median over rounds, and how
the peak at the most files per request compares with one file per request.

Each run of a setting had a freshly started server, so VmHWM (the process's lifetime peak
of resident memory, exact) is that setting's own peak; "peak sampled" is the highest VmRSS
seen in 20 ms samples during the uploads. "Above idle" is VmHWM minus the server's VmRSS
just before the first upload."""
import json
import pathlib
import statistics
import sys

out = pathlib.Path(sys.argv[1])
rows = [json.loads(l) for l in (out / "ingest.jsonl").read_text().splitlines() if l.strip()] if (out / "ingest.jsonl").exists() else []
if not rows:
    sys.exit(f"no results in {out}")


def f(v, d=1):
    return "-" if v is None else f"{v:,.{d}f}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def above(r):
    h, b = r.get("hwm_after_mb"), r.get("rss_before_mb")
    return None if h is None or b is None else h - b


first = rows[0]
print(f"\n{first['photos']} photos per setting, {first['width']}×{first['height']} JPEG, {first['mean_file_mb']:.2f} MB mean, one request at a time\n")
print("| files per request | round | requests | photos/s | MB/s | request median / max (s) | server CPU s per photo | RSS before (MiB) | peak RSS sampled (MiB) | VmHWM (MiB) | above idle (MiB) | file errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: (r["files_per_request"], r.get("label") or "")):
    print(
        f"| {r['files_per_request']} | {r.get('label') or '-'} | {r['requests']} | {r['photos_per_s']:.2f} | {r['mb_per_s']:.1f} "
        f"| {r['request_ms_median'] / 1e3:.2f} / {r['request_ms_max'] / 1e3:.2f} | {f(r.get('server_cpu_s_per_photo'), 3)} "
        f"| {f(r.get('rss_before_mb'))} | {f(r.get('rss_peak_sampled_mb'))} | {f(r.get('hwm_after_mb')) if r.get('hwm_is_own') else '-'} "
        f"| {f(above(r)) if r.get('hwm_is_own') else '-'} | {r['file_errors']} |"
    )

settings = sorted({r["files_per_request"] for r in rows})
medians = {}
print("\nMedian over rounds:\n")
print("| files per request | photos/s | MB/s | server CPU s per photo | peak RSS sampled (MiB) | VmHWM (MiB) | above idle (MiB) |")
print("|---|---|---|---|---|---|---|")
for n in settings:
    rs = [r for r in rows if r["files_per_request"] == n]
    own = [r for r in rs if r.get("hwm_is_own")]
    m = {
        "pps": med([r["photos_per_s"] for r in rs]),
        "mbps": med([r["mb_per_s"] for r in rs]),
        "cpu": med([r.get("server_cpu_s_per_photo") for r in rs]),
        "sampled": med([r.get("rss_peak_sampled_mb") for r in rs]),
        "hwm": med([r.get("hwm_after_mb") for r in own]),
        "above": med([above(r) for r in own]),
    }
    medians[n] = m
    print(f"| {n} | {f(m['pps'], 2)} | {f(m['mbps'])} | {f(m['cpu'], 3)} | {f(m['sampled'])} | {f(m['hwm'])} | {f(m['above'])} |")

lo, hi = settings[0], settings[-1]
if lo != hi and medians[lo]["hwm"] and medians[hi]["hwm"]:
    a, b = medians[lo], medians[hi]
    ratio = b["hwm"] / a["hwm"]
    print(f"\nPeak RSS (VmHWM) at {hi} files per request is {ratio:.2f}× that at {lo} ({f(b['hwm'])} against {f(a['hwm'])} MiB, "
          f"{f(b['above'])} against {f(a['above'])} MiB above idle). For scale: a {hi}-file request carries {hi * first['mean_file_mb']:.0f} MB of JPEG, "
          f"and its photos decoded at once would take {hi * first['width'] * first['height'] * 3 / 2**20:,.0f} MiB of RGB pixels.")
errors = sum(r["file_errors"] + r["failed_requests"] for r in rows)
if errors:
    print(f"\nWARNING: {errors} file errors or failed requests; see runs.txt")
