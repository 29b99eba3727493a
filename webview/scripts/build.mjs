// Bundles src/main.ts → dist/main.js + dist/main.css and copies index.html. No inline script or style
// (the host's CSP is `script-src 'self'; style-src 'self'`).
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist");
const watch = process.argv.includes("--dev");
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const started = Date.now();
const result = await build({
  entryPoints: { main: join(root, "src/main.ts") },
  bundle: true,
  outdir: out,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
await copyFile(join(root, "index.html"), join(out, "index.html"));
const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${file.replace(/^.*dist\//, "dist/")} ${(o.bytes / 1024).toFixed(1)} kB`);
console.log(`built in ${Date.now() - started} ms: ${sizes.join(", ")}, dist/index.html`);
