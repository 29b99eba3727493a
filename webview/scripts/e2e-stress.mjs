// End to end, second pass (issue 3 § Tests): a temp copy of the fixture store (never the original) gets a
// generated 20,000-span trace, an XSS probe trace and a 10,000-trace experiment (scripts/make-stress-store.py, python3's sqlite3), then
// the real host in browser mode + Debian's chromium check:
//   1. the 20k-span trace opens (click → tree painted, timed), only visible rows are in the DOM, scrolling to
//      the end shows the last span; long tasks while scrolling (PerformanceObserver 'longtask') are measured;
//   2. payloads in outputs, a span name, an attribute, an exception message, a tag value, the previews and an
//      assessment rationale stay text: window.__xss undefined, no dialog, no CSP violation;
//   3. the 10,000-trace experiment: first page painted (timed), endless paging to the end, scrolling long tasks;
//   4. high contrast: body.vscode-high-contrast + --vscode-contrastBorder / --vscode-focusBorder are honoured;
//   5. a span with a 5 MiB output: selecting it (long tasks, the next click; beside another UI build with
//      TRACEIDE_BASELINE_WEBVIEW), its preview, Show more, Copy and Save;
//   6. bad tree shapes (cycle_shapes): every span shown and flagged, a negative duration flagged, depth 300 readable;
//   7. the trace summary, opened from the keyboard, at 1,400, 700 and 450 px.
// It checks behaviour; times are measured and reported against their targets (docs/PERFORMANCE.md), never a reason to fail:
// a loaded 2-core machine is slower than a desk, and speed targets live in benchmarks, not in tests. The figures also go to
// webview/test-output/stress-figures.json. Screenshots go to webview/test-output/stress-*.png. Env: TRACEIDE_DLL, TRACEIDE_STORE (the fixture to copy),
// CHROMIUM, PYTHON (default python3).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { failer, launchChromium, makeStressStore, requirePaths, screenshotOnFailure, shutDown, startHost, stepper } from "./e2e-harness.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..");
const out = join(root, "test-output");
mkdirSync(out, { recursive: true });

const dll = resolve(process.env.TRACEIDE_DLL ?? join(repo, "server/TraceIde.Host/bin/Release/net10.0/traceide.dll"));
const fixture = resolve(process.env.TRACEIDE_STORE ?? join(repo, "tests/fixtures/mlflow-3.11.2.dev0/store/mlflow.db"));
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SPANS = 20_000;
const LIST_TRACES = 10_000; // make-stress-store.py's experiment stress-10k
// docs/PERFORMANCE.md's targets, reported as met or not: scrolling with no task over 50 ms; selecting a span with a
// 5 MiB output with no task over 50 ms and the next click answered within 100 ms.
const SCROLL_TASK_TARGET_MS = 50;
const BIG_SELECT_TARGET = { taskMs: 50, nextClickMs: 100 };
/** One line per target: the figure, the target, met or not on this run. */
const verdicts = [];
const measure = (what, value, target) => {
  const line = `${what}: ${Math.round(value)} ms (target ≤ ${target} ms) ${value <= target ? "met" : "NOT met on this run"}`;
  verdicts.push(line);
  console.log(`e2e-stress:      ${line}`);
};
const PAYLOADS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>", "[x](javascript:window.__xss=1)", "<svg onload=window.__xss=1>"];

/** The payload as text, raw or JSON-escaped (previews and JSON views show the JSON string). */
const showsText = (text, p) => text.includes(p) || text.includes(JSON.stringify(p).slice(1, -1));

const fail = failer("e2e-stress");
requirePaths("e2e-stress", [
  ["host", dll, "build it: dotnet build TraceIde.sln -c Release (or set TRACEIDE_DLL)"],
  ["fixture store", fixture, "set TRACEIDE_STORE"],
  ["bundle", join(root, "dist/index.html"), "run: npm run build"],
  ["chromium", browserPath, "apt-get install -y chromium (or set CHROMIUM)"],
]);

