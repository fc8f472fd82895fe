#!/usr/bin/env bash
# CI's engine step (called last by .ci/run): runs the real-engine checks (npm run engine:smoke, npm run engine:check;
# docs/engine.md), building the engine toolchain first when it is not cached. A build from nothing took 18 minutes
# on an idle 2-core machine (docs/engine.md); tools/setup-engine.sh --missing lists what is missing with a budget
# per piece. The build only starts when it fits what is left of CI's 90-minute limit and is stopped at that limit,
# so that CI ends with a clear reason instead of running out of time. By default a check that did not run FAILS the
# step: CI is never green without the engine checks. A build that fails fails CI too.
#
# Environment:
#   CI_STARTED_AT          epoch seconds when .ci/run started (default: now)
#   CI_LIMIT_MINUTES       CI's hard limit (default 90)
#   ENGINE_CHECK_MINUTES   the engine checks' time limit (default 20; measured 6-10 min on a busy machine)
#   ENGINE_MARGIN_MINUTES  safety margin kept free (default 10)
#   ENGINE_SETUP_COMMAND   the build command, run by bash -c (default: bash tools/setup-engine.sh); tests put a
#                          stand-in here
#   ENGINE_MINUTE_SECONDS  seconds in one budget minute (default 60). Every limit, budget and the build's timeout
#                          scale with it, so a test can run the whole budget arithmetic and a real `timeout` in
#                          seconds; nothing else should set it.
#   SEAWEED_ENGINE_CI      "require" (default): the step fails when the checks cannot run; "allow-skip" (local use
#                          only) prints the banner and exits 0 instead; "plan" only prints what it would do
set -euo pipefail
cd "$(dirname "$0")/.."

started=${CI_STARTED_AT:-$(date +%s)}
minute=${ENGINE_MINUTE_SECONDS:-60}
limit=${CI_LIMIT_MINUTES:-90}
checks=${ENGINE_CHECK_MINUTES:-20}
margin=${ENGINE_MARGIN_MINUTES:-10}
mode=${SEAWEED_ENGINE_CI:-require}
setup_command=${ENGINE_SETUP_COMMAND:-bash tools/setup-engine.sh}

case "$mode" in
  require | allow-skip | plan) ;;
  *)
    echo "engine-ci: SEAWEED_ENGINE_CI='$mode' is not a mode; use require (default), allow-skip (local use) or plan" >&2
    exit 2
    ;;
esac

not_run() {
  local banner="################################################################################"
  {
    echo "$banner"
    echo "# ENGINE CHECKS DID NOT RUN: $1"
    echo "# Nothing was proven by the real Pulumi engine in this run (pulumi up/preview/destroy of k8s-dev and"
    echo "# k8s-prod, the engine's policy verdicts on the Kubernetes stacks and, through the stand-in aws provider,"
    echo "# the AWS stacks)."
    echo "# To run them: bash tools/setup-engine.sh && npm run engine:smoke && npm run engine:check"
    echo "$banner"
  } >&2
  [ "$mode" = allow-skip ] && exit 0
  exit 1
}

missing=$(bash tools/setup-engine.sh --missing)
need=0
if [ -n "$missing" ]; then
  need=$(awk '{ s += $2 } END { print s }' <<<"$missing")
fi
elapsed=$(( ($(date +%s) - started) / minute ))
left=$(( limit - elapsed - margin - checks ))
echo "engine-ci: ${elapsed} min elapsed of ${limit}; toolchain build needed: ${need} min ($(tr '\n' ' ' <<<"${missing:-nothing}" | sed 's/ $//')); ${left} min left for it after the checks (${checks} min) and a ${margin} min margin"
if [ "$need" = 0 ] && [ "$left" -lt 0 ]; then
  not_run "the toolchain is built, but only $(( limit - elapsed )) min are left of CI's ${limit}-minute limit, less than the checks' ${checks} min and a ${margin} min margin"
fi
if [ "$need" -gt "$left" ]; then
  not_run "the engine toolchain is not built (missing: $(tr '\n' ' ' <<<"$missing")), and building it (estimated ${need} min) does not fit the ${left} min left of CI's ${limit}-minute limit"
fi
if [ "$mode" = plan ]; then
  echo "engine-ci: would build ${need} min of pieces, then run the engine checks"
  exit 0
fi
if [ "$need" -gt 0 ]; then
  # Not niced: nothing else runs at this point of .ci/run, and the budgets were measured at full speed. Stopped
  # (the whole process group, by `timeout`) when it would eat into the checks' time and the margin; what it built
  # stays cached for the next run.
  echo "engine-ci: building the missing pieces (estimate ${need} min, stopped after ${left} min)"
  build_started=$(date +%s)
  status=0
  timeout --kill-after=$(( minute / 2 + 1 ))s "$(( left * minute ))s" bash -c "$setup_command" || status=$?
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    not_run "the engine toolchain build did not finish within the ${left} min left of CI's ${limit}-minute limit (what it built is cached for the next run)"
  fi
  [ "$status" = 0 ] || { echo "engine-ci: the engine toolchain build failed (exit ${status})" >&2; exit "$status"; }
  echo "engine-ci: toolchain built in $(( ($(date +%s) - build_started) / 60 )) min $(( ($(date +%s) - build_started) % 60 )) s"
fi
# Bounded, so a hung check fails this step instead of running into CI's limit.
timeout --kill-after=30s 5m npm run engine:smoke
timeout --kill-after=30s "${checks}m" npm run engine:check
echo "engine-ci: engine checks passed"
