#!/usr/bin/env bash
# The VS Code extension's checks, from any directory: npm ci → typecheck → build (bundle + web UI copy)
# → unit tests (vitest: relay, host lifecycle against the real Release host) → package (scripts/package.sh:
# traceide-linux-x64.vsix, which the e2e installs, traceide-win32-x64.vsix as a check of another platform's
# self-contained host, and the universal traceide.vsix) → end to end in code-server 4.100.3 against the MLflow
# replay server, with no machine-wide .NET visible to code-server (installed once into
# ~/.cache/traceide/code-server-4.100.3, or $TRACEIDE_CACHE) with Debian chromium.
# Needs: node 20 + npm, dotnet, the host built in Release and webview/dist (.ci/test does both first),
# chromium, ripgrep and a C toolchain (apt; installed here when running as root). Skips nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
repo="$(cd .. && pwd)"

fail() { echo "error: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail "Node.js 20+ and npm are required for extension-vscode/"
command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required (dotnet is not on PATH)"
[ -f "$repo/server/TraceIde.Host/bin/Release/net10.0/traceide.dll" ] || fail "the host is not built: dotnet build TraceIde.sln -c Release"
[ -f "$repo/tests/TraceIde.ReplayServer/bin/Release/net10.0/TraceIde.ReplayServer.dll" ] ||
  fail "the MLflow replay server is not built: dotnet build TraceIde.sln -c Release"
[ -f "$repo/webview/dist/main.js" ] || fail "webview/dist is missing: webview/scripts/ci.sh (or npm --prefix webview ci && npm --prefix webview run build)"

# apt prerequisites of the e2e (chromium) and of the code-server install (ripgrep, native module builds).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -x /usr/bin/rg ] || missing+=(ripgrep)
command -v g++ >/dev/null 2>&1 || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[ -f /usr/include/krb5.h ] || [ -f /usr/include/krb5/krb5.h ] || missing+=(libkrb5-dev)
pkg-config --exists libsecret-1 2>/dev/null || missing+=(libsecret-1-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "extension: installing ${missing[*]} (apt-get)"
    "$repo/.ci/apt-install" "${missing[@]}"   # waits for the apt lock, bounded
  else
    fail "missing system packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})"
  fi
fi

export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm run --silent build
npm test --silent

# The linux-x64 package (self-contained host), which the e2e installs; a Windows one, to check that another
# platform's self-contained host is built and is what that platform runs (PE images); the universal package.
# Then the e2e's own package: the linux-x64 one again, with the test hooks (src/selfTest.ts) that no published
# package holds (package.sh checks both ways).
scripts/package.sh win32-x64 linux-x64
scripts/package.sh --test-hooks linux-x64
scripts/package.sh

cache="${TRACEIDE_CACHE:-$HOME/.cache/traceide}/code-server-4.100.3"
scripts/install-code-server.sh "$cache"
# One retry, as Playwright's CI default does: a real VS Code on two shared cores now and then misses a
# UI wait. The first attempt's failure and screenshots are kept (test-output-attempt-1/) and the retry is
# announced, so a flake is seen, not hidden; a real regression fails both attempts.
mkdir -p "$repo/artifacts"
run_e2e() { CODE_SERVER="$cache/node_modules/.bin/code-server" CHROMIUM="$CHROMIUM" node scripts/e2e.mjs 2>&1 | tee "$1"; }
if ! run_e2e "$repo/artifacts/vscode-e2e-attempt-1.log"; then
  rm -rf test-output-attempt-1 && mv test-output test-output-attempt-1
  echo "extension: FLAKY? the VS Code e2e failed (above; screenshots in extension-vscode/test-output-attempt-1/); retrying once"
  run_e2e "$repo/artifacts/vscode-e2e-attempt-2.log"
  # Passed on the retry: a flake, recorded where CI keeps it (artifacts/retries.txt, which .ci/test's last line
  # reads) and said in the last lines here.
  first_failure=$(grep -m1 -E "FAIL|Error|timed out" "$repo/artifacts/vscode-e2e-attempt-1.log" | head -c 300 || true)
  echo "the VS Code e2e (its first attempt: ${first_failure:-see artifacts/vscode-e2e-attempt-1.log})" >>"$repo/artifacts/retries.txt"
  echo "extension: the VS Code e2e passed on its SECOND attempt: FLAKY (the first failure's output: extension-vscode/test-output-attempt-1/)"
else
  rm -rf test-output-attempt-1 # an earlier run's, not this one's
fi
echo "extension: typecheck, build, unit tests, package and e2e passed in $(( $(date +%s) - start )) s"
