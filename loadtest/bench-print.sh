#!/usr/bin/env bash
# Print rendering benchmark (issue #8): a 12×12 book of N pages × 3 camera-size photos and a
# caption, rendered by the real render job, for N = 20, 40 and 80 by default. A benchmark,
# not a timed test: it records, never asserts.
#
# One folio server (release build, SQLite and the local blob folder in a temporary data
# folder) runs with NO in-process workers (--workers 0), no proactive books and no periodic
# versions. loadtest's print_book uploads the photos once (4000 × 3000 JPEG, quality 92,
# textured and noisy like camera files, 3-5 MB each, fixed seed; generated before anything is
# timed and cached in loadtest/.cache/ingest-photos, shared with bench-ingest.sh), writes
# every book through a live y-websocket client, and then renders each book in a FRESH
# `folio worker` process that it starts just before the render and stops after it. So:
#   - wall time is the render job alone (POST to done, polled every 50 ms);
#   - peak RSS is that worker's VmHWM (the kernel's exact lifetime peak) after the job,
#     which holds nothing but the worker's start-up and this one render (VmRSS is sampled
#     every 20 ms as a cross-check).
# The books share the uploaded photos: book N shows the first 3N of them, each once, so the
# 80-page book shows all 240, the 40-page book the first 120, the 20-page book the first 60.
#
#   loadtest/bench-print.sh                    20, 40 and 80 pages
#   PAGES=40 loadtest/bench-print.sh           the 40-page book only (120 photos)
#
# Settings (environment): PAGES (comma-separated), PRODUCT (default square-12x12).
# Writes JSON lines, logs and a summary table to loadtest/results/<date>-print/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pages=${PAGES:-"20,40,80"}
product=${PRODUCT:-square-12x12}
out="$root/loadtest/results/$(date -u +%Y%m%d-%H%M%S)-print"
mkdir -p "$out"
cache="$root/loadtest/.cache/ingest-photos"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
data=$(mktemp -d "${TMPDIR:-/tmp}/folio-print.XXXXXX")

say() { printf '\n== %s\n' "$*"; }

say "building folio and print_book (release)"
cargo build --release -p folio-server --bin folio
cargo build --release -p loadtest --bin print_book
folio="$target_dir/release/folio"
bench="$target_dir/release/print_book"

most=$(echo "$pages" | tr ',' '\n' | sort -n | tail -n1)
say "generating $((most * 3)) photos (not timed; cached in $cache)"
"$bench" --pages "$most" --cache-dir "$cache" --generate-only

pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

say "starting the server (no in-process workers)"
log="$out/server.log"
FOLIO_PHOTO_MAX_FILE_BYTES=$((64 << 20)) \
  "$folio" serve --listen 127.0.0.1:0 --data-dir "$data" --workers 0 --proactive-min 0 --version-interval-s 0 --log warn >> "$log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 400); do
  [ -z "$url" ] && url=$(sed -n 's/^folio listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
  if [ -n "$url" ] && curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "the server exited; see $log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "the server did not become ready; see $log" >&2; exit 1; }

{
  echo "folio $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- server loadtest crdt-schema || echo '+changes')"
  echo "pages $pages; product $product; 3 photos and a caption a page"
  echo "machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
  echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$out/versions.txt"

say "uploading, writing the books, rendering each in a fresh worker"
"$bench" --url "$url" --folio "$folio" --worker-arg=--data-dir --worker-arg="$data" \
  --pages "$pages" --product "$product" --cache-dir "$cache" --log-dir "$out" --json "$out/print.jsonl" | tee "$out/runs.txt"
echo "data folder after: $(du -sm "$data" | cut -f1) MB" | tee -a "$out/runs.txt"
echo "results in $out"
