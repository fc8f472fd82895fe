#!/usr/bin/env bash
# Builds Prometheus's promtool at the pin of tools/promtool/versions.env from the Go module proxy, once, into
# ${XDG_CACHE_HOME:-~/.cache}/seaweed-infra/promtool-<module version>-<tags>/ (a second run, or CI on the same
# machine, only checks). From empty Go caches: 2 min on a 2-core machine at load 4, 7 min at load 12 (docs/monitoring.md).
# Prints the binary's path on its last line. tools/setup.sh runs it; tests find the binary with --path.
#
# Usage: bash tools/setup-promtool.sh          (build when missing, then print the path)
#        bash tools/setup-promtool.sh --path   (print the path only; build nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/promtool/versions.env
. tools/promtool/versions.env

dir=${XDG_CACHE_HOME:-$HOME/.cache}/seaweed-infra/promtool-$PROMETHEUS_MODULE_VERSION-$PROMTOOL_BUILD_TAGS
binary=$dir/promtool
if [ "${1:-}" = "--path" ]; then
  printf '%s\n' "$binary"
  exit 0
fi

if [ ! -f "$dir/.done" ]; then
  echo "setup-promtool: building promtool $PROMETHEUS_VERSION (tags $PROMTOOL_BUILD_TAGS) into $dir (minutes from empty Go caches)" >&2
  started=$(date +%s)
  rm -rf "$dir" "$dir.build"
  mkdir -p "$dir.build"
  GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off GOBIN="$dir.build" go install -trimpath -tags "$PROMTOOL_BUILD_TAGS" \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
  touch "$dir.build/.done"
  mv "$dir.build" "$dir"
  echo "setup-promtool: built in $(($(date +%s) - started)) s" >&2
fi

# The binary must be the pinned release, whatever the cache holds.
if ! "$binary" --version 2>&1 | head -1 | grep -q "version $PROMETHEUS_VERSION "; then
  echo "setup-promtool: $binary reports '$("$binary" --version 2>&1 | head -1)', expected version $PROMETHEUS_VERSION" >&2
  exit 1
fi
printf '%s\n' "$binary"
