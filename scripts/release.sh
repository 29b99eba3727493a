#!/usr/bin/env bash
# Release binaries of the host for browser mode and the terminal, for machines with neither the .NET SDK nor
# the runtime: `scripts/release.sh [RID…]` (default: every platform below) → dist/release/traceide-<version>-<rid>.tar.gz
# (.zip for Windows), each holding traceide-<version>-<rid>/:
#   traceide (traceide.exe)   one self-contained, single-file, ReadyToRun executable: the .NET runtime, ASP.NET Core
#                             and SQLite's native library inside (native libraries unpack once to DOTNET_BUNDLE_EXTRACT_BASE_DIR,
#                             by default ~/.net, on first start)
#   webview/                  the UI bundle `traceide ui` serves (beside the executable, not in it: the host serves
#                             files from disk)
#   sample-store/             the sample MLflow store `traceide ui` / `traceide traces` open when given no backend
# Needs the .NET 10 SDK and webview/dist (npm --prefix webview ci && npm --prefix webview run build). Runtime packs
# come from NuGet at restore (cached in ~/.nuget/packages). Not trimmed: docs/PERFORMANCE.md says why.
# RIDs: linux-x64 linux-arm64 linux-musl-x64 osx-x64 osx-arm64 win-x64.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "error: $*" >&2; exit 1; }
command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required (dotnet is not on PATH)"
[ -f webview/dist/index.html ] || fail "webview/dist is missing: npm --prefix webview ci && npm --prefix webview run build"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ALL="linux-x64 linux-arm64 linux-musl-x64 osx-x64 osx-arm64 win-x64"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
[ -n "$version" ] || fail "no <Version> in Directory.Build.props"
out="dist/release"
mkdir -p "$out"
[ $# -gt 0 ] || set -- $ALL

for rid in "$@"; do
  case " $ALL " in *" $rid "*) ;; *) fail "unknown RID '$rid' (known: $ALL)" ;; esac
  name="traceide-$version-$rid"
  stage="$out/$name"
  rm -rf "$stage" "$out/$name.tar.gz" "$out/$name.zip"
  dotnet publish server/TraceIde.Host -c Release -r "$rid" --self-contained true -p:PublishSingleFile=true \
    -p:PublishReadyToRun=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
    -o "$stage" --nologo -v q
  exe=traceide; [[ $rid == win-* ]] && exe=traceide.exe
  [ -f "$stage/$exe" ] && [ -f "$stage/webview/index.html" ] && [ -f "$stage/sample-store/mlflow.db" ] || fail "$stage lacks $exe, webview/ or sample-store/"
  # Single file: nothing else of .NET beside it (no .dll, .so, .dylib, .json).
  stray=$(cd "$stage" && find . -maxdepth 1 -type f ! -name "$exe" | sort | tr '\n' ' ')
  [ -z "$stray" ] || fail "$stage is not single-file: $stray"
  if [[ $rid == win-* ]]; then
    (cd "$out" && rm -f "$name.zip" && zip -qr -9 "$name.zip" "$name")
    archive="$out/$name.zip"
  else
    tar -C "$out" -czf "$out/$name.tar.gz" "$name"
    archive="$out/$name.tar.gz"
  fi
  echo "release: $archive $(( $(stat -c %s "$archive") / 1024 )) KiB ($exe $(( $(stat -c %s "$stage/$exe") / 1024 )) KiB)"
done
