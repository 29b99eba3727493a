// End to end: browser mode against a tracking server — the MLflow replay server (MLflow 3.11's recorded answers,
// tests/fixtures/…/http). A reviewer opens the agent-weather-tokyo trace and
//   adds feedback (user_satisfaction = yes, "Quick and accurate."), edits it (no, new rationale), deletes it,
//   overrides the LLM judge's helpfulness (5 → 3) — the judge's row stays, marked overridden — and deletes the
//   override, which makes the judge's valid again; then the Sessions tab lists the five sessions MLflow's
//   search_sessions() found, and opens one with the request that function sends; then two traces are deleted from
//   the list with the request MLflow was recorded deleting them with.
// Every write must be the request MLflow was recorded answering (the replay server matches method, path and JSON
// body), so a wrong field, value type or update mask fails the run. The recordings hold this trace's info but none
// of its spans: the viewer shows the trace's own assessments and says why the tree is empty (also a real case: an
// artifact store that lost the file). Screenshots at 1,400 and 450 px in light and dark go to webview/test-output/.
// Env: TRACEIDE_DLL, REPLAY_DLL, CHROMIUM.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { failer, launchChromium, requirePaths, screenshotOnFailure, shutDown, startHost, startReplay, stepper } from "./e2e-harness.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..");
const out = join(root, "test-output");
mkdirSync(out, { recursive: true });
const dll = resolve(process.env.TRACEIDE_DLL ?? join(repo, "server/TraceIde.Host/bin/Release/net10.0/traceide.dll"));
const replayDll = resolve(process.env.REPLAY_DLL ?? join(repo, "tests/TraceIde.ReplayServer/bin/Release/net10.0/TraceIde.ReplayServer.dll"));
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TOKYO = "tr-5b459dd05cb47503871b19889a0dfb57";
const JUDGE = "a-405edbc4a34047509301523dfe8bb6aa"; // the LLM judge's helpfulness = 5
const CREATED = "a-f9ed3352fc2346df9cea9b3e8354a2ab"; // user_satisfaction, as MLflow numbered it
const OVERRIDE = "a-f3c46a7016b3494686299261c518ebac";
const GUARDRAIL_BLOCKED = "tr-d810e1441a232361fb4991d5a975b229";
const ERROR_ORDERS_DB = "tr-09b75e067e72c5c1e361971ec70e2f5b";

const fail = failer("e2e-server");
requirePaths("e2e-server", [
  ["host", dll, "build it: dotnet build TraceIde.sln -c Release (or set TRACEIDE_DLL)"],
  ["replay server", replayDll, "dotnet build TraceIde.sln -c Release (or set REPLAY_DLL)"],
  ["bundle", join(root, "dist/index.html"), "run: npm run build"],
  ["chromium", browserPath, "apt-get install -y chromium (or set CHROMIUM)"],
]);

