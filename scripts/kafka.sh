#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft: broker and controller in one JVM) on loopback,
# for the tests, the benchmarks and trying ctrace in Kafka mode. No Docker: the broker's jars
# come from Maven Central through Maven into a cache and run on the machine's Java 17.
#
# Usage: scripts/kafka.sh start|stop|status|env|restart
#   start   resolves the jars (first time only), formats the storage (first time only), starts
#           the broker in the background and waits until it answers; prints the broker address
#   stop    stops the broker (SIGTERM, then SIGKILL after CTRACE_KAFKA_STOP_TIMEOUT seconds)
#   status  prints "running BROKERS" or "stopped" (exit 1 when stopped)
#   env     prints `export CTRACE_KAFKA_BROKERS=...` for eval
# Idempotent: start on a running broker and stop on a stopped one do nothing.
#
# Settings (environment):
#   CTRACE_KAFKA_PORT           client port on 127.0.0.1 (default 19092; the controller uses +1)
#   CTRACE_KAFKA_VERSION        org.apache.kafka:kafka_2.13 version (default 3.7.1)
#   CTRACE_KAFKA_CACHE          where the jars go (default ~/.cache/ctrace/kafka-VERSION)
#   CTRACE_KAFKA_STATE          config, data, pid and log (default /tmp/ctrace-kafka-PORT)
#   CTRACE_KAFKA_START_TIMEOUT  seconds start waits for the broker (default 90)
#   CTRACE_KAFKA_STOP_TIMEOUT   seconds stop waits before SIGKILL (default 30)
#   CTRACE_KAFKA_HEAP           JVM heap (default 512m)
set -euo pipefail

port="${CTRACE_KAFKA_PORT:-19092}"
controller_port=$((port + 1))
version="${CTRACE_KAFKA_VERSION:-3.7.1}"
cache="${CTRACE_KAFKA_CACHE:-$HOME/.cache/ctrace/kafka-$version}"
state="${CTRACE_KAFKA_STATE:-/tmp/ctrace-kafka-$port}"
start_timeout="${CTRACE_KAFKA_START_TIMEOUT:-90}"
stop_timeout="${CTRACE_KAFKA_STOP_TIMEOUT:-30}"
heap="${CTRACE_KAFKA_HEAP:-512m}"
brokers="127.0.0.1:$port"
pid_file="$state/kafka.pid"

log() { echo "kafka.sh: $*" >&2; }

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # The pid must still be our broker (pids are reused).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $state/server.properties" || return 1
  echo "$pid"
}

resolve_jars() {
  if [[ -f "$cache/libs/.complete" ]]; then return; fi
  command -v mvn >/dev/null || { log "maven (mvn) is needed to fetch the broker"; exit 1; }
  command -v java >/dev/null || { log "java (17) is needed to run the broker"; exit 1; }
  log "resolving org.apache.kafka:kafka_2.13:$version into $cache (first time only)"
  mkdir -p "$cache/pom"
  cat >"$cache/pom/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ctrace.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$cache/libs"
  mvn -q -B -f "$cache/pom/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$cache/libs" >"$cache/mvn.log" 2>&1 || { cat "$cache/mvn.log" >&2; log "maven failed"; exit 1; }
  touch "$cache/libs/.complete"
}

write_config() {
  mkdir -p "$state/data"
  cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$state/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
log.retention.ms=2592000000
log.segment.ms=86400000
num.network.threads=2
num.io.threads=2
log.flush.interval.ms=1000
EOF
  cat >"$state/log4j.properties" <<EOF
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$state/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
}

java_cmd() {
  # The log4j file comes first so that the jars' own configurations do not win.
  java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$state/log4j.properties" -cp "$cache/libs/*" "$@"
}

broker_answers() {
  if command -v kcat >/dev/null; then
    kcat -L -b "$brokers" -m 2 >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

start() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    echo "$brokers"
    return
  fi
  resolve_jars
  write_config
  if [[ ! -f "$state/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" \
      >"$state/format.log" 2>&1 || { cat "$state/format.log" >&2; log "storage format failed"; exit 1; }
  fi
  log "starting on $brokers (state in $state)"
  nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$state/log4j.properties" -cp "$cache/libs/*" \
    kafka.Kafka "$state/server.properties" >>"$state/stdout.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  local deadline=$((SECONDS + start_timeout))
  until broker_answers; do
    if ! running_pid >/dev/null; then
      tail -n 30 "$state/stdout.log" "$state/server.log" >&2 2>/dev/null || true
      log "the broker exited during start"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$state/server.log" >&2 2>/dev/null || true
      log "the broker did not answer within ${start_timeout}s"
      exit 1
    fi
    sleep 0.5
  done
  log "ready"
  echo "$brokers"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$pid_file"
    return
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + stop_timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "no exit after ${stop_timeout}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    if pid="$(running_pid)"; then echo "running $brokers (pid $pid)"; else echo "stopped"; exit 1; fi ;;
  env) echo "export CTRACE_KAFKA_BROKERS=$brokers" ;;
  *) echo "usage: $0 start|stop|restart|status|env" >&2; exit 2 ;;
esac
