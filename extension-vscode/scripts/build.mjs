// Bundles src/extension.ts (vscode-jsonrpc inside, `vscode` external) → dist/extension.js and copies the
// web UI bundle (../webview/dist, built by webview/scripts/ci.sh) → media/.
// --check-payload (vsce's vscode:prepublish): also fail unless the published host is in host/.
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const webDist = join(root, "..", "webview", "dist");
for (const f of ["main.js", "main.css"]) {
  if (!existsSync(join(webDist, f))) {
    console.error(`error: ${join(webDist, f)} is missing; build the web UI first: npm --prefix webview ci && npm --prefix webview run build`);
    process.exit(1);
  }
}
rmSync(join(root, "media"), { recursive: true, force: true });
mkdirSync(join(root, "media"), { recursive: true });
for (const f of ["main.js", "main.css"]) cpSync(join(webDist, f), join(root, "media", f));

await build({
  entryPoints: [join(root, "src", "extension.ts")],
  outfile: join(root, "dist", "extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  sourcemap: false,
  minify: false,
  logLevel: "warning",
});

if (process.argv.includes("--check-payload") && !existsSync(join(root, "host", "traceide.dll"))) {
  console.error("error: host/traceide.dll is missing; publish the host first: dotnet publish server/TraceIde.Host -c Release -o extension-vscode/host");
  process.exit(1);
}
console.log("extension: dist/extension.js, media/ ready");
