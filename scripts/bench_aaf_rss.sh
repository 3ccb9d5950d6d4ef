#!/usr/bin/env bash
# AAF at scale: generates N assets (default 1,000,000, mixed kinds) as
# NDJSON and as a JSON array, timing the generator, then iterates each file
# with the aaf reader (decode + validate; sequential, then on every core
# with WithWorkers) in a fresh process and reports
# its peak RSS (VmHWM). The peak must stay under 64 MiB whatever N is.
#
# Usage: scripts/bench_aaf_rss.sh [ASSETS]
# Needs Linux (/proc/self/status) and a few GB of free space in TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

assets="${1:-1000000}"
AAF_RSS_ASSETS="$assets" exec go test -count=1 -timeout 60m -run '^TestReader_PeakRSS$' -v ./aaf/
