// Bundles src/extension.ts (vscode-jsonrpc inside, `vscode` external) → dist/extension.js and copies the
// web UI bundle (../webview/dist, built by webview/scripts/ci.sh) → media/.
// --check-payload (vsce's vscode:prepublish): also fail unless a published host is in host/ (the portable
// host/traceide.dll, or a platform's self-contained host/<target>/traceide[.exe]: scripts/package.sh).
// --test-hooks (or TRACEIDE_TEST_HOOKS=1, which reaches vsce's prepublish run): the e2e's build, with the
// test-only commands and notebook kernel of src/selfTest.ts; without it they are not in the bundle at all.
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testHooks = process.argv.includes("--test-hooks") || process.env.TRACEIDE_TEST_HOOKS === "1";
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
  define: { TRACEIDE_TEST_HOOKS: String(testHooks) },
  sourcemap: false,
  minify: false,
  logLevel: "warning",
});

const hostDir = join(root, "host");
const hasHost = () =>
  existsSync(join(hostDir, "traceide.dll")) ||
  readdirSync(hostDir, { withFileTypes: true }).some((d) => d.isDirectory() && ["traceide", "traceide.exe"].some((f) => existsSync(join(hostDir, d.name, f))));
if (process.argv.includes("--check-payload") && !(existsSync(hostDir) && hasHost())) {
  console.error("error: no host in host/; package with scripts/package.sh [TARGET…], which publishes it");
  process.exit(1);
}
console.log(`extension: dist/extension.js${testHooks ? " (with the e2e's test hooks)" : ""}, media/ ready`);
