// End to end: the real host in browser mode (`traceide ui`) + Debian's chromium via playwright-core.
//   list → search → invalid filter → open the 500-span trace (first paint timed) → error span → stack trace
//   → n/p, Enter → tokens/cost → completion, columns, time filter, grouping, delete/tags (off on a local store)
//   → Overview usage/quality/tool calls → a trace tab (PanelView trace): the splitter dragged, moved from the
//   keyboard and kept across a reload, Escape keeps the trace, assessments under their span, screenshots at
//   1,400 / 450 / 300 px in light, dark and both High Contrast themes → no XSS, no CSP violation, no page error.
// Screenshots go to webview/test-output/. Env: TRACEIDE_DLL (host dll), TRACEIDE_STORE (mlflow.db),
// CHROMIUM (browser path), E2E_PAGE_SIZE (default 20, so that scrolling must page the list in).
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { failer, launchChromium, requirePaths, screenshotOnFailure, shutDown, startHost, stepper } from "./e2e-harness.mjs";
import { compareSteps } from "./e2e-compare.mjs";
import { timelineSteps } from "./e2e-timeline.mjs";

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
const NEWEST_ERROR = "tr-3a381bfb84be810840b3df14d12dd37e"; // support_agent: lookup_order raised "Order 77777 not found"
const BIG_TRACE_SPANS = 500;

const fail = failer("e2e");
requirePaths("e2e", [
  ["host", dll, "build it: dotnet build TraceIde.sln -c Release (or set TRACEIDE_DLL)"],
  ["fixture store", store, "set TRACEIDE_STORE"],
  ["bundle", join(root, "dist/index.html"), "run: npm run build"],
  ["chromium", browserPath, "apt-get install -y chromium (or set CHROMIUM)"],
]);

const results = [];
const step = stepper("e2e", results);

