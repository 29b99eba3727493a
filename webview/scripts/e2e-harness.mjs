// What both end-to-end scripts share: prerequisites, the real host in browser mode, chromium, steps.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** Exits with a clear message when something the run needs is missing. `checks`: [what, path, hint][]. */
export function requirePaths(prefix, checks) {
  for (const [what, path, hint] of checks) {
    if (!existsSync(path)) {
      console.error(`${prefix}: FAIL: the ${what} is missing at ${path} — ${hint}`);
      process.exit(1);
    }
  }
}

/** A failure that marks the run failed and stops the current step. */
export function failer(prefix) {
  return (message) => {
    console.error(`${prefix}: FAIL: ${message}`);
    process.exitCode = 1;
    throw new Error(message);
  };
}

/**
 * Writes the stress store (make-stress-store.py: a copy of `fixture` plus a 20,000-span trace, an XSS probe
 * trace, a span with a 5 MiB output, a trace of bad tree shapes and a 10,000-trace experiment) to `store`;
 * returns the script's summary line, throws on failure.
 */
export function makeStressStore({ root, fixture, store, python = process.env.PYTHON ?? "python3" }) {
  const gen = spawnSync(python, [join(root, "scripts/make-stress-store.py"), fixture, store], { encoding: "utf8" });
  if (gen.status !== 0) throw new Error(`make-stress-store.py (${python}) exited ${gen.status ?? gen.error}\n${gen.stderr ?? ""}`);
  return gen.stdout.trim();
}

/**
 * "Now" for every host an end-to-end test starts (TRACEIDE_NOW, the host's one clock): the day after the
 * fixtures' newest trace (2026-11-23 22:58 UTC), so "recent" (CodeLens windows, Last 7 days, Overview ranges)
 * means the fixtures' week whatever today's date is.
 */
export const FIXTURE_NOW = "2026-11-24T00:00:00Z";

/**
 * Starts `traceide ui` on `store` (or on the tracking server at `trackingUri`); `url` resolves with the address
 * from its `TraceIde UI: <url>` line. `env` adds to the host's environment.
 */
export function startHost({ dll, store, trackingUri, root, webviewRoot, env = {} }) {
  const backend = trackingUri ? ["--tracking-uri", trackingUri] : ["--store", store];
  const args = [dll, "ui", ...backend, "--no-open", "--port", "0", "--webview-root", webviewRoot];
  const child = spawn("dotnet", args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DOTNET_NOLOGO: "1", TRACEIDE_NOW: FIXTURE_NOW, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = new Promise((resolveUrl, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`no "TraceIde UI:" line within 30 s. stderr:\n${stderr}`)), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = /TraceIde UI: (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      const noUi = /unknown command|usage:/i.test(stderr + stdout) && !/TraceIde UI:/.test(stdout);
      reject(
        new Error(
          noUi
            ? `this host has no \`traceide ui\` command yet (exit ${code}). Build the host with browser mode, or set TRACEIDE_DLL.\n${stderr}${stdout}`
            : `the host exited with code ${code} before printing its URL.\nstderr:\n${stderr}`,
        ),
      );
    });
  });
  return { child, url, stderr: () => stderr };
}

/** Debian's chromium, headless, with the flags this closed network needs (no background connections). */
export function launchChromium(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/**
 * The MLflow replay server (tests/TraceIde.ReplayServer): answers exactly as the recordings of MLflow 3.11 do.
 * `url` resolves with its address; `unmatched()` lists the requests no recording answered, `waitForMatch(file)` waits
 * for one the recording `file` answered. `without`: recordings
 * left out, where MLflow was asked the same thing before and after a change and the test picks the moment.
 */
export function startReplay({ dll, without = [] }) {
  const child = spawn("dotnet", [dll, ...without.flatMap((w) => ["--without", w])], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DOTNET_NOLOGO: "1" },
  });
  const lines = [];
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the replay server did not start in 30 s. stderr:\n${stderr}`)), 30_000);
    child.stdout.on("data", (d) => {
      lines.push(...String(d).split("\n").filter(Boolean));
      const m = lines.map((l) => /^replay: (http\S+?)\/?$/.exec(l)).find(Boolean);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.on("exit", (code) => rej(new Error(`the replay server exited (${code}). stderr:\n${stderr}`)));
  });
  url.catch(() => {});
  return {
    url,
    unmatched: () => lines.filter((l) => l.startsWith("unmatched:")),
    /** Resolves once a request was answered by `recording` (the server reports each request as it answers). */
    async waitForMatch(recording, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!lines.some((l) => l.startsWith("matched:") && l.endsWith(` ${recording}`))) {
        if (Date.now() > deadline) throw new Error(`no request matched ${recording} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() {
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

/** A timed, named step; `results` collects the "ok" lines. */
export function stepper(prefix, results = []) {
  return async (name, fn) => {
    const t0 = performance.now();
    await fn();
    const ms = Math.round(performance.now() - t0);
    results.push(`ok   ${name} (${ms} ms)`);
    console.log(`${prefix}: ok   ${name} (${ms} ms)`);
  };
}

/** After a failure: a screenshot of the first open page, if there is one. */
export async function screenshotOnFailure(browser, path) {
  const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
  if (pages[0]) await pages[0].screenshot({ path }).catch(() => {});
}

/** Closes the browser and stops the host: SIGTERM, then SIGKILL after 5 s. */
export async function shutDown(browser, host) {
  await browser?.close().catch(() => {});
  if (host.child.exitCode !== null) return;
  host.child.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      host.child.kill("SIGKILL");
      r();
    }, 5000);
    host.child.once("exit", () => {
      clearTimeout(t);
      r();
    });
  });
}
