#!/usr/bin/env bash
# PostgreSQL side by side (issue 7): the same visits in ctrace and in a throwaway PostgreSQL 15
# cluster, the same F1 question (and the chain of depth 2) for the same sampled cases, p50/p99
# of each, and a check that both engines find exactly the same contacts. Prints a table and
# writes JSON (bench/pg_side_by_side.cc says what is measured and how).
#
# Usage: bench/pg_side_by_side.sh [DATA_DIR]
#   DATA_DIR: a ctrace data directory loaded and applied (lag 0) with the default tracing
#   parameters (but max_depth, see BENCH_APPLY_MAX_DEPTH) and the clock BENCH_CLOCK. When it has
#   no state/ yet, a city is built there first (`ctrace simulate` -> `ctrace ingest` -> `ctrace
#   serve` until lag 0, timed, so that the table also shows ctrace's load rate) and kept for the
#   next run. Default: /tmp/ctrace-pg-city.
#
# Settings (environment):
#   BENCH_BUILD             build directory (default: build-pg or build-bench if the bench is
#                           built there, else build)
#   BENCH_CASES             cases sampled (200)
#   BENCH_SEED              sampling seed (1)
#   BENCH_REPEAT            timed passes after one warm-up pass (1)
#   BENCH_CHAIN2_CASES      the chain of depth 2 runs for the first N sampled cases (-1: all)
#   BENCH_JSON              the JSON report (bench/results/pg_side_by_side.json)
#   BENCH_CLOCK             the clock the data is (or gets) built with (fixed:2026-11-27T00:00:00Z)
#   BENCH_PEOPLE, BENCH_VENUES, BENCH_DAYS, BENCH_CITY_SEED
#                           the city built when DATA_DIR is empty (180000, people / 10, 14, 7:
#                           about 5.2M visits, 9.5M events)
#   BENCH_APPLY_MAX_DEPTH   --max-depth a new city is applied (and served) with (1; a data
#                           directory not built here is served with 2 unless set). The F1 and
#                           chain queries read only visits and the cases' windows, which
#                           max_depth does not change; the engine's apply at max_depth 2 takes
#                           hours on a 1M-visit city today (issue 7), at 1 minutes.
#   BENCH_PG_BIN            PostgreSQL's binaries (/usr/lib/postgresql/15/bin)
#
# The PostgreSQL cluster is made for this run only: initdb into a temporary directory, listening
# on 127.0.0.1 and a unix socket in that directory on a free port, stopped and deleted on exit.
# It keeps PostgreSQL's durability defaults (fsync on, synchronous_commit on, full_page_writes
# on, wal_level replica) and gets the memory settings a DBA would give this box (below). Runs
# PostgreSQL as the `postgres` user when started as root (initdb refuses root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BENCH_BUILD:-}"
if [[ -z "$build" ]]; then
  build="$root/build"
  for candidate in build-pg build-bench; do
    if [[ -x "$root/$candidate/bench/pg_side_by_side" ]]; then build="$root/$candidate"; break; fi
  done
fi
ctrace="$build/app/ctrace"
bench="$build/bench/pg_side_by_side"
data="${1:-/tmp/ctrace-pg-city}"
clock="${BENCH_CLOCK:-fixed:2026-11-27T00:00:00Z}"
people="${BENCH_PEOPLE:-180000}"
venues="${BENCH_VENUES:-$((people / 10))}"
days="${BENCH_DAYS:-14}"
city_seed="${BENCH_CITY_SEED:-7}"
max_depth="${BENCH_APPLY_MAX_DEPTH:-1}"
json="${BENCH_JSON:-$root/bench/results/pg_side_by_side.json}"
pg_bin="${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}"
for binary in "$ctrace" "$bench" "$pg_bin/initdb" "$pg_bin/pg_ctl"; do
  [[ -x "$binary" ]] || { echo "pg_side_by_side.sh: $binary is missing (build with -DCMAKE_BUILD_TYPE=Release; scripts/setup.sh installs PostgreSQL 15 and libpq)" >&2; exit 1; }
done

