import { describe, expect, it } from "vitest";
import {
  axisTicks,
  barGeometry,
  clampView,
  isFiltering,
  isWholeTrace,
  MIN_VIEW_SHARE,
  NO_FILTER,
  panView,
  spanMatches,
  tickLabel,
  tickStep,
  typesOf,
  viewBetween,
  viewOfSpan,
  zoomView,
} from "../src/timeline";
import { TraceViewer } from "../src/trace-viewer";
import { FakeTransport, span, summary, traceResult } from "./fixtures";

const full = { startMs: 1000, totalMs: 1000 };

describe("timeline zoom and pan", () => {
  it("a zoomed view cuts bars at its edges and marks spans wholly outside it", () => {
    const view = { startMs: 1400, totalMs: 200 };
    expect(barGeometry(1450, 50, view)).toEqual({ leftPct: 25, widthPct: 25 });
    // Starts before the view, ends inside it: drawn from the left edge to its end, not its whole length.
    const cut = barGeometry(1300, 200, view);
    expect(cut.leftPct).toBe(0);
    expect(cut.widthPct).toBeCloseTo(50);
    expect(barGeometry(1000, 100, view)).toEqual({ leftPct: 0, widthPct: 0, offscreen: "left" });
    expect(barGeometry(1700, 100, view)).toEqual({ leftPct: 100, widthPct: 0, offscreen: "right" });
    expect(barGeometry(1300, 1000, view)).toEqual({ leftPct: 0, widthPct: 100 });
  });

  it("zooms around the anchor, keeping the instant under it in place", () => {
    const v = zoomView(full, full, 2, 0.25); // the pointer at a quarter: 1250 ms stays at a quarter
    expect(v.totalMs).toBe(500);
    expect(v.startMs + 0.25 * v.totalMs).toBe(1250);
    expect(zoomView(v, full, 0.5, 0.25)).toEqual(full);
    // Out past the whole trace, and in past the narrowest view, stop there.
    expect(zoomView(full, full, 1 / 8)).toEqual(full);
    expect(zoomView(full, full, 1e9).totalMs).toBeCloseTo(full.totalMs * MIN_VIEW_SHARE);
  });

  it("pans by a share of the view and stops at the trace's ends", () => {
    const v = { startMs: 1400, totalMs: 200 };
    expect(panView(v, full, 0.5)).toEqual({ startMs: 1500, totalMs: 200 });
    expect(panView(v, full, -10)).toEqual({ startMs: 1000, totalMs: 200 });
    expect(panView(v, full, 10)).toEqual({ startMs: 1800, totalMs: 200 });
  });

  it("a dragged range becomes the view whichever way it was dragged; a span's view has a margin", () => {
    const dragged = viewBetween(0.6, 0.2, full, full);
    expect(dragged.startMs).toBe(1200);
    expect(dragged.totalMs).toBeCloseTo(400);
    expect(viewBetween(0.5, 1, { startMs: 1200, totalMs: 400 }, full)).toEqual({ startMs: 1400, totalMs: 200 });
    const s = span("s", null, 0, 1500, 100);
    expect(viewOfSpan(s, full)).toEqual({ startMs: 1490, totalMs: 120 });
    // A span with a broken or negative duration still gives a view (around its start), inside the trace.
    const broken = viewOfSpan(span("n", null, 0, 1500, -50), full);
    expect(broken.startMs).toBeLessThanOrEqual(1500);
    expect(broken.startMs + broken.totalMs).toBeGreaterThanOrEqual(1500);
    expect(clampView({ startMs: NaN, totalMs: NaN }, full)).toEqual({ startMs: 1000, totalMs: 1000 * MIN_VIEW_SHARE });
    expect(isWholeTrace(full, full)).toBe(true);
    expect(isWholeTrace({ startMs: 1000, totalMs: 999 }, full)).toBe(false);
  });
});

