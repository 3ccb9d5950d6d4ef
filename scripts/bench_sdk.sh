#!/usr/bin/env bash
# Go SDK benchmark: the seed's bounding-box conversion on generated assets,
# run by the Go plugin (examples/bboxes, "dev" mode: the SDK's local harness
# reading the export as a stream) and by the Python sample
# (examples/bboxes/python/bboxes_plugin.py, Debian's python3, the callback
# fed as the imerit-ango SDK feeds it) on the same file, in one run.
#
# For each size and shape it generates one NDJSON file with
# `exporthub aaf gen --seed 1` and measures, alternating, REPEAT times each:
#   cat      cat FILE > /dev/null          (reading the file: the floor)
#   validate exporthub aaf validate FILE   (the full AAF decoder and checks)
#   go       bboxes dev -export FILE ...
#   python   bboxes_plugin.py FILE ...
# and prints the median wall time, CPU time (user + system, all threads)
# and peak RSS of each, and the ratios that the performance targets use:
# Python CPU / Go CPU, and Go's speed as a fraction of cat's and of
# validate's. CPU time is the steady figure on a busy machine; wall times
# move with the load. It checks that Go and Python wrote the same bytes.
#
# Shapes: legacy  = image assets as "tasks"[0]."objects" (--legacy)
#         current = image assets as "task"."tools", with stage history
#         nohist  = the same without stage history (--no-history)
#
# Usage: scripts/bench_sdk.sh [ASSETS...]       (default: 100000 1000000)
# Env:   SHAPES="legacy current nohist"  shapes to run (default: all three)
#        REPEAT=N     runs of each command per file (default 3)
#        PY_MAX=N     run Python only up to N assets (default 1000000)
#        PYTHON=path  Python interpreter (default /usr/bin/python3)
#        KEEP=DIR     keep the generated files in DIR (and reuse them)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000)
read -r -a shapes <<<"${SHAPES:-legacy current nohist}"
repeat=${REPEAT:-3}
py_max=${PY_MAX:-1000000}
python=${PYTHON:-/usr/bin/python3}
config='{"separator-character": ";"}'

for tool in /usr/bin/time "$python" unzip; do
	command -v "$tool" >/dev/null || { echo "bench_sdk: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${KEEP:-$work}
mkdir -p "$data"
go build -o "$work/exporthub" ./cmd/exporthub
go build -o "$work/bboxes" ./examples/bboxes

# measure NAME CMD...: runs CMD under /usr/bin/time and appends
# "<wall s> <CPU s (user+system)> <peak RSS KiB>" to $work/NAME.runs.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
		echo "bench_sdk: $name failed:" >&2
		cat "$work/$name.err" >&2
		exit 1
	}
	awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$work/time" >>"$work/$name.runs"
}

# median NAME: prints the median wall, CPU and RSS of NAME's runs (each
# column on its own).
median() {
	local col out=""
	for col in 1 2 3; do
		out+="$(cut -d' ' -f"$col" "$work/$1.runs" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }') "
	done
	echo "$out"
}

gen_flags() {
	case $1 in
	legacy) echo "--legacy" ;;
	current) echo "" ;;
	nohist) echo "--no-history" ;;
	*) echo "bench_sdk: unknown shape $1" >&2; exit 1 ;;
	esac
}

fmt='%-8s %-9s %6s | %-22s | %-22s | %-22s | %-22s | %6s %6s %6s\n'
# shellcheck disable=SC2059
printf "$fmt" shape assets MB "cat wall/cpu" "validate wall/cpu/RSS" "Go wall/cpu/RSS" "Python wall/cpu/RSS" "Py/Go" "Go/cat" "Go/val"
for n in "${sizes[@]}"; do
	for shape in "${shapes[@]}"; do
		file="$data/$shape-$n.ndjson"
		# shellcheck disable=SC2046
		[ -s "$file" ] || "$work/exporthub" aaf gen --assets "$n" --seed 1 $(gen_flags "$shape") >"$file"
		mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.0f", b / 1048576 }')
		rm -f "$work"/*.runs
		run_py=0
		[ "$n" -le "$py_max" ] && run_py=1
		for _ in $(seq "$repeat"); do
			measure cat sh -c 'cat "$1" >/dev/null' sh "$file"
			measure validate "$work/exporthub" aaf validate "$file"
			measure go "$work/bboxes" dev -export "$file" -config "$config" -out "$work/go" -project bench
			[ $run_py = 1 ] && measure py "$python" examples/bboxes/python/bboxes_plugin.py "$file" --config "$config" --project bench --out "$work/py"
		done
		read -r cat_s cat_cpu _ < <(median cat)
		read -r val_s val_cpu val_kb < <(median validate)
		read -r go_s go_cpu go_kb < <(median go)
		py_col=- ratio=-
		if [ $run_py = 1 ]; then
			read -r py_s py_cpu py_kb < <(median py)
			py_col=$(awk -v s="$py_s" -v c="$py_cpu" -v k="$py_kb" 'BEGIN { printf "%.2fs %.2fs %.0fMB", s, c, k / 1024 }')
			ratio=$(awk -v g="$go_cpu" -v p="$py_cpu" 'BEGIN { printf "%.1fx", p / (g > 0 ? g : 0.01) }')
			if ! cmp -s <(unzip -p "$work/go/bench.zip" bench.json) <(unzip -p "$work/py/bench.zip" bench.json); then
				echo "bench_sdk: the Go and Python outputs differ ($shape, $n assets)" >&2
				exit 1
			fi
		fi
		# shellcheck disable=SC2059
		printf "$fmt" "$shape" "$n" "$mb" \
			"$(awk -v s="$cat_s" -v c="$cat_cpu" 'BEGIN { printf "%.2fs %.2fs", s, c }')" \
			"$(awk -v s="$val_s" -v c="$val_cpu" -v k="$val_kb" 'BEGIN { printf "%.2fs %.2fs %.0fMB", s, c, k / 1024 }')" \
			"$(awk -v s="$go_s" -v c="$go_cpu" -v k="$go_kb" 'BEGIN { printf "%.2fs %.2fs %.0fMB", s, c, k / 1024 }')" \
			"$py_col" "$ratio" \
			"$(awk -v g="$go_s" -v c="$cat_s" 'BEGIN { printf "%.2f", c / (g > 0 ? g : 0.01) }')" \
			"$(awk -v g="$go_s" -v v="$val_s" 'BEGIN { printf "%.1fx", v / (g > 0 ? g : 0.01) }')"
		[ -n "${KEEP:-}" ] || rm -f "$file"
	done
done
echo "Medians of $repeat runs each, alternated. Py/Go = Python CPU time / Go CPU time (user+system, all threads);"
echo "Go/cat = cat's wall time / Go's (the fraction of the file-read speed Go reaches); Go/val = validate's wall time / Go's."
echo "Same file, same output (checked). Cores: $(nproc)."
