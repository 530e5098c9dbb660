#!/usr/bin/env bash
# A local Kafka broker for this example (the project's scripts/kafka/broker.sh: Kafka from Maven
# Central, single-node KRaft on 127.0.0.1, PLAINTEXT), on the port loading.experiment.yaml names.
#
#   ./broker.sh start    start it (PORT, default 39092; data in DATA_DIR, default
#                        ~/.cache/expctl/kafka-loading-broker) and print its address
#   ./broker.sh stop     stop it
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
broker="$here/../../scripts/kafka/broker.sh"
port=${PORT:-39092}
data=${DATA_DIR:-$HOME/.cache/expctl/kafka-loading-broker}
case "${1:-}" in
  start)
    mkdir -p "$data"
    pid=$("$broker" start "$port" "$data")
    echo "broker 127.0.0.1:$port (pid $pid, log $data/broker.log)"
    ;;
  stop) "$broker" stop "$data" ;;
  *) echo "usage: broker.sh start | stop   (env PORT, DATA_DIR)" >&2; exit 2 ;;
esac
