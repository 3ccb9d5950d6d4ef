#!/usr/bin/env bash
# Go SDK benchmark: the seed's bounding-box conversion on generated assets,
# run by the Go plugin (examples/bboxes, "dev" mode: the SDK's local harness
# reading the export as a stream) and by the Python sample
# (examples/bboxes/python/bboxes_plugin.py, plain python3) on the same file,
# in one run. Prints wall time, CPU time, throughput and peak RSS of each,
# their ratios, and checks that both wrote the same JSON. CPU time is the
# steadier figure on a busy machine. The Go plugin decodes the export on
# every core (GOMAXPROCS); the Python sample uses one.
#
# Usage: scripts/bench_sdk.sh [ASSETS...]       (default: 100000 1000000)
# Env:   PY_MAX=N     run Python only up to N assets (default 100000; the
#                     Go plugin runs every size, to show its flat memory)
#        PYTHON=path  Python interpreter (default /usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000)
py_max=${PY_MAX:-100000}
python=${PYTHON:-/usr/bin/python3}
config='{"separator-character": ";"}'

for tool in /usr/bin/time "$python" unzip; do
	command -v "$tool" >/dev/null || { echo "bench_sdk: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/exporthub" ./cmd/exporthub
go build -o "$work/bboxes" ./examples/bboxes

# measure NAME CMD...: runs CMD under /usr/bin/time -v and prints
# "<wall seconds> <CPU seconds (user+system)> <peak RSS in KiB>".
measure() {
	local name=$1
	shift
	/usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
		echo "bench_sdk: $name failed:" >&2
		cat "$work/$name.err" >&2
		exit 1
	}
	awk -F': ' '
		/Elapsed \(wall clock\) time/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
			wall = s
		}
		/User time \(seconds\)/ { cpu += $2 }
		/System time \(seconds\)/ { cpu += $2 }
		/Maximum resident set size/ { rss = $2 }
		END { printf "%.2f %.2f %d\n", wall, cpu, rss }
	' "$work/$name.time"
}

fmt='%-9s %7s | %7s %7s %10s %8s | %7s %7s %10s %8s | %7s %7s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" assets "file MB" "Go wall" "Go CPU" "Go asset/s" "Go RSS" "Py wall" "Py CPU" "Py asset/s" "Py RSS" speedup "CPU x" "RSS x"
for n in "${sizes[@]}"; do
	export_file="$work/assets-$n.ndjson"
	"$work/exporthub" aaf gen --assets "$n" --seed 1 >"$export_file"
	mb=$(awk -v b="$(stat -c %s "$export_file")" 'BEGIN { printf "%.0f", b / 1048576 }')

	read -r go_s go_cpu go_kb < <(measure "go-$n" "$work/bboxes" dev -export "$export_file" -config "$config" -out "$work/go-$n" -project bench)
	go_rate=$(awk -v n="$n" -v s="$go_s" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.01) }')
	go_mb=$(awk -v k="$go_kb" 'BEGIN { printf "%.0fMB", k / 1024 }')

	if [ "$n" -le "$py_max" ]; then
		read -r py_s py_cpu py_kb < <(measure "py-$n" "$python" examples/bboxes/python/bboxes_plugin.py "$export_file" --config "$config" --project bench --out "$work/py-$n")
		py_rate=$(awk -v n="$n" -v s="$py_s" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.01) }')
		py_mb=$(awk -v k="$py_kb" 'BEGIN { printf "%.0fMB", k / 1024 }')
		speedup=$(awk -v g="$go_s" -v p="$py_s" 'BEGIN { printf "%.1fx", p / (g > 0 ? g : 0.01) }')
		cpu_ratio=$(awk -v g="$go_cpu" -v p="$py_cpu" 'BEGIN { printf "%.1fx", p / (g > 0 ? g : 0.01) }')
		rss_ratio=$(awk -v g="$go_kb" -v p="$py_kb" 'BEGIN { printf "%.1fx", p / g }')
		if ! cmp -s <(unzip -p "$work/go-$n/bench.zip" bench.json) <(unzip -p "$work/py-$n/bench.zip" bench.json); then
			echo "bench_sdk: the Go and Python outputs differ for $n assets" >&2
			exit 1
		fi
	else
		py_s=- py_cpu=- py_rate=- py_mb=- speedup=- cpu_ratio=- rss_ratio=-
	fi
	# shellcheck disable=SC2059
	printf "$fmt" "$n" "$mb" "$go_s" "$go_cpu" "$go_rate" "$go_mb" "$py_s" "$py_cpu" "$py_rate" "$py_mb" "$speedup" "$cpu_ratio" "$rss_ratio"
	rm -f "$export_file"
done
echo "speedup = Python wall time / Go wall time; CPU x = Python CPU time / Go CPU time (user+system, all threads);"
echo "RSS x = Python peak RSS / Go peak RSS. Same file, same output (checked). Cores: $(nproc)."
