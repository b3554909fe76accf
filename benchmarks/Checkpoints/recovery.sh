#!/usr/bin/env bash
# What recovering from a lost worker costs (docs/benchmarks.md "Superstep checkpoints"): PageRank on `dataflow run
# --workers 3` with --checkpoint-interval INTERVAL, once without a loss and once per KILL_AFTER superstep with one worker
# process killed (SIGKILL) when the run prints that superstep's line. Prints per run the wall time, and from the
# recovery event the supersteps replayed, the restore time and the time from the loss to the next superstep.
# Usage: benchmarks/Checkpoints/recovery.sh [SCALE=18] [ITERATIONS=30] [INTERVAL=5] [KILL_AFTER="11 13 14"]   (needs jq)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
scale=${1:-18}; iterations=${2:-30}; interval=${3:-5}; kills=${4:-"11 13 14"}
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
printf 'kill_after\twall_s\tcheckpoint\tfailed_superstep\treplayed\trestore_ms\trecovery_ms\tmedian_superstep_ms\n'
for k in none $kills; do
  log="$work/$k.log"; stats="$work/$k.jsonl"
  start=$(date +%s.%N)
  "$root/dataflow" run --workers 3 -- "$root/examples/PageRank" --scale "$scale" --iterations "$iterations" \
      --checkpoint-interval "$interval" --checkpoint-dir "$work/ckpt" --stats "$stats" --output "$work/ranks.tsv" > "$log" 2>&1 &
  run=$!
  if [ "$k" != none ]; then
    line=$(printf 'superstep %3d ' "$k")
    until grep -q "$line" "$log"; do sleep 0.01; done
    kill -9 "$(pgrep -f 'dataflow.dll worker' | head -1)"
  fi
  wait "$run"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  median=$(jq -s '[.[] | select(.event == "superstep") | .duration_ms] | sort | .[length/2|floor] | . * 10 | round / 10' "$stats")
  rec=$(jq -s -r '[.[] | select(.event == "recovery")][0] // {} | [.checkpoint_superstep // "-", .failed_superstep // "-", .supersteps_replayed // "-", .restore_ms // "-", .recovery_ms // "-"] | @tsv' "$stats")
  printf '%s\t%.1f\t%s\t%s\n' "$k" "$wall" "$rec" "$median"
done
