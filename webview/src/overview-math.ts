// Overview time range and time unit (docs/mlflow-notes.md#overview-tab) and the shaping of overview answers
// into chart series. Pure functions: tested in test/overview.test.ts.
import type {
  OverviewQualityResult,
  OverviewToolCallsResult,
  OverviewUsageResult,
  AssessmentQuality,
  UsageBucket,
  ToolBucket,
  MetricNumber,
} from "./protocol.generated";
import { formatCompact, formatLatency, formatPercent } from "./format";

export type RangeKey = "LAST_HOUR" | "LAST_24_HOURS" | "LAST_7_DAYS" | "LAST_30_DAYS" | "LAST_YEAR" | "CUSTOM";
export type TimeUnit = "second" | "minute" | "hour" | "day" | "month" | "year";

export const RANGES: { key: RangeKey; label: string; seconds: number | null }[] = [
  { key: "LAST_HOUR", label: "Last hour", seconds: 3600 },
  { key: "LAST_24_HOURS", label: "Last 24 hours", seconds: 86_400 },
  { key: "LAST_7_DAYS", label: "Last 7 days", seconds: 7 * 86_400 },
  { key: "LAST_30_DAYS", label: "Last 30 days", seconds: 30 * 86_400 },
  { key: "LAST_YEAR", label: "Last year", seconds: 365 * 86_400 },
  { key: "CUSTOM", label: "Custom", seconds: null },
];
export const DEFAULT_RANGE: RangeKey = "LAST_7_DAYS";

export const UNITS: { key: TimeUnit; label: string; seconds: number }[] = [
  { key: "second", label: "Second", seconds: 1 },
  { key: "minute", label: "Minute", seconds: 60 },
  { key: "hour", label: "Hour", seconds: 3600 },
  { key: "day", label: "Day", seconds: 86_400 },
  { key: "month", label: "Month", seconds: 2_592_000 },
  { key: "year", label: "Year", seconds: 31_536_000 },
];
export const MAX_BUCKETS = 1000;

export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** The [start, end] of a preset ending now; CUSTOM keeps the given range. */
export function resolveRange(key: RangeKey, nowMs: number, custom?: TimeRange): TimeRange {
  const preset = RANGES.find((r) => r.key === key);
  if (!preset || preset.seconds === null) return custom ?? { startMs: nowMs - 7 * 86_400_000, endMs: nowMs };
  return { startMs: nowMs - preset.seconds * 1000, endMs: nowMs };
}

/** Units giving at most 1000 buckets for the range: ceil(range_seconds / unit) ≤ 1000. */
export function validUnits(range: TimeRange): TimeUnit[] {
  const seconds = Math.max(0, (range.endMs - range.startMs) / 1000);
  return UNITS.filter((u) => Math.ceil(seconds / u.seconds) <= MAX_BUCKETS).map((u) => u.key);
}

/** ≤ 1 h → minute; ≤ 24 h → hour; ≤ 30 d → day; ≤ 365 d → month; else year. */
export function defaultUnit(range: TimeRange): TimeUnit {
  const s = (range.endMs - range.startMs) / 1000;
  if (s <= 3600) return "minute";
  if (s <= 86_400) return "hour";
  if (s <= 30 * 86_400) return "day";
  if (s <= 365 * 86_400) return "month";
  return "year";
}

/** Keeps a manual unit while it stays valid for the range, else the default. */
export function chooseUnit(range: TimeRange, manual: TimeUnit | null): TimeUnit {
  return manual && validUnits(range).includes(manual) ? manual : defaultUnit(range);
}

/** Avg Value of the quality summary: only when every value parses as a number (docs/mlflow-notes.md#overview-tab; booleans and "yes" → none). */
export function isNumericAssessment(a: AssessmentQuality): boolean {
  return a.distribution.length > 0 && a.distribution.every((d) => Number.isFinite(parseFloat(d.rawValue)));
}

/** One chart's data: x in seconds (uPlot's time scale), one array per series (null = gap). */
export interface ChartData {
  x: number[];
  series: { label: string; values: (number | null)[]; kind?: "bar" | "line" | "area"; colour?: string }[];
  reference?: { label: string; value: number };
}

