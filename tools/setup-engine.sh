#!/usr/bin/env bash
# Builds the local Pulumi engine and a loopback Kubernetes control plane from pinned Go module versions
# (tools/engine/versions.env), and installs etcd from Debian. Each piece is cached under
# ${XDG_CACHE_HOME:-~/.cache}/seaweed-infra/engine/<piece>-<pin>/, so a second run, or CI on the same machine,
# only checks; a fresh machine builds everything (18 minutes measured on an idle 2-core machine, module downloads
# included; 3-4 times that on a busy one; see docs/engine.md).
# Prints the directory holding the binaries on its last line. Idempotent.
#
# Usage: bash tools/setup-engine.sh [piece ...]   (pieces: pulumi langhost kubernetes-provider kube kwok etcd;
#                                                  default: all)
#        bash tools/setup-engine.sh --missing     (lists the pieces not built yet and their build minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=tools/engine/versions.env
. tools/engine/versions.env

cache=${SEAWEED_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seaweed-infra/engine}
bin=$cache/bin
mkdir -p "$bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=${GOPROXY:-https://proxy.golang.org} GONOSUMDB=${GONOSUMDB:-} GOWORK=off

# A piece is built once per pin into $cache/<piece>-<pin>/ and linked into $bin.
# Args: piece name, pin (a string that changes whenever the build must be redone), expected minutes, binaries.
built() {
  local dir=$cache/$1-$2
  [ -f "$dir/.done" ] || return 1
  shift 2
  local b
  for b in "$@"; do ln -sf "$dir/$b" "$bin/$b"; done
}

step() { printf 'setup-engine: %s (%s)\n' "$1" "$2" >&2; }

