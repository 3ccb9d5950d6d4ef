#!/usr/bin/env bash
# Throughput and peak memory of the built-in export formats.
#
# For each size, generates a deterministic export with `exporthub aaf gen`
# (NDJSON, mixed images/videos/texts, no stage history) and its category
# schema, then converts it with `exporthub formats dev` once per format under
# /usr/bin/time -v. Two baselines are measured in the same run on the same
# file: `cat FILE > /dev/null` (reading the file, the machine's limit) and
# `exporthub aaf validate` (decoding and validating every asset).
#
# Prints one row per format: wall seconds, assets per wall second, CPU
# seconds (user + system), assets per CPU second, CPU cost relative to the
# baseline (CPU figures are steadier than wall time on a shared machine),
# peak RSS in MiB, and the zip size.
#
# Usage: scripts/bench_formats.sh [SIZE...]        (default: 100000 1000000)
# Environment:
#   FORMATS  space-separated names from the list below (default: all)
#   KIND     asset kind for the generator: image, video, text, mixed (default mixed)
#   WORK     working directory (default: a new temp dir, removed at the end)
set -euo pipefail

cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
kind=${KIND:-mixed}

declare -A configs=(
  [coco]='{"format": "coco"}'
  [yolo]='{"format": "yolo"}'
  [yolo-segment]='{"format": "yolo", "task": "segment"}'
  [voc]='{"format": "voc"}'
  [csv]='{"format": "csv"}'
  [json]='{"format": "json"}'
  [cvat]='{"format": "cvat"}'
  [labelstudio]='{"format": "labelstudio"}'
  [kitti]='{"format": "kitti"}'
  [mask]='{"format": "mask"}'
)
order=(coco yolo yolo-segment voc csv json cvat labelstudio kitti mask)
read -r -a selected <<<"${FORMATS:-${order[*]}}"

work=${WORK:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/tmp"
bin="$work/exporthub"
go build -o "$bin" ./cmd/exporthub

# measure CMD...: runs CMD under /usr/bin/time -v and sets $secs (wall),
# $cpu (user + system seconds) and $rss_mib.
measure() {
  local log="$work/time.log"
  if ! /usr/bin/time -v "$@" >"$work/cmd.out" 2>"$log"; then
    echo "command failed: $*" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + p[i]
      print s }' "$log")
  cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$log")
  rss_mib=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
}

# row NAME N ZIP: prints the figures of the last measure for N assets.
row() {
  awk -v name="$1" -v n="$2" -v s="$secs" -v c="$cpu" -v bc="$base_cpu" -v rss="$rss_mib" -v zip="$3" 'BEGIN {
    printf "%-14s %8.2f %10.0f %8.2f %10.0f %8.2f %9s %8s\n", name, s, n / s, c, n / c, c / bc, rss, zip }'
}

printf 'go %s, %s CPUs, load average %s, asset kind %s\n' "$(go env GOVERSION)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$kind"
for n in "${sizes[@]}"; do
  export_file="$work/export-$n.ndjson"
  "$bin" aaf gen --assets "$n" --seed 1 --kind "$kind" --no-history --format ndjson >"$export_file"
  "$bin" aaf gen --kind "$kind" --project >"$work/schema.json"
  measure "$bin" aaf validate "$export_file"
  base_cpu=$cpu
  printf '\n%d assets (%s MiB of NDJSON)\n' "$n" "$(du -m "$export_file" | cut -f1)"
  printf '%-14s %8s %10s %8s %10s %8s %9s %8s\n' format "wall s" assets/s "cpu s" "/cpu s" "cpu x" "peak MiB" "zip MiB"
  row "aaf validate" "$n" -
  measure sh -c 'cat "$1" >/dev/null' sh "$export_file"
  row "cat" "$n" -
  for name in "${selected[@]}"; do
    cfg=${configs[$name]:?unknown format $name}
    out="$work/out-$name"
    rm -rf "$out"
    measure "$bin" formats dev --export "$export_file" --config "$cfg" --out "$out" \
      --project "bench" --schema "$work/schema.json" --temp-dir "$work/tmp"
    row "$name" "$n" "$(du -m "$out"/*.zip | cut -f1)"
    rm -rf "$out"
  done
  rm -f "$export_file"
done
