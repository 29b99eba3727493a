// The span tree's timeline, as pure geometry: the trace's time window, the part of it in view (zoom and pan), each
// span's bar as percentages of the view, the time axis's ticks, and the spans' own filter (type, status, name).
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
  /** Left edge, percent of the view. */
  leftPct: number;
  /** Width, percent of the view (never past the right edge). */
  widthPct: number;
  /** The span lies wholly before or after the part of the trace in view (zoomed in): no bar to draw. */
  offscreen?: "left" | "right";
}

function finite(n: number | null | undefined): number {
  return n !== null && n !== undefined && Number.isFinite(n) ? n : 0;
}

/**
 * A span's bar in `view`: left = (start - view start) / view length, width = duration / view length, both cut to the
 * view (a span that starts before a zoomed view begins at its left edge). A broken time draws no bar.
 */
export function barGeometry(startMs: number, durationMs: number | null | undefined, view: TraceWindow): Bar {
  if (!(view.totalMs > 0)) return { leftPct: 0, widthPct: 100 };
  if (!Number.isFinite(startMs)) return { leftPct: 0, widthPct: 0 };
  const from = (startMs - view.startMs) / view.totalMs;
  const to = from + Math.max(0, finite(durationMs)) / view.totalMs;
  if (to < 0) return { leftPct: 0, widthPct: 0, offscreen: "left" };
  if (from > 1) return { leftPct: 100, widthPct: 0, offscreen: "right" };
  const left = Math.min(1, Math.max(0, from));
  const right = Math.min(1, Math.max(left, to));
  return { leftPct: left * 100, widthPct: (right - left) * 100 };
}

// ---------------------------------------------------------------- zoom and pan

/**
 * The narrowest view, as a share of the whole trace: deep enough to pull apart spans a microsecond apart in a
 * minute-long trace, not so deep that the axis runs out of digits.
 */
export const MIN_VIEW_SHARE = 1e-6;
/** One zoom step (a key, a button, a notch of the wheel with Ctrl). */
export const ZOOM_STEP = 1.5;
/** One pan step, as a share of the view. */
export const PAN_STEP = 0.2;

/** `view` moved and cut to lie inside `full`, no narrower than MIN_VIEW_SHARE of it. */
export function clampView(view: TraceWindow, full: TraceWindow): TraceWindow {
  if (!(full.totalMs > 0)) return { ...full };
  const length = Math.min(full.totalMs, Math.max(full.totalMs * MIN_VIEW_SHARE, finite(view.totalMs)));
  const start = Math.min(full.startMs + full.totalMs - length, Math.max(full.startMs, finite(view.startMs)));
  return { startMs: start, totalMs: length };
}

/**
 * Zooms by `factor` (> 1 in, < 1 out) keeping the instant at `anchor` (a share of the view: 0 the left edge, 0.5 the
 * middle, the cursor's place for the wheel) where it is on screen.
 */
export function zoomView(view: TraceWindow, full: TraceWindow, factor: number, anchor = 0.5): TraceWindow {
  const at = Math.min(1, Math.max(0, anchor));
  const length = view.totalMs / factor;
  const pivot = view.startMs + at * view.totalMs;
  return clampView({ startMs: pivot - at * length, totalMs: length }, full);
}

/** Moves the view by `share` of its own length (negative: earlier). */
export function panView(view: TraceWindow, full: TraceWindow, share: number): TraceWindow {
  return clampView({ startMs: view.startMs + share * view.totalMs, totalMs: view.totalMs }, full);
}

/** The view between two shares of `of` (a drag on the axis or the minimap, either direction). */
export function viewBetween(a: number, b: number, of: TraceWindow, full: TraceWindow): TraceWindow {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return clampView({ startMs: of.startMs + lo * of.totalMs, totalMs: (hi - lo) * of.totalMs }, full);
}

/** A span's own time, with a margin of a tenth on each side so its edges show (`z`: zoom to the selected span). */
export function viewOfSpan(span: Span, full: TraceWindow): TraceWindow {
  const length = Math.max(0, finite(span.durationMs));
  const margin = Math.max(length * 0.1, full.totalMs * MIN_VIEW_SHARE * 10);
  return clampView({ startMs: finite(span.startMs) - margin, totalMs: length + 2 * margin }, full);
}

/** True when the view shows the whole trace. */
export function isWholeTrace(view: TraceWindow, full: TraceWindow): boolean {
  return view.totalMs >= full.totalMs * (1 - 1e-9);
}

