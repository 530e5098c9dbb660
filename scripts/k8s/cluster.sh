#!/usr/bin/env bash
# The test suite's entry point to a real Kubernetes control plane (see README.md "Development").
#
#   cluster.sh build             build the binaries if missing (cold ~16 min on 2 cores, then nothing),
#                                and install kubectl (Debian's kubernetes-client) if there is none
#   cluster.sh up STATE_DIR      build if missing, then start a cluster (start.sh); prints the kubeconfig
#   cluster.sh down STATE_DIR [--keep]   stop it by PID and remove its state (stop.sh)
#   cluster.sh guard STATE_DIR [--keep]   wait until stdin closes, then `down STATE_DIR` and remove
#                                it (--keep: keep it): a cluster's owner holds the pipe open, so even
#                                a kill -9 of the owner stops the cluster
#   cluster.sh bin               print the binary folder
#
# Binaries live outside the checkout, keyed by the Kubernetes version in build.sh:
#   ${EXPCTL_K8S_BIN:-$HOME/.cache/expctl/k8s-<version>}
# Go (>= 1.26, as the go.mod files say) must be on PATH for a build; modules come from GOPROXY.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's/^KUBE_VERSION=\([^ ]*\).*/\1/p' "$here/build.sh")
[ -n "$version" ] || { echo "cluster.sh: no KUBE_VERSION= line in $here/build.sh" >&2; exit 1; }
bin=${EXPCTL_K8S_BIN:-$HOME/.cache/expctl/k8s-$version}

usage() { echo "usage: cluster.sh build | bin | up STATE_DIR | down STATE_DIR [--keep] | guard STATE_DIR [--keep]" >&2; exit 2; }

# build.sh writes this stamp last; a different stamp means the pinned modules changed since.
have_binaries() {
  [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$("$here/build.sh" --stamp)" ] || return 1
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwokctl; do
    [ -x "$bin/$b" ] || return 1
  done
}

# kwokctl runs `kubectl get --raw /healthz` to see the cluster up (and would try to download one
# otherwise, which cannot work offline). Any kubectl will do: Debian's kubernetes-client (1.20) is fine.
ensure_kubectl() {
  command -v kubectl >/dev/null && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "cluster.sh: kubectl is not on PATH, and installing Debian's kubernetes-client needs root or sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "cluster.sh: installing kubectl (Debian package kubernetes-client), which kwokctl needs" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q >/dev/null \
    && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends kubernetes-client >&2 \
    || { echo "cluster.sh: apt-get install kubernetes-client failed" >&2; exit 1; }
}

build() {
  ensure_kubectl
  have_binaries && return 0
  command -v go >/dev/null || {
    echo "cluster.sh: Go is needed to build the test cluster's binaries into $bin (go >= 1.26, see" \
      "$here/k8s/go.mod): install it from https://go.dev/dl/ and put it on PATH" >&2
    exit 1
  }
  mkdir -p "$(dirname "$bin")"
  # One build at a time per machine: each link peaks at ~2 GiB, and a second builder would only
  # redo the same work. Whoever waits finds the binaries there afterwards.
  exec 8>"$bin.lock"
  if ! flock -n 8; then
    echo "cluster.sh: waiting for another build into $bin (lock $bin.lock)" >&2
    flock 8
  fi
  if ! have_binaries; then
    echo "cluster.sh: building the Kubernetes $version test binaries missing from $bin" \
      "(cold: ~16 min and ~2 GiB RAM on 2 cores; once per machine)" >&2
    "$here/build.sh" "$bin" >&2
  fi
  flock -u 8; exec 8>&-
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case "$cmd" in
  build) build ;;
  bin) echo "$bin" ;;
  up)
    [ $# -eq 1 ] || usage
    build
    K8S_BIN_DIR=$bin "$here/start.sh" "$1"
    ;;
  down)
    [ $# -ge 1 ] || usage
    K8S_BIN_DIR=$bin "$here/stop.sh" "$@"
    ;;
  guard)
    [ $# -ge 1 ] || usage
    cat >/dev/null || true
    K8S_BIN_DIR=$bin "$here/stop.sh" "$@"
    [ "${2:-}" = --keep ] || rm -rf "$1"
    ;;
  *) usage ;;
esac