# A fresh wrapper module directory for a build.
workdir() {
  local dir=$cache/build/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

finish() {
  local piece=$1 pin=$2
  shift 2
  touch "$cache/$piece-$pin/.done"
  built "$piece" "$pin" "$@"
  rm -rf "$cache/build/$piece"
}

build_pulumi() {
  local pin=$PULUMI_VERSION out=$cache/pulumi-$PULUMI_VERSION
  built pulumi "$pin" pulumi && return
  step "building the pulumi CLI $PULUMI_VERSION" "about 5 min on an idle 2-core machine"
  local w
  w=$(workdir pulumi)
  (
    cd "$w"
    go mod init seaweed-infra/engine/pulumi >/dev/null 2>&1
    go mod edit -go=1.24 \
      -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
      -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" \
      -replace="github.com/atotto/clipboard=$PULUMI_CLIPBOARD_REPLACE"
    go build -trimpath -o "$out/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  finish pulumi "$pin" pulumi
}

build_langhost() {
  local pin=$PULUMI_NODEJS_HOST_SDK_VERSION-r$PULUMI_NODEJS_HOST_REV out=$cache/langhost-$PULUMI_NODEJS_HOST_SDK_VERSION-r$PULUMI_NODEJS_HOST_REV
  built langhost "$pin" pulumi-language-nodejs && return
  step "building pulumi-language-nodejs from sdk/v3 $PULUMI_NODEJS_HOST_SDK_VERSION, with RunPlugin for policy packs" "under a minute"
  local w src
  w=$(workdir langhost)
  (
    cd "$w"
    go mod init seaweed-infra/engine/langhost >/dev/null 2>&1
    go mod edit -go=1.24 -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST_SDK_VERSION"
    src=$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST_SDK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    cp "$src"/nodejs/cmd/pulumi-language-nodejs/{main.go,proxy.go,proxy_unix.go} .
    chmod u+w ./*.go
    # The stub is the only `errors.New("not supported")` in main.go; refuse to build if that ever changes.
    [ "$(grep -c 'return errors.New("not supported")' main.go)" = 1 ] || { echo "setup-engine: RunPlugin stub not found in main.go" >&2; exit 1; }
    sed -i 's/return errors.New("not supported")/return runPolicyPack(req, server)/' main.go
    cp "$repo/tools/engine/langhost/runplugin.go" .
    go mod tidy >/dev/null
    go build -trimpath -o "$out/pulumi-language-nodejs" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_NODEJS_HOST_SDK_VERSION" .
  )
  finish langhost "$pin" pulumi-language-nodejs
}

build_kubernetes_provider() {
  local pin=$PULUMI_KUBERNETES_VERSION out=$cache/kubernetes-provider-$PULUMI_KUBERNETES_VERSION
  built kubernetes-provider "$pin" pulumi-resource-kubernetes && return
  step "building pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION" "about 8 min on an idle 2-core machine"
  local w src
  w=$(workdir kubernetes-provider)
  (
    cd "$w"
    go mod init seaweed-infra/engine/kubernetesprovider >/dev/null 2>&1
    go mod edit -go=1.24 -require="github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE_VERSION"
    src=$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,schema.json,terraform-mapping.json} .
    chmod u+w ./*
    # What `go generate` (generate.go) would write: the schema with its version set, and the mapping, compact.
    python3 - "$PULUMI_KUBERNETES_VERSION" <<'PY'
import json, sys
schema = json.load(open("schema.json"))
schema["version"] = sys.argv[1]
json.dump(schema, open("schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open("terraform-mapping.json")), open("terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
    rm schema.json terraform-mapping.json
    go mod tidy >/dev/null
    go build -trimpath -o "$out/pulumi-resource-kubernetes" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" .
  )
  finish kubernetes-provider "$pin" pulumi-resource-kubernetes
}

build_kube() {
  local pin=$KUBERNETES_VERSION out=$cache/kube-$KUBERNETES_VERSION
  built kube "$pin" kube-apiserver kube-controller-manager kube-scheduler && return
  step "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION" "about 4 min on an idle 2-core machine"
  local w gomod
  w=$(workdir kube)
  (
    cd "$w"
    go mod init seaweed-infra/engine/kube >/dev/null 2>&1
    go mod edit -go=1.24 -godebug=default=go1.24 -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging; a wrapper pins each to its published version.
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$gomod" | while read -r module; do
      go mod edit -replace="$module=$module@$KUBERNETES_STAGING_VERSION"
    done
    cp "$repo/tools/engine/kube/main.go" .
    go mod tidy >/dev/null
    go build -trimpath -o "$out/kube" -ldflags "-s -w" .
    for b in kube-apiserver kube-controller-manager kube-scheduler; do ln -sf kube "$out/$b"; done
  )
  finish kube "$pin" kube kube-apiserver kube-controller-manager kube-scheduler
}

build_kwok() {
  local pin=$KWOK_VERSION out=$cache/kwok-$KWOK_VERSION
  built kwok "$pin" kwok && return
  step "building kwok $KWOK_VERSION" "1-3 min"
  local w
  w=$(workdir kwok)
  (
    cd "$w"
    go mod init seaweed-infra/engine/kwok >/dev/null 2>&1
    go mod edit -go=1.24 -require="sigs.k8s.io/kwok@$KWOK_VERSION" \
      -require="k8s.io/api@$KWOK_CLIENT_VERSION" -require="k8s.io/apimachinery@$KWOK_CLIENT_VERSION" \
      -require="k8s.io/client-go@$KWOK_CLIENT_VERSION"
    go build -trimpath -o "$out/kwok" -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok
  )
  finish kwok "$pin" kwok
}

install_etcd() {
  if ! command -v etcd >/dev/null 2>&1; then
    step "installing etcd-server from Debian" "seconds"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
  fi
  ln -sf "$(command -v etcd)" "$bin/etcd"
}

# Each piece's cache pin and the minutes tools/engine-ci.sh budgets for its build: measured from empty Go caches on
# an idle 2-core machine with default parallelism, in this order (pulumi 4.6, langhost 0.4, kubernetes-provider 7.5,
# kube 4.2, kwok 1.2 after the provider's k8s.io packages are compiled), rounded up with about a third more.
pin_of() {
  case "$1" in
    pulumi) echo "$PULUMI_VERSION 6" ;;
    langhost) echo "$PULUMI_NODEJS_HOST_SDK_VERSION-r$PULUMI_NODEJS_HOST_REV 1" ;;
    kubernetes-provider) echo "$PULUMI_KUBERNETES_VERSION 10" ;;
    kube) echo "$KUBERNETES_VERSION 6" ;;
    kwok) echo "$KWOK_VERSION 3" ;;
  esac
}

all_pieces=(pulumi langhost kubernetes-provider kube kwok etcd)
if [ "${1:-}" = "--missing" ]; then
  # Prints "<piece> <minutes>" for each piece not built yet for its pin (etcd: seconds, from Debian, counted as 0); builds nothing.
  for piece in "${all_pieces[@]}"; do
    if [ "$piece" = etcd ]; then
      command -v etcd >/dev/null 2>&1 || echo "etcd 0"
      continue
    fi
    read -r pin minutes <<<"$(pin_of "$piece")"
    [ -f "$cache/$piece-$pin/.done" ] || echo "$piece $minutes"
  done
  exit 0
fi

pieces=("$@")
[ ${#pieces[@]} -gt 0 ] || pieces=("${all_pieces[@]}")
for piece in "${pieces[@]}"; do
  case "$piece" in
    pulumi) build_pulumi ;;
    langhost) build_langhost ;;
    kubernetes-provider) build_kubernetes_provider ;;
    kube) build_kube ;;
    kwok) build_kwok ;;
    etcd) install_etcd ;;
    *) echo "setup-engine: unknown piece '$piece' (pulumi langhost kubernetes-provider kube kwok etcd)" >&2; exit 2 ;;
  esac
done
echo "$bin"
