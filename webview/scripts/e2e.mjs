// End to end: the real host in browser mode (`traceide ui`) + Debian's chromium via playwright-core.
//   list → search → invalid filter → open the 500-span trace (first paint timed) → error span → stack trace.
// Screenshots go to webview/test-output/. Env: TRACEIDE_DLL (host dll), TRACEIDE_STORE (mlflow.db),
// CHROMIUM (browser path), E2E_PAGE_SIZE (default 20, so that scrolling must page the list in).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..");
const out = join(root, "test-output");
mkdirSync(out, { recursive: true });

const dll = resolve(process.env.TRACEIDE_DLL ?? join(repo, "server/TraceIde.Host/bin/Release/net10.0/traceide.dll"));
const store = resolve(process.env.TRACEIDE_STORE ?? join(repo, "tests/fixtures/mlflow-3.11.2.dev0/store/mlflow.db"));
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const pageSize = Number(process.env.E2E_PAGE_SIZE ?? 20);
const EXPECTED_TRACES = 43;
const EXPECTED_ERRORS = 5;
const BIG_TRACE_SPANS = 500;

function fail(message) {
  console.error(`e2e: FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

for (const [what, path, hint] of [
  ["host", dll, "build it: dotnet build TraceIde.sln -c Release (or set TRACEIDE_DLL)"],
  ["fixture store", store, "set TRACEIDE_STORE"],
  ["bundle", join(root, "dist/index.html"), "run: npm run build"],
  ["chromium", browserPath, "apt-get install -y chromium (or set CHROMIUM)"],
]) {
  if (!existsSync(path)) {
    console.error(`e2e: FAIL: the ${what} is missing at ${path} — ${hint}`);
    process.exit(1);
  }
}

/** Starts `traceide ui` and resolves with the URL from its `TraceIde UI: <url>` line. */
function startHost() {
  const args = [dll, "ui", "--store", store, "--no-open", "--port", "0", "--webview-root", join(root, "dist")];
  const child = spawn("dotnet", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOTNET_NOLOGO: "1" } });
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
      reject(new Error(noUi
        ? `this host has no \`traceide ui\` command yet (exit ${code}). Build the host with browser mode, or set TRACEIDE_DLL.\n${stderr}${stdout}`
        : `the host exited with code ${code} before printing its URL.\nstderr:\n${stderr}`));
    });
  });
  return { child, url, stderr: () => stderr };
}

const results = [];
const step = async (name, fn) => {
  const t0 = performance.now();
  await fn();
  const ms = Math.round(performance.now() - t0);
  results.push(`ok   ${name} (${ms} ms)`);
  console.log(`e2e: ok   ${name} (${ms} ms)`);
};

