// Timeline bar geometry for the span tree: fractions of the trace's time span, as percentages.
import type { Span } from "./protocol.generated";

export interface TraceWindow {
  startMs: number;
  totalMs: number;
}

/** The window every bar is drawn against: first span start → last span end. */
export function traceWindow(spans: readonly Span[], fallbackDurationMs?: number | null): TraceWindow {
  if (spans.length === 0) return { startMs: 0, totalMs: fallbackDurationMs ?? 0 };
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + (s.durationMs ?? 0));
  }
  return { startMs: start, totalMs: Math.max(end - start, fallbackDurationMs ?? 0) };
}

export interface Bar {
  /** Left edge, percent of the window. */
  leftPct: number;
  /** Width, percent of the window (never past the right edge). */
  widthPct: number;
}

/** left = (startMs - traceStart) / total, width = durationMs / total, clamped to [0, 100]. */
export function barGeometry(startMs: number, durationMs: number | null | undefined, window: TraceWindow): Bar {
  if (!(window.totalMs > 0)) return { leftPct: 0, widthPct: 100 };
  const left = Math.min(1, Math.max(0, (startMs - window.startMs) / window.totalMs));
  const width = Math.min(1 - left, Math.max(0, (durationMs ?? 0) / window.totalMs));
  return { leftPct: left * 100, widthPct: width * 100 };
}
