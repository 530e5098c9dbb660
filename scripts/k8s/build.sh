#!/usr/bin/env bash
# Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and kwokctl into BIN_DIR
# from the pinned tool modules next to this script (etcd/, k8s/, kwok/), one binary at a time
# (each link of a k8s binary peaks at ~2 GiB; the machine has 2 cores).
# usage: build.sh BIN_DIR     Keep GOCACHE/GOMODCACHE between runs: cold ~16 min, warm ~1-2 min.
#        build.sh --stamp     print what the binaries are built from (version + module files' hashes)
# A binary that already exists and answers --version is kept (delete it to rebuild), unless
# BIN_DIR/.stamp says it was built from other modules. The stamp is written last, so its presence
# means all six binaries were built (cluster.sh checks it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_VERSION=v1.36.1   # must match k8s/go.mod; cluster.sh names the binary folder after it
stamp() { echo "$KUBE_VERSION"; (cd "$here" && sha256sum etcd/go.mod etcd/go.sum k8s/go.mod k8s/go.sum kwok/go.mod kwok/go.sum); }
[ "${1:-}" = --stamp ] && { stamp; exit 0; }
[ $# -ge 1 ] || { echo "usage: $0 BIN_DIR | --stamp" >&2; exit 2; }
mkdir -p "$1"; bin=$(cd "$1" && pwd)
export CGO_ENABLED=0
if [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" != "$(stamp)" ]; then
  echo "the pinned modules changed since $bin was built: rebuilding all"
  rm -f "$bin/.stamp" "$bin"/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler,kwok,kwokctl}
fi
kv=${KUBE_VERSION#v}; major=${kv%%.*}; minor=${kv#*.}; minor=${minor%%.*}
# gitVersion is what `kube-apiserver --version` and /version report; kwokctl parses it to choose
# flags, and without it the binaries say v0.0.0-master+$Format:%H$.
kldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"

build() { # build NAME MODULE_DIR PACKAGE [LDFLAGS]
  local name=$1 mod=$2 pkg=$3 ld=${4:--s -w} t0
  if [ -x "$bin/$name" ] && "$bin/$name" --version >/dev/null 2>&1; then echo "have $name"; return; fi
  t0=$(date +%s)
  (cd "$here/$mod" && go build -trimpath -ldflags "$ld" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "built $name in $(( $(date +%s) - t0 ))s: $("$bin/$name" --version 2>&1 | head -1)"
}
build etcd                    etcd go.etcd.io/etcd/server/v3
build kube-apiserver          k8s  k8s.io/kubernetes/cmd/kube-apiserver          "$kldflags"
build kube-controller-manager k8s  k8s.io/kubernetes/cmd/kube-controller-manager "$kldflags"
build kube-scheduler          k8s  k8s.io/kubernetes/cmd/kube-scheduler          "$kldflags"
build kwok                    kwok sigs.k8s.io/kwok/cmd/kwok
build kwokctl                 kwok sigs.k8s.io/kwok/cmd/kwokctl
stamp > "$bin/.stamp"
