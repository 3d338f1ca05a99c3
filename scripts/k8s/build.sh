#!/usr/bin/env bash
# Builds the Kubernetes binaries the test cluster runs from the k8s.io/kubernetes Go module, through
# the Go module proxy, into $IX_K8S_CACHE/<version>/bin. Nothing fetched or built lands in the repo.
# k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with ./staging paths, which a
# dependent module does not inherit: the go.mod written here replaces each of them with its
# published version (v0.X.Y for v1.X.Y). A second run with the binaries present does nothing.
set -euo pipefail
VERSION=${IX_K8S_VERSION:-v1.34.4}
CACHE=${IX_K8S_CACHE:-/var/cache/ix-playground/k8s}
DIR=$CACHE/$VERSION
BIN=$DIR/bin
PROGRAMS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
# Two programs of modules of their own: crictl (the CRI client the cluster script uses to stop pods on
# `down`) and CoreDNS (the cluster's DNS, run on the host).
CRI_TOOLS_VERSION=${IX_CRI_TOOLS_VERSION:-v1.34.0}
COREDNS_VERSION=${IX_COREDNS_VERSION:-v1.15.0}

missing=()
for p in "${PROGRAMS[@]}"; do [[ -x $BIN/$p ]] || missing+=("$p"); done
# IX_K8S_CONTAINERD=2: containerd 2 and runc 1.4 from their Go modules (Debian's containerd 1.6 offers
# no user namespaces to pods), into bin/containerd2/.
CONTAINERD2_VERSION=${IX_CONTAINERD2_VERSION:-v2.4.2}
RUNC_VERSION=${IX_RUNC_VERSION:-v1.4.4}
want_containerd2() { [[ ${IX_K8S_CONTAINERD:-1} == 2 ]]; }
have_containerd2() { ! want_containerd2 || [[ -x $BIN/containerd2/containerd && -x $BIN/containerd2/runc ]]; }

if [[ ${#missing[@]} -eq 0 && -x $BIN/crictl && -x $BIN/coredns ]] && have_containerd2; then echo "k8s $VERSION binaries cached in $BIN"; exit 0; fi

start=$(date +%s)
mkdir -p "$DIR/src" "$BIN"
cd "$DIR/src"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
export GOPROXY=${GOPROXY:-https://proxy.golang.org}
export GOCACHE=$CACHE/go-build GOMODCACHE=$CACHE/go-mod

staging_version=v0.${VERSION#v1.}
gomod=$(go mod download -json "k8s.io/kubernetes@$VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
{
  echo "module ix-playground/k8s-build"
  echo
  echo "go $(sed -n 's/^go //p' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $VERSION"
  echo
  echo "replace ("
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => \./staging/.*#\t\1 => \1 '"$staging_version"'#p' "$gomod"
  echo ")"
} >go.mod.new
if ! cmp -s go.mod.new go.mod; then mv go.mod.new go.mod; rm -f go.sum; else rm go.mod.new; fi

build_crictl() {
  [[ -x $BIN/crictl ]] && return
  mkdir -p "$DIR/src-crictl" && cd "$DIR/src-crictl"
  [[ -f go.mod ]] || printf 'module ix-playground/crictl-build\n\ngo 1.24.0\n' >go.mod
  go get "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION"
  echo "building crictl $CRI_TOOLS_VERSION"
  go build -p "${IX_K8S_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" \
    -o "$BIN/crictl.tmp" sigs.k8s.io/cri-tools/cmd/crictl
  mv "$BIN/crictl.tmp" "$BIN/crictl"
}
build_coredns() { # with its own go.mod, as `go install` takes it
  [[ -x $BIN/coredns ]] && return
  echo "building coredns $COREDNS_VERSION"
  rm -rf "$DIR/gobin" && GOBIN=$DIR/gobin go install -p "${IX_K8S_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  mv "$DIR/gobin/coredns" "$BIN/coredns" && rmdir "$DIR/gobin"
}
build_containerd2() {
  have_containerd2 && return
  echo "building containerd $CONTAINERD2_VERSION and runc $RUNC_VERSION"
  rm -rf "$DIR/gobin"
  GOBIN=$DIR/gobin go install -p "${IX_K8S_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w" \
    "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD2_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD2_VERSION"
  # runc's nsenter is C, and the pod sandbox asks for seccomp: cgo with libseccomp.
  CGO_ENABLED=1 GOBIN=$DIR/gobin go install -p "${IX_K8S_BUILD_JOBS:-2}" -trimpath -tags seccomp "github.com/opencontainers/runc@$RUNC_VERSION"
  mkdir -p "$BIN/containerd2" && mv "$DIR/gobin"/* "$BIN/containerd2/" && rmdir "$DIR/gobin"
}
if [[ ${#missing[@]} -eq 0 ]]; then
  build_crictl && build_coredns && build_containerd2
  echo "built the missing programs in $(($(date +%s) - start)) s"
  exit 0
fi

pkgs=()
for p in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$p@$VERSION"); done
echo "resolving modules for ${missing[*]} ($VERSION, staging $staging_version)"
go get "${pkgs[@]}"

# The version the binaries report (nodes, `kubectl version`, the apiserver's /version), as the
# upstream build stamps it.
minor=${VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
for p in "${missing[@]}"; do
  echo "building $p"
  go build -p "${IX_K8S_BUILD_JOBS:-2}" -trimpath -ldflags "$ldflags" -o "$BIN/$p.tmp" "k8s.io/kubernetes/cmd/$p"
  mv "$BIN/$p.tmp" "$BIN/$p"
done
build_crictl
build_coredns
build_containerd2
echo "built ${missing[*]} crictl coredns in $(($(date +%s) - start)) s into $BIN"
