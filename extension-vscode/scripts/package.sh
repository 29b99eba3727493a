#!/usr/bin/env bash
# Packages the extension. Needs the host's Release build (dotnet build TraceIde.sln -c Release) and dist/ (npm run build).
#   scripts/package.sh             → traceide.vsix, the universal package: the portable host (host/traceide.dll), which
#                                    needs a .NET 10 runtime on the machine (the extension says which, and names the
#                                    platform packages, when there is none)
#   scripts/package.sh TARGET…     → traceide-TARGET.vsix per VS Code target (`vsce package --target`), with no .NET to
#                                    install: host/TARGET/traceide (traceide.exe on Windows), self-contained (its own
#                                    .NET runtime and ASP.NET Core inside) and ReadyToRun, started as an executable.
#                                    Targets: win32-x64, darwin-x64, darwin-arm64, linux-x64, linux-arm64, alpine-x64
#   scripts/package.sh --test-hooks TARGET → traceide-TARGET.test-hooks.vsix, the e2e's package: the same, built with the
#                                    test-only commands (src/selfTest.ts), from the host already published for TARGET
#                                    when it is there. Published packages are checked to hold none of that code.
# Not trimmed: docs/PERFORMANCE.md has the sizes each way and why. The runtime packs come from NuGet at restore
# (cached in ~/.nuget/packages), nothing at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(cd .. && pwd)"
fail() { echo "error: $*" >&2; exit 1; }

TARGETS="win32-x64 darwin-x64 darwin-arm64 linux-x64 linux-arm64 alpine-x64"
rid_of() {
  case "$1" in
    win32-x64) echo win-x64 ;; darwin-x64) echo osx-x64 ;; darwin-arm64) echo osx-arm64 ;;
    linux-x64) echo linux-x64 ;; linux-arm64) echo linux-arm64 ;; alpine-x64) echo linux-musl-x64 ;;
    *) fail "no self-contained host for VS Code target '$1' (known: $TARGETS)" ;;
  esac
}
exe_of() { case "$1" in win32-*) echo traceide.exe ;; *) echo traceide ;; esac; }

# The portable host (framework-dependent, no .pdb); --no-build: the Release build just made.
publish_portable() {
  rm -rf host
  dotnet publish "$repo/server/TraceIde.Host" -c Release --no-build -o host --nologo -v q
  rm -f host/*.pdb
}

# host/TARGET/: the self-contained host for TARGET's runtime identifier, checked to be what that platform runs.
publish_self_contained() {
  local target=$1 rid exe
  rid=$(rid_of "$target")
  exe=$(exe_of "$target")
  rm -rf host
  dotnet publish "$repo/server/TraceIde.Host" -c Release -r "$rid" --self-contained true -p:PublishReadyToRun=true \
    -o "host/$target" --nologo -v q
  rm -f "host/$target"/*.pdb
  [ -f "host/$target/$exe" ] || fail "the publish for $rid made no host/$target/$exe"
  # The app's and a library's code precompiled for exactly this platform, and the runtime inside (no .NET needed).
  for dll in traceide.dll StreamJsonRpc.dll; do node scripts/pe-target.mjs "host/$target/$dll" "$target" >/dev/null; done
  grep -q '"includedFrameworks"' "host/$target/traceide.runtimeconfig.json" ||
    fail "host/$target is not self-contained (its runtimeconfig names no includedFrameworks)"
  case "$target" in
    win32-*) [ -f "host/$target/coreclr.dll" ] ;; darwin-*) [ -f "host/$target/libcoreclr.dylib" ] ;; *) [ -f "host/$target/libcoreclr.so" ] ;;
  esac || fail "host/$target lacks the runtime (coreclr)"
  chmod 755 "host/$target/$exe"
}

# vsce, then the listing: the extension, the UI, the host; no sources, tests or node_modules.
package() {
  local out=$1 host=$2
  shift 2
  rm -f "$out"
  # README images ship in the package and stay relative: the repository URL is a placeholder until there is a
  # public one (vsce would otherwise rewrite them to <repository>/raw/HEAD/…).
  npx --no-install vsce package --no-dependencies --no-rewrite-relative-links "$@" -o "$out" >/dev/null
  [ -f "$out" ] || fail "vsce did not produce $out"
  local listing
  listing="$(unzip -l "$out")"
  for need in extension/dist/extension.js "extension/$host" extension/media/main.js extension/media/main.css extension/LICENSE.txt \
    extension/changelog.md extension/readme.md extension/resources/icon.png extension/images/trace-viewer.png; do
    grep -q " $need\$" <<<"$listing" || fail "$out lacks $need"
  done
  if grep -qE " extension/(node_modules|test|src|scripts)/" <<<"$listing"; then fail "$out contains node_modules, tests, scripts or sources"; fi
  if grep -qE "\.pdb$" <<<"$listing"; then fail "$out contains .pdb files"; fi
  # The published manifest contributes no test-only command (the e2e binds keys to them in its own profile).
  if unzip -p "$out" extension/package.json | grep -q '"traceide\._'; then fail "$out contributes a test-only command (traceide._…)"; fi
  # The test hooks' code is in the e2e's package and in no other (scripts/build.mjs --test-hooks).
  local hooks
  hooks=$(unzip -p "$out" extension/dist/extension.js | grep -c -E 'traceide\._selfTest|TRACEIDE_SELFTEST_OUT|traceide-test-kernel' || true)
  if [ "$TEST_HOOKS" = 1 ]; then
    [ "$hooks" -gt 0 ] || fail "$out was built for the e2e but holds no test hooks"
  else
    [ "$hooks" -eq 0 ] || fail "$out holds test-only code ($hooks lines of src/selfTest.ts or testNotebookController.ts)"
  fi
  local bytes
  bytes=$(stat -c %s "$out")
  # 60 MB is the ceiling the Marketplace and users accept for this extension (issue 22); 45 MB the goal.
  [ "$bytes" -le 60000000 ] || fail "$out is $((bytes / 1000000)) MB, over the 60 MB limit"
  echo "extension: $out $((bytes / 1024)) KiB ($host)"
}

TEST_HOOKS=0
if [ "${1:-}" = "--test-hooks" ]; then
  shift
  [ $# -eq 1 ] || fail "--test-hooks packages one target (the e2e's): scripts/package.sh --test-hooks linux-x64"
  TEST_HOOKS=1
  export TRACEIDE_TEST_HOOKS=1 # vsce's prepublish build (scripts/build.mjs) reads it
  target=$1
  [ -f "host/$target/$(exe_of "$target")" ] || publish_self_contained "$target"
  package "traceide-$target.test-hooks.vsix" "host/$target/$(exe_of "$target")" --target "$target"
  node scripts/build.mjs >/dev/null # dist/ back to the published build
elif [ $# -eq 0 ]; then
  publish_portable
  package traceide.vsix host/traceide.dll
else
  for target in "$@"; do
    publish_self_contained "$target"
    package "traceide-$target.vsix" "host/$target/$(exe_of "$target")" --target "$target"
  done
fi
