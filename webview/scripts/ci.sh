#!/usr/bin/env bash
# The web UI's checks, from any directory: chromium (apt, as root) → npm ci → typecheck → build →
# unit tests (vitest) → end to end against the real host (needs the host built in Release, which .ci/test does
# first): e2e.mjs on the fixture store, then e2e-stress.mjs on a temp copy with a 20,000-span trace, an XSS
# probe trace, a 5 MiB span output, bad tree shapes and a 10,000-trace experiment (written by make-stress-store.py
# with python3), then e2e-server.mjs against the replayed MLflow server (writing assessments, sessions; needs the
# replay server, tests/TraceIde.ReplayServer, built in Release), then the bench:paint benchmark once. Fails with a
# clear message when something it needs is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "webview: installing chromium (apt-get)"
    ../.ci/apt-install chromium   # waits for the apt lock, bounded
  else
    echo "error: $CHROMIUM is missing; install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM=/path/to/chromium" >&2
    exit 1
  fi
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "error: python3 is required for webview/scripts/make-stress-store.py (the e2e stress store)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js 20+ and npm are required for webview/ (node and npm are not on PATH)" >&2
  exit 1
fi

export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm run --silent build
npm test --silent
CHROMIUM="$CHROMIUM" npm run --silent e2e
CHROMIUM="$CHROMIUM" npm run --silent e2e:stress
CHROMIUM="$CHROMIUM" npm run --silent e2e:server   # against the replayed MLflow server: writing assessments, sessions
CHROMIUM="$CHROMIUM" npm run --silent bench:paint -- 3   # a benchmark, run so it cannot rot (figures: docs/PERFORMANCE.md)
echo "webview: typecheck, build, unit tests and e2e passed in $(( $(date +%s) - start )) s"
