#!/usr/bin/env bash
# Two-node benchmark: what the Redis hop between Folio nodes adds to delivery latency.
#
# Starts two Folio nodes in scale-out mode (a fresh PostgreSQL database, shared Redis),
# both pinned to CPU 0, and runs the rooms scenario from CPU 1 at a fixed moderate rate,
# alternating in each round:
#   one  every client of every room on node A (the baseline: Redis and PostgreSQL are in
#        use, every update is still published, but no delivery crosses nodes);
#   two  each room's clients spread over nodes A and B, so some deliveries stay on a node
#        and the others go through Redis; the generator times both kinds apart.
# Writes JSON per run and a summary with the added p50/p99 (cross-node minus one-node).
#
#   loadtest/bench-nodes.sh                      3 rounds of 20 s runs (about 3 minutes once built)
#   ROUNDS=1 DURATION_S=5 loadtest/bench-nodes.sh    a quick look
#
# Settings (environment): PG (server URL without a database, default
# postgres://postgres@127.0.0.1:5432; the database is created and dropped here), REDIS_URL
# (default redis://127.0.0.1:6379), ROUNDS, DURATION_S, LOAD (the rooms scenario's flags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pg=${PG:-postgres://postgres@127.0.0.1:5432}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
rounds=${ROUNDS:-3}
load=${LOAD:-"--rooms 10 --editors 5 --items 25 --moves 2 --chars 2 --cursor-hz 10 --warmup-s 3 --duration-s ${DURATION_S:-20}"}
out="$root/loadtest/results/$(date -u +%Y%m%d-%H%M%S)-nodes"
mkdir -p "$out"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
db="folio_bench_nodes_$(date +%s)_$$"

say() { printf '\n== %s\n' "$*"; }

say "building folio and loadtest (release)"
cargo build --release -p folio-server -p loadtest --bins
folio="$target_dir/release/folio"
loadtest="$target_dir/release/loadtest"

command -v psql >/dev/null || { echo "bench-nodes.sh needs psql (the PostgreSQL client)" >&2; exit 1; }
if command -v redis-cli >/dev/null; then
  redis-cli -u "$redis_url" ping >/dev/null 2>&1 || { echo "Redis at $redis_url does not answer" >&2; exit 1; }
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || echo "could not drop database $db" >&2
}
trap cleanup EXIT

say "creating database $db"
psql "$pg/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db"

# Starts a node on a free port; sets $url and $pid once /readyz answers 200.
url="" pid=""
start_node() {
  local name=$1 log="$out/$1.log"
  DATABASE_URL="$pg/$db" REDIS_URL="$redis_url" taskset -c 0 "$folio" serve --listen 127.0.0.1:0 --data-dir "$out/data-$name" \
    --rate-per-s 100000 --rate-burst 100000 --updates-per-s 100000 --updates-burst 100000 --max-connections-per-user 100000 --log warn >> "$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 400); do
    [ -z "$url" ] && url=$(sed -n 's/^folio listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
    if [ -n "$url" ] && curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "node $name did not become ready; see $log" >&2
  return 1
}

say "starting two nodes (CPU 0)"
start_node a; url_a=$url pid_a=$pid
start_node b; url_b=$url pid_b=$pid
echo "node a: $url_a (pid $pid_a); node b: $url_b (pid $pid_b); database $db; redis $redis_url"

{
  echo "folio $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- server loadtest || echo '+changes')"
  echo "postgres $(psql "$pg/postgres" -Atc 'show server_version')"
  echo "redis $(redis-cli -u "$redis_url" info server 2>/dev/null | sed -n 's/^redis_version:\(.*\)\r*$/\1/p' | tr -d '\r')"
  echo "load $load"
} > "$out/versions.txt"

run() {
  local tag=$1; shift
  # The machine is shared: note how busy it was.
  echo "$tag loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/versions.txt"
  taskset -c 1 "$loadtest" rooms --target folio "$@" --quiet --json "$out/$tag.json" $load | tee -a "$out/runs.txt"
}

for i in $(seq 1 "$rounds"); do
  # Alternate the order, so neither kind of run always follows the other.
  if [ $((i % 2)) = 1 ]; then order="one two"; else order="two one"; fi
  for kind in $order; do
    say "round $i: $kind node(s)"
    case $kind in
      one) run "one-$i" --url "$url_a" --server-pid "$pid_a" ;;
      two) run "two-$i" --url "$url_a" --url "$url_b" --server-pid "$pid_a" --server-pid "$pid_b" ;;
    esac
  done
done

# The nodes' own counters: publishes, receives, drops, commit times.
for n in a b; do
  u=$([ $n = a ] && echo "$url_a" || echo "$url_b")
  curl -fsS "$u/metrics" > "$out/metrics-$n.txt" 2>/dev/null || true
done

say "summary"
python3 loadtest/summarize_nodes.py "$out" | tee "$out/summary.md"
echo "results in $out"
