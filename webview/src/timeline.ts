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
  // Broken times (a NaN start or duration, a negative duration) must not turn every bar into NaN.
  for (const s of spans) {
    if (!Number.isFinite(s.startMs)) continue;
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + Math.max(0, finite(s.durationMs)));
  }
  const fallback = finite(fallbackDurationMs);
  if (start === Infinity) return { startMs: 0, totalMs: fallback };
  return { startMs: start, totalMs: Math.max(end - start, fallback) };
}

export interface Bar {
  /** Left edge, percent of the window. */
  leftPct: number;
  /** Width, percent of the window (never past the right edge). */
  widthPct: number;
}

function finite(n: number | null | undefined): number {
  return n !== null && n !== undefined && Number.isFinite(n) ? n : 0;
}

/** left = (startMs - traceStart) / total, width = durationMs / total, clamped to [0, 100]; a broken time draws no bar. */
export function barGeometry(startMs: number, durationMs: number | null | undefined, window: TraceWindow): Bar {
  if (!(window.totalMs > 0)) return { leftPct: 0, widthPct: 100 };
  if (!Number.isFinite(startMs)) return { leftPct: 0, widthPct: 0 };
  const left = Math.min(1, Math.max(0, (startMs - window.startMs) / window.totalMs));
  const width = Math.min(1 - left, Math.max(0, finite(durationMs) / window.totalMs));
  return { leftPct: left * 100, widthPct: width * 100 };
}
