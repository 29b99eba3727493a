#!/usr/bin/env bash
# install-code-server.sh <prefix-dir>: code-server from npm, offline-safe (see ../shared/design/toolchain.md §2).
# Native modules are built from source; ripgrep comes from Debian (/usr/bin/rg). Idempotent: a finished
# install leaves <prefix>/.complete and is reused.
set -euo pipefail
PREFIX="$1"; VER="${CODE_SERVER_VERSION:-4.100.3}"
if [ -f "$PREFIX/.complete" ] && [ -x "$PREFIX/node_modules/.bin/code-server" ]; then exit 0; fi
for need in /usr/bin/rg; do
  [ -e "$need" ] || { echo "error: $need is missing (apt-get install -y ripgrep)" >&2; exit 1; }
done
export npm_config_nodedir="${npm_config_nodedir:-/usr}" npm_config_yes=true npm_config_fund=false npm_config_audit=false
rm -rf "$PREFIX" && mkdir -p "$PREFIX" && cd "$PREFIX"
npm init -y >/dev/null
echo "code-server: npm install code-server@$VER (scripts off)"
npm install "code-server@$VER" --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild argon2 --dangerously-allow-all-scripts --foreground-scripts --loglevel=error >/dev/null
cd "$PREFIX/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
echo "code-server: building native modules from source"
npm rebuild @parcel/watcher @vscode/spdlog node-pty kerberos native-watchdog @vscode/deviceid \
  --dangerously-allow-all-scripts --foreground-scripts --loglevel=error >/dev/null
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server)
(cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
touch "$PREFIX/.complete"
echo "code-server $VER installed in $PREFIX"
