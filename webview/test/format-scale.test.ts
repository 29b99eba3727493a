import { afterEach, describe, expect, it } from "vitest";
import { formatDuration, preview } from "../src/format";
import { TraceViewer } from "../src/trace-viewer";
import { FakeTransport, span, summary, traceResult } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

describe("format", () => {
  it("durations", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(0.25)).toBe("0.25 ms");
    expect(formatDuration(387)).toBe("387 ms");
    expect(formatDuration(2540)).toBe("2.54 s");
    expect(formatDuration(78_610)).toBe("1 min 19 s");
    expect(formatDuration(null)).toBe("—");
  });
  it("previews are one line and clipped", () => {
    expect(preview("a\n  b\tc")).toBe("a b c");
    expect(preview("x".repeat(300), 10)).toBe(`${"x".repeat(9)}…`);
    expect(preview(null)).toBe("");
  });
});

describe("a generated 20,000-span trace", () => {
  it("opens with only the visible rows in the DOM and keeps the keyboard working", () => {
    const spans = [span("root", null, 0, 0, 20_000)];
    for (let i = 1; i < 20_000; i++) spans.push(span(`s${i}`, i % 10 === 1 ? "root" : `s${i - (i % 10 === 0 ? 9 : 1)}`, 1, i, 1));
    // re-derive depth from the parent chain so indentation is meaningful
    const depth = new Map<string, number>([["root", 0]]);
    for (const s of spans.slice(1)) {
      s.depth = depth.get(s.parentSpanId!)! + 1;
      depth.set(s.spanId, s.depth);
    }
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    const t0 = performance.now();
    viewer.show(traceResult(spans, { info: summary(1, { durationMs: 20_000 }) }));
    const ms = performance.now() - t0;
    const rows = viewer.element.querySelectorAll(".span-row").length;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(100);
    expect(viewer.element.querySelector(".span-scroller")!.getAttribute("data-span-count")).toBe("20000");
    console.log(`20,000-span tree: first render ${Math.round(ms)} ms in happy-dom, ${rows} rows in the DOM`);
    const tree = viewer.element.querySelector(".span-scroller") as HTMLElement;
    tree.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect((viewer.element.querySelector(".span-row.selected") as HTMLElement).dataset.spanId).toBe("s19999");
  });
});
