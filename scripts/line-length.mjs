#!/usr/bin/env node
// No source line over 160 characters (.editorconfig's max_line_length; a check of .ci/lint, not a formatter).
// Lines that were already longer when the check came are listed in scripts/line-length-baseline.json (file → count):
// a file may not get more of them, and the list only shrinks (`--update` rewrites it after lines were wrapped).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const MAX = 160;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const baselinePath = join(repo, "scripts/line-length-baseline.json");
const sources = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "*.cs", "*.ts", "*.mjs", "*.sh", "*.csproj", "*.props"], {
  cwd: repo,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f && !f.includes("/fixtures/") && !f.endsWith(".generated.ts") && !f.includes("node_modules/"));

const counts = {};
for (const file of sources) {
  let text;
  try {
    text = readFileSync(join(repo, file), "utf8");
  } catch {
    continue; // deleted in the working tree
  }
  const long = text.split("\n").filter((line) => [...line].length > MAX).length;
  if (long > 0) counts[file] = long;
}

if (process.argv[2] === "--update") {
  writeFileSync(baselinePath, `${JSON.stringify(counts, Object.keys(counts).sort(), 2)}\n`);
  console.log(`line-length: baseline written, ${Object.values(counts).reduce((a, b) => a + b, 0)} lines over ${MAX} characters left`);
  process.exit(0);
}
const baseline = JSON.parse(readFileSync(baselinePath, "utf8"));
const worse = Object.entries(counts).filter(([file, n]) => n > (baseline[file] ?? 0));
for (const [file, n] of worse) console.error(`line-length: ${file} has ${n} lines over ${MAX} characters (allowed: ${baseline[file] ?? 0}); wrap them`);
if (worse.length) process.exit(1);
const left = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(`line-length: ok (${left} older lines over ${MAX} characters left to wrap, scripts/line-length-baseline.json)`);
