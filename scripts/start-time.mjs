#!/usr/bin/env node
// Host start → `initialize` answer, several hosts side by side in one run (docs/PERFORMANCE.md; a measurement,
// not a test): `node scripts/start-time.mjs [--runs N] HOST…`, where HOST is a traceide.dll (started with
// `dotnet`, as the universal package's) or a traceide executable (a platform package's self-contained host).
// Rounds are interleaved (host A, B, C, A, B, C, …) so a noisy machine weighs on every host alike; each start
// is timed from spawn to the `initialize` answer over stdio (Content-Length framing), on the sample store.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
let runs = 10;
if (argv[0] === "--runs") {
  runs = Number(argv[1]);
  argv.splice(0, 2);
}
const hosts = argv.map((h) => resolve(h));
if (!hosts.length || hosts.some((h) => !existsSync(h)) || !(runs > 0)) {
  console.error("usage: node scripts/start-time.mjs [--runs N] HOST… (traceide.dll or a self-contained traceide)");
  process.exit(2);
}
const store = join(repo, "tests/fixtures/mlflow-3.11.2.dev0/store-local/mlflow.db");

function startOnce(host) {
  const isDll = host.endsWith(".dll");
  const t0 = process.hrtime.bigint();
  const child = spawn(isDll ? "dotnet" : host, [...(isDll ? [host] : []), "serve"], { stdio: ["pipe", "pipe", "ignore"] });
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { store, clientName: "start-time", workspaceFolders: [] } });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return new Promise((res, rej) => {
    const early = (code) => rej(new Error(`${host} exited (${code}) before answering`));
    child.once("exit", early);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (/"id":1[,}]/.test(out)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (!out.includes('"result"')) rej(new Error(`${host}: initialize failed: ${out.slice(0, 300)}`));
        child.off("exit", early);
        child.kill("SIGKILL");
        child.once("exit", () => res(ms));
      }
    });
  });
}

const times = hosts.map(() => []);
const load = [loadavg()[0]];
for (const h of hosts) await startOnce(h); // one unmeasured start each: the files in the page cache for all alike
for (let r = 0; r < runs; r++) {
  for (let i = 0; i < hosts.length; i++) times[i].push(await startOnce(hosts[i]));
}
load.push(loadavg()[0]);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`start → initialize, ${runs} interleaved starts each (load average ${load.map((l) => l.toFixed(1)).join(" → ")}):`);
hosts.forEach((h, i) => {
  const t = times[i];
  console.log(`  ${h.replace(repo + "/", "")}: median ${median(t).toFixed(0)} ms, min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}`);
});
