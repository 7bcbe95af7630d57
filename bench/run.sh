#!/usr/bin/env bash
# The benchmark suite in one command: builds ctrace and the bench tools (Release), simulates
# cities, and measures end to end on the embedded log, then runs the micro-benchmarks and the
# PostgreSQL side-by-side comparison. Prints a table and writes bench/results/latest.json and
# bench/results/latest.png (gnuplot).
#
# Per city size (BENCH_EVENTS, events; the city spans BENCH_DAYS days):
#   simulate       `ctrace simulate` events/s (written to a file)
#   log ingest     `ctrace ingest` into the embedded log, fsynced appends, events/s
#   apply          `ctrace serve` applying the whole log to full derived state (visits, levels,
#                  links, clusters, hotspots, alerts), events/s; its peak RSS and CPU seconds
#   disk           data directory bytes per event (log + state) after apply
#   query idle     p50/p99 over HTTP: person lookup, F1 list of a case (chain depth 1), chain
#                  depth 2
#   HTTP ingest    the city's last BENCH_TAIL share of events POSTed (NDJSON, BENCH_BATCH events
#                  a request, 4 connections) with durable acknowledgements, events/s, while the
#                  same queries run again ("under ingest load")
#   replay         `ctrace replay` of the whole log into a scratch store, events/s, peak RSS
#
# Usage: bench/run.sh            (defaults: BENCH_EVENTS=1000000 BENCH_DAYS=14)
# Settings: BENCH_EVENTS="1000000 10000000" (sizes), BENCH_DAYS, BENCH_BATCH (1000),
# BENCH_TAIL (0.1), BENCH_TRANSMISSION (the simulated outbreak's transmission rate, 0.03: a
# few dozen cases; at the simulator's default 0.1 most of the city ends up F1 or F2),
# BENCH_MICRO=0 / BENCH_PG=0 to skip those parts, BENCH_WORK (scratch dir).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sizes="${BENCH_EVENTS:-1000000}"
days="${BENCH_DAYS:-14}"
batch="${BENCH_BATCH:-1000}"
tail_share="${BENCH_TAIL:-0.1}"
transmission="${BENCH_TRANSMISSION:-0.03}"
clock="fixed:2026-11-27T00:00:00Z"
results="$root/bench/results"
work="${BENCH_WORK:-$(mktemp -d /tmp/ctrace-bench-XXXXXX)}"
mkdir -p "$results" "$work"

"$root/scripts/setup.sh" --bench
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
build="$root/build-bench"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCTRACE_BUILD_BENCH=ON \
  -DCTRACE_BUILD_INTEGRATION_TESTS=ON >/dev/null
targets=(ctrace http_load)
ninja -C "$build" -t targets all 2>/dev/null | grep -q '^micro_bench:' && targets+=(micro_bench)
ninja -C "$build" -t targets all 2>/dev/null | grep -q '^pg_side_by_side:' && targets+=(pg_side_by_side)
ninja -C "$build" -j"$(nproc)" "${targets[@]}"
ctrace="$build/app/ctrace"
http_load="$build/bench/http_load"

serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && pkill -TERM -P "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [[ -z "${BENCH_WORK:-}" ]] && rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap "exit 1" INT TERM

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
# "peak_rss_kb cpu_seconds elapsed_seconds" from a /usr/bin/time -v report.
time_figures() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
elapsed = 0.0
for part in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1).split(":"):
    elapsed = elapsed * 60 + float(part)
print(rss, user + system, elapsed)
PY
}

machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "== machine: $machine"
rows="$work/rows.jsonl"
: >"$rows"

