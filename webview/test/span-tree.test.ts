// Bad shapes a host can send (OTLP exporters make them): every span must stay reachable and readable.
import { describe, expect, it } from "vitest";
import { resolveParents } from "../src/span-tree";
import { INDENTED_LEVELS, SpanTree, TraceViewer, indentOf, warningsText } from "../src/trace-viewer";
import { durationProblem, durationWithWarning, formatDuration } from "../src/format";
import { barGeometry, traceWindow } from "../src/timeline";
import type { Span } from "../src/protocol.generated";
import { FakeTransport, span, summary, traceResult } from "./fixtures";

const ids = (list: readonly Span[]) => list.map((s) => s.spanId);

/** The viewer's rows for a trace: name, depth (aria-level - 1), row warning, duration cell, depth badge. */
function rowsOf(spans: Span[], extra: Parameters<typeof traceResult>[1] = {}) {
  const viewer = new TraceViewer(new FakeTransport({}));
  viewer.show(traceResult(spans, extra));
  const rows = [...viewer.element.querySelectorAll<HTMLElement>(".span-row")].map((r) => ({
    id: r.dataset.spanId!,
    depth: Number(r.getAttribute("aria-level")) - 1,
    warning: r.querySelector(".span-label .warning-mark")?.getAttribute("title") ?? null,
    duration: r.querySelector(".span-duration")!.textContent,
    durationWarning: r.querySelector(".span-duration .warning-mark")?.getAttribute("title") ?? null,
    badge: r.querySelector(".depth-badge")?.textContent ?? null,
  }));
  return { viewer, rows };
}

describe("resolveParents (the host's rules for detached spans)", () => {
  it("a span that is its own parent and two spans that are each other's parent hang under the root, each with its reason", () => {
    // As the host sends it: every span, the cycle's members flagged, depth as placed by the host.
    const spans = [
      span("r", null, 0, 0, 100),
      span("self", "self", 1, 10, 5, { orphaned: true }),
      span("a", "b", 1, 20, 5, { orphaned: true }),
      span("b", "a", 2, 30, 5),
    ];
    const t = resolveParents(spans);
    expect(t.roots).toEqual(["r"]);
    expect(t.parent.get("self")).toBe("r");
    expect(t.detached.get("self")).toBe("it is its own parent");
    // The cycle is broken at its earliest span (a, start 20): a goes under the root, b stays under a.
    expect(t.parent.get("a")).toBe("r");
    expect(t.parent.get("b")).toBe("a");
    expect(t.detached.get("a")).toMatch(/^its parent chain is a cycle \((a → b → a|b → a → b)\)$/);
    expect(t.detached.has("b")).toBe(false);
    expect([...t.depth.entries()].sort()).toEqual([
      ["a", 1],
      ["b", 2],
      ["r", 0],
      ["self", 1],
    ]);
  });

  it("an orphan (its parent is not in the trace) hangs under the earliest parentless span, its subtree with it", () => {
    const spans = [span("late-root", null, 0, 50, 10), span("r", null, 0, 0, 100), span("o", "gone", 1, 5, 5), span("oc", "o", 2, 6, 1)];
    const t = resolveParents(spans);
    expect(t.parent.get("o")).toBe("r");
    expect(t.parent.get("oc")).toBe("o");
    expect(t.detached.get("o")).toBe("its parent gone is not in the trace");
    expect(t.roots).toEqual(["late-root", "r"]); // another real root stays a root, as the host keeps it
    expect(t.depth.get("oc")).toBe(2);
  });

  it("with no root at all, the earliest detached span is the root and says so", () => {
    const spans = [span("x", "gone", 0, 10, 5, { orphaned: true }), span("y", "gone2", 0, 5, 5, { orphaned: true }), span("z", "y", 1, 6, 1)];
    const t = resolveParents(spans);
    expect(t.roots).toEqual(["y"]);
    expect(t.parent.get("x")).toBe("y");
    expect(t.detached.get("y")).toBe("the trace has no root span (its parent gone2 is not in the trace)");
    expect(t.detached.get("x")).toBe("its parent gone is not in the trace");
  });

  it("a trace that is only a cycle still shows every span", () => {
    const spans = [span("p", "q", 0, 5, 1), span("q", "p", 1, 1, 1)];
    const tree = new SpanTree(spans);
    expect(ids(tree.visible()).sort()).toEqual(["p", "q"]);
    expect(ids(tree.roots)).toEqual(["q"]); // the earliest of the cycle
  });

  it("a chain 20,000 deep resolves without recursion", () => {
    const spans = Array.from({ length: 20_000 }, (_, i) => span(`d${i}`, i ? `d${i - 1}` : null, i, i, 1));
    const t = resolveParents(spans);
    expect(t.depth.get("d19999")).toBe(19_999);
  });
});

