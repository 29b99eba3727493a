#!/usr/bin/env bash
# Runs the VS Code e2e N times in a row (default 10), none retried, to count flakes (docs/RELIABILITY.md's batches):
#   extension-vscode/scripts/e2e-repeat.sh [N]
# Needs what scripts/e2e.mjs needs, built once first: the host and replay server in Release, webview/dist, the extension
# built and its test-hooks package (scripts/package.sh --test-hooks linux-x64), code-server installed
# (scripts/install-code-server.sh). Each run's log goes to artifacts/e2e-repeat/run-K.log, a failed run's screenshots
# to artifacts/e2e-repeat/run-K-output/, one line per run to artifacts/e2e-repeat/results.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(cd .. && pwd)"
runs="${1:-10}"
out="$repo/artifacts/e2e-repeat"
rm -rf "$out" && mkdir -p "$out"
cache="${TRACEIDE_CACHE:-$HOME/.cache/traceide}/code-server-4.100.3"
echo "commit $(git rev-parse --short HEAD)" >"$out/results.txt"
passed=0
for k in $(seq 1 "$runs"); do
  start=$(date +%s)
  if CODE_SERVER="$cache/node_modules/.bin/code-server" node scripts/e2e.mjs >"$out/run-$k.log" 2>&1; then
    result=PASS
    passed=$((passed + 1))
  else
    result=FAIL
    cp -r test-output "$out/run-$k-output" 2>/dev/null || true
  fi
  echo "run $k $result $(($(date +%s) - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/results.txt"
done
echo "$passed of $runs passed" | tee -a "$out/results.txt"
[ "$passed" -eq "$runs" ]
