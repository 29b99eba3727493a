import { h } from "./dom";

/** A duration as it is, a negative one (a span that ends before it starts) too: "-100 ms". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms === 0) return "0 ms";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/**
 * Why a span's duration cannot be taken at face value, or null: it is negative (the span ends before it starts) or
 * not a number at all. A running span (null) has no duration yet, which is not a fault.
 */
export function durationProblem(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  if (!Number.isFinite(ms)) return `The duration is not a finite number (${String(ms)}): the span's start or end time is broken.`;
  if (ms < 0) return "Negative duration: the span ends before it starts (clock skew between machines, or a wrong timestamp).";
  return null;
}

/** A duration as text with, when it is suspect (durationProblem), a warning mark whose tooltip says why. */
export function durationWithWarning(ms: number | null | undefined, text = formatDuration(ms)): HTMLElement {
  const problem = durationProblem(ms);
  const el = h("span", { class: problem ? "duration suspect" : "duration" }, text);
  if (problem) el.append(" ", h("span", { class: "warning-mark", title: problem, "aria-label": problem, role: "img" }, "⚠"));
  return el;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Local time, `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One formatter for every call: `toLocaleString("en-US")` builds one per call, which shows in a list scroll. */
const EN_US_NUMBER = new Intl.NumberFormat("en-US");

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  return EN_US_NUMBER.format(n);
}

/** One line of at most `max` characters, for table cells. */
export function preview(text: string | null | undefined, max = 200): string {
  if (!text) return "";
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

// The Overview's numbers, as MLflow's Overview writes them.

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  if (!Number.isFinite(ms)) return nonFinite(ms);
  return ms < 1000 ? `${ms.toFixed(2)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** Axis ticks: 250ms, 1.5s, 75s. */
export function latencyTick(ms: number): string {
  if (ms === 0) return "0";
  if (Math.abs(ms) < 1000) return `${Math.round(ms)}ms`;
  return `${Math.round((ms / 1000) * 10) / 10}s`;
}

export function formatCompact(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  if (!Number.isFinite(n)) return nonFinite(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2).replace(/\.?0+$/, "")}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(2).replace(/\.?0+$/, "")}K`;
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function formatPercent(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  return Number.isFinite(n) ? `${n.toFixed(2)}%` : nonFinite(n);
}

/** A mean or score with 2 decimals; a non-finite one said as such, not as a dash or a zero. */
export function formatMetric(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  return Number.isFinite(n) ? n.toFixed(2) : nonFinite(n);
}

/** NaN, ∞ or −∞: a value that is not a finite number is said as such, never as a dash (no value) or a zero. */
function nonFinite(n: number): string {
  return Number.isNaN(n) ? "NaN" : n > 0 ? "∞" : "−∞";
}
