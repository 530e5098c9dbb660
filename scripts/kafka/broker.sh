#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft, broker+controller) on 127.0.0.1 for tests and examples,
# from Maven Central only. See README.md "Development" and scripts/kafka/pom.xml for the version.
#
#   broker.sh build                   fetch the broker jars once (~43 MB, 15–30 s), then nothing;
#                                     installs Java 17 + Maven from Debian when missing (root/sudo)
#   broker.sh start PORT DATA_DIR     build if missing, format DATA_DIR on first use, start the
#                                     broker, wait until it serves PORT, print its PID
#                                     (also DATA_DIR/broker.pid; log DATA_DIR/broker.log)
#   broker.sh stop DATA_DIR           SIGTERM the broker of DATA_DIR and wait for it to exit
#   broker.sh lib                     print the jar folder
#
# Jars live outside the checkout, keyed by the Kafka version in pom.xml:
#   ${EXPCTL_KAFKA_LIB:-$HOME/.cache/expctl/kafka-<version>/lib}
# Env: KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m), KAFKA_READY_TIMEOUT (s, default 90).
#      KAFKA_TEMPLATE: another server.properties template (e.g. server-sasl.properties.template).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's#.*<kafka.version>\([^<]*\)</kafka.version>.*#\1#p' "$here/pom.xml")
[ -n "$version" ] || { echo "broker.sh: no <kafka.version> in $here/pom.xml" >&2; exit 1; }
lib=${EXPCTL_KAFKA_LIB:-$HOME/.cache/expctl/kafka-$version/lib}

usage() { echo "usage: broker.sh build | lib | start PORT DATA_DIR | stop DATA_DIR" >&2; exit 2; }

ensure_java() {
  if command -v java >/dev/null && command -v mvn >/dev/null; then return 0; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "broker.sh: java and mvn are needed; installing Debian's openjdk-17-jre-headless and maven needs root or sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "broker.sh: installing Java 17 and Maven from Debian" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless maven >&2
}

build() {
  # The stamp is written last: a build cut short is redone, never half-used.
  [ -f "$lib/.complete" ] && return 0
  ensure_java
  mkdir -p "$(dirname "$lib")"
  exec 9>"$(dirname "$lib")/.lock"; flock 9   # two test runs on one machine build once
  [ -f "$lib/.complete" ] && return 0
  rm -rf "$lib.tmp"
  echo "broker.sh: fetching Kafka $version jars from Maven Central into $lib" >&2
  (cd "$here" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$lib.tmp") >&2
  touch "$lib.tmp/.complete"
  rm -rf "$lib"; mv "$lib.tmp" "$lib"
}

start() {
  local port=${1:-} data=${2:-}
  [ -n "$port" ] && [ -n "$data" ] || usage
  build
  local controller timeout heap log pid
  controller=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  timeout=${KAFKA_READY_TIMEOUT:-90}
  heap=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
  mkdir -p "$data"; data=$(cd "$data" && pwd)
  log="$data/broker.log"
  # A fresh log per start: readiness greps it, and an old "started" line must not fake it.
  [ -f "$log" ] && mv -f "$log" "$log.prev"
  # shellcheck disable=SC2206
  local jopts=($heap -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Dlog4j2.configurationFile=$here/log4j2.properties")
  sed -e "s#@PORT@#$port#g; s#@CONTROLLER_PORT@#$controller#g; s#@DATA_DIR@#$data#g" \
    "${KAFKA_TEMPLATE:-$here/server.properties.template}" >"$data/server.properties"
  if [ ! -f "$data/kraft-logs/meta.properties" ]; then
    # Cluster id = 16 random bytes, base64url, no leading '-' (it would read as an option);
    # made with node to save a JVM start. Logging goes to stderr so nothing pollutes stdout.
    local id
    id=$(node -e "let s;do{s=require('crypto').randomBytes(16).toString('base64url')}while(s[0]==='-');console.log(s)")
    java "${jopts[@]}" -cp "$lib/*" kafka.tools.StorageTool format -t "$id" -c "$data/server.properties" >>"$log" 2>&1
  fi
  # stdio to the log: `PID=$(broker.sh start …)` returns at once instead of waiting for the broker.
  java "${jopts[@]}" -cp "$lib/*" kafka.Kafka "$data/server.properties" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$data/broker.pid"
  local deadline=$((SECONDS + timeout))
  until grep -q 'Kafka Server started' "$log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "broker.sh: kafka exited during startup (port $port taken?); see $log" >&2
      grep -E '(ERROR|FATAL) ' -A3 "$log" | head -20 >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "broker.sh: kafka not ready after ${timeout}s; see $log" >&2; kill -TERM "$pid"; exit 1; fi
    sleep 0.2
  done
  echo "$pid"
}

stop() {
  local data=${1:-}; [ -n "$data" ] || usage
  local pid; pid=$(cat "$data/broker.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  build) build ;;
  lib) echo "$lib" ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) usage ;;
esac
