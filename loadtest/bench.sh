#!/usr/bin/env bash
# Side-by-side benchmark (SPEC §14): starts each server in turn, pinned to CPU 0, and runs
# the same loadtest scenarios against it from CPU 1; writes JSON per run and a summary with
# the ratios of SPEC §14.
#
#   loadtest/bench.sh            full run
#   loadtest/bench.sh --quick    smaller scenarios, under 3 minutes once everything is built
#   SERVERS="folio relay" loadtest/bench.sh --quick    a subset
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
[ "${1:-}" = "--quick" ] && quick=1
servers=${SERVERS:-"folio folio-power y-websocket hocuspocus y-sweet relay"}
out="$root/loadtest/results/$(date -u +%Y%m%d-%H%M%S)$([ $quick = 1 ] && echo -quick || true)"
mkdir -p "$out"
cache="$root/loadtest/.cache"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

say() { printf '\n== %s\n' "$*"; }

if [ $quick = 1 ]; then
  ROOMS="--rooms 10 --editors 5 --duration-s 5 --warmup-s 1"
  SATURATE="--rooms 10 --editors 5 --duration-s 2 --warmup-s 0.5 --moves 32 --factor 2 --max-steps 7 --chars 0 --cursor-hz 0"
  CROWD="--clients 300"; CHURN="--clients 300"; COLD="--moves 10000 --samples 3"
else
  ROOMS="--rooms 20 --editors 5 --duration-s 20 --warmup-s 3"
  SATURATE="--rooms 10 --editors 5 --duration-s 5 --warmup-s 1 --moves 32 --factor 1.5 --max-steps 12 --chars 0 --cursor-hz 0"
  CROWD="--clients 1500"; CHURN="--clients 1000"; COLD="--moves 100000 --samples 5"
fi

say "building folio and loadtest (release)"
cargo build --release -p folio-server -p loadtest --bins
folio="$target_dir/release/folio"
loadtest="$target_dir/release/loadtest"

say "installing the Node servers"
(cd loadtest/servers && npm ci --no-audit --no-fund --loglevel=error)

ysweet="$cache/y-sweet/bin/y-sweet"
if [[ " $servers " == *" y-sweet "* ]] && [ ! -x "$ysweet" ]; then
  say "installing y-sweet 0.9.1 (cargo install, once, into $cache)"
  cargo install y-sweet --version 0.9.1 --locked --root "$cache/y-sweet"
fi

port=18300
pid=""
start_server() {
  local name=$1 data="$out/data-$1-$2"
  mkdir -p "$data"
  port=$((port + 1))
  case $name in
    folio)       taskset -c 0 "$folio" serve --listen 127.0.0.1:$port --data-dir "$data" --rate-per-s 100000 --rate-burst 100000 --updates-per-s 100000 --updates-burst 100000 --max-connections-per-user 100000 >> "$out/$name.log" 2>&1 & ;;
    folio-power) taskset -c 0 "$folio" serve --listen 127.0.0.1:$port --data-dir "$data" --durability power --rate-per-s 100000 --rate-burst 100000 --updates-per-s 100000 --updates-burst 100000 --max-connections-per-user 100000 >> "$out/$name.log" 2>&1 & ;;
    y-websocket) (cd loadtest/servers && HOST=127.0.0.1 PORT=$port YPERSISTENCE="$data" exec taskset -c 0 node node_modules/@y/websocket-server/src/server.js) >> "$out/$name.log" 2>&1 & ;;
    hocuspocus)  (cd loadtest/servers && DATA_DIR="$data" PORT=$port exec taskset -c 0 node hocuspocus.mjs) >> "$out/$name.log" 2>&1 & ;;
    y-sweet)     taskset -c 0 "$ysweet" serve "$data" --host 127.0.0.1 --port $port >> "$out/$name.log" 2>&1 & ;;
    relay)       taskset -c 0 "$loadtest" relay --listen 127.0.0.1:$port >> "$out/$name.log" 2>&1 & ;;
  esac
  pid=$!
  for _ in $(seq 1 200); do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "$name did not start; see $out/$name.log" >&2
  return 1
}

version_of() {
  case $1 in
    folio|folio-power) git rev-parse --short HEAD ;;
    y-websocket) node -p "require('./loadtest/servers/node_modules/@y/websocket-server/package.json').version" ;;
    hocuspocus)  node -p "require('./loadtest/servers/node_modules/@hocuspocus/server/package.json').version" ;;
    y-sweet)     "$ysweet" version 2>/dev/null || echo 0.9.1 ;;
    relay)       echo "loadtest relay" ;;
  esac
}

kind_of() {
  case $1 in folio|folio-power) echo folio ;; *) echo "$1" ;; esac
}

run() {
  local name=$1 scenario=$2; shift 2
  taskset -c 1 "$loadtest" "$scenario" --target "$(kind_of "$name")" --url "http://127.0.0.1:$port" \
    --server-pid "$pid" --quiet --json "$out/$name-${TAG:-$scenario}.json" "$@" | tee -a "$out/$name.txt"
}

# Every scenario gets a freshly started server, so one scenario's memory (which allocators
# keep) does not hide in the next one's RSS figures.
scenario() {
  local name=$1 scenario=$2; shift 2
  start_server "$name" "$scenario"
  run "$name" "$scenario" "$@" || echo "$name $scenario failed" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for name in $servers; do
  say "$name $(version_of "$name")"
  echo "$name $(version_of "$name")" >> "$out/versions.txt"
  scenario "$name" churn $CHURN
  scenario "$name" rooms $ROOMS
  scenario "$name" saturate $SATURATE
  scenario "$name" crowd $CROWD
  if [ "$name" != relay ]; then scenario "$name" cold $COLD; fi
  # y-sweet 0.9.1 leaves Nagle's algorithm on (axum 0.7's serve does not set TCP_NODELAY), so
  # its p99 sits near the 40 ms delayed-ACK timer at any load; this finds where its
  # throughput tops out under a 50 ms bound instead.
  if [ "$name" = y-sweet ]; then TAG=saturate50 scenario "$name" saturate $SATURATE --p99-limit-ms 50; fi
done

say "summary"
python3 loadtest/summarize.py "$out" | tee "$out/summary.md"
echo "results in $out"
