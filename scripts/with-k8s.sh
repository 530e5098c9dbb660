#!/usr/bin/env bash
# Run a command next to one real Kubernetes control plane, started for it alone and always stopped.
#
#   bash scripts/with-k8s.sh CMD ARGS…
#
# Starts a cluster (scripts/k8s/cluster.sh up; builds the binaries first if missing) in a fresh
# state folder under ${TMPDIR:-/tmp}, exports EXPCTL_TEST_K8S_ENV=<state>/env (KUBECONFIG=…,
# K8S_API=… — test/helpers/k8s.ts reads it), runs the command and exits with its status.
# The cluster's processes are detached, so they would outlive a crashed or killed run: an EXIT trap
# stops them, INT/TERM are passed on to the command first, and a guard process (cluster.sh guard)
# stops them even after a kill -9 of this script.
# EXPCTL_TEST_K8S_KEEP=1 keeps the state folder (component logs under kwok/clusters/test/logs).
set -uo pipefail
cluster=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/k8s/cluster.sh
[ $# -ge 1 ] || { echo "usage: with-k8s.sh CMD ARGS…" >&2; exit 2; }

state=$(mktemp -d "${TMPDIR:-/tmp}/expctl-test-k8s.XXXXXX") || exit 1
keep=(); [ "${EXPCTL_TEST_K8S_KEEP:-}" = 1 ] && keep=(--keep)
child=
stop_cluster() {
  bash "$cluster" down "$state" "${keep[@]}" >/dev/null
  if [ ${#keep[@]} = 0 ]; then rm -rf "$state"; else echo "with-k8s: cluster stopped; state kept in $state" >&2; fi
}
trap stop_cluster EXIT
# Pass the signal on and keep waiting: the command decides how to end, the EXIT trap cleans up.
# Before the command runs, a signal just ends the start.
forward() { if [ -n "$child" ]; then kill -s "$1" "$child" 2>/dev/null; else exit "$2"; fi; }
trap 'forward INT 130' INT
trap 'forward TERM 143' TERM

# The guard holds the read end of a pipe only this shell writes to (the command does not inherit
# it), in its own session so that a signal to our process group spares it.
exec {guard}> >(exec setsid bash "$cluster" guard "$state" "${keep[@]}" >/dev/null)

bash "$cluster" up "$state" {guard}>&- >&2 || exit 1
export EXPCTL_TEST_K8S_ENV=$state/env

# In the background, so that the traps run while the command does (bash runs a trap only between
# commands); `wait` returns early on a trapped signal, hence the loop. <&0: a background command
# would otherwise get /dev/null as stdin.
"$@" <&0 {guard}>&- &
child=$!
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