const host = startHost();
let browser;
const started = Date.now();
try {
  const url = await host.url.catch((e) => fail(e.message));
  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !new URL(r.url()).pathname.endsWith("/favicon.ico")) pageErrors.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.addInitScript(() => {
    window.__xss = undefined;
  });
  const rowSel = ".trace-row[data-trace-id]";
  const loaded = () => page.locator(".list-status").textContent();

  await step(`page loads, connection shown, ${EXPECTED_TRACES} traces page in (pageSize ${pageSize})`, async () => {
    const sep = url.includes("?") ? "&" : "?";
    await page.goto(`${url}${sep}pageSize=${pageSize}`);
    if ((await page.evaluate(() => location.search)).includes("token=")) fail("the token stayed in the address bar");
    await page.waitForSelector(rowSel, { timeout: 15_000 });
    await page.waitForFunction(() => !document.querySelector(".connection")?.textContent?.startsWith("Connecting"), null, { timeout: 10_000 });
    const conn = await page.locator(".connection").textContent();
    if (!/Local store/.test(conn ?? "")) fail(`connection text is "${conn}"`);
    // Scroll to the end until no more pages come.
    for (let i = 0; i < 20; i++) {
      const status = await loaded();
      if (new RegExp(`^${EXPECTED_TRACES} traces$`).test(status ?? "")) break;
      await page.locator(".trace-scroller").evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(150);
    }
    const status = await loaded();
    if (status !== `${EXPECTED_TRACES} traces`) fail(`expected "${EXPECTED_TRACES} traces", list says "${status}"`);
    const inDom = await page.locator(rowSel).count();
    if (inDom >= EXPECTED_TRACES) fail(`virtualization: ${inDom} rows in the DOM for ${EXPECTED_TRACES} traces`);
    console.log(`e2e:      ${inDom} of ${EXPECTED_TRACES} rows in the DOM; connection: ${conn}`);
    await page.locator(".trace-scroller").evaluate((el) => (el.scrollTop = 0));
    await page.screenshot({ path: join(out, "01-traces.png") });
  });

  await step("sort by duration puts the slowest trace first", async () => {
    await page.selectOption("select.sort", "execution_time_ms DESC");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
    const first = await page.locator(`${rowSel} .cell-name`).first().textContent();
    if (first !== "nightly_digest") fail(`slowest first is "${first}", expected nightly_digest`);
    await page.selectOption("select.sort", "timestamp_ms DESC");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
  });

  await step(`filter trace.status = 'ERROR' shows ${EXPECTED_ERRORS} rows`, async () => {
    await page.fill("input.search", "trace.status = 'ERROR'");
    await page.press("input.search", "Enter");
    await page.waitForFunction((n) => document.querySelector(".list-status")?.textContent === `${n} traces`, EXPECTED_ERRORS, { timeout: 10_000 });
    const states = await page.locator(`${rowSel} .cell-state`).allTextContents();
    if (states.length !== EXPECTED_ERRORS || states.some((s) => s !== "ERROR")) fail(`rows' states: ${states.join(",")}`);
    await page.screenshot({ path: join(out, "02-error-filter.png") });
  });

  await step("an invalid filter shows the host's error inline", async () => {
    await page.fill("input.search", "trace.nonsense === 'x'");
    await page.press("input.search", "Enter");
    await page.waitForSelector(".filter-error:not([hidden])", { timeout: 10_000 });
    const text = (await page.locator(".filter-error").textContent()) ?? "";
    if (text.trim().length < 5) fail("empty filter error");
    console.log(`e2e:      inline error: ${text.trim().slice(0, 160)}`);
    await page.screenshot({ path: join(out, "03-invalid-filter.png") });
    await page.fill("input.search", "");
    await page.press("input.search", "Enter");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
  });

  let firstPaintMs = 0;
  await step(`open the ${BIG_TRACE_SPANS}-span trace (batch digest) and paint its tree`, async () => {
    await page.fill("input.search", "trace.name = 'nightly_digest'");
    await page.press("input.search", "Enter");
    await page.waitForFunction(() => document.querySelector(".list-status")?.textContent === "1 trace", null, { timeout: 10_000 });
    const row = page.locator(rowSel).first();
    await row.waitFor();
    // Click inside the page and time until the tree rows are painted (next animation frame after they exist).
    firstPaintMs = await page.evaluate(async (sel) => {
      const t0 = performance.now();
      document.querySelector(sel).click();
      await new Promise((resolveDone, reject) => {
        const deadline = t0 + 30_000;
        const poll = () => {
          if (document.querySelector(".span-row")) requestAnimationFrame(() => resolveDone());
          else if (performance.now() > deadline) reject(new Error("tree never painted"));
          else requestAnimationFrame(poll);
        };
        poll();
      });
      return performance.now() - t0;
    }, rowSel);
    const count = Number(await page.locator(".span-scroller").getAttribute("data-span-count"));
    if (count !== BIG_TRACE_SPANS) fail(`span count ${count}, expected ${BIG_TRACE_SPANS}`);
    const inDom = await page.locator(".span-row").count();
    if (inDom >= count) fail(`span tree not virtualized: ${inDom} rows in the DOM`);
    console.log(`e2e:      first paint of the ${count}-span tree: ${Math.round(firstPaintMs)} ms after click (${inDom} rows in the DOM)`);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.screenshot({ path: join(out, "04-trace-500-spans.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step("select an ERROR span: its exception stack trace shows", async () => {
    await page.fill("input.search", "trace.status = 'ERROR'");
    await page.press("input.search", "Enter");
    await page.waitForFunction((n) => document.querySelector(".list-status")?.textContent === `${n} traces`, EXPECTED_ERRORS, { timeout: 10_000 });
    let found = false;
    for (let i = 0; i < EXPECTED_ERRORS && !found; i++) {
      await page.locator(rowSel).nth(i).click();
      await page.waitForSelector(".span-row", { timeout: 10_000 });
      const errorSpan = page.locator('.span-row[data-status="ERROR"]').last();
      if ((await errorSpan.count()) > 0) {
        await errorSpan.click();
        try {
          await page.waitForSelector(".detail-pane pre.stacktrace", { timeout: 5_000 });
          const stack = (await page.locator(".detail-pane pre.stacktrace").first().textContent()) ?? "";
          if (!/Traceback|Error|at /.test(stack)) fail(`stack trace text looks wrong: ${stack.slice(0, 200)}`);
          console.log(`e2e:      stack trace (${stack.split("\n").length} lines): ${stack.split("\n")[0]}`);
          found = true;
          await page.screenshot({ path: join(out, "05-error-span.png") });
          const chatSpan = page.locator('.span-row:has(.type-chat_model), .span-row:has(.type-llm)').first();
          if ((await chatSpan.count()) > 0) {
            await chatSpan.click();
            await page.waitForSelector(".detail-pane .chat-msg", { timeout: 5_000 });
            const roles = await page.locator(".detail-pane .chat-role").allTextContents();
            console.log(`e2e:      chat transcript of the LLM span: ${roles.join(" → ")}`);
            await page.screenshot({ path: join(out, "06-chat-span.png") });
          }
        } catch (e) {
          if (!String(e).includes("Timeout")) throw e;
        }
      }
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
    }
    if (!found) fail("no ERROR span with an exception stack trace in any ERROR trace");
  });

  await step("dark colour scheme (browser fallback theme)", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.locator(rowSel).first().click();
    await page.waitForSelector(".span-row");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (bg !== "rgb(30, 30, 30)") fail(`dark background is ${bg}`);
    await page.screenshot({ path: join(out, "07-dark.png") });
    await page.keyboard.press("Escape");
    await page.emulateMedia({ colorScheme: "light" });
  });

  await step("no script injection, no page errors", async () => {
    if (await page.evaluate(() => window.__xss !== undefined)) fail("window.__xss was set");
    if (pageErrors.length) fail(`page errors: ${pageErrors.join(" | ")}`);
  });

  console.log(`e2e: ${results.length} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; first paint of the ${BIG_TRACE_SPANS}-span tree ${Math.round(firstPaintMs)} ms; screenshots in ${out}`);
} catch (e) {
  if (!process.exitCode) console.error(`e2e: FAIL: ${e?.stack ?? e}`);
  process.exitCode = 1;
  if (browser) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) await pages[0].screenshot({ path: join(out, "failure.png") }).catch(() => {});
  }
} finally {
  await browser?.close().catch(() => {});
  if (host.child.exitCode === null) {
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
}