describe("the span tree in the viewer", () => {
  it("shows all four spans of a trace with a self-parent and a two-span cycle, each re-attached one flagged on its row", () => {
    const spans = [
      span("r", null, 0, 0, 100, { name: "root" }),
      span("self", "self", 1, 10, 5, { orphaned: true }),
      span("a", "b", 1, 20, 5, { orphaned: true }),
      span("b", "a", 2, 30, 5),
    ];
    const { rows } = rowsOf(spans, { warnings: ["Span 'self' (self) is shown under the root 'root' (r): it is its own parent."] });
    expect(rows.map((r) => [r.id, r.depth])).toEqual([
      ["r", 0],
      ["self", 1],
      ["a", 1],
      ["b", 2],
    ]);
    expect(rows.find((r) => r.id === "self")!.warning).toBe("Shown under the root 'root': it is its own parent.");
    expect(rows.find((r) => r.id === "a")!.warning).toMatch(/^Shown under the root 'root': its parent chain is a cycle/);
    expect(rows.find((r) => r.id === "b")!.warning).toBeNull();
    expect(rows.find((r) => r.id === "r")!.warning).toBeNull();
  });

  it("ArrowLeft from a re-attached span goes to the root it is shown under", () => {
    const spans = [span("r", null, 0, 0, 100), span("self", "self", 1, 10, 5)];
    const { viewer } = rowsOf(spans);
    viewer.select("self");
    viewer.element.querySelector(".span-scroller")!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(viewer.element.querySelector(".span-row.selected")!.getAttribute("data-span-id")).toBe("r");
  });

  it("the detail of a re-attached span says where it is shown and why", () => {
    const { viewer } = rowsOf([span("r", null, 0, 0, 100, { name: "root" }), span("o", "gone", 1, 5, 5, { orphaned: true })]);
    viewer.select("o");
    expect(viewer.element.querySelector(".detail-warning")!.textContent).toBe("⚠ Shown under the root 'root': its parent gone is not in the trace.");
  });

  it("a depth-300 chain: indentation stops at a cap and deep rows show their depth on a badge", () => {
    const spans = Array.from({ length: 301 }, (_, i) => span(`d${i}`, i ? `d${i - 1}` : null, i, i, 1000 - i));
    const { viewer } = rowsOf(spans);
    viewer.select("d300");
    const row = viewer.element.querySelector<HTMLElement>('.span-row[data-span-id="d300"]')!;
    expect(row.getAttribute("aria-level")).toBe("301");
    expect(row.querySelector(".depth-badge")!.textContent).toBe("300");
    expect(row.querySelector(".span-name")!.textContent).toBe("span-d300");
    const indentOfRow = (id: string) =>
      Number(viewer.element.querySelector<HTMLElement>(`.span-row[data-span-id="${id}"] .span-label`)!.style.getPropertyValue("--indent"));
    // Capped: the deepest rows are indented no more than level 8 (the badge takes the room of the rest).
    expect(indentOfRow("d300")).toBe(indentOf(300).levels);
    expect(indentOf(300).levels).toBeLessThanOrEqual(INDENTED_LEVELS);
    expect(indentOf(INDENTED_LEVELS).badge).toBeNull();
    expect(indentOf(INDENTED_LEVELS + 1).badge).toBe(String(INDENTED_LEVELS + 1));
    expect(indentOf(2).levels).toBeLessThan(indentOf(3).levels);
  });
});