const xs = (times: number[]) => times.map((t) => Math.floor(t / 1000));
/**
 * A bucket without the number (no trace there) is a gap in the line, not a fall to zero; so is one whose number
 * is NaN or ±∞, which a chart cannot place (the card's headline and the legend's total say it).
 */
const gap = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v : null);
/** A reference line only at a finite value. */
const reference = (label: string, value: number | null | undefined) => (value != null && Number.isFinite(value) ? { label, value } : undefined);

/**
 * What the legend shows for a series at a bucket: a stacked area's own value, not the running sum it is drawn
 * at (Output over Input is drawn at Input + Output, and reads as Output).
 */
export function legendValue(s: ChartData["series"][number], drawn: number | null | undefined, index: number | null | undefined): number | null {
  if (s.kind === "area") return index === null || index === undefined ? null : (s.values[index] ?? null);
  return drawn ?? null;
}

/** An overview answer with its metric numbers read as numbers: NaN and ±Infinity as themselves, not strings. */
export type Numbers<T> = T extends MetricNumber
  ? number
  : T extends readonly (infer U)[]
    ? Numbers<U>[]
    : T extends object
      ? { [K in keyof T]: Numbers<T[K]> }
      : T;
export type Usage = Numbers<OverviewUsageResult>;
export type ToolCalls = Numbers<OverviewToolCallsResult>;

/** overview/usage as the cards and charts read it (the strings of NonFiniteNumbers become NaN / ±Infinity). */
export function readUsage(r: OverviewUsageResult): Usage {
  return { ...r, totals: numbersOf(r.totals), series: r.series.map(numbersOf) };
}

/** overview/toolCalls as the cards, table and charts read it; tool names stay as they are. */
export function readToolCalls(r: OverviewToolCallsResult): ToolCalls {
  return {
    ...r,
    totals: numbersOf(r.totals),
    tools: r.tools.map((t) => ({ ...numbersOf(t), name: t.name })),
    series: r.series.map((s) => ({ name: s.name, points: s.points.map(numbersOf) })),
  };
}

/** A record whose string fields are all metric numbers (a name in it is put back by the caller). */
function numbersOf<T extends object>(o: T): Numbers<T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "string" ? metricNumber(v as MetricNumber) : v])) as Numbers<T>;
}

export function usageCharts(r: Usage): Record<"traces" | "latency" | "errors" | "tokens" | "tokensPerTrace", ChartData> {
  // Every bucket of the axis, empty ones as 0 requests (the host normally sends them all already); the lines of
  // per-trace numbers (latency, tokens per trace, error rate) leave a gap where there is no trace.
  const byTime = new Map(r.series.map((b) => [b.timeMs, b]));
  const empty = (timeMs: number): Numbers<UsageBucket> => ({
    timeMs,
    requests: 0,
    errors: 0,
    errorRate: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
  });
  const series = r.axis.bucketsMs.map((t) => byTime.get(t) ?? empty(t));
  r = { ...r, series };
  const x = xs(r.axis.bucketsMs);
  const t = r.totals;
  const cacheRead = r.series.some((b) => b.cacheReadInputTokens > 0);
  const cacheWrite = r.series.some((b) => b.cacheCreationInputTokens > 0);
  return {
    traces: {
      x,
      series: [{ label: "Traces", values: r.series.map((b) => b.requests), kind: "bar" }],
      reference: reference(`AVG (${formatCompact(t.avgRequestsPerBucket)})`, t.avgRequestsPerBucket),
    },
    latency: {
      x,
      series: [
        { label: "p50", values: r.series.map((b) => gap(b.p50LatencyMs)) },
        { label: "p90", values: r.series.map((b) => gap(b.p90LatencyMs)) },
        { label: "p99", values: r.series.map((b) => gap(b.p99LatencyMs)) },
      ],
      reference: reference(`AVG (${formatLatency(t.avgLatencyMs)})`, t.avgLatencyMs),
    },
    errors: {
      x,
      series: [
        { label: "Errors", values: r.series.map((b) => b.errors), kind: "bar", colour: "error" },
        { label: "Error rate %", values: r.series.map((b) => (b.requests > 0 ? gap(Math.round(b.errorRate * 100) / 100) : null)) },
      ],
      // The overall rate (Σ errors ÷ Σ traces), not MLflow's mean over every bucket: with empty buckets counted
      // as 0 % that mean says 0.40 % for a year whose traces failed 5.67 % of the time.
      reference: reference(`Overall (${formatPercent(t.errorRate)})`, t.errorRate),
    },
    tokens: {
      x,
      series: [
        { label: "Input", values: r.series.map((b) => gap(b.inputTokens)), kind: "area" },
        { label: "Output", values: r.series.map((b) => gap(b.outputTokens)), kind: "area" },
        // Cache reads and writes are part of the input: lines inside it, not areas stacked on top of it.
        ...(cacheRead ? [{ label: "Cache read", values: r.series.map((b) => gap(b.cacheReadInputTokens)), kind: "line" as const }] : []),
        ...(cacheWrite ? [{ label: "Cache write", values: r.series.map((b) => gap(b.cacheCreationInputTokens)), kind: "line" as const }] : []),
      ],
    },
    tokensPerTrace: {
      x,
      series: [
        { label: "p50", values: r.series.map((b) => gap(b.p50TokensPerTrace)) },
        { label: "p90", values: r.series.map((b) => gap(b.p90TokensPerTrace)) },
        { label: "p99", values: r.series.map((b) => gap(b.p99TokensPerTrace)) },
      ],
      reference: reference(`AVG (${formatCompact(t.avgTokensPerTrace)})`, t.avgTokensPerTrace),
    },
  };
}

