#!/usr/bin/env bash
# Installs the Debian 12 packages ctrace needs to build, test and run (and, with --bench, to
# run the benchmark suite).
#
# Idempotent and non-interactive: when every package is already installed it only asks dpkg and
# exits (well under a second); otherwise it runs `apt-get update` once and installs what is
# missing. Runs as root, or through sudo when started by another user.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  librdkafka-dev librocksdb-dev libsimdjson-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libssl-dev nlohmann-json3-dev
  kcat curl python3
  openjdk-17-jre-headless maven
)
# With --bench, also what bench/run.sh needs: PostgreSQL 15 for the side-by-side comparison
# (btree_gist ships in postgresql-15), libpq to query it, gnuplot for the chart.
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(libpq-dev postgresql-15 gnuplot-nox time)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