describe("the time axis", () => {
  it("picks a round step for about one tick per 70 px, and at least two ticks", () => {
    expect(tickStep(4810, 262)).toBe(2000);
    expect(tickStep(4810, 700)).toBe(500);
    expect(tickStep(470, 262)).toBe(200);
    expect(tickStep(0.3, 262)).toBeCloseTo(0.1);
    expect(tickStep(100, 10)).toBe(50); // a 10 px axis still asks for two
    expect(tickStep(0, 300)).toBe(0);
  });

  it("labels offsets since the trace began with the digits the step needs", () => {
    expect(tickLabel(0, 500)).toBe("0");
    expect(tickLabel(500, 500)).toBe("500 ms");
    expect(tickLabel(1500, 500)).toBe("1.5 s");
    expect(tickLabel(2000, 1000)).toBe("2 s");
    expect(tickLabel(0.25, 0.05)).toBe("0.25 ms");
    expect(tickLabel(1200, 200)).toBe("1.2 s");
    expect(tickLabel(125_000, 5_000)).toBe("2 min 5 s");
    expect(tickLabel(60_000, 20_000)).toBe("1 min");
    expect(tickLabel(90_500, 500)).toBe("1 min 30.5 s");
  });

  it("ticks of a zoomed view are offsets from the trace's start, inside the view", () => {
    const ticks = axisTicks({ startMs: 1830, totalMs: 470 }, full, 262);
    expect(ticks.map((t) => t.label)).toEqual(["1.0 s", "1.2 s"]);
    expect(ticks[0]!.pct).toBeCloseTo(((2000 - 1830) / 470) * 100);
    expect(axisTicks(full, full, 700).map((t) => t.label)).toEqual([
      "0",
      "100 ms",
      "200 ms",
      "300 ms",
      "400 ms",
      "500 ms",
      "600 ms",
      "700 ms",
      "800 ms",
      "900 ms",
      "1.0 s",
    ]);
    expect(axisTicks({ startMs: 0, totalMs: 0 }, { startMs: 0, totalMs: 0 }, 300)).toEqual([{ pct: 0, label: "0" }]);
  });
});

describe("the spans' filter", () => {
  const spans = [
    span("r", null, 0, 0, 100, { spanType: "AGENT" }),
    span("l", "r", 1, 0, 40, { spanType: "CHAT_MODEL", name: "Completions" }),
    span("t", "r", 1, 40, 10, { spanType: "TOOL", status: "ERROR", name: "search" }),
    span("u", "r", 1, 50, 10, { spanType: "", status: "STATUS_CODE_ERROR", name: "otel" }),
  ];

  it("keeps spans by type, status (MLflow's or OTel's spelling) and name", () => {
    const keep = (f: Partial<typeof NO_FILTER>) => spans.filter((s) => spanMatches(s, { ...NO_FILTER, ...f })).map((s) => s.spanId);
    expect(keep({})).toEqual(["r", "l", "t", "u"]);
    expect(keep({ types: new Set(["TOOL", "CHAT_MODEL"]) })).toEqual(["l", "t"]);
    expect(keep({ types: new Set(["UNKNOWN"]) })).toEqual(["u"]);
    expect(keep({ status: "ERROR" })).toEqual(["t", "u"]);
    expect(keep({ status: "OK" })).toEqual(["r", "l"]);
    expect(keep({ status: "ERROR", name: "SEA" })).toEqual(["t"]);
    expect(isFiltering(NO_FILTER)).toBe(false);
    expect(isFiltering({ ...NO_FILTER, name: "  " })).toBe(false);
  });

  it("lists a trace's types commonest first (the legend)", () => {
    expect(typesOf([...spans, span("l2", "r", 1, 60, 5, { spanType: "CHAT_MODEL" })])).toEqual([
      { type: "CHAT_MODEL", count: 2 },
      { type: "AGENT", count: 1 },
      { type: "TOOL", count: 1 },
      { type: "UNKNOWN", count: 1 },
    ]);
  });
});