/** "(X input, Y output[, Z cache read][, W cache write])" */
export function tokenSubtitle(r: Usage): string {
  const t = r.totals;
  const parts = [`${formatCompact(t.inputTokens)} input`, `${formatCompact(t.outputTokens)} output`];
  if (t.cacheReadInputTokens > 0) parts.push(`${formatCompact(t.cacheReadInputTokens)} cache read`);
  if (t.cacheCreationInputTokens > 0) parts.push(`${formatCompact(t.cacheCreationInputTokens)} cache write`);
  return `(${parts.join(", ")})`;
}

/** Stacked areas: each series is the running sum of the ones before it (uPlot draws them back to front). */
export function stack(values: (number | null)[][]): number[][] {
  const out: number[][] = [];
  values.forEach((v, i) => out.push(v.map((n, j) => (n ?? 0) + (i > 0 ? out[i - 1]![j]! : 0))));
  return out;
}

export function toolCharts(r: ToolCalls): { usage: ChartData; latency: ChartData; errorRate: (tool: string) => ChartData } {
  const x = xs(r.axis.bucketsMs);
  const names = [...r.series].sort((a, b) => a.name.localeCompare(b.name));
  const at = (points: Numbers<ToolBucket>[]) => {
    const m = new Map(points.map((p) => [p.timeMs, p]));
    return (t: number) => m.get(t);
  };
  return {
    usage: { x, series: names.map((s) => ({ label: s.name, values: r.axis.bucketsMs.map((t) => at(s.points)(t)?.calls ?? 0) })) },
    latency: { x, series: names.map((s) => ({ label: s.name, values: r.axis.bucketsMs.map((t) => gap(at(s.points)(t)?.avgLatencyMs)) })) },
    errorRate: (tool) => {
      const s = r.series.find((x) => x.name === tool);
      const summary = r.tools.find((x) => x.name === tool);
      return {
        x,
        series: [{ label: `${tool} error rate %`, values: r.axis.bucketsMs.map((t) => (s ? gap(at(s.points)(t)?.errorRate ?? 0) : 0)), colour: "error" }],
        reference: summary ? reference(`overall ${formatPercent(summary.errorRate)}`, summary.errorRate) : undefined,
      };
    },
  };
}

export type SortDir = "asc" | "desc";
export function sortRows<T>(rows: readonly T[], key: (r: T) => number | string | null | undefined, dir: SortDir): T[] {
  const f = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    // NaN (a non-finite metric) sorts with the missing values: it has no place among numbers.
    const x = Number.isNaN(key(a)) ? null : key(a);
    const y = Number.isNaN(key(b)) ? null : key(b);
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * f;
  });
}