pg_dir=""
serve_pid=""
as_pg=()
cleanup() {
  if [[ -n "$serve_pid" ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [[ -n "$pg_dir" ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT
trap "exit 1" INT TERM

now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stat_field() { curl -s "http://127.0.0.1:$1/v1/stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"; }

# The city, when DATA_DIR has none yet.
if [[ ! -d "$data/state" ]]; then
  mkdir -p "$data"
  echo "== building a city in $data: $people people, $venues venues, $days days (seed $city_seed), applied with --max-depth $max_depth" >&2
  "$ctrace" simulate --seed "$city_seed" --people "$people" --venues "$venues" --days "$days" --clock "$clock" \
    -o "$data/city.ndjson"
  t0="$(now)"
  "$ctrace" ingest --data "$data" --clock "$clock" "$data/city.ndjson" | tee "$data/ingest.txt" >&2
  t1="$(now)"
  rm -f "$data/city.ndjson"
  accepted="$(sed -n 's/.*accepted: \([0-9]*\).*/\1/p' "$data/ingest.txt")"
  port="$(free_port)"
  t2="$(now)"
  "$ctrace" serve --data "$data" --listen "127.0.0.1:$port" --clock "$clock" --erase-interval 0 \
    --max-depth "$max_depth" 2>"$data/apply.log" &
  serve_pid=$!
  last=0
  while true; do
    if ! kill -0 "$serve_pid" 2>/dev/null; then echo "ctrace serve stopped; see $data/apply.log" >&2; exit 1; fi
    if read -r applied lag < <(stat_field "$port" "s['applied'], s['lag']" 2>/dev/null); then
      [[ "$applied" -ge "$accepted" && "$lag" -eq 0 ]] && break
      if (( $(date +%s) - last >= 60 )); then echo "   applied $applied of $accepted" >&2; last="$(date +%s)"; fi
    fi
    sleep 0.2
  done
  t3="$(now)"
  kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
  python3 -c "print(f'ingest_seconds={$t1 - $t0:.3f}\napply_seconds={$t3 - $t2:.3f}\nevents=$accepted\nclock=$clock\nmax_depth=$max_depth')" \
    >"$data/bench-load.env"
  echo "== city ready: $(tr '\n' ' ' <"$data/bench-load.env")" >&2
fi
load_flags=()
max_depth="${BENCH_APPLY_MAX_DEPTH:-2}"  # a data directory made elsewhere: the service default
if [[ -f "$data/bench-load.env" ]]; then
  ingest_seconds="$(sed -n 's/^ingest_seconds=//p' "$data/bench-load.env")"
  apply_seconds="$(sed -n 's/^apply_seconds=//p' "$data/bench-load.env")"
  load_flags=(--ctrace-ingest-seconds "$ingest_seconds" --ctrace-apply-seconds "$apply_seconds")
  max_depth="$(sed -n 's/^max_depth=//p' "$data/bench-load.env")"
  max_depth="${max_depth:-2}"
fi

# A throwaway PostgreSQL 15 cluster.
pg_dir="$(mktemp -d /tmp/ctrace-pg-XXXXXX)"
chmod 755 "$pg_dir"
if [[ "$(id -u)" -eq 0 ]]; then
  chown postgres:postgres "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
pg_port="$(free_port)"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U bench -A trust -E UTF8 --no-locale >"$pg_dir/initdb.log"
settings=(
  -c "port=$pg_port" -c "listen_addresses=127.0.0.1" -c "unix_socket_directories=$pg_dir"
  -c shared_buffers=1GB -c effective_cache_size=8GB -c work_mem=64MB -c maintenance_work_mem=1GB
  -c max_wal_size=8GB -c checkpoint_timeout=30min -c random_page_cost=1.1 -c jit=off
)
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 120 -o "${settings[*]}" start >/dev/null
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (socket in $pg_dir)" >&2

"$bench" --data "$data" --pg "host=$pg_dir port=$pg_port dbname=postgres user=bench" --ctrace "$ctrace" \
  --clock "$clock" --max-depth "$max_depth" --cases "${BENCH_CASES:-200}" --seed "${BENCH_SEED:-1}" \
  --repeat "${BENCH_REPEAT:-1}" --chain2-cases "${BENCH_CHAIN2_CASES:--1}" --json "$json" "${load_flags[@]}"