const results = [];
const step = stepper("e2e-server", results);
// MLflow was asked for this trace's info before and after the override: the run starts before it.
const replay = startReplay({ dll: replayDll, without: ["assessments_override__trace_after"] });
let host;
let browser;
const started = Date.now();
try {
  const replayUrl = await replay.url;
  host = startHost({ dll, trackingUri: replayUrl, root, webviewRoot: join(root, "dist"), env: { TRACEIDE_USER: "nina@example.com" } });
  const url = await host.url.catch((e) => fail(e.message));
  browser = await launchChromium(browserPath);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: "UTC" });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  const pageUrl = new URL(url);
  pageUrl.searchParams.set("trace", TOKYO);
  const row = (id) => page.locator(`.trace-viewer tr[data-assessment-id="${id}"]`);
  const dialog = page.locator(".assessment-dialog");
  const save = async () => {
    await dialog.locator(".assessment-save").click();
    await dialog
      .waitFor({ state: "detached", timeout: 10_000 })
      .catch(async () => fail(`the dialog stayed open: ${await dialog.locator(".dialog-error").textContent()}`));
  };

  await step("the trace opens with its own assessments; the tree says why it has no spans", async () => {
    await page.goto(pageUrl.href);
    await page.locator(".trace-viewer .assessment-toolbar").waitFor({ timeout: 20_000 });
    const message = await page.locator(".viewer-message").textContent();
    if (!/spans of this trace could not be read/.test(message ?? "")) fail(`no reason for the empty tree: "${message}"`);
    if (!(await row(JUDGE).isVisible())) fail("the judge's helpfulness is not listed");
    const add = await page.locator("vscode-button.add-feedback").evaluate((b) => b.disabled);
    if (add) fail("Add feedback is off against an MLflow 3.11 server");
  });

  await step("add feedback from the keyboard: the recorded create, as the session's user", async () => {
    await page.locator("vscode-button.add-feedback").click();
    await dialog.waitFor();
    if ((await dialog.locator(".assessment-source-input").inputValue()) !== "nina@example.com") fail("the source is not the session's user (TRACEIDE_USER)");
    await page.keyboard.type("user_satisfaction"); // the name box has the focus
    await dialog.locator(".assessment-rationale").fill("Quick and accurate.");
    await dialog.locator(".assessment-rationale").press("Control+Enter");
    await dialog
      .waitFor({ state: "detached", timeout: 10_000 })
      .catch(async () => fail(`the dialog stayed open: ${await dialog.locator(".dialog-error").textContent()}`));
    await row(CREATED).waitFor();
    const text = await row(CREATED).textContent();
    if (!/user_satisfaction/.test(text) || !/true/.test(text) || !/nina@example\.com/.test(text)) fail(`the new row reads "${text}"`);
    await page.screenshot({ path: join(out, "assessments-added-1400.png") });
  });

  await step("edit it: value and rationale in one update (the recorded update_mask)", async () => {
    await row(CREATED).locator(".assessment-edit").click();
    await dialog.waitFor();
    await dialog.locator(".assessment-bool").selectOption("false");
    await dialog.locator(".assessment-rationale").fill("Changed my mind: the forecast was wrong.");
    await save();
    const text = await row(CREATED).textContent();
    if (!/false/.test(text) || !/Changed my mind/.test(text)) fail(`the edited row reads "${text}"`);
  });

  await step("delete it after a confirmation", async () => {
    await row(CREATED).locator(".assessment-delete").click();
    await page.locator(".dialog-confirm").click();
    await row(CREATED).waitFor({ state: "detached", timeout: 10_000 });
  });

  await step("override the judge's helpfulness: the judge's row stays, marked overridden", async () => {
    await page.evaluate(() => localStorage.removeItem("traceide.assessments.source"));
    await row(JUDGE).locator(".assessment-override").click();
    await dialog.waitFor();
    if (!(await dialog.locator(".assessment-name-input").isDisabled())) fail("an override may rename the assessment");
    await dialog.locator(".assessment-value-input").fill("3");
    await dialog.locator(".assessment-rationale").fill("The judge was too generous: no umbrella advice.");
    await dialog.locator(".assessment-source-input").fill("reviewer.kim@example.com");
    await page.screenshot({ path: join(out, "assessments-override-dialog-1400.png") });
    await save();
    await row(OVERRIDE).waitFor();
    if (!(await row(JUDGE).evaluate((r) => r.classList.contains("overridden")))) fail("the judge's row is not marked overridden");
    if (await row(JUDGE).locator(".assessment-override").count()) fail("an overridden judgement can be overridden again");
    await page.screenshot({ path: join(out, "assessments-overridden-1400.png") });
    await page.setViewportSize({ width: 450, height: 800 });
    await page.screenshot({ path: join(out, "assessments-overridden-450.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(out, "assessments-overridden-450-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  await step("delete the override: the judge's feedback is valid again (MLflow's rule)", async () => {
    await row(OVERRIDE).locator(".assessment-delete").click();
    await page.locator(".dialog-confirm").click();
    await row(OVERRIDE).waitFor({ state: "detached", timeout: 10_000 });
    if (await row(JUDGE).evaluate((r) => r.classList.contains("overridden"))) fail("the judge's row is still marked overridden");
  });

  await step("sessions: the five MLflow found, read with the requests MLflow's search_sessions() sends", async () => {
    await page.click('[data-main-tab="sessions"]');
    await page.waitForSelector(".session-row", { timeout: 15_000 });
    const rows = await page.locator(".session-row").evaluateAll((r) => r.map((x) => `${x.dataset.sessionId}:${x.querySelector(".session-turns").textContent}`));
    // The fixture README: search_sessions() → sess-live-chat, sess-pets, sess-budget, sess-order-10420, sess-paris-trip.
    const mlflow = "sess-live-chat:3,sess-pets:2,sess-budget:3,sess-order-10420:3,sess-paris-trip:4";
    if (rows.join(",") !== mlflow) fail(`sessions ${rows.join(",")}; MLflow found ${mlflow}`);
    await page.locator('.session-row[data-session-id="sess-budget"]').click();
    await page.waitForFunction(() => document.querySelectorAll(".turn").length === 3, null, { timeout: 10_000 });
    const last = await page.locator(".turn").last().textContent();
    if (!/ERROR/.test(last)) fail(`sess-budget's last turn is not the failed one: ${last}`);
  });

  await step("delete two traces from the list: the recorded delete-traces request, MLflow's count, the rows gone", async () => {
    // The list's first pages as MLflow was recorded paging them (10 a page, newest first): guardrail-blocked is on
    // the first, error-orders-db on the second, which the list pages in by itself.
    const listUrl = new URL(url);
    listUrl.searchParams.set("pageSize", "10");
    await page.goto(listUrl.toString());
    const listRow = (id) => page.locator(`.trace-row[data-trace-id="${id}"]`);
    await listRow(ERROR_ORDERS_DB).waitFor({ timeout: 15_000 });
    const ids = () => page.locator(".trace-row[data-trace-id]").evaluateAll((rows) => rows.map((r) => r.dataset.traceId));
    const before = await ids();
    // Checked in this order: MLflow's recorded request lists the IDs so.
    await listRow(GUARDRAIL_BLOCKED).locator(".row-select").click();
    await listRow(ERROR_ORDERS_DB).locator(".row-select").click();
    await page.locator(".toolbar .delete-selected").click();
    await page.locator(".dialog-confirm").click();
    await page.waitForFunction(() => /^Deleted /.test(document.querySelector(".action-message")?.textContent ?? ""), null, { timeout: 10_000 });
    const said = await page.locator(".action-message").textContent();
    if (said !== "Deleted 2 traces.") fail(`after the delete the list says "${said}", expected MLflow's count: "Deleted 2 traces."`);
    if ((await listRow(GUARDRAIL_BLOCKED).count()) + (await listRow(ERROR_ORDERS_DB).count()) !== 0) fail("a deleted trace is still in the list");
    // The rest stay (the list may have paged in more meanwhile).
    const after = new Set(await ids());
    const lost = before.filter((id) => id !== GUARDRAIL_BLOCKED && id !== ERROR_ORDERS_DB && !after.has(id));
    if (lost.length) fail(`traces that were not deleted left the list: ${lost.join(", ")}`);
    await replay.waitForMatch("traces_delete__v3_by_ids.json").catch(() => fail("the delete was not MLflow's recorded request"));
    await page.screenshot({ path: join(out, "server-05-deleted.png") });
  });

  await step("every request was one MLflow was recorded answering", async () => {
    // What the recordings lack: this trace's spans (traces/get and the artifact routes), and the trace list behind
    // it, asked for newest first with the web UI's page size (v3, then the v2 fallback). Nothing else: every write
    // and both sessions requests must have matched.
    const unexpected = replay
      .unmatched()
      .filter(
        (l) =>
          !/\/traces\/get\?|get-trace-artifact|\/server-info|\/api\/2\.0\/mlflow\/traces\?/.test(l) &&
          !(/\/traces\/search /.test(l) && /timestamp_ms DESC/.test(l)),
      );
    if (unexpected.length) fail(`requests no recording answers:\n${unexpected.join("\n")}`);
    if (pageErrors.length) fail(`page errors: ${pageErrors.join(" | ")}`);
  });

  console.log(`e2e-server: ${results.length} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${out}`);
} catch (e) {
  if (!process.exitCode) console.error(`e2e-server: FAIL: ${e?.stack ?? e}`);
  process.exitCode = 1;
  await screenshotOnFailure(browser, join(out, "server-failure.png"));
} finally {
  if (host) await shutDown(browser, host);
  else await browser?.close().catch(() => {});
  replay.stop();
}