const host = startHost({ dll, store, root, webviewRoot: join(root, "dist") });
let browser;
const started = Date.now();
try {
  const url = await host.url.catch((e) => fail(e.message));
  browser = await launchChromium(browserPath);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: "UTC" });
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
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
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

  await step(
    "column headers sort as MLflow orders (order_by): Request time flips to oldest first, Duration is slowest first, Name, State and User ascending",
    async () => {
      const mlflowOrder = (file) => {
        const ex = JSON.parse(readFileSync(join(repo, "tests/fixtures/mlflow-3.11.2.dev0/http", file), "utf8"));
        return ex.response.body.traces.map((t) => t.trace_id); // MLflow's answer, in its order
      };
      const firstRows = () =>
        page.locator(rowSel).evaluateAll((rows) =>
          rows
            .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
            .slice(0, 10)
            .map((r) => r.getAttribute("data-trace-id")),
        );
      const sortedBy = async (header, expected, aria) => {
        await page.click(`.trace-header .cell-${header} .sort-header`);
        await page.waitForFunction(([h, a]) => document.querySelector(`.trace-header .cell-${h}`)?.getAttribute("aria-sort") === a, [header, aria], {
          timeout: 10_000,
        });
        await page
          .waitForFunction(
            (first) => document.querySelector('.trace-row[data-trace-id][data-index="0"]')?.getAttribute("data-trace-id") === first,
            expected[0],
            { timeout: 10_000 },
          )
          .catch(() => undefined);
        const n = Math.min(10, expected.length); // the duration recording asked MLflow for 5
        const got = (await firstRows()).slice(0, n);
        if (JSON.stringify(got) !== JSON.stringify(expected.slice(0, n)))
          fail(`${header} ${aria}: ${got.join(",")} ≠ MLflow's ${expected.slice(0, n).join(",")}`);
      };
      await sortedBy("time", mlflowOrder("traces_search_v3__order_timestamp_asc.json"), "ascending"); // was newest first
      if ((await page.inputValue("select.sort")) !== "timestamp_ms ASC") fail("the Sort box does not follow the header");
      await sortedBy("duration", mlflowOrder("traces_search_v3__order_execution_time_desc.json"), "descending");
      await page.screenshot({ path: join(out, "02b-sorted-by-duration.png") });
      // Name, State and User order on the server too (ties: newest first, as MLflow breaks them).
      await sortedBy("name", mlflowOrder("traces_search_v3__order_name_asc.json"), "ascending");
      if ((await page.locator("select.sort option:checked").textContent()) !== "Name ↑ (A→Z)") fail("the Sort box does not say the list is sorted by name");
      await sortedBy("state", mlflowOrder("traces_search_v3__order_status_asc.json"), "ascending");
      await sortedBy("user", mlflowOrder("traces_search_v3__order_metadata_user_asc.json"), "ascending");
      await page.selectOption("select.sort", "timestamp_ms DESC");
      await page.waitForFunction(() => document.querySelector(".trace-header .cell-time")?.getAttribute("aria-sort") === "descending", null, {
        timeout: 10_000,
      });
    },
  );

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
    // The host's parser names where and what: MLflow's own grammar has no '===' either.
    if (text.trim() !== "Invalid filter at position 16: invalid comparison operator '==='") fail(`filter error: ${text.trim()}`);
    console.log(`e2e:      inline error: ${text.trim().slice(0, 160)}`);
    await page.screenshot({ path: join(out, "03-invalid-filter.png") });
    await page.fill("input.search", "");
    await page.press("input.search", "Enter");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
  });

  // Every trace ID in the list: scrolled to the end until no page is left, then read while scrolling back up.
  const allRowIds = () =>
    page.evaluate(async () => {
      const scroller = document.querySelector(".trace-scroller");
      const status = () => document.querySelector(".list-status")?.textContent ?? "";
      for (let i = 0; i < 50 && /scroll for more/.test(status()); i++) {
        scroller.scrollTop = scroller.scrollHeight;
        await new Promise((r) => setTimeout(r, 100));
      }
      const ids = new Set();
      for (let top = scroller.scrollHeight; top >= 0; top -= Math.max(100, scroller.clientHeight / 2)) {
        scroller.scrollTop = top;
        await new Promise((r) => requestAnimationFrame(() => r()));
        for (const row of document.querySelectorAll(".trace-row[data-trace-id]")) ids.add(row.getAttribute("data-trace-id"));
      }
      scroller.scrollTop = 0;
      return [...ids].sort();
    });

  await step(
    "the page's state is in the address bar: F5 keeps the trace, span, search and sort, Back closes a trace and leaves a tab, Forward reopens; " +
      "a stale token is named",
    async () => {
      const id = await page.locator(rowSel).first().getAttribute("data-trace-id");
      await page.locator(rowSel).first().click();
      await page.waitForSelector(".span-row", { timeout: 10_000 });
      const withTrace = await page.evaluate(() => location.search);
      if (!withTrace.includes(`trace=${id}`) || withTrace.includes("token=")) fail(`address after opening ${id}: ${withTrace}`);
      await page.reload();
      await page
        .waitForFunction((t) => document.querySelector(".viewer-title")?.textContent?.includes(t) && document.querySelector(".span-row"), id, {
          timeout: 15_000,
        })
        .catch(async () =>
          fail(
            `after F5 at ${await page.evaluate(() => location.href)}: viewer "${await page
              .locator(".viewer-title")
              .textContent()
              .catch(() => "")}", banner "${await page.locator(".banner").textContent()}"`,
          ),
        );
      if (!(await page.locator(".banner").isHidden())) fail(`after F5: ${await page.locator(".banner").textContent()}`);
      await page.goBack();
      await page.waitForSelector(".trace-viewer", { state: "hidden", timeout: 10_000 });
      if ((await page.evaluate(() => location.search)).includes("trace=")) fail("Back left the trace in the address");
      await page.goForward();
      await page.waitForFunction((t) => document.querySelector(".viewer-title")?.textContent?.includes(t), id, { timeout: 10_000 });
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
      // The search, the sort and the selected span are in the address too: a reload shows the same list and span.
      await page.fill("input.search", "trace.status = 'ERROR'");
      await page.press("input.search", "Enter");
      await page.click(".trace-header .cell-duration .sort-header");
      await page.waitForFunction(() => /sort=execution_time_ms/.test(location.search) && /q=trace\.status/.test(location.search), null, { timeout: 10_000 });
      await page.locator(rowSel).first().click();
      await page.locator(".span-row").nth(1).click();
      const span = await page.locator(".span-row.selected").getAttribute("data-span-id");
      await page.waitForFunction((s) => new URLSearchParams(location.search).get("span") === s, span, { timeout: 5_000 });
      await page.reload();
      await page.waitForSelector(`.span-row.selected[data-span-id="${span}"]`, { timeout: 15_000 });
      if ((await page.inputValue("input.search")) !== "trace.status = 'ERROR'") fail("a reload lost the search");
      if ((await page.inputValue("select.sort")) !== "execution_time_ms DESC") fail("a reload lost the sort");
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
      if ((await page.locator(rowSel).count()) !== EXPECTED_ERRORS)
        fail(`after the reload the list has ${await page.locator(rowSel).count()} rows, not the ${EXPECTED_ERRORS} errors`);
      // The Sessions tab is a history entry: Back returns to the list.
      await page.click('[data-main-tab="sessions"]');
      await page.waitForFunction(() => /tab=sessions/.test(location.search));
      await page.goBack();
      await page.waitForSelector(".traces-view:not([hidden])", { timeout: 10_000 });
      await page.fill("input.search", "");
      await page.press("input.search", "Enter");
      await page.selectOption("select.sort", "timestamp_ms DESC");
      await page.waitForFunction(() => !/[?&](q|sort)=/.test(location.search), null, { timeout: 10_000 });
      // Another tab with an old address (a token from an earlier `traceide ui`): the page says what to do.
      const stale = await browser.newPage();
      await stale.goto(url.replace(/token=[^&]+/, "token=not-the-token"));
      await stale.waitForFunction(() => /token was refused/.test(document.querySelector(".banner")?.textContent ?? ""), null, { timeout: 15_000 });
      console.log(`e2e:      stale token: ${(await stale.locator(".banner").textContent())?.trim()}`);
      await stale.close();
    },
  );

  await step("plain words search the traces' text as MLflow's UI does (trace.text ILIKE), checked against MLflow's own answers", async () => {
    const truth = JSON.parse(readFileSync(join(repo, "tests/fixtures/mlflow-3.11.2.dev0/filters_ground_truth.json"), "utf8"));
    for (const [typed, asked] of [
      ["weather", "trace.text ILIKE '%weather%'"],
      ["couldn't find", `trace.text ILIKE "%couldn't find%"`],
    ]) {
      const expected = [...truth[asked]].sort();
      await page.fill("input.search", typed);
      await page.press("input.search", "Enter");
      await page.waitForFunction((n) => new RegExp(`^${n} traces`).test(document.querySelector(".list-status")?.textContent ?? ""), expected.length, {
        timeout: 10_000,
      });
      const ids = await allRowIds();
      if (JSON.stringify(ids) !== JSON.stringify(expected)) fail(`"${typed}": ${ids.length} traces, MLflow answered ${expected.length} for ${asked}`);
      if (!(await page.locator(".filter-error").isHidden())) fail(`"${typed}" was read as a broken filter`);
      console.log(`e2e:      "${typed}" → ${ids.length} traces, as MLflow answers ${asked}`);
    }
    await page.screenshot({ path: join(out, "03b-text-search.png") });
    await page.fill("input.search", "");
    await page.press("input.search", "Enter");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
  });

  await step("the list from the keyboard: Tab to it, ↓ ↓ ↑ move the cursor and Enter opens the trace under it; ? lists the keys", async () => {
    const ids = await page.locator(rowSel).evaluateAll((rows) => rows.slice(0, 3).map((r) => r.getAttribute("data-trace-id")));
    // MLflow's own newest-first order (traces_search_v3__paged_p1): n and p walk it.
    const newest = ["tr-68d5ad2b70b863337a21963d80477789", "tr-64914d9595f4635a6a4dbb94ae92781e", "tr-a48baa3a147f4724c5a28456cb0d1db2"];
    if (ids.join() !== newest.join()) fail(`the three newest traces are ${ids.join(", ")}; MLflow orders ${newest.join(", ")}`);
    await page.locator("input.search").focus();
    // Tab through the toolbar to the list (the grid is the next stop after the toolbar's controls).
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.classList.contains("trace-scroller") ?? false);
    }
    if (!reached) fail("Tab never reached the trace list");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const cursorId = await page.locator(".trace-row.cursor").getAttribute("data-trace-id");
    if (cursorId !== ids[2]) fail(`after ↓ ↓ the cursor is on ${cursorId}, expected the third row ${ids[2]}`);
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => document.querySelector(".viewer-title")?.textContent?.includes(id) && document.querySelector(".span-row"), ids[1], {
      timeout: 10_000,
    });
    await page.screenshot({ path: join(out, "03c-keyboard-open.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
    // ? lists the keys; Escape closes the list.
    await page.keyboard.press("?");
    await page.waitForSelector(".keys-dialog", { timeout: 5_000 });
    if (!(await page.locator(".keys-dialog").textContent()).includes("delete the checked traces")) fail("the ? list does not list the list's keys");
    await page.screenshot({ path: join(out, "03d-keys.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".keys-dialog", { state: "detached" });
    // Delete on a read-only store: nothing to ask (Delete… is off, with its reason).
    await page.keyboard.press("Delete");
    if (await page.locator(".dialog-backdrop").count()) fail("Delete asked to delete from a read-only local store");
  });

  await compareSteps({ page, step, fail, out, rowSel }); // e2e-compare.mjs: two checked rows → Compare, Compare with…, 700 / 450 px
  await timelineSteps({ page, step, fail, out }); // e2e-timeline.mjs: axis, legend, zoom and pan, filters, 700 / 450 px

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

  await step("select an ERROR span: its exception stack trace shows; its chat call reads as a transcript", async () => {
    await page.fill("input.search", "trace.status = 'ERROR'");
    await page.press("input.search", "Enter");
    await page.waitForFunction((n) => document.querySelector(".list-status")?.textContent === `${n} traces`, EXPECTED_ERRORS, { timeout: 10_000 });
    // The newest failed trace: support_agent whose lookup_order raised "Order 77777 not found in orders-db".
    const first = page.locator(rowSel).first();
    if ((await first.getAttribute("data-trace-id")) !== NEWEST_ERROR)
      fail(`the newest ERROR trace is ${await first.getAttribute("data-trace-id")}, expected ${NEWEST_ERROR}`);
    await first.click();
    await page.waitForSelector(".span-row");
    const lookup = page.locator('.span-row[data-status="ERROR"]', { has: page.locator(".span-name", { hasText: "lookup_order" }) });
    await lookup.click();
    await page.waitForSelector(".detail-pane pre.stacktrace", { timeout: 5_000 });
    const stack = (await page.locator(".detail-pane pre.stacktrace").first().textContent()) ?? "";
    if (!stack.startsWith("Traceback (most recent call last):") || !stack.includes("Order 77777 not found in orders-db"))
      fail(`lookup_order's stack trace: ${stack.slice(0, 300)}`);
    console.log(`e2e:      stack trace (${stack.split("\n").length} lines): ${stack.split("\n")[0]}`);
    await page.screenshot({ path: join(out, "05-error-span.png") });
    // Its chat call: the user's question, then the assistant's tool call to lookup_order.
    await page.locator(".span-row", { has: page.locator(".span-name", { hasText: "Completions" }) }).click();
    await page.waitForSelector(".detail-pane .chat-msg", { timeout: 5_000 });
    const roles = await page.locator(".detail-pane .chat-role").allTextContents();
    const calls = await page.locator(".detail-pane .chat-tool-name").allTextContents();
    if (roles.join(" → ") !== "user → assistant" || calls.join() !== "→ lookup_order")
      fail(`chat transcript: ${roles.join(" → ")}; tool calls ${calls.join()}`);
    console.log(`e2e:      chat transcript of the LLM span: ${roles.join(" → ")} (${calls.join()})`);
    await page.screenshot({ path: join(out, "06-chat-span.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
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

  await step("n / p open the next and previous trace; Enter asks for an IDE", async () => {
    await page.fill("input.search", "");
    await page.press("input.search", "Enter");
    await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
    const ids = await page.locator(rowSel).evaluateAll((rows) => rows.slice(0, 3).map((r) => r.getAttribute("data-trace-id")));
    // MLflow's own newest-first order (traces_search_v3__paged_p1): n and p walk it.
    const newest = ["tr-68d5ad2b70b863337a21963d80477789", "tr-64914d9595f4635a6a4dbb94ae92781e", "tr-a48baa3a147f4724c5a28456cb0d1db2"];
    if (ids.join() !== newest.join()) fail(`the three newest traces are ${ids.join(", ")}; MLflow orders ${newest.join(", ")}`);
    await page.locator(rowSel).first().click();
    await page.waitForSelector(".span-row");
    const shown = async () => (await page.locator(".viewer-title").textContent()) ?? "";
    if (!(await shown()).includes(ids[0])) fail(`viewer shows ${await shown()}, expected ${ids[0]}`);
    await page.keyboard.press("n");
    await page.waitForFunction((id) => document.querySelector(".viewer-title")?.textContent?.includes(id) && document.querySelector(".span-row"), ids[1], {
      timeout: 10_000,
    });
    await page.keyboard.press("n");
    await page.waitForFunction((id) => document.querySelector(".viewer-title")?.textContent?.includes(id), ids[2], { timeout: 10_000 });
    await page.keyboard.press("p");
    await page.waitForFunction((id) => document.querySelector(".viewer-title")?.textContent?.includes(id) && document.querySelector(".span-row"), ids[1], {
      timeout: 10_000,
    });
    await page.locator(".span-scroller").focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /Jump to source needs an IDE/.test(document.querySelector(".viewer-message")?.textContent ?? ""), null, {
      timeout: 5_000,
    });
    await page.screenshot({ path: join(out, "08-next-trace.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step("tokens, cost and model of an LLM span and of the trace", async () => {
    await page.fill("input.search", "trace.name = 'support_agent' AND trace.status = 'OK'");
    await page.press("input.search", "Enter");
    await page.waitForFunction(
      () => /^\d+ traces?/.test(document.querySelector(".list-status")?.textContent ?? "") && document.querySelector(".trace-row[data-trace-id]"),
      null,
      { timeout: 10_000 },
    );
    await page.locator(rowSel).first().click();
    await page.waitForSelector(".span-row");
    await page.locator(".span-row:has(.type-chat_model), .span-row:has(.type-llm)").first().click();
    await page.waitForSelector(".detail-pane .usage-info", { timeout: 5_000 });
    // The span's recorded usage (mlflow.chat.tokenUsage, the cost MLflow computed and the model) and the trace's.
    const usage = ((await page.locator(".detail-pane .usage-info").textContent()) ?? "").trim();
    if (usage !== "Tokens 56 in · 18 out · 74 total  ·  Cost $0.0000192 ($0.00000840 in, $0.0000108 out)  ·  Model gpt-4o-mini (openai)")
      fail(`usage line: ${usage}`);
    const traceUsage = ((await page.locator(".viewer-title .trace-usage").textContent()) ?? "").trim();
    if (traceUsage !== "· Tokens 56 in · 18 out · 74 total  ·  Cost $0.0000192 ($0.00000840 in, $0.0000108 out)") fail(`trace usage: ${traceUsage}`);
    console.log(`e2e:      span: ${usage.trim()}\ne2e:      trace:${traceUsage}`);
    await page.screenshot({ path: join(out, "09-tokens-cost.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step(
    "traces: completion, columns (assessment columns with the overriding value), time filter, grouping; delete and tags off on a read-only local store",
    async () => {
      await page.fill("input.search", "");
      await page.press("input.search", "Enter");
      await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
      // Key completion from the loaded rows' tags.
      await page.click("input.search");
      await page.keyboard.type("tags.env");
      await page.waitForSelector(".suggestions:not([hidden]) li", { timeout: 5_000 });
      const suggestions = await page.locator(".suggestions li").allTextContents();
      if (!suggestions.includes("tags.environment")) fail(`suggestions for tags.env: ${suggestions.join(", ")}`);
      await page.keyboard.press("Tab");
      if ((await page.inputValue("input.search")) !== "tags.environment") fail(`completion gave ${await page.inputValue("input.search")}`);
      await page.fill("input.search", "");
      await page.press("input.search", "Enter");
      // Column chooser: hide Response, show Tags; survives a reload (localStorage).
      await page.click(".columns-button");
      await page.uncheck('.column-menu input[data-column="response"]');
      await page.check('.column-menu input[data-column="tags"]');
      await page.click(".columns-button");
      await page.waitForSelector(`${rowSel} .cell-tags`);
      if ((await page.locator(`${rowSel} .cell-response`).count()) !== 0) fail("response column still shown");
      // Assessment columns: the three commonest feedback names; a judged-then-overridden trace shows the reviewer's
      // value (rag-seat-fee: the judge's correctness = false is overridden by a human's true, fixture README).
      const assessed = await page.locator(".trace-header .cell-assessment").allTextContents();
      if (assessed.sort().join(",") !== "correctness,helpfulness,relevance_to_query") fail(`assessment columns: ${assessed.join(", ")}`);
      const seatFee = page.locator(`${rowSel}[data-trace-id="tr-fb807449394ec739305d545e23edd61b"] .cell-assessment`);
      for (let i = 0; i < 30 && (await seatFee.count()) === 0; i++) {
        await page.locator(".trace-scroller").evaluate((el) => el.scrollBy(0, 300)); // the list is virtual: scroll the row in
        await page.waitForTimeout(50);
      }
      const seatFeeCells = await seatFee.evaluateAll((cells) => Object.fromEntries(cells.map((c) => [c.dataset.column, c.textContent])));
      if (seatFeeCells["assessment:correctness"] !== "true") fail(`rag-seat-fee's correctness cell: ${JSON.stringify(seatFeeCells)}`);
      // Time range quick filter far in the past/future relative to the fixture: Last hour → nothing (the fixture is older).
      await page.selectOption("select.time-filter", "LAST_HOUR");
      await page.waitForSelector(".list-overlay:not([hidden]) .overlay-title", { timeout: 10_000 });
      await page.selectOption("select.time-filter", "ALL");
      await page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? ""), null, { timeout: 10_000 });
      await page.click(".group-toggle");
      await page.waitForSelector(".group-row", { timeout: 5_000 });
      const groups = await page.locator(".group-row").count();
      console.log(`e2e:      completion: ${suggestions.slice(0, 4).join(", ")}; ${groups} session groups on screen`);
      await page.screenshot({ path: join(out, "10-grouped-columns.png") });
      await page.click(".group-toggle");
      // Multi-select two rows: on a local store (read-only) Delete… and Tags… are off and say why, before anyone confirms.
      await page.locator(`${rowSel} .row-select`).nth(0).click();
      await page.locator(`${rowSel} .row-select`).nth(1).click();
      await page.waitForFunction(() => /^Delete 2/.test(document.querySelector(".delete-selected")?.textContent ?? ""), null, { timeout: 5_000 });
      for (const button of [".delete-selected", ".edit-tags"]) {
        if (!(await page.locator(button).evaluate((b) => b.disabled))) fail(`${button} is enabled on a read-only local store`);
        const why = (await page.getAttribute(button, "title")) ?? "";
        if (!/Read-only: a local store/.test(why)) fail(`${button}'s title: ${why}`);
      }
      console.log(`e2e:      on the local store: ${await page.getAttribute(".delete-selected", "title")}`);
      await page.screenshot({ path: join(out, "11-read-only-store.png") });
      await page.locator(`${rowSel} .row-select`).nth(1).click();
      await page.locator(`${rowSel} .row-select`).nth(0).click();
      // Live mode on and off (polls the first page; nothing new in a fixture store).
      await page.click(".live-toggle");
      if ((await page.getAttribute(".live-toggle", "aria-pressed")) !== "true") fail("live mode did not turn on");
      await page.click(".live-toggle");
      const stored = await page.evaluate(() => localStorage.getItem("traceide.traces.columns"));
      if (!stored || stored.includes('"response"') || !stored.includes('"tags"')) fail(`stored columns: ${stored}`);
      await page.click(".columns-button");
      await page.check('.column-menu input[data-column="response"]');
      await page.uncheck('.column-menu input[data-column="tags"]');
      await page.click(".columns-button");
    },
  );

  await step(`overview: usage (${EXPECTED_TRACES} traces, ${EXPECTED_ERRORS} errors), empty range → one click to the data's week`, async () => {
    await page.click('[data-main-tab="overview"]');
    await page.waitForSelector(".overview-view:not([hidden])");
    const units = await page.locator("select.overview-unit option").evaluateAll((o) => o.map((x) => x.value));
    if (units.join(",") !== "hour,day,month,year") fail(`units offered for 7 days: ${units.join(",")}`);
    if ((await page.locator("select.overview-unit").inputValue()) !== "day") fail("default unit for 7 days is not day");
    await page.selectOption("select.overview-range", "LAST_HOUR");
    const unitsHour = await page.locator("select.overview-unit option").evaluateAll((o) => o.map((x) => x.value));
    // ceil(3600 s / unit) ≤ 1000: not seconds; default minute.
    if (unitsHour.join(",") !== "minute,hour,day,month,year" || (await page.locator("select.overview-unit").inputValue()) !== "minute")
      fail(`last hour units ${unitsHour.join(",")}`);
    await page.waitForSelector(".overview-notice:not([hidden]) .show-week", { timeout: 15_000 });
    console.log(`e2e:      ${(await page.locator(".overview-notice").textContent())?.trim()}`);
    await page.click(".overview-notice .show-week");
    await page.waitForFunction((n) => document.querySelector('[data-card="Traces"] .card-headline')?.textContent === String(n), EXPECTED_TRACES, {
      timeout: 15_000,
    });
    const errors = await page.locator('[data-card="Errors"] .card-headline').textContent();
    if (errors !== String(EXPECTED_ERRORS)) fail(`errors card says ${errors}`);
    await page.waitForFunction(() => document.querySelectorAll(".card-chart canvas").length >= 5, null, { timeout: 10_000 });
    const headlines = await page
      .locator(".card")
      .evaluateAll((cards) => cards.map((c) => `${c.querySelector(".card-title")?.textContent}=${c.querySelector(".card-headline")?.textContent}`));
    console.log(`e2e:      ${headlines.join(", ")}`);
    await page.screenshot({ path: join(out, "12-overview-usage.png"), fullPage: true });
  });

  await step("overview: quality summary and scorer cards", async () => {
    await page.click('.overview-tabs [data-tab="quality"]');
    await page.waitForSelector(".table-quality tbody tr", { timeout: 15_000 });
    const rows = await page.locator(".table-quality tbody tr").evaluateAll((r) =>
      r.map((x) =>
        Array.from(x.children)
          .map((c) => c.textContent)
          .join(" "),
      ),
    );
    if (!rows.some((r) => r.startsWith("correctness "))) fail(`quality rows: ${rows.join(" | ")}`);
    console.log(`e2e:      ${rows.join(" | ")}`);
    await page.waitForSelector(".quality-card .hbar", { timeout: 5_000 });
    await page.screenshot({ path: join(out, "13-overview-quality.png"), fullPage: true });
  });

  await step("overview: tool calls (get_weather 12 calls), kept in the address across a reload", async () => {
    await page.click('.overview-tabs [data-tab="toolCalls"]');
    await page.waitForSelector('.table-tools tr[data-tool="get_weather"]', { timeout: 15_000 });
    const calls = await page.locator('.table-tools tr[data-tool="get_weather"] td').nth(1).textContent();
    if (calls !== "12") fail(`get_weather calls: ${calls}`);
    const first = await page.locator(".table-tools tbody tr").first().getAttribute("data-tool");
    if (first !== "get_weather") fail(`default sort (calls desc) puts ${first} first`);
    const stats = await page
      .locator(".stat")
      .evaluateAll((s) => s.map((x) => `${x.querySelector(".card-title")?.textContent}=${x.querySelector(".card-headline")?.textContent}`));
    console.log(`e2e:      ${stats.join(", ")}`);
    await page.waitForFunction(() => document.querySelectorAll(".card-chart canvas").length >= 3, null, { timeout: 10_000 });
    await page.screenshot({ path: join(out, "14-overview-tools.png"), fullPage: true });
    // The Overview's tab is in the address: a reload comes back to Tool Calls.
    await page.waitForFunction(() => /tab=overview/.test(location.search) && /overview=toolCalls/.test(location.search), null, { timeout: 5_000 });
    await page.reload();
    await page.waitForSelector('.overview-tabs [data-tab="toolCalls"][aria-selected="true"]', { timeout: 15_000 });
    await page.waitForSelector(".table-tools tbody tr", { timeout: 15_000 });
    await page.click('[data-main-tab="traces"]');
    await page.waitForSelector(".traces-view:not([hidden])");
  });

  await step("sessions: every session of the fixture experiment with MLflow's turn counts; one as a transcript; a turn opens its trace", async () => {
    // MLflow's truth: ground_truth_small.json's sessions (mlflow.search_sessions() found the same 5).
    const truth = JSON.parse(readFileSync(join(repo, "tests/fixtures/mlflow-3.11.2.dev0/ground_truth_small.json"), "utf8")).sessions;
    await page.click('[data-main-tab="sessions"]');
    await page.waitForSelector(".session-row", { timeout: 15_000 });
    const rows = await page
      .locator(".session-row")
      .evaluateAll((r) => r.map((x) => [x.dataset.sessionId, Number(x.querySelector(".session-turns").textContent)]));
    const expected = Object.entries(truth)
      .map(([id, s]) => [id, s.trace_count])
      .sort();
    if (JSON.stringify([...rows].sort()) !== JSON.stringify(expected)) fail(`sessions ${JSON.stringify(rows)}, MLflow has ${JSON.stringify(expected)}`);
    if (rows[0][0] !== "sess-live-chat") fail(`the most recent session is not first: ${rows[0][0]}`);
    await page.screenshot({ path: join(out, "16-sessions.png") });
    // The keyboard: Tab to a row, Enter opens it.
    await page.locator('.session-row[data-session-id="sess-paris-trip"]').focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction((n) => document.querySelectorAll(".turn").length === n, truth["sess-paris-trip"].trace_count, { timeout: 10_000 });
    const turnIds = await page.locator(".turn").evaluateAll((t) => t.map((x) => x.dataset.traceId));
    if (JSON.stringify([...turnIds].sort()) !== JSON.stringify([...truth["sess-paris-trip"].trace_ids].sort()))
      fail(`sess-paris-trip's turns: ${turnIds.join(", ")}`);
    await page.screenshot({ path: join(out, "16-session-transcript.png") });
    await page.setViewportSize({ width: 450, height: 800 });
    await page.screenshot({ path: join(out, "16-session-transcript-450.png") });
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.locator(".turn .open-turn").first().click();
    await page.waitForSelector(`.trace-viewer:not([hidden]) .span-row`, { timeout: 10_000 });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".session-transcript:not([hidden]) .turn", { timeout: 5_000 });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".sessions-list:not([hidden]) .session-row");
    await page.click('[data-main-tab="traces"]');
    await page.waitForSelector(".traces-view:not([hidden])");
  });

  // A trace tab (PanelView trace) of the fixture's support_agent trace with three trace-level assessments and one
  // on its calculator span; in a context of its own, whose localStorage (the splitter's setting) outlives a reload.
  const ASSESSED_TRACE = "tr-7ad524cb585a01fae2b413380fe1e5e9";
  const CALCULATOR_SPAN = "a4cabb0189a5ae0e";
  const traceTabUrl = (traceId) => `${url}${url.includes("?") ? "&" : "?"}view=${encodeURIComponent(JSON.stringify({ view: "trace", traceId }))}`;
  const tabContext = await browser.newContext({ viewport: { width: 1400, height: 800 }, timezoneId: "UTC" });
  const tab = await tabContext.newPage();
  tab.on("pageerror", (e) => pageErrors.push(`trace tab: ${e}`));
  const openTab = async (width) => {
    await tab.setViewportSize({ width, height: 800 });
    await tab.goto(traceTabUrl(ASSESSED_TRACE));
    await tab.waitForSelector(".span-row.selected", { timeout: 10_000 });
  };
  /** The tree's and the detail's widths, where the splitter is, and what it says about itself. */
  const layout = () =>
    tab.evaluate(() => {
      const w = (s) => document.querySelector(s).getBoundingClientRect();
      const sash = document.querySelector(".split-sash");
      return {
        split: w(".viewer-split").width,
        splitLeft: w(".viewer-split").left,
        tree: w(".tree-pane").width,
        detail: w(".detail-pane").width,
        sashShown: getComputedStyle(sash).display !== "none",
        sashX: w(".split-sash").left + w(".split-sash").width / 2,
        sashY: w(".split-sash").top + 200,
        treeBottom: w(".tree-pane").bottom,
        detailTop: w(".detail-pane").top,
        now: Number(sash.getAttribute("aria-valuenow")),
        min: Number(sash.getAttribute("aria-valuemin")),
        max: Number(sash.getAttribute("aria-valuemax")),
        stored: localStorage.getItem("traceide.viewer.split"),
      };
    });
  const near = (a, b, what, tolerance = 2) => {
    if (Math.abs(a - b) > tolerance) fail(`${what}: ${a}, expected ${b}`);
  };

  await step("trace tab splitter: dragged with the mouse and clamped, moved with the keyboard, kept across a reload", async () => {
    await openTab(1400);
    const start = await layout();
    if (!start.sashShown) fail("no splitter beside a 1,400 px trace tab");
    near(start.tree / start.split, 0.55, "the tree's default share", 0.01);
    near(start.now, 55, "aria-valuenow at first", 0);
    // Mouse: drag to 500 px from the split's left edge.
    await tab.mouse.move(start.sashX, start.sashY);
    await tab.mouse.down();
    await tab.mouse.move(start.splitLeft + 500, start.sashY, { steps: 6 });
    await tab.mouse.up();
    let now = await layout();
    near(now.tree, 500, "tree width after dragging to 500 px");
    near(now.now, Math.round((500 / now.split) * 100), "aria-valuenow after the drag", 1);
    if (Math.abs(Number(now.stored) - 500 / now.split) > 0.01) fail(`kept ${now.stored}, expected about ${(500 / now.split).toFixed(3)}`);
    // Clamped: neither side below its readable minimum, however far the drag goes.
    const limits = [];
    for (const x of [5, 1395]) {
      await tab.mouse.move(now.sashX, now.sashY);
      await tab.mouse.down();
      await tab.mouse.move(x, now.sashY, { steps: 6 });
      await tab.mouse.up();
      now = await layout();
      if (now.tree < 300 || now.detail < 320) fail(`dragged to x=${x}: tree ${now.tree} px, detail ${now.detail} px`);
      near(now.now, x < 700 ? now.min : now.max, `aria-valuenow at the ${x < 700 ? "left" : "right"} limit`, 1);
      limits.push(`tree ${Math.round(now.tree)} px, detail ${Math.round(now.detail)} px`);
    }
    console.log(`e2e:      splitter dragged to either end of ${now.split} px: ${limits.join("; ")} (aria-valuemin ${now.min}, aria-valuemax ${now.max})`);
    // Keyboard: Enter resets, Home and End go to the limits, each arrow press moves 24 px.
    await tab.focus(".split-sash");
    await tab.keyboard.press("Enter");
    near((await layout()).now, 55, "aria-valuenow after Enter", 0);
    await tab.keyboard.press("Home");
    const home = await layout();
    near(home.now, home.min, "Home", 0);
    await tab.keyboard.press("End");
    const end = await layout();
    near(end.now, end.max, "End", 0);
    await tab.keyboard.press("Home");
    for (let i = 0; i < 3; i++) await tab.keyboard.press("ArrowRight");
    const moved = await layout();
    near(moved.tree, home.tree + 3 * 24, "tree width after Home and three → presses");
    await tab.keyboard.press("ArrowLeft");
    const kept = await layout();
    near(kept.tree, home.tree + 2 * 24, "tree width after one ←");
    // Reload: the same position comes back.
    await openTab(1400);
    const reloaded = await layout();
    near(reloaded.tree, kept.tree, "tree width after a reload", 1);
    console.log(
      `e2e:      splitter dragged to 500 px, kept ${kept.stored} (tree ${Math.round(kept.tree)} px), after a reload tree ${Math.round(reloaded.tree)} px`,
    );
    // Escape in a trace tab keeps its trace: no list (with Delete…/Tags…) behind it.
    await tab.locator(".span-scroller").focus();
    await tab.keyboard.press("Escape");
    await tab.waitForTimeout(100);
    if (!(await tab.locator(".trace-viewer").isVisible()) || (await tab.locator(".traces-view").isVisible()))
      fail("Escape closed the trace tab's trace into a list");
  });

  await step(
    "trace tab: trace-level assessments on the root span only; names and sources on one line; writing them is off on a local store, with the reason",
    async () => {
      const assessed = async () =>
        tab.locator(".detail-pane .assessment-name .one-line").evaluateAll((els) =>
          els.map((e) => ({
            title: e.getAttribute("title"),
            width: e.getBoundingClientRect().width,
            height: e.getBoundingClientRect().height,
            scroll: e.scrollWidth,
            em: parseFloat(getComputedStyle(e).fontSize),
            line: parseFloat(getComputedStyle(e).lineHeight) || parseFloat(getComputedStyle(e).fontSize) * 1.4,
          })),
        );
      const root = await assessed();
      if (
        root
          .map((a) => a.title.split(" ")[0])
          .sort()
          .join(",") !== "correctness,helpfulness,relevance_to_query"
      )
        fail(`root span's assessments: ${root.map((a) => a.title).join(", ")}`);
      for (const a of root) {
        if (a.height > a.line * 1.5) fail(`assessment name "${a.title}" takes ${a.height} px: more than one line`);
        if (a.width < Math.min(a.scroll, 7 * a.em)) fail(`assessment name "${a.title}" squeezed to ${a.width} px`);
      }
      await tab.locator(`.span-row[data-span-id="${CALCULATOR_SPAN}"]`).click();
      await tab.waitForFunction(() => document.querySelector(".detail-title")?.textContent?.includes("calculator"));
      const calculator = await assessed();
      if (calculator.map((a) => a.title).join(",") !== "tool_call_correct feedback")
        fail(`calculator span's assessments: ${calculator.map((a) => a.title).join(", ")}`);
      await tab.locator('.span-row:has-text("input_guardrail")').click();
      await tab.waitForFunction(() => document.querySelector(".detail-title")?.textContent?.includes("input_guardrail"));
      if ((await assessed()).length) fail("input_guardrail shows assessments it does not have");
      const note = (await tab.locator(".detail-pane").textContent()) ?? "";
      if (!note.includes("The trace's own (3) show on its root span")) fail("a span without assessments does not say where the trace's are");
      // A local store is read-only: adding is off before any dialog, and the section says why.
      const add = tab.locator(".detail-pane .add-feedback");
      if (!(await add.evaluate((b) => b.disabled))) fail("Add feedback is on against a read-only local store");
      const why = (await tab.locator(".detail-pane .assessment-readonly").textContent()) ?? "";
      if (!why.includes("local store cannot be changed")) fail(`no reason beside the disabled Add buttons: "${why}"`);
      console.log(
        `e2e:      root span: ${root.map((a) => `${a.title} (${Math.round(a.width)} px)`).join(", ")}; calculator: ` +
          `${calculator.map((a) => a.title).join(", ")}`,
      );
    },
  );

  await step("trace tab at 1,400 px and 450 px (and a 300 px side bar) in light, dark, High Contrast and High Contrast Light", async () => {
    const themes = {
      light: { scheme: "light" },
      dark: { scheme: "dark" },
      hc: {
        scheme: "dark",
        classes: ["vscode-high-contrast"],
        vars: {
          "--vscode-editor-background": "#000000",
          "--vscode-foreground": "#ffffff",
          "--vscode-contrastBorder": "#6fc3df",
          "--vscode-contrastActiveBorder": "#f38518",
          "--vscode-focusBorder": "#f38518",
          "--vscode-list-activeSelectionBackground": "#000000",
        },
      },
      "hc-light": {
        scheme: "light",
        classes: ["vscode-high-contrast", "vscode-high-contrast-light"],
        vars: {
          "--vscode-editor-background": "#ffffff",
          "--vscode-foreground": "#292929",
          "--vscode-contrastBorder": "#0f4a85",
          "--vscode-contrastActiveBorder": "#006bbd",
          "--vscode-focusBorder": "#006bbd",
        },
      },
    };
    const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;
    const shots = [];
    for (const [name, theme] of Object.entries(themes)) {
      for (const width of [1400, 450, ...(name === "dark" ? [300] : [])]) {
        await tab.emulateMedia({ colorScheme: theme.scheme });
        await openTab(width);
        await tab.evaluate(({ classes, vars }) => {
          document.body.classList.add(...(classes ?? []));
          for (const [k, v] of Object.entries(vars ?? {})) document.documentElement.style.setProperty(k, v);
        }, theme);
        const l = await layout();
        if (width === 1400) {
          if (!l.sashShown) fail(`${name}: no splitter at 1,400 px`);
          if (theme.vars) {
            const line = await tab.locator(".split-sash").evaluate((e) => getComputedStyle(e).backgroundColor);
            if (line !== rgb(theme.vars["--vscode-contrastBorder"])) fail(`${name}: splitter line ${line}, expected --vscode-contrastBorder`);
          }
          // Focused from the keyboard it shows the focus colour (the sash's hover colour falls back to it).
          await tab.mouse.move(5, 5);
          await tab.locator(".span-scroller").focus();
          await tab.keyboard.press("Shift+Tab");
          await tab.keyboard.press("Tab");
          await tab.keyboard.press("Tab");
          if (!(await tab.evaluate(() => document.activeElement?.classList.contains("split-sash"))))
            fail(`${name}: Tab from the span tree does not reach the splitter`);
          if (theme.vars) {
            const focused = await tab.locator(".split-sash").evaluate((e) => getComputedStyle(e).backgroundColor);
            if (focused !== rgb(theme.vars["--vscode-focusBorder"])) fail(`${name}: focused splitter ${focused}, expected --vscode-focusBorder`);
          }
        } else {
          if (l.sashShown) fail(`${name}: a splitter at ${width} px, where the detail stacks under the tree`);
          if (l.detailTop < l.treeBottom - 1) fail(`${name}: at ${width} px the detail (top ${l.detailTop}) is not under the tree (bottom ${l.treeBottom})`);
        }
        await tab.locator(".detail-pane").evaluate((e) => (e.scrollTop = e.scrollHeight)); // down to the assessments
        const file = `15-trace-tab-${width}-${name}.png`;
        await tab.screenshot({ path: join(out, file) });
        shots.push(file);
      }
    }
    console.log(`e2e:      ${shots.join(", ")}`);
    await tabContext.close();
  });

  await step("no script injection, no CSP violations, no page errors", async () => {
    if (await page.evaluate(() => window.__xss !== undefined)) fail("window.__xss was set");
    const csp = await page.evaluate(() => window.__csp);
    if (csp.length) fail(`CSP violations: ${csp.join(" | ")}`);
    if (pageErrors.length) fail(`page errors: ${pageErrors.join(" | ")}`);
  });

  console.log(
    `e2e: ${results.length} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; first paint of the ${BIG_TRACE_SPANS}-span tree ` +
      `${Math.round(firstPaintMs)} ms; screenshots in ${out}`,
  );
} catch (e) {
  if (!process.exitCode) console.error(`e2e: FAIL: ${e?.stack ?? e}`);
  process.exitCode = 1;
  await screenshotOnFailure(browser, join(out, "failure.png"));
} finally {
  await shutDown(browser, host);
}
