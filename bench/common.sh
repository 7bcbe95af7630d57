# Shell helpers shared by the end-to-end bench scripts (sourced, not run).

now() { date +%s.%N; }
# A free TCP port on loopback.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Evaluates a Python expression over GET /v1/stats (as `s`) of the service at port $1.
stat_field() { curl -s "http://127.0.0.1:$1/v1/stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"; }
# Waits up to a minute for /readyz of the service at port $1.
wait_ready() {
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.1; done
  echo "serve not ready" >&2
  exit 1
}
# Waits until the service at port $1 has applied $2 log positions with no lag.
wait_applied() {
  while true; do
    local applied lag
    read -r applied lag < <(stat_field "$1" "s['applied'], s['lag']")
    [[ "$applied" -ge "$2" && "$lag" -eq 0 ]] && return
    sleep 0.05
  done
}
