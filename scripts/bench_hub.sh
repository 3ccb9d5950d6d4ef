#!/usr/bin/env bash
# Hub import/export benchmark: starts `exporthub serve` on SQLite and on
# PostgreSQL (a fresh schema), imports generated AAF projects through the
# CLI, exports them as NDJSON, and reports assets/s, MB/s and the hub's
# peak RSS (VmHWM). Each size runs in a fresh hub process, so the peak RSS
# of 100k and 1M assets can be compared: memory must stay flat.
#
# Usage: scripts/bench_hub.sh [SIZES...]   (default: 100000 1000000)
# Env:   TEST_DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
#        BENCH_BACKENDS     backends to run (default "sqlite postgres")
#        BENCH_DIR          work directory (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000)
backends=(${BENCH_BACKENDS:-sqlite postgres})
pgurl="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
bin="$work/exporthub"
key="ehk_benchbenchbenchbenchbenchbench"
hub_pid=""

cleanup() {
	if [[ -n "$hub_pid" ]] && kill -0 "$hub_pid" 2>/dev/null; then
		kill "$hub_pid" && wait "$hub_pid" || true
	fi
}
trap cleanup EXIT

go build -o "$bin" ./cmd/exporthub

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1e6}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.0f", n/s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# start_hub BACKEND TAG: starts a fresh hub, sets hub_pid and host.
start_hub() {
	local backend=$1 tag=$2 db=""
	local data="$work/data-$backend-$tag"
	rm -rf "$data"
	if [[ $backend == postgres ]]; then
		local schema="bench_${tag}_$$"
		PGOPTIONS="-c client_min_messages=warning" psql -q "$pgurl" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
		local sep='?'
		[[ $pgurl == *\?* ]] && sep='&'
		db="${pgurl}${sep}search_path=${schema}"
	fi
	local port
	port=$(free_port)
	host="http://127.0.0.1:$port"
	EXPORTHUB_BOOTSTRAP_KEY="$key" EXPORTHUB_DATABASE="$db" "$bin" serve --data-dir "$data" \
		--listen "127.0.0.1:$port" --log-level warn >"$work/hub-$backend-$tag.log" 2>&1 &
	hub_pid=$!
	for _ in $(seq 1 300); do
		curl -fsS "$host/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "hub did not start; log:" >&2
	cat "$work/hub-$backend-$tag.log" >&2
	exit 1
}

stop_hub() {
	kill "$hub_pid"
	wait "$hub_pid" || true
	hub_pid=""
}

peak_rss_kb() { awk '/VmHWM/{print $2}' "/proc/$hub_pid/status"; }

printf '%-9s %9s %10s %12s %8s %12s %10s %8s %12s\n' backend assets file_MB import_as/s vs_parse export_MB/s vs_read export_s peak_RSS_MB
for n in "${sizes[@]}"; do
	file="$work/gen-$n.ndjson"
	[[ -s $file ]] || "$bin" aaf gen --assets "$n" --no-history --seed 1 >"$file"
	bytes=$(stat -c %s "$file")

	# Baselines in the same run: parsing+validating the file alone, and
	# reading it from the page cache.
	t0=$(now); "$bin" aaf validate "$file" >/dev/null; t1=$(now)
	parse_rate=$(rate "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
	t0=$(now); cat "$file" >/dev/null; t1=$(now)
	read_mbs=$(awk -v b="$bytes" -v a="$t0" -v c="$t1" 'BEGIN{printf "%.1f", b/1e6/(c-a)}')

	for backend in "${backends[@]}"; do
		start_hub "$backend" "$n"
		export EXPORTHUB_HOST="$host" EXPORTHUB_API_KEY="$key"
		project=$("$bin" project create --name "bench $n")
		t0=$(now)
		"$bin" project import "$file" --project "$project" >/dev/null
		t1=$(now)
		imp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
		out="$work/export-$backend-$n.ndjson"
		t0=$(now)
		"$bin" project export --project "$project" -o "$out" 2>/dev/null
		t1=$(now)
		exp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
		exp_bytes=$(stat -c %s "$out")
		lines=$(wc -l <"$out")
		if [[ $lines -ne $n ]]; then
			echo "export of $backend/$n has $lines lines, want $n" >&2
			exit 1
		fi
		rss=$(peak_rss_kb)
		stop_hub
		rm -f "$out"
		imp_rate=$(rate "$n" "$imp_s")
		exp_mbs=$(awk -v b="$exp_bytes" -v s="$exp_s" 'BEGIN{printf "%.1f", b/1e6/s}')
		printf '%-9s %9d %10s %12s %8s %12s %10s %8.1f %12s\n' "$backend" "$n" "$(mb "$bytes")" "$imp_rate" \
			"$(ratio "$imp_rate" "$parse_rate")" "$exp_mbs" "$(ratio "$exp_mbs" "$read_mbs")" "$exp_s" "$(awk -v k="$rss" 'BEGIN{printf "%.0f", k/1024}')"
	done
	echo "# baseline $n: aaf validate $parse_rate assets/s, cat ${read_mbs} MB/s"
done