describe("broken durations", () => {
  it("a negative duration is shown as it is and flagged, in the row and the detail", () => {
    const { viewer, rows } = rowsOf([span("r", null, 0, 0, 300), span("skew", "r", 1, 200, -100)]);
    const skew = rows.find((r) => r.id === "skew")!;
    expect(skew.duration).toBe("-100 ms ⚠");
    expect(skew.durationWarning).toMatch(/ends before it starts/);
    expect(rows.find((r) => r.id === "r")!.durationWarning).toBeNull();
    viewer.select("skew");
    expect(viewer.element.querySelector(".detail-meta .warning-mark")!.getAttribute("title")).toMatch(/ends before it starts/);
  });

  it("NaN and Infinity durations show a dash, flagged, and draw no NaN bars", () => {
    expect(formatDuration(Number.NaN)).toBe("—");
    expect(durationProblem(Number.NaN)).toMatch(/not a finite number \(NaN\)/);
    expect(durationProblem(Number.POSITIVE_INFINITY)).toMatch(/not a finite number \(Infinity\)/);
    expect(durationProblem(null)).toBeNull(); // still running: not a fault
    expect(durationProblem(0)).toBeNull();
    const spans = [span("r", null, 0, 0, 100), span("nan", "r", 1, 10, Number.NaN), span("inf", "r", 1, 20, Number.POSITIVE_INFINITY)];
    const window = traceWindow(spans, 100);
    expect(window).toEqual({ startMs: 0, totalMs: 100 });
    for (const s of spans) {
      const bar = barGeometry(s.startMs, s.durationMs, window);
      expect(Number.isFinite(bar.leftPct) && Number.isFinite(bar.widthPct)).toBe(true);
    }
    expect(barGeometry(Number.NaN, 5, window)).toEqual({ leftPct: 0, widthPct: 0 });
    const { rows } = rowsOf(spans);
    expect(rows.find((r) => r.id === "nan")!.duration).toBe("— ⚠");
    expect(rows.find((r) => r.id === "inf")!.durationWarning).toMatch(/Infinity/);
  });

  it("durationWithWarning keeps another formatter's text (the Overview's latencies)", () => {
    const el = durationWithWarning(-100, "-100.00ms");
    expect(el.textContent).toBe("-100.00ms ⚠");
    expect(durationWithWarning(12, "12.00ms").querySelector(".warning-mark")).toBeNull();
  });
});

describe("header and banner", () => {
  it("joins the host's warnings as sentences, never '.;'", () => {
    expect(warningsText(["Span 'a' (1) is shown under the root 'r' (0): it is its own parent.", "Duplicate span ID 2: kept the first span", "  "])).toBe(
      "Span 'a' (1) is shown under the root 'r' (0): it is its own parent. Duplicate span ID 2: kept the first span.",
    );
    const { viewer } = rowsOf([span("r", null, 0, 0, 1)], { warnings: ["First.", "Second."] });
    expect(viewer.element.querySelector(".viewer-message")!.textContent).toBe("Warnings: First. Second.");
  });

  it("an unnamed trace is titled by its ID once", () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    const info = summary(1, { name: null, traceId: "tr-unnamed" });
    viewer.show(traceResult([span("r", null, 0, 0, 1)], { info }));
    void viewer.open(info); // paints the title from the summary
    expect(viewer.element.querySelector(".viewer-title")!.textContent!.split("tr-unnamed").length - 1).toBe(1);
    const named = new TraceViewer(new FakeTransport({}));
    void named.open(summary(2, { traceId: "tr-named" }));
    expect(named.element.querySelector(".viewer-title")!.textContent).toMatch(/^trace 2 .*tr-named/);
  });
});
