#!/usr/bin/env bash
# End-to-end throughput, events/s from the producer to applied state, on the embedded log and
# on Kafka, in one run on the same events (`ctrace simulate`), printed as a table.
#
#   embedded: `ctrace ingest --data D` (fsynced appends), then `ctrace serve --data D` applies
#             the log; end to end = ingest + apply.
#   kafka:    `ctrace serve --kafka` runs while `ctrace ingest --kafka` produces (acks=all,
#             idempotence); end to end = from the first produced event to the last applied.
#
# Usage: bench/kafka_vs_embedded.sh [BUILD_DIR]   (default build-kafka, else build)
# Settings: BENCH_PEOPLE (default 4000), BENCH_VENUES (people / 10), BENCH_DAYS (7),
# BENCH_PARTITIONS (6). Starts the broker
# with scripts/kafka.sh when it is not running (and stops it again at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-}"
if [[ -z "$build" ]]; then
  if [[ -x "$root/build-kafka/app/ctrace" ]]; then build="$root/build-kafka"; else build="$root/build"; fi
fi
ctrace="$build/app/ctrace"
people="${BENCH_PEOPLE:-4000}"
venues="${BENCH_VENUES:-$((people / 10))}"
days="${BENCH_DAYS:-7}"
partitions="${BENCH_PARTITIONS:-6}"
clock="fixed:2026-11-27T00:00:00Z"
work="$(mktemp -d /tmp/ctrace-bench-XXXXXX)"
serve_pid=""
started_broker=0
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  ((started_broker)) && "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM

if ! "$root/scripts/kafka.sh" status >/dev/null 2>&1; then started_broker=1; fi
brokers="$("$root/scripts/kafka.sh" start 2>/dev/null)"

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

"$ctrace" simulate --seed 7 --people "$people" --venues "$venues" --days "$days" --clock "$clock" -o "$work/events.ndjson"
events="$(wc -l <"$work/events.ndjson")"
echo "events: $events (simulate --people $people --venues $venues --days $days), partitions: $partitions, cores: $(nproc)" >&2

# Embedded.
t0="$(now)"
"$ctrace" ingest --data "$work/embedded" --clock "$clock" "$work/events.ndjson" >"$work/embedded-ingest.txt"
t1="$(now)"
accepted="$(sed -n 's/.*accepted: \([0-9]*\).*/\1/p' "$work/embedded-ingest.txt")"
p="$(port)"
t2="$(now)"
"$ctrace" serve --data "$work/embedded" --listen "127.0.0.1:$p" --clock "$clock" 2>"$work/embedded-serve.log" &
serve_pid=$!
wait_ready "$p"
wait_applied "$p" "$accepted"
t3="$(now)"
kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""

# Kafka.
prefix="bench-$$-$(date +%s)"
"$ctrace" topics --create --kafka "$brokers" --topic-prefix "$prefix" --partitions "$partitions" >/dev/null
p="$(port)"
"$ctrace" serve --data "$work/kafka" --listen "127.0.0.1:$p" --clock "$clock" --kafka "$brokers" \
  --topic-prefix "$prefix" --group "$prefix" 2>"$work/kafka-serve.log" &
serve_pid=$!
wait_ready "$p"
t4="$(now)"
"$ctrace" ingest --kafka "$brokers" --topic-prefix "$prefix" --clock "$clock" "$work/events.ndjson" >"$work/kafka-ingest.txt"
t5="$(now)"
kaccepted="$(sed -n 's/.*accepted: \([0-9]*\).*/\1/p' "$work/kafka-ingest.txt")"
wait_applied "$p" "$kaccepted"
t6="$(now)"
kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""

python3 - "$events" "$accepted" "$kaccepted" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" <<'PY'
import sys
events, acc, kacc = map(int, sys.argv[1:4])
t0, t1, t2, t3, t4, t5, t6 = map(float, sys.argv[4:])
rows = [
    ("embedded", acc, t1 - t0, t3 - t2, (t1 - t0) + (t3 - t2)),
    ("kafka", kacc, t5 - t4, t6 - t5, t6 - t4),
]
print("| mode | accepted | ingest s | ingest events/s | apply after ingest s | end-to-end s | events/s end to end |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode, n, ingest, apply, total in rows:
    print(f"| {mode} | {n} | {ingest:.2f} | {n / ingest:,.0f} | {apply:.2f} | {total:.2f} | {n / total:,.0f} |")
PY
