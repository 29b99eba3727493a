// The e2e's compare steps (issue 20, item 6), on the fixture store: two support_agent traces of the live chat
// session, one that answered (tr-586b…, 5 spans, OK) and one whose lookup_order failed (tr-3a38…, 4 spans, ERROR).
import { join } from "node:path";

export const COMPARE_A = "tr-586b4015e0d5fa213d271eb304cce64f"; // the earlier: A
export const COMPARE_B = "tr-3a381bfb84be810840b3df14d12dd37e";

const EXPECTED_ROWS = [
  "support_agent both",
  "support_agent/agent_loop both",
  "support_agent/agent_loop/Completions both",
  "support_agent/agent_loop/lookup_order both",
  "support_agent/agent_loop/Completions#2 removed",
];

/** Runs the compare steps on `page` (the list shown, nothing checked); leaves it so, at 1,400 px. */
export async function compareSteps({ page, step, fail, out, rowSel }) {
  const rows = () => page.locator(".cmp-scroller .cmp-row").evaluateAll((els) => els.map((e) => `${e.dataset.path} ${e.dataset.kind}`));
  const cells = (path) => page.locator(`.cmp-scroller .cmp-row[data-path="${path}"]`).evaluate((r) => [...r.children].slice(1).map((c) => c.textContent));
  const expectRows = async (when) => {
    const got = await rows();
    if (JSON.stringify(got) !== JSON.stringify(EXPECTED_ROWS)) fail(`${when}: aligned rows ${JSON.stringify(got)}`);
  };
  const equal = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };

  await step(
    "compare: check two rows, press Compare; the trees align by span path with the fixture's differences; a span's inputs/outputs diff; the " +
      "address keeps it; Back and Escape",
    async () => {
      if (await page.locator(".compare-selected").isVisible()) fail("Compare shows with no rows checked");
      await page.locator(`${rowSel}[data-trace-id="${COMPARE_B}"] .row-select`).click();
      if (await page.locator(".compare-selected").isVisible()) fail("Compare shows with one row checked");
      await page.locator(`${rowSel}[data-trace-id="${COMPARE_A}"] .row-select`).click();
      await page.locator(".compare-selected").click();
      await page.waitForFunction(() => document.querySelectorAll(".cmp-scroller .cmp-row").length === 5, null, { timeout: 10_000 });
      await expectRows("after Compare");
      equal("header", await page.locator(".cmp-trace-delta").textContent(), "B against A: −303 ms ×0.56 · tokens −272 · state OK → ERROR");
      equal("summary", await page.locator(".cmp-summary").textContent(), "4 aligned spans · 1 only in A");
      equal("cards", await page.locator(".cmp-card").evaluateAll((els) => els.map((e) => e.dataset.traceId)), [COMPARE_A, COMPARE_B]);
      // Each row: A, B, Δ time, tokens, In/Out.
      equal("support_agent", await cells("support_agent"), ["691 ms", "✕388 ms", "−303 ms ×0.56", "", "≠ in out"]);
      equal("lookup_order", await cells("support_agent/agent_loop/lookup_order"), ["86 ms", "✕84 ms", "−2 ms", "", "≠ in out"]);
      equal("Completions", await cells("support_agent/agent_loop/Completions"), ["301 ms", "301 ms", "+0.10 ms", "119 → 71", "≠ in out"]);
      equal("Completions#2", await cells("support_agent/agent_loop/Completions#2"), ["301 ms", "—", "", "224 → —", ""]);
      if (!(await page.locator('.cmp-row[data-path="support_agent"] .cmp-delta').evaluate((e) => e.classList.contains("faster"))))
        fail("B's shorter root is not marked faster");
      // The first differing row (the root) is selected; Completions by a click shows its pair and the diffs.
      equal("selected", await page.locator(".cmp-row.selected").getAttribute("data-path"), "support_agent");
      await page.locator('.cmp-row[data-path="support_agent/agent_loop/Completions"]').click();
      await page.waitForSelector('.cmp-diff-section[data-part="outputs"]', { timeout: 10_000 });
      const pairRows = await page
        .locator(".cmp-pair tbody tr")
        .evaluateAll((trs) =>
          Object.fromEntries(trs.map((tr) => [tr.querySelector("th").textContent, [...tr.querySelectorAll("td")].map((td) => td.textContent)])),
        );
      equal("Tokens", pairRows.Tokens, ["119", "71", "−48"]);
      equal("Status", pairRows.Status, ["OK", "OK", ""]);
      const verdicts = await page.locator(".cmp-diff-section .cmp-verdict").allTextContents();
      console.log(`e2e:      Completions: inputs ${verdicts[0]}, outputs ${verdicts[1]}`);
      equal("Completions' diff verdicts (inputs, outputs)", verdicts, ["+1 −9 lines", "+3 −3 lines"]);
      const added = await page.locator('.cmp-diff-section[data-part="inputs"] .cmp-line-add .cmp-text').allTextContents();
      if (!added.some((l) => l.includes("And order 77777?"))) fail(`B's question is not among the added input lines: ${JSON.stringify(added)}`);
      await page.screenshot({ path: join(out, "17-compare-1400.png") });

      // The keyboard: ↓ to lookup_order, whose pair shows B's failure; s swaps; ? lists the compare keys.
      await page.locator(".cmp-scroller").focus();
      await page.keyboard.press("ArrowDown");
      equal("after ↓", await page.locator(".cmp-row.selected").getAttribute("data-path"), "support_agent/agent_loop/lookup_order");
      await page.waitForSelector('.cmp-diff-section[data-part="outputs"]');
      equal("lookup_order status", await page.locator(".cmp-pair tbody tr").first().locator("td").allTextContents(), ["OK", "ERROR", "changed"]);
      await page.keyboard.press("s");
      await page.waitForFunction((b) => document.querySelector(".cmp-card")?.getAttribute("data-trace-id") === b, COMPARE_B);
      equal("after s", (await rows()).at(-1), "support_agent/agent_loop/Completions#2 added");
      await page.keyboard.press("s");
      await page.keyboard.press("?");
      await page.waitForSelector(".keys-dialog");
      if (!(await page.locator(".keys-dialog").textContent()).includes("swap the two sides")) fail("the ? list has no compare keys");
      await page.keyboard.press("Escape");
      await page.waitForSelector(".keys-dialog", { state: "detached" });

      // The address bar keeps it: a reload shows the same comparison; Back closes it, Forward opens it again.
      await page.waitForFunction((want) => new URLSearchParams(location.search).get("compare") === want, `${COMPARE_A},${COMPARE_B}`, { timeout: 5_000 });
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll(".cmp-scroller .cmp-row").length === 5, null, { timeout: 15_000 });
      await expectRows("after F5");
      await page.goBack();
      await page.waitForSelector(".compare-view", { state: "hidden", timeout: 10_000 });
      await page.waitForSelector(".traces-view:not([hidden])");
      await page.goForward();
      await page.waitForFunction(() => document.querySelectorAll(".cmp-scroller .cmp-row").length === 5, null, { timeout: 10_000 });
      await page.keyboard.press("Escape");
      await page.waitForSelector(".compare-view", { state: "hidden" });
      await page.waitForSelector(".traces-view:not([hidden])");
      if (new URLSearchParams(await page.evaluate(() => location.search)).get("compare")) fail("Escape left compare= in the address");
    },
  );

  await step(
    "compare at 700 px and 450 px (light, dark, High Contrast): the pair under the tree, names readable; 'Compare with…' from a trace and back",
    async () => {
      await page.locator(`${rowSel}[data-trace-id="${COMPARE_A}"]`).click();
      await page.waitForSelector(".span-row");
      if (!(await page.locator(".compare-with").isVisible())) fail("no Compare with… in the viewer");
      await page.locator(".compare-with").click();
      await page.waitForSelector(".cmp-pick");
      // The list is newest first: the trace after A is the older one, the one before it is B.
      equal(
        "picker's first options",
        await page.locator(".cmp-pick").evaluateAll((els) => els.slice(0, 2).map((e) => [e.querySelector(".cmp-pick-tag")?.textContent, e.dataset.traceId])),
        [
          ["previous", COMPARE_B],
          ["next", "tr-056dfedde555a0eb6693734f235d50b5"],
        ],
      );
      await page.locator(`.cmp-pick[data-trace-id="${COMPARE_B}"]`).click();
      await page.waitForFunction(() => document.querySelectorAll(".cmp-scroller .cmp-row").length === 5, null, { timeout: 10_000 });
      await expectRows("Compare with…");
      const shots = [];
      for (const [width, theme] of [
        [700, "light"],
        [450, "light"],
        [700, "dark"],
        [450, "hc"],
      ]) {
        await page.emulateMedia({ colorScheme: theme === "light" ? "light" : "dark" });
        await page.evaluate((hc) => {
          document.body.classList.toggle("vscode-high-contrast", hc);
          for (const [k, v] of Object.entries({
            "--vscode-editor-background": "#000000",
            "--vscode-foreground": "#ffffff",
            "--vscode-contrastBorder": "#6fc3df",
            "--vscode-contrastActiveBorder": "#f38518",
            "--vscode-focusBorder": "#f38518",
          })) {
            if (hc) document.documentElement.style.setProperty(k, v);
            else document.documentElement.style.removeProperty(k);
          }
        }, theme === "hc");
        await page.setViewportSize({ width, height: 900 });
        await page.locator('.cmp-row[data-path="support_agent/agent_loop/lookup_order"]').click();
        await page.waitForSelector('.cmp-diff-section[data-part="outputs"]');
        const l = await page.evaluate(() => {
          const box = (s) => document.querySelector(s).getBoundingClientRect();
          const name = document.querySelector('.cmp-row[data-path="support_agent/agent_loop/Completions#2"] .cmp-span-name');
          return {
            tree: box(".cmp-tree"),
            detail: box(".cmp-detail"),
            nameWidth: name.getBoundingClientRect().width,
            nameFull: name.scrollWidth <= name.clientWidth + 1,
            viewWidth: document.querySelector(".compare-view").scrollWidth,
          };
        });
        if (l.detail.top < l.tree.bottom - 1) fail(`${width} px: the pair (top ${l.detail.top}) is not under the tree (bottom ${l.tree.bottom})`);
        if (!l.nameFull) fail(`${width} px: the deepest name is cut (${l.nameWidth} px)`);
        // The compare itself (the app header's experiment box is wider than 450 px: not the compare's).
        if (l.viewWidth > width) fail(`${width} px: the compare scrolls sideways (${l.viewWidth} px wide)`);
        const file = `17-compare-${width}-${theme}.png`;
        await page.screenshot({ path: join(out, file) });
        shots.push(file);
      }
      await page.evaluate(() => document.body.classList.remove("vscode-high-contrast"));
      await page.evaluate(() => document.documentElement.removeAttribute("style"));
      await page.emulateMedia({ colorScheme: "light" });
      await page.setViewportSize({ width: 1400, height: 900 });
      console.log(`e2e:      ${shots.join(", ")}`);
      // Escape goes back to the trace it was opened from, then to the list.
      await page.keyboard.press("Escape");
      await page.waitForFunction(
        (a) => document.querySelector(".viewer-title")?.textContent?.includes(a) && !document.querySelector(".trace-viewer[hidden]"),
        COMPARE_A,
        { timeout: 5_000 },
      );
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
      // The reload of the first step left no row checked: the list is as this step found it.
      if (await page.locator(".compare-selected").isVisible()) fail("Compare shows with no row checked");
    },
  );
}
