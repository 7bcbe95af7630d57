#!/usr/bin/env bash
# Sets up the machine, builds ctrace, and runs every test: the unit and integration tests
# (the integration tests run the real service against real RocksDB over real HTTP, and against
# a real Kafka broker that this script starts with scripts/kafka.sh), then the
# unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [--no-sanitizers]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sanitizers=1
[[ "${1:-}" == "--no-sanitizers" ]] && sanitizers=0

"$root/scripts/setup.sh"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
jobs="$(nproc)"

echo "== build"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTRACE_BUILD_BENCH=OFF >/dev/null
ninja -C "$root/build" -j"$jobs"

echo "== kafka broker"
# The Kafka integration tests need a real broker (scripts/kafka.sh); one started here is
# stopped on exit, one that was already running is left alone.
# A broker started here keeps its data in a fresh directory, so test topics do not pile up.
if ! "$root/scripts/kafka.sh" status >/dev/null 2>&1; then
  CTRACE_KAFKA_STATE="$(mktemp -d /tmp/ctrace-kafka-test-XXXXXX)"
  export CTRACE_KAFKA_STATE
  trap '"$root/scripts/kafka.sh" stop || true; rm -rf "$CTRACE_KAFKA_STATE"' EXIT
fi
CTRACE_KAFKA_BROKERS="$("$root/scripts/kafka.sh" start)"
export CTRACE_KAFKA_BROKERS CTRACE_KAFKA_PORT="${CTRACE_KAFKA_PORT:-19092}"

echo "== tests"
(cd "$root/build" && ctest -j"$jobs" --output-on-failure --timeout 900)

if [[ $sanitizers == 1 ]]; then
  echo "== unit tests under ASan + UBSan"
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCTRACE_SANITIZE=ON \
    -DCTRACE_BUILD_BENCH=OFF -DCTRACE_BUILD_INTEGRATION_TESTS=OFF >/dev/null
  ninja -C "$root/build-asan" -j"$jobs"
  # The property test runs 30 towns in the plain build; its first 5 are enough under the
  # sanitizers (ctest lists each town as its own test). The 1,000-client WebSocket load test
  # runs in the plain build only: under ASan its clients time out on two cores.
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest -j"$jobs" -L unit -E 'EnginePropertyTest.*/([5-9]|[1-9][0-9])$|AThousandConcurrentClients' \
    --output-on-failure --timeout 900)
fi
echo "== all tests passed"