/** A metric value off the wire: NaN and ±Infinity arrive as strings (protocol NonFiniteNumbers). */
export function metricNumber(v: MetricNumber | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity;
}

/** Quality summary row: Avg Value only when the assessment is numeric (host's numericMean); may be NaN or ±∞. */
export function qualityAverage(a: AssessmentQuality): number | null {
  if (!isNumericAssessment(a)) return null;
  if (a.numericMean != null) return metricNumber(a.numericMean);
  const n = a.distribution.reduce((s, d) => s + d.count, 0);
  return n ? a.distribution.reduce((s, d) => s + parseFloat(d.rawValue) * d.count, 0) / n : null;
}

/** Bars of "Total aggregate scores": numeric with non-integers or > 5 distinct values → 5 equal-width buckets, else one bar per value. */
export function scoreBars(a: AssessmentQuality): { label: string; count: number; tone: "good" | "bad" | "neutral" }[] {
  const numeric = isNumericAssessment(a);
  if (numeric) {
    const values = a.distribution.map((d) => ({ v: parseFloat(d.rawValue), n: d.count }));
    const distinct = new Set(values.map((v) => v.v));
    if (values.some((v) => !Number.isInteger(v.v)) || distinct.size > 5) {
      const min = Math.min(...values.map((v) => v.v));
      const max = Math.max(...values.map((v) => v.v));
      const width = (max - min) / 5 || 1;
      const bars = Array.from({ length: 5 }, (_, i) => ({
        label: `${(min + i * width).toFixed(2)}-${(min + (i + 1) * width).toFixed(2)}`,
        count: 0,
        tone: "neutral" as const,
      }));
      for (const v of values) bars[Math.min(4, Math.floor((v.v - min) / width))]!.count += v.n;
      return bars;
    }
  }
  return [...a.distribution]
    .sort((x, y) => x.label.localeCompare(y.label, undefined, { numeric: true }))
    .map((d) => {
      const raw = d.rawValue.toLowerCase();
      return { label: d.label, count: d.count, tone: raw === "yes" || raw === "true" ? "good" : raw === "no" || raw === "false" ? "bad" : "neutral" };
    });
}

export function qualityTrend(r: OverviewQualityResult, a: AssessmentQuality): ChartData {
  // A chart cannot place NaN or ±∞: such a bucket is a gap, and the reference line is left out (the headline says the value).
  const m = new Map(a.series.map((p) => [p.timeMs, metricNumber(p.averageValue)]));
  const finite = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v : null);
  const avg = finite(qualityAverage(a));
  // Feedback logged after the range lands in buckets past the axis (MLflow buckets by creation time): plotted too.
  const times = [...new Set([...r.axis.bucketsMs, ...a.series.filter((p) => p.outsideRange).map((p) => p.timeMs)])].sort((x, y) => x - y);
  return {
    x: xs(times),
    series: [{ label: a.name, values: times.map((t) => finite(m.get(t))) }],
    reference: avg != null ? { label: `AVG (${avg.toFixed(2)})`, value: avg } : undefined,
  };
}

/**
 * What a quality card says of the buckets MLflow placed past the range: feedback is bucketed by when it was
 * logged, so an evaluation run days after its traces lands there ("assessed on 11-24"). Null when none.
 */
export function assessedOutsideRange(r: OverviewQualityResult, a: AssessmentQuality, max = 3): string | null {
  const times = [...new Set(a.series.filter((p) => p.outsideRange).map((p) => p.timeMs))].sort((x, y) => x - y);
  if (times.length === 0) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  const label = (ms: number) =>
    r.axis.timeUnit === "day"
      ? iso(ms).slice(5, 10)
      : r.axis.timeUnit === "month" || r.axis.timeUnit === "year"
        ? iso(ms).slice(0, 10)
        : `${iso(ms).slice(5, 10)} ${iso(ms).slice(11, 16)}`;
  const shown = times.slice(0, max).map(label).join(", ") + (times.length > max ? ` and ${times.length - max} more` : "");
  return `Assessed on ${shown} (UTC), after the selected range: MLflow buckets feedback by when it was logged.`;
}
