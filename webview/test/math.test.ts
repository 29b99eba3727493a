import { describe, expect, it } from "vitest";
import { scrollToReveal, visibleRange } from "../src/virtual";
import { barGeometry, traceWindow } from "../src/timeline";
import type { Span } from "../src/protocol.generated";

describe("visibleRange", () => {
  it("covers the viewport plus overscan", () => {
    expect(visibleRange(0, 280, 28, 1000, 0)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(0, 280, 28, 1000, 4)).toEqual({ start: 0, end: 14 });
    expect(visibleRange(2800, 280, 28, 1000, 4)).toEqual({ start: 96, end: 114 });
  });
  it("handles partial rows at both edges", () => {
    expect(visibleRange(14, 28, 28, 100, 0)).toEqual({ start: 0, end: 2 });
  });
  it("clamps to the row count and to empty lists", () => {
    expect(visibleRange(0, 600, 28, 5, 4)).toEqual({ start: 0, end: 5 });
    expect(visibleRange(99999, 600, 28, 50, 2)).toEqual({ start: 47, end: 50 });
    expect(visibleRange(0, 600, 28, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(-50, 100, 20, 10, 0)).toEqual({ start: 0, end: 5 });
  });
  it("keeps the DOM small for a 20,000-row list", () => {
    const r = visibleRange((20_000 * 24) / 2, 900, 24, 20_000, 10);
    expect(r.end - r.start).toBeLessThanOrEqual(900 / 24 + 21);
  });
  it("scrollToReveal moves only when needed", () => {
    expect(scrollToReveal(5, 0, 280, 28)).toBe(0);
    expect(scrollToReveal(20, 0, 280, 28)).toBe(21 * 28 - 280);
    expect(scrollToReveal(2, 280, 280, 28)).toBe(56);
  });
});

const span = (id: string, startMs: number, durationMs: number | null): Span => ({
  spanId: id,
  name: id,
  spanType: "CHAIN",
  status: "OK",
  startMs,
  durationMs,
  depth: 0,
  selfTimeMs: 0,
  onCriticalPath: false,
  childCount: 0,
  orphaned: false,
});

describe("timeline geometry", () => {
  it("window spans first start to last end", () => {
    expect(traceWindow([span("a", 1000, 500), span("b", 1200, 600)])).toEqual({ startMs: 1000, totalMs: 800 });
  });
  it("left = offset/total, width = duration/total", () => {
    const w = { startMs: 1000, totalMs: 800 };
    expect(barGeometry(1000, 800, w)).toEqual({ leftPct: 0, widthPct: 100 });
    expect(barGeometry(1200, 200, w)).toEqual({ leftPct: 25, widthPct: 25 });
  });
  it("clamps bars that overflow the window (clock skew) and missing durations", () => {
    const w = { startMs: 1000, totalMs: 1000 };
    const skewed = barGeometry(1900, 500, w);
    expect(skewed.leftPct).toBeCloseTo(90);
    expect(skewed.widthPct).toBeCloseTo(10);
    expect(barGeometry(500, 100, w).leftPct).toBe(0);
    expect(barGeometry(1100, null, w)).toEqual({ leftPct: 10, widthPct: 0 });
  });
  it("a zero-length trace draws full-width bars", () => {
    expect(barGeometry(5, 0, { startMs: 5, totalMs: 0 })).toEqual({ leftPct: 0, widthPct: 100 });
  });
});