const tmp = mkdtempSync(join(tmpdir(), "traceide-stress-"));
const store = join(tmp, "mlflow.db");
try {
  console.log(`e2e-stress: ${makeStressStore({ root, fixture, store })}`);
} catch (err) {
  console.error(`e2e-stress: FAIL: ${err.message}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}

const step = stepper("e2e-stress");

/** Init script: every long task (PerformanceObserver 'longtask') into window.__longTasks, or null without the API. */
const observeLongTasks = () => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    window.__longTasks = null; // no Long Tasks API
  }
};

/**
 * A fast fling through a virtualized list: from the top to the end at 3000 px per frame, counting the
 * most rows the DOM held; then the long tasks seen while scrolling (null without the API).
 */
async function flingToEnd(page, scrollerSel, rowSel) {
  const scroll = await page.evaluate(
    async ({ scrollerSel, rowSel }) => {
      window.__longTasks = window.__longTasks && [];
      const el = document.querySelector(scrollerSel);
      el.scrollTop = 0;
      await new Promise((r) => requestAnimationFrame(() => r()));
      const t0 = performance.now();
      let frames = 0;
      let worstFrame = 0;
      let last = t0;
      let maxRows = 0;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += 3000;
        await new Promise((r) => requestAnimationFrame(() => r()));
        const now = performance.now();
        worstFrame = Math.max(worstFrame, now - last);
        last = now;
        frames++;
        maxRows = Math.max(maxRows, document.querySelectorAll(rowSel).length);
      }
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
      return { ms: performance.now() - t0, frames, worstFrame, maxRows };
    },
    { scrollerSel, rowSel },
  );
  await page.waitForTimeout(200); // let the observer deliver the last entries
  const tasks = await page.evaluate(() => window.__longTasks);
  if (tasks === null) fail("this chromium has no PerformanceObserver 'longtask'");
  return { ...scroll, tasks: tasks.length, longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0) };
}

/**
 * Selecting the 5 MiB-output span of the open big_payload trace, from the small span: click → detail painted,
 * then at once a click on the small span → its detail painted ("the next click", which waits for whatever the
 * first left on the main thread: layout, paint), then the big span again (a re-select), with the long tasks
 * (PerformanceObserver 'longtask', every task over 50 ms) of the whole sequence.
 */
async function measureBigSelect(page) {
  await page.waitForTimeout(300); // the opening's tasks are over and reported
  const times = await page.evaluate(async () => {
    const row = (name) => [...document.querySelectorAll(".span-row")].find((r) => r.querySelector(".span-name")?.textContent === name);
    // Painted: after the next frame's rendering (rAF runs before it; a message posted there runs after it).
    const painted = () =>
      new Promise((r) =>
        requestAnimationFrame(() => {
          const c = new MessageChannel();
          c.port1.onmessage = () => r();
          c.port2.postMessage(0);
        }),
      );
    const shows = (name) => document.querySelector(".detail-title")?.textContent?.includes(name);
    row("small_after").click();
    await painted();
    window.__longTasks = window.__longTasks && [];
    const t0 = performance.now();
    row("big_output").click();
    const handlerMs = performance.now() - t0;
    await painted();
    const selectMs = performance.now() - t0;
    const t1 = performance.now();
    row("small_after").click();
    await painted();
    const nextClickMs = performance.now() - t1;
    const t2 = performance.now();
    row("big_output").click();
    await painted();
    const reselectMs = performance.now() - t2;
    return { handlerMs, selectMs, nextClickMs, reselectMs, big: shows("big_output"), detailHeight: document.querySelector(".detail-pane").scrollHeight };
  });
  await page.waitForTimeout(300); // let the observer deliver the last entries
  const tasks = await page.evaluate(() => window.__longTasks);
  if (tasks === null) fail("this chromium has no PerformanceObserver 'longtask'");
  const r = (n) => Math.round(n);
  return {
    ...times,
    longTasks: tasks.length,
    longestTaskMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
    text:
      `select → painted ${r(times.selectMs)} ms (click handler ${r(times.handlerMs)} ms), next click → painted ${r(times.nextClickMs)} ms, ` +
      `re-select ${r(times.reselectMs)} ms, long tasks ${tasks.length} (longest ${r(tasks.reduce((m, t) => Math.max(m, t.duration), 0))} ms), ` +
      `detail pane ${times.detailHeight.toLocaleString("en-US")} px tall`,
  };
}

/** Opens the big_payload trace in a fresh page on `url` (its payloads come with the trace) and measures. */
async function bigSelectOn(url, label) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: "UTC" });
  const page = await context.newPage();
  await page.addInitScript(observeLongTasks);
  await page.goto(url);
  await page.waitForSelector(".trace-row[data-trace-id]", { timeout: 15_000 });
  await page.fill("input.search", "trace.name = 'big_payload'");
  await page.press("input.search", "Enter");
  await page.waitForFunction(() => document.querySelector(".list-status")?.textContent === "1 trace", null, { timeout: 15_000 });
  await page.locator(".trace-row[data-trace-id]").first().click();
  await page.waitForSelector(".span-row", { timeout: 30_000 });
  const m = await measureBigSelect(page);
  console.log(`e2e-stress:      ${label}: ${m.text}`);
  await context.close();
  return m;
}

const host = startHost({ dll, store, root, webviewRoot: join(root, "dist") });
let browser;
const started = Date.now();
const figures = {};
try {
  const url = await host.url.catch((e) => fail(e.message));
  browser = await launchChromium(browserPath);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: "UTC" });
  const pageErrors = [];
  const dialogs = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  await page.addInitScript(() => {
    window.__xss = undefined;
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  await page.addInitScript(observeLongTasks);
  const rowSel = ".trace-row[data-trace-id]";
  const search = async (filter, expected) => {
    await page.fill("input.search", filter);
    await page.press("input.search", "Enter");
    await page.waitForFunction((t) => document.querySelector(".list-status")?.textContent === t, expected, { timeout: 15_000 });
  };

  await step("page loads on the temp store", async () => {
    const sep = url.includes("?") ? "&" : "?";
    await page.goto(`${url}${sep}pageSize=50`);
    await page.waitForSelector(rowSel, { timeout: 15_000 });
  });

  await step(`open the generated ${SPANS}-span trace, scroll to its end (long tasks measured)`, async () => {
    await search("trace.name = 'stress_20k'", "1 trace");
    await page.locator(rowSel).first().waitFor();
    figures.firstPaintMs = await page.evaluate(async (sel) => {
      const t0 = performance.now();
      document.querySelector(sel).click();
      await new Promise((done, reject) => {
        const poll = () => {
          if (document.querySelector(".span-row")) requestAnimationFrame(() => done());
          else if (performance.now() - t0 > 60_000) reject(new Error("tree never painted"));
          else requestAnimationFrame(poll);
        };
        poll();
      });
      return performance.now() - t0;
    }, rowSel);
    // The viewer paints the trace's head first, then the rest: the checks below need every span.
    await page
      .waitForFunction((n) => document.querySelector(".span-scroller")?.getAttribute("data-span-count") === String(n), SPANS, { timeout: 60_000 })
      .catch(() => {});
    const phases = await page.evaluate(() =>
      Object.fromEntries(
        performance
          .getEntriesByType("measure")
          .filter((m) => m.name.startsWith("traceide:"))
          .map((m) => [m.name.slice(9), Math.round(m.duration)]),
      ),
    );
    const count = Number(await page.locator(".span-scroller").getAttribute("data-span-count"));
    if (count !== SPANS) fail(`span count ${count}, expected ${SPANS}`);
    const inDom = await page.locator(".span-row").count();
    const viewport = await page.locator(".span-scroller").evaluate((el) => el.clientHeight);
    // Only the viewport's rows plus overscan (10 each side) may be in the DOM.
    figures.maxRows = Math.ceil(viewport / 24) + 1 + 2 * 10;
    if (inDom > figures.maxRows) fail(`span tree not virtualized: ${inDom} rows in the DOM for a ${viewport}px viewport`);
    figures.rowsInDom = inDom;
    console.log(
      `e2e-stress:      first paint of the ${count}-span tree: ${Math.round(figures.firstPaintMs)} ms after click (${inDom} rows in the DOM, ` +
        `viewport ${viewport}px; traces/get of its head ${phases["traces/get"]} ms, building the rows ${phases["show-trace"]} ms, the rest ` +
        `${phases["rest-of-trace"]} ms later; Playwright has the browser copy each WebSocket frame into CDP, which delays the paint: npm run ` +
        "bench:paint measures without it)",
    );
    await page.screenshot({ path: join(out, "stress-01-20k-open.png") });

    // Long tasks while scrolling only: forget those of the opening.
    figures.longestOpenTaskMs = await page.evaluate(() => (window.__longTasks ?? []).reduce((m, t) => Math.max(m, t.duration), 0));
    await page.waitForTimeout(300);
    // ~ a fast fling (20k rows × 24 px = 480,000 px).
    const scroll = await flingToEnd(page, ".span-scroller", ".span-row");
    figures.longTasks = scroll.tasks;
    figures.longestScrollTaskMs = scroll.longest;
    figures.scroll = scroll;
    console.log(
      `e2e-stress:      scrolled ${scroll.frames} frames in ${Math.round(scroll.ms)} ms (worst frame ${Math.round(scroll.worstFrame)} ms, at ` +
        `most ${scroll.maxRows} rows in the DOM); long tasks while scrolling: ${scroll.tasks}, longest ${Math.round(figures.longestScrollTaskMs)} ` +
        `ms (opening: longest ${Math.round(figures.longestOpenTaskMs)} ms)`,
    );
    if (scroll.maxRows > figures.maxRows) fail(`rows in the DOM grew to ${scroll.maxRows} while scrolling`);
    measure(`longest task while scrolling the ${count}-span tree`, figures.longestScrollTaskMs, SCROLL_TASK_TARGET_MS);
    const lastRow = page.locator(".span-row", { has: page.locator(".span-name", { hasText: /^leaf-last$/ }) });
    await lastRow.waitFor({ timeout: 5_000 });
    if (!(await lastRow.isVisible())) fail("the last span's row is in the DOM but not visible");
    const lastIsLast = await page.evaluate(() => {
      const rows = Array.from(document.querySelectorAll(".span-row"));
      const bottom = rows.reduce((b, r) => (r.getBoundingClientRect().top > b.getBoundingClientRect().top ? r : b));
      return bottom.querySelector(".span-name")?.textContent;
    });
    if (lastIsLast !== "leaf-last") fail(`the bottom row is "${lastIsLast}", expected leaf-last`);
    await lastRow.click();
    await page.waitForFunction(() => /leaf-last/.test(document.querySelector(".detail-pane")?.textContent ?? ""), null, { timeout: 5_000 });
    await page.screenshot({ path: join(out, "stress-02-20k-end.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step("a span with a 5 MiB output: a bounded preview, Show more, Copy and Save; selecting it does not block the page", async () => {
    // The same selection with another build of the UI on the same store, side by side (TRACEIDE_BASELINE_WEBVIEW:
    // a dist/ folder, e.g. main's), for docs/PERFORMANCE.md's before/after.
    const baselineRoot = process.env.TRACEIDE_BASELINE_WEBVIEW;
    if (baselineRoot) {
      const baseHost = startHost({ dll, store, root, webviewRoot: resolve(baselineRoot) });
      try {
        figures.bigBefore = await bigSelectOn(await baseHost.url, `baseline UI (${baselineRoot})`);
      } finally {
        await shutDown(null, baseHost);
      }
    }
    const after = (figures.bigAfter = await bigSelectOn(url, "this UI"));
    if (!after.big) fail("the big span's detail did not show");
    measure("longest task selecting the 5 MiB span", after.longestTaskMs, BIG_SELECT_TARGET.taskMs);
    measure("the next click after it", after.nextClickMs, BIG_SELECT_TARGET.nextClickMs);

    // What it looks like, on the main page: size stated, a preview, Show more in chunks, Copy and Save of the whole.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await search("trace.name = 'big_payload'", "1 trace");
    await page.locator(rowSel).first().click();
    await page.locator(".span-row", { hasText: "big_output" }).click();
    const outputs = page.locator(".detail-pane details.section", { has: page.locator("summary", { hasText: /^Outputs$/ }) });
    await outputs.locator(".value-size").waitFor({ timeout: 10_000 });
    // The size is measured in slices after the paint.
    await page
      .waitForFunction(() => !/measuring/.test(document.querySelector(".detail-pane .value-size")?.textContent ?? "measuring"), null, { timeout: 10_000 })
      .catch(() => {});
    const size = await outputs.locator(".value-size").textContent();
    if (!/^about 5\.\d\d M characters$/.test(size ?? "")) fail(`the outputs' size line says "${size}"`);
    const report = outputs.locator(".preview", { has: page.locator(".json-string") }).first();
    const shownChars = () => report.locator(".json-string").evaluate((e) => e.textContent.length);
    const before = await shownChars();
    if (before > 5_000) fail(`the report string shows ${before} characters before Show more`);
    const moreLabel = await report.locator(".show-more").textContent();
    await report.locator(".show-more").focus();
    await page.keyboard.press("Enter"); // from the keyboard
    await page.waitForFunction((n) => document.querySelector(".detail-pane .preview .json-string").textContent.length > n, before);
    const afterMore = await shownChars();
    console.log(`e2e-stress:      outputs "${size}": report string ${before} characters shown, "${moreLabel}" → ${afterMore}`);
    if (afterMore - before !== 32_768) fail(`Show more added ${afterMore - before} characters, expected a 32,768-character chunk`);
    const height = await page.locator(".detail-pane").evaluate((e) => e.scrollHeight);
    if (height > 20_000) fail(`the detail pane is ${height} px tall`);
    await page.screenshot({ path: join(out, "stress-07-big-payload.png") });
    await page.setViewportSize({ width: 450, height: 900 });
    await page.screenshot({ path: join(out, "stress-07-big-payload-450.png") });
    await page.setViewportSize({ width: 1400, height: 900 });

    await outputs.locator(".value-copy").click();
    await page.waitForFunction(() => /Copied the outputs/.test(document.querySelector(".viewer-message")?.textContent ?? ""), null, { timeout: 10_000 });
    const copied = await page.evaluate(async () => {
      const v = JSON.parse(await navigator.clipboard.readText());
      return { report: v.report.length, rows: v.rows.length };
    });
    if (copied.report < 4 * 1024 * 1024 || copied.rows !== 11_000) fail(`Copy gave a report of ${copied.report} characters and ${copied.rows} rows`);
    const [download] = await Promise.all([page.waitForEvent("download"), outputs.locator(".value-open").click()]);
    const saved = join(tmp, "saved.json");
    await download.saveAs(saved);
    const savedValue = JSON.parse(readFileSync(saved, "utf8"));
    if (download.suggestedFilename() !== "big_output-outputs.json" || savedValue.rows.length !== 11_000)
      fail(`Save gave ${download.suggestedFilename()} with ${savedValue.rows?.length} rows`);
    console.log(
      `e2e-stress:      Copy: the whole value on the clipboard (report ${copied.report.toLocaleString("en-US")} characters, ${copied.rows} ` +
        `rows); Save: ${download.suggestedFilename()}`,
    );
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step(
    "bad tree shapes: a self-parent, a two-span cycle and an orphan under the root, flagged; a negative duration flagged; depth 300 readable at " +
      "1,400 and 700 px",
    async () => {
      await search("trace.name = 'cycle_shapes'", "1 trace");
      await page.locator(rowSel).first().click();
      await page.waitForFunction(() => document.querySelector(".span-scroller")?.getAttribute("data-span-count") === "306", null, { timeout: 15_000 });
      const banner = (await page.locator(".viewer-message").textContent()) ?? "";
      if (!/shown under the root/.test(banner) || /\.;/.test(banner)) fail(`warnings banner: ${banner}`);
      const rowOf = (name) => page.locator(".span-row", { has: page.locator(".span-name", { hasText: new RegExp(`^${name}$`) }) });
      for (const name of ["own_parent", "cycle_a", "cycle_b", "lost_parent"]) {
        const row = rowOf(name);
        await row.waitFor({ timeout: 5_000 });
        if ((await row.getAttribute("aria-level")) !== (name === "cycle_b" ? "3" : "2")) fail(`${name} is at level ${await row.getAttribute("aria-level")}`);
      }
      // The cycle is broken at its earlier span (cycle_a): it is re-attached and flagged, cycle_b stays under it.
      for (const name of ["own_parent", "cycle_a", "lost_parent"]) {
        const title = await rowOf(name).locator(".span-label .warning-mark").getAttribute("title");
        if (!/^Shown under the root 'cycle_shapes': /.test(title ?? "")) fail(`${name}'s warning: ${title}`);
      }
      if (await rowOf("cycle_b").locator(".span-label .warning-mark").count()) fail("cycle_b is flagged, but it is under its recorded parent");
      const skew = rowOf("skewed_clock").locator(".span-duration");
      const skewText = await skew.textContent();
      const skewTitle = await skew.locator(".warning-mark").getAttribute("title");
      if (skewText !== "-100 ms ⚠" || !/ends before it starts/.test(skewTitle ?? "")) fail(`skewed_clock's duration: ${skewText} (${skewTitle})`);
      console.log(`e2e-stress:      banner: ${banner.slice(0, 160)}…; own_parent, cycle_a, lost_parent flagged under the root; skewed_clock "${skewText}"`);
      await page.screenshot({ path: join(out, "stress-08-cycles.png") });

      // From the keyboard: End selects the last row, the depth-300 span; its name is whole on screen.
      await page.locator(".span-scroller").focus();
      await page.keyboard.press("End");
      const deepest = rowOf("deepest_span_at_depth_300");
      for (const width of [1400, 700, 450]) {
        await page.setViewportSize({ width, height: 900 });
        // A narrower page stacks the detail under the tree: the tree's viewport changes, so reveal the selection again.
        await page.locator(".span-scroller").focus();
        await page.keyboard.press("End");
        await deepest.waitFor({ timeout: 5_000 });
        const m = await deepest.evaluate((r) => {
          const name = r.querySelector(".span-name");
          return {
            level: r.getAttribute("aria-level"),
            badge: r.querySelector(".depth-badge")?.textContent,
            shown: name.clientWidth,
            full: name.scrollWidth,
            selected: r.classList.contains("selected"),
          };
        });
        if (m.level !== "301" || m.badge !== "300" || !m.selected) fail(`the depth-300 row: ${JSON.stringify(m)}`);
        // Whole at 1,400 and 700 px; at 450 px the name may be cut, but most of it shows.
        if (width >= 700 ? m.shown < m.full : m.shown < m.full * 0.5) fail(`at ${width} px the depth-300 name shows ${m.shown} of ${m.full} px`);
        console.log(`e2e-stress:      depth-300 row at ${width} px: badge ${m.badge}, name ${m.shown} of ${m.full} px shown`);
        await page.screenshot({ path: join(out, `stress-09-depth300-${width}.png`) });
      }
      await page.emulateMedia({ colorScheme: "dark" });
      await page.screenshot({ path: join(out, "stress-09-depth300-450-dark.png") });
      await page.emulateMedia({ colorScheme: "light" });
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
    },
  );

  await step("trace summary: opened from the keyboard, hostile tag and previews as text, no sideways overflow at 1,400, 700 and 450 px", async () => {
    await search("trace.name = 'xss_probe'", "1 trace");
    await page.locator(rowSel).first().click();
    await page.waitForSelector(".span-row");
    const heading = page.locator(".trace-summary > summary");
    await heading.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector(".trace-summary[open] .summary-grid dt");
    const text = (await page.locator(".summary-grid").textContent()) ?? "";
    for (const p of PAYLOADS) if (!showsText(text, p)) fail(`the summary does not show ${p} as text`);
    if (!/probe = /.test(text) || !/environment = stress/.test(text)) fail(`the summary's tags: ${text.slice(0, 300)}`);
    const live = await page.evaluate(
      () =>
        document.querySelectorAll(".trace-summary img, .trace-summary script, .trace-summary svg, .trace-summary [onerror], .trace-summary [onload]").length,
    );
    if (live) fail(`${live} live elements in the summary`);
    for (const width of [1400, 700, 450]) {
      await page.setViewportSize({ width, height: 900 });
      const m = await page.evaluate(() => {
        const g = document.querySelector(".summary-grid");
        const dt = g.querySelector("dt").getBoundingClientRect();
        const dd = g.querySelector("dd").getBoundingClientRect();
        return {
          overflow: g.scrollWidth - g.clientWidth,
          viewer: (() => {
            const v = document.querySelector(".trace-viewer");
            return v.scrollWidth - v.clientWidth;
          })(),
          label: Math.round(dt.width),
          value: Math.round(dd.width),
          height: Math.round(g.getBoundingClientRect().height),
        };
      });
      // The viewer only: browser mode's own header (experiment picker, Refresh) is wider than 450 px before this change too.
      if (m.overflow > 0 || m.viewer > 0) fail(`at ${width} px the summary overflows sideways: ${JSON.stringify(m)}`);
      if (m.value < width * 0.5) fail(`at ${width} px the summary's values get ${m.value} px`);
      console.log(
        `e2e-stress:      summary at ${width} px: labels ${m.label} px, values ${m.value} px, ${m.height} px tall (at most 35% of the height, then it scrolls)`,
      );
      await page.screenshot({ path: join(out, `stress-10-summary-${width}.png`) });
    }
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(out, "stress-10-summary-450-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1400, height: 900 });
    // Closed again for the steps after this one (the viewer keeps the reader's choice from trace to trace).
    await heading.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector(".trace-summary:not([open])");
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
  });

  await step("XSS payloads in outputs, span name, attribute, exception, tag, previews and rationale stay text", async () => {
    // Tags column on, so the tag value is on screen.
    await page.click(".columns-button");
    await page.check('.column-menu input[data-column="tags"]');
    await page.click(".columns-button");
    await search("trace.name = 'xss_probe'", "1 trace");
    const row = page.locator(rowSel).first();
    await row.locator(".cell-tags").waitFor();
    const tagsText = (await row.locator(".cell-tags").textContent()) ?? "";
    const requestText = (await row.locator(".cell-request").textContent()) ?? "";
    for (const p of PAYLOADS) {
      if (!showsText(tagsText, p)) fail(`tag column does not show ${p} as text: ${tagsText}`);
      if (!showsText(requestText, p)) fail(`request column does not show ${p} as text: ${requestText}`);
    }
    await page.screenshot({ path: join(out, "stress-03-xss-row.png") });
    await row.click();
    await page.waitForSelector(".span-row");
    const names = await page.locator(".span-row .span-name").allTextContents();
    if (!names.includes(PAYLOADS[0])) fail(`span names: ${names.join(" | ")}`);
    const seen = [];
    for (let i = 0; i < names.length; i++) {
      await page.locator(".span-row").nth(i).click();
      await page.waitForFunction((n) => document.querySelector(".detail-pane")?.textContent?.includes(n), names[i], { timeout: 5_000 });
      await page.waitForTimeout(300); // host-rendered Markdown arrives asynchronously
      const text = (await page.locator(".detail-pane").textContent()) ?? "";
      seen.push(text);
      const bad = await page.evaluate(() => {
        const app = document.querySelector(".detail-pane");
        return [
          ...Array.from(app.querySelectorAll("img, script, svg, iframe, object, embed")).map((e) => e.outerHTML.slice(0, 80)),
          ...Array.from(app.querySelectorAll("*")).flatMap((e) =>
            Array.from(e.attributes)
              .filter((a) => /^on/i.test(a.name))
              .map((a) => `${e.tagName} ${a.name}`),
          ),
          ...Array.from(app.querySelectorAll("a[href]"))
            .filter((a) => /^\s*javascript:/i.test(a.getAttribute("href")))
            .map((a) => `a href=${a.getAttribute("href")}`),
        ];
      });
      if (bad.length) fail(`live markup from a payload in span "${names[i]}": ${bad.join(" | ")}`);
      await page.screenshot({ path: join(out, `stress-04-xss-span-${i}.png`) });
    }
    const all = seen.join("\n");
    for (const p of PAYLOADS) if (!showsText(all, p)) fail(`payload ${p} is not visible as text in any span's detail`);
    if (!/ProbeError/.test(all) || !all.includes("Rationale:")) fail("exception or assessment rationale missing from the detail pane");
    const liveAnywhere = await page.evaluate(
      () => document.querySelectorAll('img[src="x"], [onerror], [onload], body script:not([src]), a[href^="javascript:" i]').length,
    );
    if (liveAnywhere) fail(`${liveAnywhere} live payload elements in the page`);
    if (await page.evaluate(() => window.__xss !== undefined)) fail("window.__xss was set");
    if (dialogs.length) fail(`a dialog opened: ${dialogs.join(" | ")}`);
    const csp = await page.evaluate(() => window.__csp);
    if (csp.length) fail(`CSP violations: ${csp.join(" | ")}`);
    console.log(
      `e2e-stress:      ${names.length} spans selected; window.__xss undefined, 0 dialogs, 0 CSP violations; payload text visible in list row, ` +
        "tag column, span name and details",
    );
    // The probe's root span has a judge with a long name and source beside a long rationale: they stay on one line,
    // neither squeezed (a rationale used to leave them a letter a line) nor wider than their share.
    await page.locator(".span-row").first().click();
    await page.waitForSelector(".detail-pane .assessment-name .one-line[title^='retrieval_groundedness']", { timeout: 5_000 });
    const cells = await page.evaluate(() => {
      const row = [...document.querySelectorAll(".detail-pane .assessments tr")].find((r) => r.querySelector(".one-line[title^='retrieval_groundedness']"));
      const box = (sel) => {
        const e = row.querySelector(sel);
        const r = e.getBoundingClientRect();
        const font = parseFloat(getComputedStyle(e).fontSize);
        return { width: r.width, height: r.height, full: e.scrollWidth, em: font, line: parseFloat(getComputedStyle(e).lineHeight) || font * 1.4 };
      };
      return {
        name: box(".assessment-name .one-line"),
        source: box(".assessment-source .one-line"),
        rationale: box("td.rationale"),
        detail: document.querySelector(".detail-pane").getBoundingClientRect().width,
      };
    });
    for (const k of ["name", "source"]) {
      const c = cells[k];
      if (c.height > c.line * 1.5) fail(`the long judge's ${k} takes ${c.height} px: more than one line`);
      if (c.width < Math.min(c.full, 7 * c.em)) fail(`the long judge's ${k} is squeezed to ${Math.round(c.width)} px by its rationale`);
      if (c.width > cells.detail * 0.35) fail(`the long judge's ${k} takes ${Math.round(c.width)} of ${Math.round(cells.detail)} px`);
    }
    if (cells.rationale.width < cells.name.width)
      fail(`the rationale (${Math.round(cells.rationale.width)} px) is narrower than the name (${Math.round(cells.name.width)} px)`);
    console.log(
      `e2e-stress:      long judge beside a ${Math.round(cells.detail)} px detail: name ${Math.round(cells.name.width)} of ${cells.name.full} ` +
        `px, source ${Math.round(cells.source.width)} of ${cells.source.full} px, rationale ${Math.round(cells.rationale.width)} px wide`,
    );
    await page.locator(".detail-pane").evaluate((e) => (e.scrollTop = e.scrollHeight));
    await page.screenshot({ path: join(out, "stress-04-long-assessment.png") });
    await page.keyboard.press("Escape");
    await page.waitForSelector(".trace-viewer", { state: "hidden" });
    await page.click(".columns-button");
    await page.uncheck('.column-menu input[data-column="tags"]');
    await page.click(".columns-button");
  });

  await step(`a ${LIST_TRACES}-trace experiment: first page painted, all rows paged in, scrolled to the end (long tasks measured)`, async () => {
    // A page of its own at the UI's default page size (100), so the other steps keep their experiment; in a
    // context of its own, so it does not share a renderer (main thread, heap) with the 20k-span page.
    const listContext = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: "UTC" });
    const listPage = await listContext.newPage();
    listPage.on("pageerror", (e) => pageErrors.push(String(e)));
    await listPage.addInitScript(observeLongTasks);
    await listPage.goto(url);
    await listPage.waitForSelector(rowSel, { timeout: 15_000 });
    const listExp = await listPage.evaluate(
      () => Array.from(document.querySelectorAll("select.experiment option")).find((o) => o.textContent === "stress-10k")?.value,
    );
    if (!listExp) fail("experiment stress-10k is not in the picker");
    figures.listFirstPaintMs = await listPage.evaluate(
      async ({ sel, value }) => {
        const select = document.querySelector("select.experiment");
        const before = document.querySelector(sel)?.getAttribute("data-trace-id");
        const t0 = performance.now();
        select.value = value;
        select.dispatchEvent(new Event("change"));
        await new Promise((done, reject) => {
          const poll = () => {
            const first = document.querySelector(sel);
            if (first && first.getAttribute("data-trace-id") !== before) requestAnimationFrame(() => done());
            else if (performance.now() - t0 > 60_000) reject(new Error("the list never painted"));
            else requestAnimationFrame(poll);
          };
          poll();
        });
        return performance.now() - t0;
      },
      { sel: rowSel, value: listExp },
    );
    const newest = await listPage.locator(rowSel).first().getAttribute("data-trace-id");
    if (newest !== `tr-${(0x10000000 + LIST_TRACES - 1).toString(16).padStart(32, "0")}`) fail(`the newest trace should list first, got ${newest}`);
    // Endless paging: scroll to the bottom until every page is in.
    const paging = await listPage.evaluate(async (total) => {
      const el = document.querySelector(".trace-scroller");
      const status = () => document.querySelector(".list-status")?.textContent ?? "";
      const t0 = performance.now();
      while (!status().startsWith(`${total} traces`) || status().includes("more")) {
        el.scrollTop = el.scrollHeight;
        await new Promise((r) => setTimeout(r, 16));
        if (performance.now() - t0 > 120_000) throw new Error(`paging stalled at: ${status()}`);
      }
      return { ms: performance.now() - t0, status: status() };
    }, LIST_TRACES);
    if (paging.status !== `${LIST_TRACES} traces`) fail(`status after paging: ${paging.status}`);
    figures.listPagingMs = paging.ms;
    const scroll = await flingToEnd(listPage, ".trace-scroller", rowSel);
    figures.listLongestScrollTaskMs = scroll.longest;
    const oldest = await listPage.evaluate((sel) => {
      const rows = Array.from(document.querySelectorAll(sel));
      return rows.reduce((b, r) => (r.getBoundingClientRect().top > b.getBoundingClientRect().top ? r : b)).getAttribute("data-trace-id");
    }, rowSel);
    if (oldest !== `tr-${(0x10000000).toString(16).padStart(32, "0")}`) fail(`the bottom row is ${oldest}, expected the oldest trace`);
    console.log(
      `e2e-stress:      ${LIST_TRACES}-trace list: first page painted ${Math.round(figures.listFirstPaintMs)} ms after choosing the ` +
        `experiment; all ${LIST_TRACES} rows paged in ${Math.round(paging.ms)} ms; scrolled ${scroll.frames} frames with at most ` +
        `${scroll.maxRows} rows in the DOM; long tasks while scrolling: ${scroll.tasks}, longest ${Math.round(scroll.longest)} ms`,
    );
    if (scroll.maxRows > 200) fail(`trace list not virtualized: ${scroll.maxRows} rows in the DOM`);
    measure(`longest task while scrolling the ${LIST_TRACES}-trace list`, scroll.longest, SCROLL_TASK_TARGET_MS);
    await listPage.screenshot({ path: join(out, "stress-06-10k-list-end.png") });
    await listContext.close();
  });

  await step("high contrast: borders from --vscode-contrastBorder, focus from --vscode-focusBorder", async () => {
    await page.evaluate(() => {
      // What VS Code does in a webview for a high-contrast theme: body class + theme kind + --vscode-* on <html>.
      document.body.classList.add("vscode-high-contrast");
      document.body.setAttribute("data-vscode-theme-kind", "vscode-high-contrast");
      const vars = {
        "--vscode-editor-background": "#000000",
        "--vscode-foreground": "#ffffff",
        "--vscode-contrastBorder": "#6fc3df",
        "--vscode-contrastActiveBorder": "#f38518",
        "--vscode-focusBorder": "#f38518",
        "--vscode-list-activeSelectionBackground": "#000000",
        "--vscode-input-background": "#000000",
        "--vscode-input-foreground": "#ffffff",
      };
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    });
    await search("", "47 traces").catch(() => page.waitForFunction(() => /^\d+ traces/.test(document.querySelector(".list-status")?.textContent ?? "")));
    const contrast = "rgb(111, 195, 223)";
    const focus = "rgb(243, 133, 24)";
    const borders = await page.evaluate(() => {
      const q = (s) => document.querySelector(s);
      return {
        body: getComputedStyle(document.body).backgroundColor,
        header: getComputedStyle(q(".app-header")).borderBottomColor,
        toolbar: getComputedStyle(q(".toolbar")).borderBottomColor,
        row: getComputedStyle(q(".trace-row[data-trace-id]")).borderBottomColor,
        input: getComputedStyle(q("input.search")).borderTopColor,
        // vscode-button draws its border on its inner .base, from --vscode-button-border (set from the contrast border in HC).
        button: getComputedStyle(q(".columns-button").shadowRoot.querySelector(".base")).borderTopColor,
      };
    });
    if (borders.body !== "rgb(0, 0, 0)") fail(`HC background is ${borders.body}`);
    for (const [k, v] of Object.entries(borders))
      if (k !== "body" && v !== contrast) fail(`HC ${k} border is ${v}, expected --vscode-contrastBorder ${contrast}`);
    await page.focus("input.search");
    const inputOutline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return `${s.outlineStyle} ${s.outlineColor}`;
    });
    if (inputOutline !== `solid ${focus}`) fail(`focused input outline ${inputOutline}, expected solid ${focus}`);
    await page.locator(rowSel).first().click();
    await page.waitForSelector(".span-row");
    await page.locator(".span-scroller").focus();
    await page.keyboard.press("ArrowDown");
    const tree = await page.evaluate(() => {
      const sc = getComputedStyle(document.querySelector(".span-scroller"));
      const sel = getComputedStyle(document.querySelector(".span-row.selected"));
      const bar = getComputedStyle(document.querySelector(".viewer-bar"));
      return { scroller: `${sc.outlineStyle} ${sc.outlineColor}`, selected: `${sel.outlineStyle} ${sel.outlineColor}`, bar: bar.borderBottomColor };
    });
    if (tree.scroller !== `solid ${focus}`) fail(`focused span tree outline ${tree.scroller}, expected solid ${focus}`);
    if (tree.selected !== `solid ${focus}`) fail(`selected span outline ${tree.selected}, expected solid --vscode-contrastActiveBorder ${focus}`);
    if (tree.bar !== contrast) fail(`viewer bar border ${tree.bar}`);
    console.log(
      `e2e-stress:      HC borders ${contrast} (header, toolbar, row, input, button, viewer bar); focus outline solid ${focus}; selected span ` +
        `outline ${tree.selected}`,
    );
    await page.screenshot({ path: join(out, "stress-05-high-contrast.png") });
    await page.keyboard.press("Escape");
  });

  await step("no script injection, no CSP violations, no dialogs, no page errors", async () => {
    if (await page.evaluate(() => window.__xss !== undefined)) fail("window.__xss was set");
    const csp = await page.evaluate(() => window.__csp);
    if (csp.length) fail(`CSP violations: ${csp.join(" | ")}`);
    if (dialogs.length) fail(`dialogs: ${dialogs.join(" | ")}`);
    if (pageErrors.length) fail(`page errors: ${pageErrors.join(" | ")}`);
  });

  writeFileSync(join(out, "stress-figures.json"), `${JSON.stringify({ figures, targets: verdicts }, null, 2)}\n`);
  console.log(
    `e2e-stress: passed in ${((Date.now() - started) / 1000).toFixed(1)} s; ${SPANS}-span tree first paint ${Math.round(figures.firstPaintMs)} ` +
      `ms; longest long task while scrolling ${Math.round(figures.longestScrollTaskMs)} ms (${figures.longTasks} long tasks); ` +
      `${LIST_TRACES}-trace list first paint ${Math.round(figures.listFirstPaintMs)} ms, longest task scrolling it ` +
      `${Math.round(figures.listLongestScrollTaskMs)} ms`,
  );
} catch (e) {
  if (!process.exitCode) console.error(`e2e-stress: FAIL: ${e?.stack ?? e}`);
  process.exitCode = 1;
  await screenshotOnFailure(browser, join(out, "stress-failure.png"));
} finally {
  await shutDown(browser, host);
  rmSync(tmp, { recursive: true, force: true });
}