for size in $sizes; do
  dir="$work/city-$size"
  rm -rf "$dir"
  mkdir -p "$dir"
  # About 3.7 events per person per day (check-ins, check-outs, tests, declarations).
  people=$(python3 -c "print(max(100, round($size / (3.7 * $days))))")
  venues=$((people / 10))
  echo "== city of ~$size events: $people people, $venues venues, $days days"
  t0="$(now)"
  "$ctrace" simulate --seed 11 --people "$people" --venues "$venues" --days "$days" --clock "$clock" \
    --transmission-rate "$transmission" \
    -o "$dir/all.ndjson" >/dev/null
  t1="$(now)"
  events="$(wc -l <"$dir/all.ndjson")"
  head_count=$(python3 -c "print(int($events * (1 - $tail_share)))")
  head -n "$head_count" "$dir/all.ndjson" >"$dir/head.ndjson"
  tail -n +"$((head_count + 1))" "$dir/all.ndjson" >"$dir/tail.ndjson"
  rm -f "$dir/all.ndjson"

  t2="$(now)"
  "$ctrace" ingest --data "$dir/data" --clock "$clock" "$dir/head.ndjson" >"$dir/ingest.txt"
  t3="$(now)"
  accepted="$(sed -n 's/.*accepted: \([0-9]*\).*/\1/p' "$dir/ingest.txt")"

  p="$(port)"
  t4="$(now)"
  /usr/bin/time -v -o "$dir/serve.time" "$ctrace" serve --data "$dir/data" --listen "127.0.0.1:$p" \
    --clock "$clock" --erase-interval 0 2>"$dir/serve.log" &
  serve_pid=$!
  wait_ready "$p"
  wait_applied "$p" "$accepted"
  t5="$(now)"
  disk_bytes="$(du -sb "$dir/data" | cut -f1)"
  curl -s "http://127.0.0.1:$p/v1/stats" >"$dir/stats.json"
  "$http_load" query --port "$p" --samples 300 >"$dir/query-idle.json"
  "$http_load" query --port "$p" --samples 300 >"$dir/query-load.json" &
  query_pid=$!
  "$http_load" ingest --port "$p" --file "$dir/tail.ndjson" --batch "$batch" --clients 4 >"$dir/http-ingest.json"
  wait "$query_pid"
  # $serve_pid is /usr/bin/time; the service is its child (time reports when it exits).
  pkill -TERM -P "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=""
  read -r serve_rss serve_cpu _ < <(time_figures "$dir/serve.time")

  /usr/bin/time -v -o "$dir/replay.time" "$ctrace" replay --data "$dir/data" --clock "$clock" \
    >"$dir/replay.txt" 2>&1
  read -r replay_rss replay_cpu replay_s < <(time_figures "$dir/replay.time")
  python3 - "$rows" "$size" "$events" "$accepted" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$disk_bytes" \
    "$serve_rss" "$serve_cpu" "$replay_s" "$replay_rss" "$replay_cpu" "$dir" <<'PY'
import json, sys
(rows, size, events, accepted, t0, t1, t2, t3, t4, t5, disk, serve_rss, serve_cpu, replay_s,
 replay_rss, replay_cpu, d) = sys.argv[1:]
events, accepted = int(events), int(accepted)
t0, t1, t2, t3, t4, t5 = map(float, (t0, t1, t2, t3, t4, t5))
http = json.load(open(f"{d}/http-ingest.json"))
row = {
    "target_events": int(size), "events": events, "logged": accepted,
    "simulate_events_per_s": events / (t1 - t0),
    "log_ingest_events_per_s": accepted / (t3 - t2),
    "apply_seconds": t5 - t4, "apply_events_per_s": accepted / (t5 - t4),
    "disk_bytes_per_event": int(disk) / accepted,
    "serve_peak_rss_mib": int(serve_rss) / 1024, "serve_cpu_s_per_million": float(serve_cpu) / ((accepted + http["accepted"]) / 1e6),
    "replay_seconds": float(replay_s), "replay_events_per_s": accepted / float(replay_s),
    "replay_peak_rss_mib": int(replay_rss) / 1024, "replay_cpu_s_per_million": float(replay_cpu) / (accepted / 1e6),
    "persons_by_level": json.load(open(f"{d}/stats.json")).get("persons_by_level"),
    "visits": json.load(open(f"{d}/stats.json")).get("visits"),
    "http_ingest": http,
    "query_idle": json.load(open(f"{d}/query-idle.json")),
    "query_under_ingest": json.load(open(f"{d}/query-load.json")),
}
with open(rows, "a") as out:
    out.write(json.dumps(row) + "\n")
PY
  rm -rf "$dir/data"
done

micro_json=""
if [[ "${BENCH_MICRO:-1}" == 1 && -x "$build/bench/micro_bench" ]]; then
  echo "== micro-benchmarks"
  "$build/bench/micro_bench" --benchmark_min_time=0.2 --benchmark_format=json \
    --benchmark_out="$results/micro.json" --benchmark_out_format=json >/dev/null
  micro_json="$results/micro.json"
fi
pg_json=""
if [[ "${BENCH_PG:-1}" == 1 && -x "$root/bench/pg_side_by_side.sh" ]]; then
  echo "== PostgreSQL side by side"
  "$root/bench/pg_side_by_side.sh" && pg_json="$results/pg_side_by_side.json"
fi

python3 "$root/bench/report.py" --rows "$rows" --machine "$machine" --micro "$micro_json" --pg "$pg_json" \
  --json "$results/latest.json" --markdown "$results/latest.md" --plot "$results/latest.png"
cat "$results/latest.md"