describe("the viewer's timeline", () => {
  const trace = () =>
    traceResult(
      [
        span("root", null, 0, 0, 1000, { spanType: "AGENT", name: "agent", onCriticalPath: true }),
        span("llm", "root", 1, 0, 600, { spanType: "CHAT_MODEL", name: "Completions", onCriticalPath: true }),
        span("tool", "root", 1, 600, 100, { spanType: "TOOL", name: "search", status: "ERROR" }),
        span("late", "root", 1, 900, 100, { spanType: "TOOL", name: "calculator" }),
      ],
      { info: summary(1, { durationMs: 1000 }) },
    );
  const open = () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    viewer.show(trace());
    return viewer;
  };
  const rowsOf = (viewer: TraceViewer) => [...viewer.element.querySelectorAll<HTMLElement>(".span-row")];
  const key = (viewer: TraceViewer, k: string, extra: KeyboardEventInit = {}) =>
    viewer.element.querySelector(".span-scroller")!.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, ...extra }));

  it("draws an axis, a legend of the trace's types, and bars coloured by type with the critical path marked", () => {
    const viewer = open();
    expect([...viewer.element.querySelectorAll(".axis .tick-label")].map((t) => t.textContent)[0]).toBe("0");
    expect([...viewer.element.querySelectorAll(".legend-chip")].map((c) => c.textContent)).toEqual(["TOOL 2", "AGENT 1", "CHAT 1"]);
    expect(viewer.element.querySelector(".legend")!.textContent).toContain("error");
    const bar = (id: string) => viewer.element.querySelector(`[data-span-id="${id}"] .bar`)!;
    expect(bar("llm").className).toBe("bar type-colour-llm critical");
    expect(bar("tool").className).toBe("bar type-colour-tool bar-error");
    viewer.element.remove();
  });

  it("+ and − zoom, Shift+→ pans, 0 shows the whole trace, z zooms to the selected span", () => {
    const viewer = open();
    const lateBar = () => viewer.element.querySelector<HTMLElement>('[data-span-id="late"] .bar')!;
    expect(lateBar().style.left).toBe("90%");
    key(viewer, "+");
    key(viewer, "+"); // 1000 / 1.5² = 444 ms around the middle: 278–722 ms
    expect(lateBar().hidden).toBe(true);
    expect(viewer.element.querySelector('[data-span-id="late"] .offscreen-right')).not.toBeNull();
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("278 ms – 722 ms of 1.00 s");
    key(viewer, "ArrowRight", { shiftKey: true });
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("367 ms – 811 ms of 1.00 s");
    key(viewer, "0");
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("");
    expect(lateBar().style.left).toBe("90%");
    viewer.select("tool");
    key(viewer, "z");
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("590 ms – 710 ms of 1.00 s");
    const toolBar = viewer.element.querySelector<HTMLElement>('[data-span-id="tool"] .bar')!;
    expect(parseFloat(toolBar.style.left)).toBeCloseTo((10 / 120) * 100);
    key(viewer, "-");
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("560 ms – 740 ms of 1.00 s");
    viewer.element.remove();
  });

  it("a legend chip filters by type: others hidden (ancestors kept, dimmed), or dimmed in place", () => {
    const viewer = open();
    const ids = () => rowsOf(viewer).map((r) => `${r.dataset.spanId}${r.classList.contains("dimmed") ? "~" : ""}`);
    expect(ids()).toEqual(["root", "llm", "tool", "late"]);
    viewer.element.querySelector<HTMLElement>('.legend-chip[data-type="TOOL"]')!.click();
    expect(ids()).toEqual(["root~", "tool", "late"]);
    expect(viewer.element.querySelector(".span-head")!.textContent).toContain("(3 of 4)");
    const mode = viewer.element.querySelector<HTMLSelectElement>(".filter-mode")!;
    mode.value = "dim";
    mode.dispatchEvent(new Event("change"));
    expect(ids()).toEqual(["root~", "llm~", "tool", "late"]);
    const status = viewer.element.querySelector<HTMLSelectElement>(".status-filter")!;
    status.value = "ERROR";
    status.dispatchEvent(new Event("change"));
    expect(ids()).toEqual(["root~", "llm~", "tool", "late~"]);
    // Nothing kept: the tree says so and offers the way back.
    const empty = viewer.element.querySelector<HTMLElement>(".tree-empty")!;
    expect(empty.hidden).toBe(true);
    mode.value = "hide";
    mode.dispatchEvent(new Event("change"));
    status.value = "UNSET";
    status.dispatchEvent(new Event("change"));
    expect(ids()).toEqual([]);
    expect(empty.hidden).toBe(false);
    empty.querySelector("button")!.click();
    expect(ids()).toEqual(["root", "llm", "tool", "late"]);
    expect(status.value).toBe("");
    expect(empty.hidden).toBe(true);
    viewer.element.remove();
  });

  it("a new trace shows whole and unfiltered; the rest of the same trace keeps the zoom", async () => {
    const viewer = open();
    key(viewer, "+");
    viewer.element.querySelector<HTMLElement>('.legend-chip[data-type="TOOL"]')!.click();
    viewer.show(trace());
    expect(viewer.element.querySelector(".view-range")!.textContent).toBe("");
    expect(rowsOf(viewer)).toHaveLength(4);
    viewer.element.remove();
  });
});
