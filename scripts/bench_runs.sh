#!/usr/bin/env bash
# Run dispatch benchmark: starts `exporthub serve` (SQLite) as its own
# process and drives it with the Go benchmarks of hub/runs
# (BenchmarkDispatch: POST .../runs to the `plugin` event, p50/p99 with 1
# instance as the baseline and with 100 connected instances;
# BenchmarkEndToEnd: 50 concurrent runs of a trivial plugin, 10
# instances). Reports the figures, the 100-instance/1-instance latency
# ratios, and the hub's peak RSS (VmHWM) after the runs against its RSS
# when idle with no instance connected.
#
# Usage: scripts/bench_runs.sh
# Env:   BENCH_DISPATCH_RUNS  runs per dispatch benchmark (default 200)
#        BENCH_E2E_ROUNDS     rounds of 50 runs (default 3)
#        BENCH_DIR            work directory (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
bin="$work/exporthub"
key="ehk_benchrunsbenchrunsbenchruns"
hub_pid=""
cleanup() {
	if [[ -n "$hub_pid" ]] && kill -0 "$hub_pid" 2>/dev/null; then
		kill "$hub_pid" && wait "$hub_pid" || true
	fi
}
trap cleanup EXIT

go build -o "$bin" ./cmd/exporthub
go test -c -o "$work/runs.test" ./hub/runs

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host="http://127.0.0.1:$port"
EXPORTHUB_BOOTSTRAP_KEY="$key" "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" \
	--log-level warn >"$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 1 300); do
	curl -fsS "$host/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$host/healthz" >/dev/null

kib() { awk -v k="$1" '/^'"$1"':/{print $2}' "/proc/$hub_pid/status"; }
idle_rss=$(kib VmRSS)

BENCH_HUB_URL="$host" BENCH_HUB_KEY="$key" "$work/runs.test" -test.run '^$' \
	-test.bench '^BenchmarkDispatch$' -test.benchtime "${BENCH_DISPATCH_RUNS:-200}x" | tee "$work/dispatch.txt"
BENCH_HUB_URL="$host" BENCH_HUB_KEY="$key" "$work/runs.test" -test.run '^$' \
	-test.bench '^BenchmarkEndToEnd$' -test.benchtime "${BENCH_E2E_ROUNDS:-3}x" | tee "$work/e2e.txt"
peak_rss=$(kib VmHWM)

metric() { awk -v b="$1" -v u="$2" '$1 ~ b { for (i = 2; i < NF; i++) if ($(i+1) == u) print $i }' "$3"; }
p50_1=$(metric 'Instances1-' p50_ms "$work/dispatch.txt")
p99_1=$(metric 'Instances1-' p99_ms "$work/dispatch.txt")
p50_100=$(metric 'Instances100-' p50_ms "$work/dispatch.txt")
p99_100=$(metric 'Instances100-' p99_ms "$work/dispatch.txt")
e2e=$(metric 'BenchmarkEndToEnd' 's/50runs' "$work/e2e.txt")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

echo
echo "dispatch latency, 1 instance (baseline):  p50 ${p50_1} ms, p99 ${p99_1} ms"
echo "dispatch latency, 100 instances:          p50 ${p50_100} ms ($(ratio "$p50_100" "$p50_1")x), p99 ${p99_100} ms ($(ratio "$p99_100" "$p99_1")x)"
echo "50 concurrent end-to-end runs:            ${e2e} s"
echo "hub RSS idle: $((idle_rss / 1024)) MiB; peak (VmHWM) after the runs: $((peak_rss / 1024)) MiB ($(ratio "$peak_rss" "$idle_rss")x idle)"
