#!/usr/bin/env bash
# Automix quality benchmark (SPEC §10): event split quality against the largest-gap and
# fixed-threshold baselines, crop loss and page coverage of the chosen layouts, and the time
# to plan 1,000 photos, on generated photo streams with known events. Pure computation, no
# server: it calls folio-server's automix engine directly (loadtest/automix-quality).
#
#   loadtest/bench-automix.sh                          24 held-out streams (seeds 2000..2023)
#   STREAMS=8 RUNS=10 loadtest/bench-automix.sh        a quick look
#   FIRST_SEED=1 loadtest/bench-automix.sh             the tuning streams (seeds 1..24)
#   EXTRA=--diagnose loadtest/bench-automix.sh         also list every boundary it gets wrong
#
# Writes the report, its JSON and the machine to loadtest/results/<date>-automix/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

streams=${STREAMS:-24}
first_seed=${FIRST_SEED:-2000}
runs=${RUNS:-50}
photos=${PHOTOS:-1000}
out="$root/loadtest/results/$(date -u +%Y%m%d-%H%M%S)-automix"
mkdir -p "$out"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

printf '\n== building automix-quality (release)\n'
cargo build --release -p automix-quality

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //' || echo unknown)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "rustc: $(rustc --version)"
} | tee "$out/machine.txt"

printf '\n== running\n'
# shellcheck disable=SC2086
"$target_dir/release/automix-quality" --streams "$streams" --first-seed "$first_seed" --runs "$runs" --photos "$photos" \
  --json "$out/results.json" ${EXTRA:-} | tee "$out/report.txt"
printf '\nwritten to %s\n' "$out"
