#!/usr/bin/env node
// No source line over 160 characters (.editorconfig's max_line_length; a check of .ci/lint, not a formatter).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const MAX = 160;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sources = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "*.cs", "*.ts", "*.mjs", "*.sh", "*.csproj", "*.props"], {
  cwd: repo,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f && !f.includes("/fixtures/") && !f.endsWith(".generated.ts") && !f.includes("node_modules/"));

let long = 0;
for (const file of sources) {
  let text;
  try {
    text = readFileSync(join(repo, file), "utf8");
  } catch {
    continue; // deleted in the working tree
  }
  text.split("\n").forEach((line, i) => {
    const length = [...line].length;
    if (length <= MAX) return;
    console.error(`line-length: ${file}:${i + 1} has ${length} characters (at most ${MAX}); wrap it`);
    long++;
  });
}
if (long) process.exit(1);
console.log(`line-length: ok (no line over ${MAX} characters)`);
