#!/usr/bin/env bash
# The erase pass on a city-sized simulation: its duration and the bytes it reclaims when one day
# expires (issue 4).
#
#   1. `ctrace simulate` BENCH_DAYS days ending at the clock E; `ctrace ingest` at E;
#      `ctrace serve` at E applies the log; stop.
#   2. `ctrace erase` at E: a pass with nothing to erase (it still flushes and compacts).
#   3. `ctrace erase` at E + 1 day: the oldest day expires and is erased.
# Prints a table of the two passes (erased events, bytes reclaimed, pass and process time) and
# the data-directory sizes.
#
# Usage: bench/erase_bench.sh [BUILD_DIR]   (default build)
# Settings: BENCH_PEOPLE (default 50000), BENCH_DAYS (30), BENCH_COMPRESSION (true).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
ctrace="$build/app/ctrace"
people="${BENCH_PEOPLE:-50000}"
days="${BENCH_DAYS:-30}"
compression="${BENCH_COMPRESSION:-true}"
end="2026-11-27T00:00:00Z"
later="2026-11-28T00:00:00Z"
work="$(mktemp -d /tmp/ctrace-erase-bench-XXXXXX)"
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
size() { du -sb "$1" | cut -f1; }

"$ctrace" simulate --seed 7 --people "$people" --days "$days" --end "$end" -o "$work/events.ndjson"
events="$(wc -l <"$work/events.ndjson")"
echo "events: $events (simulate --people $people --days $days), compression: $compression, cores: $(nproc)" >&2

t0="$(now)"
"$ctrace" ingest --data "$work/data" --clock "fixed:$end" --compression "$compression" "$work/events.ndjson" \
  >"$work/ingest.txt"
t1="$(now)"
accepted="$(sed -n 's/.*accepted: \([0-9]*\).*/\1/p' "$work/ingest.txt")"
p="$(port)"
"$ctrace" serve --data "$work/data" --listen "127.0.0.1:$p" --clock "fixed:$end" --compression "$compression" \
  --erase-interval 0 2>"$work/serve.log" &
serve_pid=$!
wait_ready "$p"
while true; do
  read -r applied lag < <(stat_field "$p" "s['applied'], s['lag']")
  [[ "$applied" -ge "$accepted" && "$lag" -eq 0 ]] && break
  sleep 0.2
done
t2="$(now)"
kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
echo "ingested $accepted in $(python3 -c "print(f'{$t1-$t0:.1f}')") s, applied in $(python3 -c "print(f'{$t2-$t1:.1f}')") s" >&2

rm -f "$work/data/log/LOG.old."* "$work/data/state/LOG.old."* 2>/dev/null || true
size0="$(size "$work/data")"
t3="$(now)"
"$ctrace" erase --data "$work/data" --clock "fixed:$end" --compression "$compression" >"$work/erase0.json" 2>"$work/erase0.log"
t4="$(now)"
size1="$(size "$work/data")"
"$ctrace" erase --data "$work/data" --clock "fixed:$later" --compression "$compression" >"$work/erase1.json" 2>"$work/erase1.log"
t5="$(now)"
size2="$(size "$work/data")"

python3 - "$work/erase0.json" "$work/erase1.json" "$t3" "$t4" "$t5" "$size0" "$size1" "$size2" "$accepted" "$days" <<'PY'
import json, sys
r0, r1 = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
t3, t4, t5 = map(float, sys.argv[3:6])
s0, s1, s2, accepted, days = map(int, sys.argv[6:11])
print(f"accepted events: {accepted:,} over {days} days; data directory {s0/2**20:.1f} MiB after apply")
print("| pass | erased events (state) | erased events (log) | bytes reclaimed | pass s | process s | size after MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, r, secs, size in (("nothing expired (clock E)", r0, t4 - t3, s1), ("one day expired (E + 1 day)", r1, t5 - t4, s2)):
    print(f"| {name} | {r['erased_events']:,} | {r['erased_log_events']:,} | {r['bytes_reclaimed']:,} | "
          f"{r['duration_ms']/1000:.2f} | {secs:.2f} | {size/2**20:.1f} |")
PY
