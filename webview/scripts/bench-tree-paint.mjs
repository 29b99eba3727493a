// Benchmark (not a test): click → painted for the generated 20,000-span trace, the first open (a cold
// host path) and warm re-opens, with the page's own split (traces/get round trip vs. building the rows).
// Drives Debian's chromium over raw CDP (a pipe) without the Network domain: Playwright always enables it, and
// then the browser copies every WebSocket frame (5 MB here) into a CDP event before the page gets its
// next frame, which adds ~600 ms to e2e-stress's figure that no IDE user pays.
// Usage: node scripts/bench-tree-paint.mjs [rounds]   (env: TRACEIDE_DLL, TRACEIDE_STORE, CHROMIUM, PYTHON)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeStressStore, requirePaths, startHost } from "./e2e-harness.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..");
const dll = resolve(process.env.TRACEIDE_DLL ?? join(repo, "server/TraceIde.Host/bin/Release/net10.0/traceide.dll"));
const fixture = resolve(process.env.TRACEIDE_STORE ?? join(repo, "tests/fixtures/mlflow-3.11.2.dev0/store/mlflow.db"));
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const rounds = Number(process.argv[2] ?? 6);
requirePaths("bench-tree-paint", [
  ["host", dll, "build it: dotnet build TraceIde.sln -c Release (or set TRACEIDE_DLL)"],
  ["fixture store", fixture, "set TRACEIDE_STORE"],
  ["bundle", join(root, "dist/index.html"), "run: npm run build"],
  ["chromium", browserPath, "apt-get install -y chromium (or set CHROMIUM)"],
]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), "traceide-paint-"));
let host;
let browser;
try {
  const store = join(tmp, "mlflow.db");
  makeStressStore({ root, fixture, store });
  host = startHost({ dll, store, root, webviewRoot: join(root, "dist") });
  const url = await host.url;

  // CDP over a pipe (fd 3 in, fd 4 out, NUL-separated JSON): no extra dependency, no Network domain.
  browser = spawn(
    browserPath,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--remote-debugging-pipe",
      "--window-size=1400,900",
      `--user-data-dir=${join(tmp, "profile")}`,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
  );
  let lastId = 0;
  let buffered = "";
  const pending = new Map();
  browser.stdio[4].on("data", (chunk) => {
    const parts = (buffered + chunk.toString("utf8")).split("\0");
    buffered = parts.pop();
    for (const part of parts) {
      const d = JSON.parse(part);
      pending.get(d.id)?.(d);
      pending.delete(d.id);
    }
  });
  let sessionId;
  const send = (method, params = {}) =>
    new Promise((ok) => {
      pending.set(++lastId, ok);
      browser.stdio[3].write(JSON.stringify({ id: lastId, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  const {
    result: { targetInfos },
  } = await send("Target.getTargets");
  const target = targetInfos.find((t) => t.type === "page");
  sessionId = (await send("Target.attachToTarget", { targetId: target.targetId, flatten: true })).result.sessionId;
  const evaluate = async (expression) => {
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.error || r.result?.exceptionDetails) throw new Error(JSON.stringify(r.error ?? r.result.exceptionDetails));
    return r.result.result.value;
  };
  const waitFor = async (what, expression) => {
    for (const end = Date.now() + 30_000; Date.now() < end; await sleep(50)) if (await evaluate(expression)) return;
    throw new Error(`timed out waiting for ${what}`);
  };

  await send("Page.navigate", { url: `${url}${url.includes("?") ? "&" : "?"}pageSize=50` });
  await waitFor("the trace list", `!!document.querySelector(".trace-row[data-trace-id]")`);
  await evaluate(`(() => {
    const input = document.querySelector("input.search");
    input.value = "trace.name = 'stress_20k'";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  })()`);
  await waitFor("the search", `document.querySelector(".list-status")?.textContent === "1 trace"`);

  const results = [];
  for (let round = 0; round < rounds; round++) {
    await sleep(1500); // past the host's idle trim (1 s), as between two real clicks
    const r = await evaluate(`(async () => {
      performance.clearMeasures();
      const t0 = performance.now();
      document.querySelector(".trace-row[data-trace-id]").click();
      const painted = (test) => new Promise((done) => {
        const poll = () => (test() || performance.now() - t0 > 60_000 ? requestAnimationFrame(() => done()) : requestAnimationFrame(poll));
        poll();
      });
      const count = () => Number(document.querySelector(".span-scroller")?.getAttribute("data-span-count"));
      await painted(() => document.querySelector(".span-row"));
      const total = Math.round(performance.now() - t0);
      const head = count();
      await painted(() => count() === 20000); // the viewer paints the trace's head, then the rest
      const phase = (name) => Math.round(performance.getEntriesByName("traceide:" + name).at(-1)?.duration ?? NaN);
      return { total, all: Math.round(performance.now() - t0), head, get: phase("traces/get"), show: phase("show-trace"), spans: count() };
    })()`);
    if (r.spans !== 20_000) throw new Error(`expected 20000 spans, the tree shows ${r.spans}`);
    results.push(r);
    console.log(
      `bench-tree-paint: ${round === 0 ? "first open" : `re-open ${round}`}: ${r.total} ms click → painted (${r.head} spans: traces/get ` +
        `${r.get} ms, building the rows ${r.show} ms); all 20000 spans ${r.all} ms`,
    );
    await evaluate(`document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }))`);
    await waitFor("the viewer to close", `document.querySelector(".trace-viewer")?.hidden !== false`);
  }
  const p50 = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? "—";
  const warm = results.slice(1);
  console.log(
    `bench-tree-paint: 20000-span tree, first open ${results[0].total} ms (all spans ${results[0].all} ms), re-opens p50 ` +
      `${p50(warm.map((r) => r.total))} ms (all spans ${p50(warm.map((r) => r.all))} ms) ` +
      `(${cpus().length} cores, load ${loadavg()[0].toFixed(2)}, host ${dll})`,
  );
} catch (err) {
  console.error(`bench-tree-paint: FAIL: ${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  browser?.kill();
  host?.child.kill("SIGTERM");
  await sleep(300);
  rmSync(tmp, { recursive: true, force: true });
}
