#!/usr/bin/env bash
# Throughput and peak memory of the built-in export formats.
#
# For each size, generates a deterministic export with `exporthub aaf gen`
# (NDJSON, mixed images/videos/texts, no stage history) and its category
# schema, then converts it with `exporthub formats dev` once per format under
# /usr/bin/time -v. The baseline is `exporthub aaf validate` on the same file:
# reading and validating every asset, which every conversion also does.
#
# Prints one row per format: seconds, assets/s, speed relative to the
# baseline, peak RSS in MiB, and the zip size.
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

# measure LABEL CMD...: runs CMD under /usr/bin/time -v and sets $secs and $rss_mib.
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
  rss_mib=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
}

printf 'go %s, %s CPUs, asset kind %s\n' "$(go env GOVERSION)" "$(nproc)" "$kind"
for n in "${sizes[@]}"; do
  export_file="$work/export-$n.ndjson"
  "$bin" aaf gen --assets "$n" --seed 1 --kind "$kind" --no-history --format ndjson >"$export_file"
  "$bin" aaf gen --kind "$kind" --project >"$work/schema.json"
  measure "$bin" aaf validate "$export_file"
  base_secs=$secs
  base_rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  printf '\n%d assets (%s MiB of NDJSON)\n' "$n" "$(du -m "$export_file" | cut -f1)"
  printf '%-14s %9s %10s %9s %10s %10s\n' format seconds assets/s ratio "peak MiB" "zip MiB"
  printf '%-14s %9.2f %10s %9s %10s %10s\n' "baseline" "$base_secs" "$base_rate" "1.00" "$rss_mib" "-"
  for name in "${selected[@]}"; do
    cfg=${configs[$name]:?unknown format $name}
    out="$work/out-$name"
    rm -rf "$out"
    measure "$bin" formats dev --export "$export_file" --config "$cfg" --out "$out" \
      --project "bench" --schema "$work/schema.json" --temp-dir "$work/tmp"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    ratio=$(awk -v b="$base_secs" -v s="$secs" 'BEGIN { printf "%.2f", b / s }')
    zip_mib=$(du -m "$out"/*.zip | cut -f1)
    printf '%-14s %9.2f %10s %9s %10s %10s\n' "$name" "$secs" "$rate" "$ratio" "$rss_mib" "$zip_mib"
    rm -rf "$out"
  done
  rm -f "$export_file"
done
