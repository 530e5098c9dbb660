#!/usr/bin/env bash
# The hpo-kubeflow example for real, on the project's test Kubernetes cluster: the 18-configuration
# grid sequentially on this machine, then all at once on the cluster, then `expctl compare` —
# speedup and parallel efficiency.
#
#   bash examples/hpo-kubeflow/run-on-test-cluster.sh        (after `node esbuild.mjs`; ~30 s warm)
#
# Starts a cluster of its own (scripts/with-k8s.sh: scripts/k8s/cluster.sh up into a temp folder,
# always stopped afterwards — also after Ctrl-C or a kill -9); with EXPCTL_TEST_K8S_ENV set (the test
# suite's cluster) it uses that one instead. The cluster's API server, scheduler and controllers are
# real; kwok fakes the nodes, so the pods never run train.py themselves: test-cluster.ts runs each
# pod's command here and kwok serves its output as the pod's log (see README.md).
# Results go to a fresh store (EXPCTL_STORE, default a new temp folder), kept and named at the end.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -f "$root/dist/cli.js" ] || { echo "run-on-test-cluster.sh: no $root/dist/cli.js: build it first (node esbuild.mjs)" >&2; exit 1; }
if [ -z "${EXPCTL_TEST_K8S_ENV:-}" ]; then
  exec bash "$root/scripts/with-k8s.sh" bash "${BASH_SOURCE[0]}" "$@"
fi
KUBECONFIG=$(sed -n 's/^KUBECONFIG=//p' "$EXPCTL_TEST_K8S_ENV")
[ -n "$KUBECONFIG" ] || { echo "run-on-test-cluster.sh: no KUBECONFIG= line in $EXPCTL_TEST_K8S_ENV" >&2; exit 1; }
export KUBECONFIG   # the kwok target (targets.yaml) names no kubeconfig: $KUBECONFIG, its current context

store=${EXPCTL_STORE:-$(mktemp -d "${TMPDIR:-/tmp}/hpo-kubeflow-store.XXXXXX")}
logs=$(mktemp -d "${TMPDIR:-/tmp}/hpo-kubeflow-pod-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT
expctl() { node "$root/dist/cli.js" "$@"; }

cd "$here"
echo "== expctl run local.sweep.yaml   (18 trials, one at a time)"
expctl run local.sweep.yaml --store "$store"

# The namespace, node label and annotations are those of the kwok target in targets.yaml. The Jobs
# the cluster sweep will create (a dry run prints them) tell test-cluster.ts which pod logs to make.
expctl run grid.sweep.yaml --target kwok --store "$store" --dry-run -o yaml > "$logs/jobs.yaml"
coproc STANDIN { exec node --import tsx "$here/test-cluster.ts" --namespace hpo-kubeflow --label expctl.dev/example=hpo-kubeflow --logs "$logs" --jobs "$logs/jobs.yaml"; }
standin=$STANDIN_PID
finish() {
  kill -TERM "$standin" 2>/dev/null && wait "$standin" 2>/dev/null
  rm -rf "$logs"
}
trap finish EXIT
read -r ready <&"${STANDIN[0]}" || { echo "run-on-test-cluster.sh: test-cluster.ts could not set up the namespace and nodes (above)" >&2; exit 1; }
echo "== test cluster $(sed -n 's/^K8S_API=//p' "$EXPCTL_TEST_K8S_ENV") — $ready"

echo "== expctl run grid.sweep.yaml --target kwok   (18 Jobs at once)"
expctl run grid.sweep.yaml --target kwok --store "$store"
echo "== expctl compare local.sweep.yaml grid.sweep.yaml --metric val_loss"
expctl compare local.sweep.yaml grid.sweep.yaml --metric val_loss --store "$store"
echo "== expctl status   (the best configuration of each sweep)"
expctl status --store "$store"
echo "== results in $store (expctl ls --store $store; expctl logs RUN-ID --store $store)"
