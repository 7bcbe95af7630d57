#!/usr/bin/env bash
# Sets up the machine, builds ctrace, simulates a town, loads it into a fresh data directory and
# runs the service on the embedded log, printing where to look. Ctrl-C stops the service.
# Environment: CTRACE_DEMO_DATA (default ./ctrace-demo-data), CTRACE_DEMO_LISTEN
# (default 127.0.0.1:8080), CTRACE_DEMO_PEOPLE (default 2000), CTRACE_DEMO_DAYS (default 7).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${CTRACE_DEMO_DATA:-$PWD/ctrace-demo-data}"
listen="${CTRACE_DEMO_LISTEN:-127.0.0.1:8080}"
people="${CTRACE_DEMO_PEOPLE:-2000}"
days="${CTRACE_DEMO_DAYS:-7}"

"$root/scripts/setup.sh"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$root/build" -j"$(nproc)" ctrace
ctrace="$root/build/app/ctrace"

rm -rf "$data"
mkdir -p "$data"
echo "== simulating a town of $people people over $days days"
"$ctrace" simulate --seed 7 --people "$people" --venues $((people / 10)) --days "$days" -o "$data/town.ndjson"
echo "== loading it into the event log"
"$ctrace" ingest --data "$data" "$data/town.ndjson"
rm -f "$data/town.ndjson"

echo "== starting ctrace serve on $listen"
"$ctrace" serve --data "$data" --listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
url="http://$listen"
for _ in $(seq 1 600); do
  curl -sf "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
# Wait until the processors have applied the whole log.
for _ in $(seq 1 600); do
  lag="$(curl -s "$url/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lag"])' 2>/dev/null || echo 1)"
  [[ "$lag" == "0" ]] && break
  sleep 0.5
done
case_id="$(curl -s "$url/v1/cases?limit=1" | python3 -c 'import json,sys; c=json.load(sys.stdin)["cases"]; print(c[0]["person"] if c else "")')"
venue_id="$(curl -s "$url/v1/persons/$case_id" | python3 -c 'import json,sys; v=json.load(sys.stdin).get("visits",[]); print(v[0]["venue"] if v else "")' 2>/dev/null || true)"
cat <<MSG

ctrace is running on $url (data in $data). Try:
  curl -s $url/v1/stats
  curl -s '$url/v1/cases?limit=5'
  curl -s '$url/v1/exposed?level=1&limit=10'      # the F1 call list
  curl -s '$url/v1/exposed?level=2&limit=10'      # the F2 call list
  curl -s $url/v1/clusters
  curl -s $url/v1/persons/$case_id
  curl -s '$url/v1/cases/$case_id/chain?depth=2'
  curl -s '$url/v1/venues/$venue_id/visits?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=5'
  curl -s $url/metrics
Send events with: curl -s -XPOST -H 'Content-Type: application/x-ndjson' --data-binary @FILE '$url/v1/events?wait=applied'
Ctrl-C stops the service.
MSG
wait $server
