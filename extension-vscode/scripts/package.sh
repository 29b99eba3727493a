#!/usr/bin/env bash
# Packages the extension. Needs the host's Release build (dotnet build TraceIde.sln -c Release) and dist/ (npm run build).
#   scripts/package.sh             → traceide.vsix for every platform: the portable host in host/, plus
#                                    host/linux-x64/, a copy precompiled (ReadyToRun) for linux-x64
#   scripts/package.sh TARGET…     → traceide-TARGET.vsix per VS Code target (`vsce package --target`): the portable
#                                    host plus host/TARGET/ precompiled for that platform. Targets: win32-x64,
#                                    darwin-x64, darwin-arm64, linux-x64, linux-arm64, alpine-x64
# The extension starts host/<its platform>/ when the .vsix has it, and the portable host if that one dies before
# answering `initialize` (src/hostProcess.ts). Precompiled hosts start faster (docs/PERFORMANCE.md); .NET refuses
# one made for another OS or architecture, hence a folder per platform beside the portable host, not in its place.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(cd .. && pwd)"
fail() { echo "error: $*" >&2; exit 1; }

TARGETS="win32-x64 darwin-x64 darwin-arm64 linux-x64 linux-arm64 alpine-x64"
rid_of() {
  case "$1" in
    win32-x64) echo win-x64 ;; darwin-x64) echo osx-x64 ;; darwin-arm64) echo osx-arm64 ;;
    linux-x64) echo linux-x64 ;; linux-arm64) echo linux-arm64 ;; alpine-x64) echo linux-musl-x64 ;;
    *) fail "no precompiled host for VS Code target '$1' (known: $TARGETS)" ;;
  esac
}

# The portable host (framework-dependent, no .pdb); --no-build: the Release build just made.
publish_portable() {
  rm -rf host
  dotnet publish "$repo/server/TraceIde.Host" -c Release --no-build -o host --nologo -v q
  rm -f host/*.pdb
}

# host/TARGET/: the host precompiled for TARGET's runtime, checked to be what that platform's .NET runs.
publish_native() {
  local target=$1 rid
  rid=$(rid_of "$target")
  for t in $TARGETS; do rm -rf "host/$t"; done # one precompiled host per .vsix
  dotnet publish "$repo/server/TraceIde.Host" -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "host/$target" --nologo -v q
  rm -f "host/$target"/*.pdb
  for dll in traceide.dll StreamJsonRpc.dll; do node scripts/pe-target.mjs "host/$target/$dll" "$target" >/dev/null; done
}

# vsce, then the listing: the extension, the UI, both hosts; no sources, tests or node_modules.
package() {
  local out=$1 native=$2
  shift 2
  rm -f "$out"
  npx --no-install vsce package --no-dependencies --skip-license "$@" -o "$out" >/dev/null
  [ -f "$out" ] || fail "vsce did not produce $out"
  local listing
  listing="$(unzip -l "$out")"
  for need in extension/dist/extension.js extension/host/traceide.dll "extension/host/$native/traceide.dll" extension/media/main.js extension/media/main.css; do
    grep -q " $need\$" <<<"$listing" || fail "$out lacks $need"
  done
  if grep -qE " extension/(node_modules|test|src)/" <<<"$listing"; then fail "$out contains node_modules, tests or sources"; fi
  echo "extension: $out $(du -h "$out" | cut -f1) (host/$native: $(node scripts/pe-target.mjs "host/$native/traceide.dll" | cut -d' ' -f2-))"
}

publish_portable
if [ $# -eq 0 ]; then
  publish_native linux-x64
  package traceide.vsix linux-x64
else
  for target in "$@"; do
    publish_native "$target"
    package "traceide-$target.vsix" "$target" --target "$target"
  done
fi
