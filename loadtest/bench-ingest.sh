#!/usr/bin/env bash
# Photo ingest benchmark: throughput of POST /api/photos for 12-megapixel JPEGs, and the
# server's peak memory against the number of files per request (which must not matter:
# uploads stream, one file at a time).
#
# For each setting (files per request) it starts a FRESH folio server (release build,
# SQLite and the local blob folder in a temporary data folder, pinned to CPU 0), uploads
# the same photos in requests of that many files, one request at a time, from CPU 1, and
# stops the server. A fresh process per setting makes its VmHWM (the kernel's exact
# lifetime peak of resident memory) that setting's own peak; the generator also samples
# VmRSS every 20 ms as a cross-check. The photos (4000 × 3000, 3 to 5 MB each, fixed seed)
# are generated once, before anything is timed, and cached in loadtest/.cache/.
#
#   loadtest/bench-ingest.sh                          1, 4 and 16 files per request, 48 photos, 3 rounds
#   ROUNDS=1 PHOTOS=16 loadtest/bench-ingest.sh       a quick look
#   FILES="1 4 16 48" loadtest/bench-ingest.sh        also all 48 photos in one request
#
# Settings (environment): FILES (files per request, space-separated), PHOTOS (per
# setting), ROUNDS (each round runs every setting; the order alternates between rounds),
# PIN (1: server on CPU 0, generator on CPU 1, the default; 0: no pinning).
# Writes JSON lines, server logs and a summary to loadtest/results/<date>-ingest/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

files=${FILES:-"1 4 16"}
photos=${PHOTOS:-48}
rounds=${ROUNDS:-3}
pin=${PIN:-1}
out="$root/loadtest/results/$(date -u +%Y%m%d-%H%M%S)-ingest"
mkdir -p "$out"
cache="$root/loadtest/.cache/ingest-photos"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
data_root=$(mktemp -d "${TMPDIR:-/tmp}/folio-ingest.XXXXXX")

say() { printf '\n== %s\n' "$*"; }

if [ "$pin" = 1 ]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); else server_cpu=(); client_cpu=(); fi

say "building folio and loadtest (release)"
cargo build --release -p folio-server -p loadtest --bins
folio="$target_dir/release/folio"
loadtest="$target_dir/release/loadtest"

say "generating $photos photos (not timed; cached in $cache)"
"$loadtest" ingest --photos "$photos" --cache-dir "$cache" --generate-only

pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data_root"
}
trap cleanup EXIT

# Starts a fresh server with an empty data folder; sets $url and $pid once /readyz answers.
url=""
start_server() {
  local name=$1 log="$out/$1.log" data="$data_root/$1"
  mkdir -p "$data"
  FOLIO_PHOTO_MAX_FILE_BYTES=$((64 << 20)) FOLIO_PHOTO_MAX_REQUEST_BYTES=$((2 << 30)) \
    "${server_cpu[@]}" "$folio" serve --listen 127.0.0.1:0 --data-dir "$data" --log warn >> "$log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 1 400); do
    [ -z "$url" ] && url=$(sed -n 's/^folio listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
    if [ -n "$url" ] && curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "server $name did not become ready; see $log" >&2
  return 1
}

stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

{
  echo "folio $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- server loadtest || echo '+changes')"
  echo "photos $photos per setting; files per request: $files; rounds $rounds; pinned $pin"
  echo "machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
  echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out/versions.txt"
cat "$out/versions.txt"

failed=0
for i in $(seq 1 "$rounds"); do
  order=$files
  if [ $((i % 2)) = 0 ]; then order=$(echo "$files" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for n in $order; do
    say "round $i: $n file(s) per request"
    start_server "r$i-n$n"
    echo "server $url (pid $pid); loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/runs.txt"
    "${client_cpu[@]}" "$loadtest" ingest --url "$url" --server-pid "$pid" --files-per-request "$n" --photos "$photos" \
      --cache-dir "$cache" --label "round-$i" --json "$out/ingest.jsonl" | tee -a "$out/runs.txt" || { echo "round $i, $n per request failed" >&2; failed=1; }
    # What the server kept on disk (originals and their resized copies).
    echo "data folder after: $(du -sm "$data_root/r$i-n$n" | cut -f1) MB" | tee -a "$out/runs.txt"
    stop_server
    rm -rf "${data_root:?}/r$i-n$n"
  done
done

say "summary"
python3 loadtest/summarize_ingest.py "$out" | tee "$out/summary.md"
echo "results in $out"
exit $failed