// ---------------------------------------------------------------- the time axis

export interface Tick {
  /** Place on the axis, percent of the view. */
  pct: number;
  /** Time since the trace began ("0 ms", "1.5 s"). */
  label: string;
}

/** A round step (1, 2 or 5 × 10ⁿ ms) that gives about one tick per `pxPerTick` of axis, and at least two ticks. */
export function tickStep(viewMs: number, widthPx: number, pxPerTick = 70): number {
  const wanted = Math.max(2, Math.round(widthPx / pxPerTick));
  const raw = viewMs / wanted;
  if (!(raw > 0) || !Number.isFinite(raw)) return 0;
  const decade = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * decade >= raw) return m * decade;
  return 10 * decade;
}

/**
 * An offset on the axis with the digits its step needs: milliseconds under a second (with decimals below a
 * millisecond step), seconds past it, minutes past a minute.
 */
export function tickLabel(offsetMs: number, stepMs: number): string {
  if (offsetMs === 0) return "0";
  if (offsetMs < 1000) return `${offsetMs.toFixed(decimalsFor(stepMs))} ms`;
  if (offsetMs < 60_000) return `${(offsetMs / 1000).toFixed(decimalsFor(stepMs / 1000))} s`;
  const minutes = Math.floor(offsetMs / 60_000);
  const seconds = (offsetMs - minutes * 60_000) / 1000;
  const digits = decimalsFor(stepMs / 1000);
  return Number(seconds.toFixed(digits)) === 0 ? `${minutes} min` : `${minutes} min ${seconds.toFixed(digits)} s`;
}

/** Decimals that tell apart ticks `step` apart (0 for a step of 1 or more). */
function decimalsFor(step: number): number {
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
}

/** The ticks of `view` on an axis `widthPx` wide, labelled by the time since `full` (the trace) began. */
export function axisTicks(view: TraceWindow, full: TraceWindow, widthPx: number): Tick[] {
  const step = tickStep(view.totalMs, widthPx);
  if (!(step > 0)) return [{ pct: 0, label: "0" }];
  const ticks: Tick[] = [];
  const firstOffset = Math.ceil((view.startMs - full.startMs) / step - 1e-9) * step;
  for (let offset = firstOffset; ; offset += step) {
    const pct = ((full.startMs + offset - view.startMs) / view.totalMs) * 100;
    if (pct > 100 + 1e-9 || ticks.length > 200) break;
    ticks.push({ pct, label: tickLabel(Math.max(0, offset), step) });
  }
  return ticks;
}

// ---------------------------------------------------------------- the spans' filter

/** What the tree's filter keeps: span types (empty: all), a status (null: any), a name (empty: any). */
export interface SpanFilter {
  types: ReadonlySet<string>;
  status: "ERROR" | "OK" | "UNSET" | null;
  name: string;
  /** Spans the filter does not keep are dimmed in place, or hidden (their ancestors stay, dimmed, to hold the tree). */
  mode: "dim" | "hide";
}

export const NO_FILTER: SpanFilter = { types: new Set(), status: null, name: "", mode: "hide" };

export function isFiltering(f: SpanFilter): boolean {
  return f.types.size > 0 || f.status !== null || f.name.trim() !== "";
}

/** The span's status as the filter reads it: MLflow's ERROR / OK / UNSET, also in OTel's STATUS_CODE_ spelling. */
export function statusOf(s: Span): "ERROR" | "OK" | "UNSET" {
  const raw = (s.status ?? "").toUpperCase().replace(/^STATUS_CODE_/, "");
  return raw === "ERROR" ? "ERROR" : raw === "OK" ? "OK" : "UNSET";
}

/** Whether the filter keeps `s` (a name matches case-insensitively anywhere, or a span type exactly). */
export function spanMatches(s: Span, f: SpanFilter): boolean {
  if (f.types.size > 0 && !f.types.has((s.spanType || "UNKNOWN").toUpperCase())) return false;
  if (f.status !== null && statusOf(s) !== f.status) return false;
  const q = f.name.trim().toLowerCase();
  return !q || s.name.toLowerCase().includes(q) || (s.spanType ?? "").toLowerCase() === q;
}

/** The span types of a trace, commonest first (the legend, which is also the type filter). */
export function typesOf(spans: readonly Span[]): { type: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const s of spans) {
    const t = (s.spanType || "UNKNOWN").toUpperCase();
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
}
