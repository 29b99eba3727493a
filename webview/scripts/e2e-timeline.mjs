// The e2e's timeline steps (issue 20, item 3), on the fixture store's support_agent trace tr-0911… (13 spans over
// 4.81 s: an agent loop with three chat completions, three tools, two HTTP spans and two parsers).
import { join } from "node:path";

export const TIMELINE_TRACE = "tr-0911287f5ee3b86f1baabad9adaa3a83";
/** The trace's span types as the legend lists them: commonest first, then by name. */
const LEGEND = ["CHAT 3", "TOOL 3", "PARSE 2", "SPAN 2", "AGENT 1", "CHAIN 1", "GUARD 1"];

/** Runs the timeline steps on `page` (the list shown); leaves the list shown, at 1,400 px. */
export async function timelineSteps({ page, step, fail, out }) {
  const equal = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  const range = () => page.locator(".trace-viewer .view-range").textContent();
  const rowCount = () => page.locator(".trace-viewer .span-row").count();
  const rowOf = (name) => page.locator(".trace-viewer .span-row", { has: page.locator(".span-name", { hasText: name }) });

  await step(
    "timeline: an axis, a legend of the span types, zoom (keys, z on a span, Ctrl+wheel, a drag on the minimap) and pan; the type and status " +
      "filter hides or dims; 700 and 450 px",
    async () => {
      const url = new URL(page.url());
      url.searchParams.set("trace", TIMELINE_TRACE);
      await page.goto(url.toString());
      await page.waitForFunction(() => document.querySelectorAll(".trace-viewer .span-row").length === 13, null, { timeout: 15_000 });
      equal("legend", await page.locator(".trace-viewer .legend-chip").allTextContents(), LEGEND);
      const ticks = await page.locator(".trace-viewer .axis .tick-label").allTextContents();
      if (ticks[0] !== "0" || ticks.length < 2) fail(`axis ticks ${JSON.stringify(ticks)}: expected "0" and more`);
      equal("range, whole trace", await range(), "");
      // Each bar at least 2 px wide, coloured by its type: a 5 ms parser in a 4.81 s trace is 0.3 px of it.
      const parserBar = await rowOf("parse_response")
        .first()
        .locator(".bar")
        .evaluate((b) => ({ width: b.getBoundingClientRect().width, cls: b.className }));
      if (parserBar.width < 2) fail(`parse_response's bar is ${parserBar.width} px wide`);
      equal("parser bar class", parserBar.cls, "bar type-colour-other");

      // z: the selected span's own time, with a tenth either side (search_flights: +870 ms, 391 ms).
      await rowOf("search_flights").click();
      await page.keyboard.press("z");
      equal("range after z on search_flights", await range(), "831 ms – 1.30 s of 4.81 s");
      if ((await rowOf("calculator").locator(".offscreen-right").count()) !== 1) fail("calculator (after the view) has no mark on the right edge");
      await page.screenshot({ path: join(out, "04b-timeline-zoomed.png") });
      await page.keyboard.press("Shift+ArrowRight"); // a fifth of the view later
      equal("range after Shift+→", await range(), "925 ms – 1.39 s of 4.81 s");
      await page.keyboard.press("0");
      equal("range after 0", await range(), "");

      // Ctrl + wheel over the bars zooms at the pointer; the keys zoom at the middle.
      const timeline = await rowOf("support_agent").locator(".timeline").boundingBox();
      await page.mouse.move(timeline.x + timeline.width * 0.25, timeline.y + timeline.height / 2);
      await page.keyboard.down("Control");
      await page.mouse.wheel(0, -100);
      await page.keyboard.up("Control");
      await page.waitForFunction(() => document.querySelector(".trace-viewer .view-range")?.textContent !== "");
      const wheeled = await range();
      if (!/^(\d+ ms|\d\.\d\d s) – \d\.\d\d s of 4\.81 s$/.test(wheeled)) fail(`range after Ctrl+wheel: ${wheeled}`);
      await page.keyboard.press("0");

      // A drag across the middle of the minimap zooms to that part of the trace.
      const map = await page.locator(".trace-viewer .minimap").boundingBox();
      await page.mouse.move(map.x + map.width * 0.5, map.y + map.height / 2);
      await page.mouse.down();
      await page.mouse.move(map.x + map.width * 0.6, map.y + map.height / 2, { steps: 4 });
      await page.mouse.move(map.x + map.width * 0.75, map.y + map.height / 2, { steps: 4 });
      await page.mouse.up();
      const dragged = await range();
      const m = /^(\d\.\d\d) s – (\d\.\d\d) s of 4\.81 s$/.exec(dragged);
      if (!m || Math.abs(Number(m[1]) - 2.4) > 0.1 || Math.abs(Number(m[2]) - 3.61) > 0.1) fail(`range after a drag over 50–75 % of the minimap: ${dragged}`);
      await page.locator(".trace-viewer .tool-button", { hasText: "Fit" }).click();
      equal("range after Fit", await range(), "");

      // The type chips filter: tools and the spans that hold them, then every span with the rest dimmed.
      await page.locator('.trace-viewer .legend-chip[data-type="TOOL"]').click();
      equal("rows with TOOL pressed", await page.locator(".trace-viewer .span-row .span-name").allTextContents(), [
        "support_agent",
        "agent_loop",
        "search_flights",
        "get_weather",
        "calculator",
      ]);
      equal("dimmed with TOOL pressed", await page.locator(".trace-viewer .span-row.dimmed .span-name").allTextContents(), ["support_agent", "agent_loop"]);
      if (!(await page.locator(".trace-viewer .span-head").textContent()).includes("(5 of 13)")) fail("the header does not say 5 of 13 spans");
      await page.locator(".trace-viewer .filter-mode").selectOption("dim");
      if ((await rowCount()) !== 13) fail(`Dim others shows ${await rowCount()} rows, expected all 13`);
      if ((await page.locator(".trace-viewer .span-row.dimmed").count()) !== 10) fail("Dim others does not dim the 10 spans that are not tools");
      await page.locator(".trace-viewer .filter-mode").selectOption("hide");
      await page.locator(".trace-viewer .status-filter").selectOption("ERROR"); // no span of this trace failed
      if (!(await page.locator(".trace-viewer .tree-empty").isVisible())) fail("no 'No span matches the filter' when none does");
      await page.locator(".trace-viewer .tree-empty button").click();
      if ((await rowCount()) !== 13) fail("Clear the filter does not bring back the 13 spans");

      // Narrow: at 700 px the bar wraps under a stacked detail, at 450 px it is one line that scrolls sideways.
      for (const width of [700, 450]) {
        await page.setViewportSize({ width, height: 800 });
        await page.waitForTimeout(100);
        const l = await page.evaluate(() => {
          const tools = document.querySelector(".trace-viewer .timeline-tools").getBoundingClientRect();
          const axis = document.querySelector(".trace-viewer .axis").getBoundingClientRect();
          return {
            toolsHeight: tools.height,
            toolsRight: tools.right,
            axisWidth: axis.width,
            pageWidth: document.documentElement.clientWidth,
            rows: document.querySelectorAll(".trace-viewer .span-row").length,
          };
        });
        if (l.toolsRight > l.pageWidth + 1) fail(`${width} px: the filter bar runs past the page (${l.toolsRight} > ${l.pageWidth})`);
        if (width === 450 && l.toolsHeight > 32) fail(`450 px: the filter bar is ${l.toolsHeight} px tall, expected one line`);
        if (!(l.axisWidth > 40)) fail(`${width} px: the axis is ${l.axisWidth} px wide`);
        await page.screenshot({ path: join(out, `04c-timeline-${width}.png`) });
      }
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.keyboard.press("Escape");
      await page.waitForSelector(".trace-viewer", { state: "hidden" });
    },
  );
}
