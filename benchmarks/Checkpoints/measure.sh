#!/usr/bin/env bash
# What superstep checkpoints cost PageRank, embedded (docs/benchmarks.md "Superstep checkpoints"):
# runs the example alternately without and with --checkpoint-interval, REPS times each, and prints per run
# the median superstep and the mean of supersteps 2.. (the first also loads the edges), and for the checkpointed runs
# the iteration's stall per checkpoint (serialization + waiting for the previous write), the background write time and
# the checkpoint's size; then the cost per superstep: (mean with + stall / INTERVAL) / mean without - 1, over the medians
# of the runs.
# Usage: benchmarks/Checkpoints/measure.sh [SCALE=20] [ITERATIONS=20] [INTERVAL=5] [REPS=3]   (needs jq; build Release first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
scale=${1:-20}; iterations=${2:-20}; interval=${3:-5}; reps=${4:-3}
dll="$root/examples/PageRank/bin/Release/net10.0/PageRank.dll"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
summary() { # stats file -> "median_ms mean_ms" (the mean of supersteps 2..)
  jq -s '[.[] | select(.event == "superstep")] | [ (map(.duration_ms) | sort | .[length/2|floor]), (map(select(.superstep > 1) | .duration_ms) | add / length) ] | map(. * 10 | round / 10) | @tsv' -r "$1"
}
printf 'run\tcheckpoints\tmedian_superstep_ms\tmean_superstep_2on_ms\tstall_per_checkpoint_ms\twrite_ms\tbytes\n'
for rep in $(seq 1 "$reps"); do
  for mode in off on; do
    stats="$work/$mode-$rep.jsonl"
    extra=(); [ "$mode" = on ] && extra=(--checkpoint-interval "$interval" --checkpoint-dir "$work/ckpt")
    dotnet "$dll" --scale "$scale" --iterations "$iterations" --stats "$stats" --output "$work/ranks.tsv" "${extra[@]}" > /dev/null
    read -r median mean <<< "$(summary "$stats")"
    if [ "$mode" = on ]; then
      read -r stall write bytes <<< "$(jq -s -r '[.[] | select(.event == "checkpoint")] | [ (map(.snapshot_ms + .wait_ms) | add / length), (map(.write_ms) | add / length), .[0].bytes ] | map(. * 10 | round / 10) | @tsv' "$stats")"
    else stall=-; write=-; bytes=-; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$mode" "$median" "$mean" "$stall" "$write" "$bytes" | tee -a "$work/rows.tsv"
  done
done
awk -F'\t' -v interval="$interval" '
  $2 == "off" { off[++n] = $4 } $2 == "on" { on[++m] = $4; stall[m] = $5 }
  function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((k + 1) / 2)] }
  END { o = median(off, n); w = median(on, m); s = median(stall, m); printf "cost per superstep at interval %d: (%.1f + %.1f / %d) / %.1f - 1 = %.1f%%\n", interval, w, s, interval, o, 100 * ((w + s / interval) / o - 1) }' "$work/rows.tsv"
