#!/usr/bin/env bash
# CI's engine step (called last by .ci/run): runs the real-engine checks (npm run engine:smoke, npm run engine:check;
# docs/engine.md) when the engine toolchain is built, or can be built inside CI's 90-minute limit. Otherwise it does
# NOT run them and says so loudly, with the reason and the command that would run them: a toolchain built from
# nothing takes about 77 minutes here (tools/setup-engine.sh --missing lists what is missing and its measured
# minutes), which on top of the rest of .ci/run would break the limit, and then nothing would land.
#
# Environment:
#   CI_STARTED_AT          epoch seconds when .ci/run started (default: now)
#   CI_LIMIT_MINUTES       CI's hard limit (default 90)
#   ENGINE_CHECK_MINUTES   the engine checks' time limit (default 20; measured 6-10 min on a busy machine)
#   ENGINE_MARGIN_MINUTES  safety margin kept free (default 10)
#   SEAWEED_ENGINE_CI      "skip" never builds nor runs; "require" fails when the checks cannot run; "plan" only
#                          prints what it would do (default: budget)
set -euo pipefail
cd "$(dirname "$0")/.."

started=${CI_STARTED_AT:-$(date +%s)}
limit=${CI_LIMIT_MINUTES:-90}
checks=${ENGINE_CHECK_MINUTES:-20}
margin=${ENGINE_MARGIN_MINUTES:-10}
mode=${SEAWEED_ENGINE_CI:-budget}

not_run() {
  local banner="################################################################################"
  {
    echo "$banner"
    echo "# ENGINE CHECKS DID NOT RUN: $1"
    echo "# Nothing was proven by the real Pulumi engine in this run (pulumi up/preview/destroy of k8s-dev, the"
    echo "# engine's policy verdicts on the Kubernetes stacks and, through the stand-in aws provider, the AWS stacks)."
    echo "# To run them: bash tools/setup-engine.sh && npm run engine:smoke && npm run engine:check"
    echo "$banner"
  } >&2
  [ "$mode" = require ] && exit 1
  exit 0
}

[ "$mode" = skip ] && not_run "SEAWEED_ENGINE_CI=skip"

missing=$(bash tools/setup-engine.sh --missing)
need=0
if [ -n "$missing" ]; then
  need=$(awk '{ s += $2 } END { print s }' <<<"$missing")
fi
elapsed=$(( ($(date +%s) - started) / 60 ))
left=$(( limit - elapsed - margin - checks ))
echo "engine-ci: ${elapsed} min elapsed of ${limit}; toolchain build needed: ${need} min ($(tr '\n' ' ' <<<"${missing:-nothing}")); ${left} min left for it after the checks (${checks} min) and a ${margin} min margin"
if [ "$need" -gt "$left" ]; then
  not_run "the engine toolchain is not built (missing: $(tr '\n' ' ' <<<"$missing")), and building it (~${need} min measured) does not fit the ${left} min left of CI's ${limit}-minute limit"
fi
if [ "$mode" = plan ]; then
  echo "engine-ci: would build ${need} min of pieces, then run the engine checks"
  exit 0
fi
if [ "$need" -gt 0 ]; then
  echo "engine-ci: building the missing pieces (niced)"
  nice -n 19 bash tools/setup-engine.sh
fi
# Bounded, so a hung check fails this step instead of running into CI's limit.
timeout --kill-after=30s 5m npm run engine:smoke
timeout --kill-after=30s "${checks}m" npm run engine:check
echo "engine-ci: engine checks passed"
