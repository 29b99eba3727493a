import { afterEach, describe, expect, it } from "vitest";
import {
  assessedOutsideRange,
  chooseUnit,
  readToolCalls,
  readUsage,
  defaultUnit,
  isNumericAssessment,
  legendValue,
  metricNumber,
  qualityAverage,
  qualityTrend,
  resolveRange,
  scoreBars,
  sortRows,
  stack,
  tokenSubtitle,
  toolCharts,
  usageCharts,
  validUnits,
} from "../src/overview-math";
import { formatCompact, formatLatency, formatMetric, formatPercent } from "../src/format";
import { OverviewView, utcDate, weekEnding } from "../src/overview-view";
import type { ChartData } from "../src/overview-math";
import type { ChartFactory, ChartOptions } from "../src/charts";
import type { AssessmentQuality, MetricNumber, OverviewQualityResult, OverviewToolCallsResult, OverviewUsageResult } from "../src/protocol.generated";
import { FakeTransport, flush, summary } from "./fixtures";
import { RpcError } from "../src/transport";
import { readFileSync } from "node:fs";
import { join } from "node:path";

afterEach(() => {
  document.body.textContent = "";
});

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe("time range and unit (spec §5.1)", () => {
  it("resolves presets ending now and keeps a custom range", () => {
    expect(resolveRange("LAST_HOUR", NOW)).toEqual({ startMs: NOW - H, endMs: NOW });
    expect(resolveRange("LAST_7_DAYS", NOW)).toEqual({ startMs: NOW - 7 * D, endMs: NOW });
    expect(resolveRange("LAST_YEAR", NOW)).toEqual({ startMs: NOW - 365 * D, endMs: NOW });
    expect(resolveRange("CUSTOM", NOW, { startMs: 1, endMs: 2 })).toEqual({ startMs: 1, endMs: 2 });
  });

  it("offers only units giving at most 1000 buckets", () => {
    expect(validUnits({ startMs: 0, endMs: H })).toEqual(["minute", "hour", "day", "month", "year"]);
    expect(validUnits({ startMs: 0, endMs: 1000 * 1000 })).toEqual(["second", "minute", "hour", "day", "month", "year"]);
    expect(validUnits({ startMs: 0, endMs: 1001 * 1000 })).not.toContain("second");
    expect(validUnits({ startMs: 0, endMs: 7 * D })).toEqual(["hour", "day", "month", "year"]);
    expect(validUnits({ startMs: 0, endMs: 365 * D })).toEqual(["day", "month", "year"]);
  });

  it("picks the default unit by range length and resets an invalid manual choice", () => {
    expect(defaultUnit({ startMs: 0, endMs: H })).toBe("minute");
    expect(defaultUnit({ startMs: 0, endMs: D })).toBe("hour");
    expect(defaultUnit({ startMs: 0, endMs: 7 * D })).toBe("day");
    expect(defaultUnit({ startMs: 0, endMs: 30 * D })).toBe("day");
    expect(defaultUnit({ startMs: 0, endMs: 365 * D })).toBe("month");
    expect(defaultUnit({ startMs: 0, endMs: 366 * D })).toBe("year");
    expect(chooseUnit({ startMs: 0, endMs: 7 * D }, "hour")).toBe("hour");
    expect(chooseUnit({ startMs: 0, endMs: 7 * D }, "minute")).toBe("day");
    expect(chooseUnit({ startMs: 0, endMs: 7 * D }, null)).toBe("day");
  });

  it("offers the week ending on the newest trace's day (UTC)", () => {
    const newest = Date.UTC(2026, 10, 23, 22, 58, 1);
    const w = weekEnding(newest);
    expect(utcDate(w.startMs)).toBe("2026-11-17");
    expect(utcDate(w.endMs)).toBe("2026-11-23");
    expect(w.endMs - w.startMs + 1).toBe(7 * D);
  });

  it("formats latency, compact numbers", () => {
    expect(formatLatency(237.234)).toBe("237.23ms");
    expect(formatLatency(3942.6)).toBe("3.94s");
    expect(formatLatency(null)).toBe("-");
    expect(formatCompact(46050)).toBe("46.05K");
    expect(formatCompact(2_500_000)).toBe("2.5M");
    expect(formatCompact(12)).toBe("12");
  });
});

const axis = (buckets: number[]) => ({
  startTimeMs: buckets[0]!,
  endTimeMs: buckets[buckets.length - 1]! + D - 1,
  timeUnit: "day",
  intervalSeconds: 86400,
  bucketsMs: buckets,
  engine: "host",
});

function usageResult(): OverviewUsageResult {
  return {
    axis: axis([0, D, 2 * D]),
    totals: {
      requests: 4,
      errors: 1,
      errorRate: 25,
      avgBucketErrorRate: 16.67,
      avgRequestsPerBucket: 4 / 3,
      avgLatencyMs: 1500,
      inputTokens: 100,
      outputTokens: 20,
      totalTokens: 120,
      cacheReadInputTokens: 8,
      cacheCreationInputTokens: 0,
      avgTokensPerTrace: 30,
    },
    // The middle bucket is missing on purpose: it must come out as zeros.
    series: [
      {
        timeMs: 0,
        requests: 3,
        errors: 1,
        errorRate: 33.333,
        p50LatencyMs: 100,
        p90LatencyMs: 200,
        p99LatencyMs: 300,
        inputTokens: 60,
        outputTokens: 10,
        cacheReadInputTokens: 8,
        cacheCreationInputTokens: 0,
        p50TokensPerTrace: 20,
      },
      { timeMs: 2 * D, requests: 1, errors: 0, errorRate: 0, inputTokens: 40, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
    ],
  };
}

describe("chart data shaping", () => {
  it("usage: every axis bucket, zeros for missing ones, x in seconds, reference lines", () => {
    const c = usageCharts(readUsage(usageResult()));
    expect(c.traces.x).toEqual([0, 86400, 172800]);
    expect(c.traces.series[0]!.values).toEqual([3, 0, 1]);
    expect(c.traces.reference!.value).toBeCloseTo(4 / 3);
    expect(c.traces.reference!.label).toBe("AVG (1.33)");
    // No latency in a bucket: a gap, not a fall to 0 ms (the third bucket's trace has none either).
    expect(c.latency.series.map((s) => s.values)).toEqual([
      [100, null, null],
      [200, null, null],
      [300, null, null],
    ]);
    expect(c.tokensPerTrace.series[0]!.values).toEqual([20, null, null]);
    expect(c.latency.reference!.label).toBe("AVG (1.50s)");
    expect(c.errors.series[0]!.values).toEqual([1, 0, 0]);
    expect(c.errors.series[1]!.values).toEqual([33.33, null, 0]); // no trace, no rate; a trace without error: 0 %
    expect(c.errors.reference).toEqual({ label: "Overall (25.00%)", value: 25 });
    expect(c.tokens.series.map((s) => s.label)).toEqual(["Input", "Output", "Cache read"]);
    expect(tokenSubtitle(readUsage(usageResult()))).toBe("(100 input, 20 output, 8 cache read)");
  });

  it("token usage against MLflow's daily sums: the legend reads each series' own sum, not the stacked total; cache reads are a line inside the input", () => {
    // MLflow's answers for the fixture experiment (tests/fixtures/…/http): input, output and cache-read tokens per day.
    const recorded = (metric: string) => {
      const file = join(__dirname, "..", "..", "tests", "fixtures", "mlflow-3.11.2.dev0", "http", `traces_metrics__${metric}_sum_daily.json`);
      const points = JSON.parse(readFileSync(file, "utf8")).response.body.data_points as { dimensions: { time_bucket: string }; values: { SUM: number } }[];
      return new Map(points.map((p) => [Date.parse(p.dimensions.time_bucket), p.values.SUM]));
    };
    const input = recorded("input_tokens");
    const output = recorded("output_tokens");
    const cacheRead = recorded("cache_read_input_tokens");
    const days = [...new Set([...input.keys(), ...output.keys()])].sort((a, b) => a - b);
    const r: OverviewUsageResult = {
      ...usageResult(),
      axis: axis(days),
      series: days.map((timeMs) => ({
        timeMs,
        requests: 1,
        errors: 0,
        errorRate: 0,
        inputTokens: input.get(timeMs) ?? 0,
        outputTokens: output.get(timeMs) ?? 0,
        cacheReadInputTokens: cacheRead.get(timeMs) ?? 0,
        cacheCreationInputTokens: 0,
      })),
    };
    const tokens = usageCharts(readUsage(r)).tokens;
    const [inputSeries, outputSeries, cacheSeries] = tokens.series;
    const drawn = stack([inputSeries!.values, outputSeries!.values]);
    expect(cacheSeries!.kind).toBe("line");
    let stackedDiffers = false;
    days.forEach((t, i) => {
      expect(legendValue(outputSeries!, drawn[1]![i], i)).toBe(output.get(t) ?? 0);
      expect(legendValue(inputSeries!, drawn[0]![i], i)).toBe(input.get(t) ?? 0);
      expect(legendValue(cacheSeries!, cacheSeries!.values[i], i)).toBe(cacheRead.get(t) ?? 0);
      if (drawn[1]![i] !== (output.get(t) ?? 0)) stackedDiffers = true;
    });
    expect(stackedDiffers).toBe(true); // the drawn (stacked) height is not what the legend must say
  });

  it("usage and tool numbers that arrive as NaN / Infinity strings are read as such: said in cards, gaps in charts", () => {
    const base = usageResult();
    const wire: OverviewUsageResult = {
      ...base,
      totals: { ...base.totals, inputTokens: "Infinity", totalTokens: "Infinity", avgLatencyMs: "NaN", avgTokensPerTrace: "-Infinity" },
      series: [{ ...base.series[0]!, inputTokens: "Infinity", p50LatencyMs: "NaN" }, base.series[1]!],
    };
    const r = readUsage(wire);
    expect([r.totals.inputTokens, r.totals.avgLatencyMs, r.totals.avgTokensPerTrace, r.series[0]!.p50LatencyMs]).toEqual([Infinity, NaN, -Infinity, NaN]);
    expect([formatCompact(r.totals.totalTokens), formatLatency(r.totals.avgLatencyMs), formatCompact(r.totals.avgTokensPerTrace), formatPercent(NaN)]).toEqual([
      "∞",
      "NaN",
      "−∞",
      "NaN",
    ]);
    const c = usageCharts(r);
    expect(c.tokens.series[0]!.values).toEqual([null, 0, 40]); // +∞ cannot be drawn: a gap
    expect(c.latency.series[0]!.values).toEqual([null, null, null]);
    expect([c.latency.reference, c.tokensPerTrace.reference]).toEqual([undefined, undefined]);
    expect(tokenSubtitle(r)).toBe("(∞ input, 20 output, 8 cache read)");

    const tools = readToolCalls({
      axis: axis([0]),
      totals: { calls: 2, failedCalls: 0, successRate: 100, avgLatencyMs: "Infinity" },
      tools: [{ name: "NaN", calls: 2, failures: 0, errorRate: 0, avgLatencyMs: "NaN", p99LatencyMs: "Infinity" }],
      series: [{ name: "NaN", points: [{ timeMs: 0, calls: 2, failures: 0, errorRate: 0, avgLatencyMs: "NaN" }] }],
    });
    expect(tools.tools[0]).toMatchObject({ name: "NaN", avgLatencyMs: NaN, p99LatencyMs: Infinity }); // a tool's name stays a name
    expect(tools.totals.avgLatencyMs).toBe(Infinity);
    expect(toolCharts(tools).latency.series[0]!.values).toEqual([null]);
  });

  it("stacks areas cumulatively", () => {
    expect(
      stack([
        [1, 2],
        [3, null],
        [1, 1],
      ]),
    ).toEqual([
      [1, 2],
      [4, 2],
      [5, 3],
    ]);
  });

  it("tool calls: one series per tool (sorted), 0-filled usage, gaps for latency, per-tool error rate", () => {
    const r: OverviewToolCallsResult = {
      axis: axis([0, D]),
      totals: { calls: 3, failedCalls: 1, successRate: 66.67, avgLatencyMs: 10 },
      tools: [
        { name: "b_tool", calls: 2, failures: 1, errorRate: 50, avgLatencyMs: 12 },
        { name: "a_tool", calls: 1, failures: 0, errorRate: 0, avgLatencyMs: 6 },
      ],
      series: [
        { name: "b_tool", points: [{ timeMs: D, calls: 2, failures: 1, errorRate: 50, avgLatencyMs: 12 }] },
        { name: "a_tool", points: [{ timeMs: 0, calls: 1, failures: 0, errorRate: 0, avgLatencyMs: 6 }] },
      ],
    };
    const c = toolCharts(readToolCalls(r));
    expect(c.usage.series.map((s) => [s.label, s.values])).toEqual([
      ["a_tool", [1, 0]],
      ["b_tool", [0, 2]],
    ]);
    expect(c.latency.series[1]!.values).toEqual([null, 12]);
    expect(c.errorRate("b_tool").series[0]!.values).toEqual([0, 50]);
    expect(c.errorRate("b_tool").reference!.value).toBe(50);
  });

  it("sorts table rows with nulls last", () => {
    const rows = [{ n: 2 }, { n: null }, { n: 5 }];
    expect(sortRows(rows, (r) => r.n, "desc").map((r) => r.n)).toEqual([5, 2, null]);
    expect(sortRows(rows, (r) => r.n, "asc").map((r) => r.n)).toEqual([2, 5, null]);
  });
});

function quality(name: string, values: [string, number][], numericMean: MetricNumber | null = null): AssessmentQuality {
  return {
    name,
    count: values.reduce((s, v) => s + v[1], 0),
    valueKind: "x",
    nullValues: 0,
    numericMean,
    distribution: values.map(([rawValue, count]) => ({ rawValue, label: rawValue, count })),
    series: [],
  };
}

describe("quality (spec §5.3)", () => {
  it("averages only when every value parses as a number (booleans and yes/no → none)", () => {
    expect(
      qualityAverage(
        quality(
          "bool",
          [
            ["true", 3],
            ["false", 1],
          ],
          0.75,
        ),
      ),
    ).toBeNull();
    expect(qualityAverage(quality("yes", [['"yes"', 3]]))).toBeNull();
    expect(
      qualityAverage(
        quality("score", [
          ["1", 1],
          ["3", 1],
        ]),
      ),
    ).toBe(2);
    expect(isNumericAssessment(quality("score", [["0.5", 1]]))).toBe(true);
  });

  it("NaN and ±Infinity arrive as strings and are shown as such; the trend leaves them out as gaps", () => {
    expect([metricNumber("NaN"), metricNumber("Infinity"), metricNumber("-Infinity"), metricNumber(1e308), metricNumber(null)]).toEqual([
      NaN,
      Infinity,
      -Infinity,
      1e308,
      null,
    ]);
    expect([formatMetric(NaN), formatMetric(Infinity), formatMetric(-Infinity), formatMetric(2), formatMetric(null)]).toEqual(["NaN", "∞", "−∞", "2.00", "-"]);
    const huge = {
      ...quality("score", [["1e308", 2]], "Infinity"),
      series: [
        { timeMs: 0, averageValue: "Infinity" as const },
        { timeMs: 86_400_000, averageValue: 3 },
      ],
    };
    expect(qualityAverage(huge)).toBe(Infinity);
    const trend = qualityTrend({ axis: axis([0, 86_400_000]), assessments: [huge], hasAssessmentsOutsideRange: false }, huge);
    expect(trend.series[0]!.values).toEqual([null, 3]);
    expect(trend.reference).toBeUndefined();
  });

  it("the trend plots the buckets past the range that feedback logged later falls in", () => {
    const later = {
      ...quality("rating", [["4", 1]], 4),
      series: [
        { timeMs: 0, averageValue: null },
        { timeMs: 3 * 86_400_000, averageValue: 4, outsideRange: true },
      ],
    };
    const trend = qualityTrend({ axis: axis([0]), assessments: [later], hasAssessmentsOutsideRange: false }, later);
    expect(trend.x).toEqual([0, 3 * 86_400]);
    expect(trend.series[0]!.values).toEqual([null, 4]);
    // …and the card says which they are and why they are there.
    const r = { axis: axis([0]), assessments: [later], hasAssessmentsOutsideRange: false };
    expect(assessedOutsideRange(r, later)).toBe("Assessed on 01-04 (UTC), after the selected range: MLflow buckets feedback by when it was logged.");
    expect(assessedOutsideRange(r, { ...later, series: [later.series[0]!] })).toBeNull();
    const many = { ...later, series: [1, 2, 3, 4, 5].map((d) => ({ timeMs: d * 86_400_000, averageValue: 4, outsideRange: true })) };
    expect(assessedOutsideRange(r, many)).toMatch(/^Assessed on 01-02, 01-03, 01-04 and 2 more \(UTC\)/);
  });

  it("histogram of 5 buckets for non-integer scores, one bar per value otherwise, yes/true green and no/false red", () => {
    const hist = scoreBars(
      quality("g", [
        ["0.5", 1],
        ["0.9", 2],
        ["1.0", 1],
      ]),
    );
    expect(hist.map((b) => b.label)).toEqual(["0.50-0.60", "0.60-0.70", "0.70-0.80", "0.80-0.90", "0.90-1.00"]);
    expect(hist.map((b) => b.count)).toEqual([1, 0, 0, 0, 3]);
    const bools = scoreBars(
      quality("c", [
        ["true", 3],
        ["false", 1],
      ]),
    );
    expect(bools).toEqual([
      { label: "false", count: 1, tone: "bad" },
      { label: "true", count: 3, tone: "good" },
    ]);
    expect(scoreBars(quality("q", [['"yes"', 1]]))[0]!.tone).toBe("neutral");
    expect(
      scoreBars(
        quality("h", [
          ["5", 2],
          ["2", 1],
        ]),
      ).map((b) => b.label),
    ).toEqual(["2", "5"]);
  });
});

describe("overview view", () => {
  const recorded: { data: ChartData; options: ChartOptions }[] = [];
  const fakeChart: ChartFactory = (host, data, options) => {
    recorded.push({ data, options });
    host.setAttribute("data-series", data.series.map((s) => s.label).join(","));
    return { destroy() {} };
  };
  /** The Overview on its Tool Calls tab for experiment 1, in the page. */
  const showToolCalls = (t: FakeTransport): OverviewView => {
    const v = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.tab = "toolCalls";
    v.show();
    return v;
  };

  it("asks the host for the 7-day range by day, paints the usage cards and their charts", async () => {
    recorded.length = 0;
    const t = new FakeTransport({ "overview/usage": () => usageResult() });
    const v = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.show();
    await flush();
    expect(t.calls[0]).toEqual({ method: "overview/usage", params: { experimentIds: ["1"], startTimeMs: NOW - 7 * D, endTimeMs: NOW, timeUnit: "day" } });
    const headline = (title: string) => v.element.querySelector(`[data-card="${title}"] .card-headline`)?.textContent;
    expect(headline("Traces")).toBe("4");
    expect(headline("Errors")).toBe("1");
    expect(headline("Latency")).toBe("1.50s");
    expect(headline("Token Usage")).toBe("120");
    expect(recorded).toHaveLength(5);
    expect(Array.from(v.element.querySelectorAll<HTMLSelectElement>("select.overview-unit option")).map((o) => o.value)).toEqual([
      "hour",
      "day",
      "month",
      "year",
    ]);
  });

  it("paints usage and tool-call cards whose numbers are NaN or ±Infinity (strings on the wire) instead of failing", async () => {
    const base = usageResult();
    const t = new FakeTransport({
      "overview/usage": () => ({ ...base, totals: { ...base.totals, totalTokens: "Infinity", avgLatencyMs: "NaN" } }),
      "overview/toolCalls": () => ({
        axis: axis([0]),
        totals: { calls: 1, failedCalls: 0, successRate: 100, avgLatencyMs: "Infinity" },
        tools: [{ name: "get_weather", calls: 1, failures: 0, errorRate: 0, avgLatencyMs: "NaN" }],
        series: [],
      }),
    });
    const v = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.show();
    await flush();
    const headline = (title: string) => v.element.querySelector(`[data-card="${title}"] .card-headline`)?.textContent;
    expect([headline("Token Usage"), headline("Latency")]).toEqual(["∞", "NaN"]);
    const tools = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(tools.element);
    tools.setExperiments(["1"]);
    tools.tab = "toolCalls";
    tools.show();
    await flush();
    expect(tools.element.querySelector('[data-stat="Avg Latency"] .card-headline')?.textContent).toBe("∞");
    expect(tools.element.querySelector('[data-tool="get_weather"]')?.textContent).toContain("NaN");
  });

  it("changing the range resets an invalid unit; the unit selector re-queries", async () => {
    const t = new FakeTransport({ "overview/usage": () => usageResult() });
    const v = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.show();
    await flush();
    const unit = v.element.querySelector<HTMLSelectElement>("select.overview-unit")!;
    unit.value = "hour";
    unit.dispatchEvent(new Event("change"));
    await flush();
    expect(t.calls.at(-1)!.params.timeUnit).toBe("hour");
    const range = v.element.querySelector<HTMLSelectElement>("select.overview-range")!;
    range.value = "LAST_YEAR";
    range.dispatchEvent(new Event("change"));
    await flush();
    expect(t.calls.at(-1)!.params).toMatchObject({ startTimeMs: NOW - 365 * D, timeUnit: "month" });
  });

  it("an empty range names the newest trace and shows its week in one click", async () => {
    const newest = Date.UTC(2026, 10, 23, 22, 58, 1);
    const t = new FakeTransport({
      "overview/usage": (p) =>
        p.startTimeMs <= newest && newest <= p.endTimeMs ? usageResult() : { ...usageResult(), totals: { ...usageResult().totals, requests: 0 }, series: [] },
      "traces/search": () => ({ traces: [summary(1, { requestTimeMs: newest })] }),
    });
    const v = new OverviewView(t, { chart: fakeChart, now: () => Date.UTC(2027, 0, 10) });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.show();
    await flush();
    await flush();
    expect(v.element.querySelector(".overview-state")?.textContent).toContain("No traces in last 7 days");
    const notice = v.element.querySelector<HTMLElement>(".overview-notice")!;
    expect(notice.hidden).toBe(false);
    expect(notice.textContent).toContain("newest trace 2026-11-23");
    notice.querySelector<HTMLButtonElement>(".show-week")!.click();
    await flush();
    expect(v.rangeKey).toBe("CUSTOM");
    expect(t.calls.at(-1)!.params).toMatchObject({ startTimeMs: Date.UTC(2026, 10, 17), endTimeMs: Date.UTC(2026, 10, 24) - 1, timeUnit: "day" });
    expect(v.element.querySelector('[data-card="Traces"] .card-headline')?.textContent).toBe("4");
    expect(notice.hidden).toBe(true);
  });

  it("shows the host's error with Retry, and the loading state while waiting", async () => {
    let fail = true;
    let release: () => void = () => {};
    const t = new FakeTransport({
      "overview/toolCalls": async () => {
        if (fail) throw new RpcError(-32001, "The tracking server is unreachable");
        await new Promise<void>((r) => (release = r));
        return {
          axis: axis([0]),
          totals: { calls: 1, failedCalls: 0, successRate: 100, avgLatencyMs: 5 },
          tools: [{ name: "get_weather", calls: 1, failures: 0, errorRate: 0, avgLatencyMs: 5 }],
          series: [],
        };
      },
    });
    const v = showToolCalls(t);
    await flush();
    expect(v.element.querySelector(".overview-state")?.textContent).toContain("The tracking server is unreachable");
    fail = false;
    v.element.querySelector<HTMLElement>("vscode-button.retry")!.click();
    await flush();
    expect(v.element.querySelector(".overview-state")?.textContent).toContain("Loading tool calls");
    release();
    await flush();
    await flush();
    expect(v.element.querySelector('tr[data-tool="get_weather"]')?.textContent).toContain("100.00%");
    expect(v.element.querySelector('[data-stat="Total Tool Calls"] .card-headline')?.textContent).toBe("1");
  });

  it("tool calls: a negative average latency (a span that ends before it starts) is shown as it is, flagged", async () => {
    const t = new FakeTransport({
      "overview/toolCalls": () => ({
        axis: axis([0]),
        totals: { calls: 2, failedCalls: 0, successRate: 100, avgLatencyMs: -45 },
        tools: [
          { name: "skewed", calls: 1, failures: 0, errorRate: 0, avgLatencyMs: -100 },
          { name: "fine", calls: 1, failures: 0, errorRate: 0, avgLatencyMs: 10 },
        ],
        series: [],
      }),
    });
    const v = showToolCalls(t);
    await flush();
    await flush();
    const latency = (tool: string) => [...v.element.querySelectorAll(`tr[data-tool="${tool}"] td`)].at(-1)!;
    expect(latency("skewed").textContent).toBe("-100.00ms ⚠");
    expect(latency("skewed").querySelector(".warning-mark")!.getAttribute("title")).toMatch(/ends before it starts/);
    expect(latency("fine").textContent).toBe("10.00ms");
  });

  it("quality: summary sorted by count, '-' for non-numeric, header click re-sorts; empty state when no feedback", async () => {
    const r: OverviewQualityResult = {
      axis: axis([0]),
      assessments: [
        quality(
          "correctness",
          [
            ["true", 3],
            ["false", 1],
          ],
          0.75,
        ),
        quality(
          "helpfulness",
          [
            ["5", 8],
            ["2", 1],
          ],
          4.67,
        ),
        quality("_issue_discovery_judge", [["1", 50]]),
      ],
      hasAssessmentsOutsideRange: false,
    };
    const t = new FakeTransport({ "overview/quality": () => r });
    const v = new OverviewView(t, { chart: fakeChart, now: () => NOW });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.show();
    v.setTab("quality");
    await flush();
    const rows = () => Array.from(v.element.querySelectorAll(".table-quality tbody tr")).map((tr) => Array.from(tr.children).map((c) => c.textContent));
    expect(rows()).toEqual([
      ["helpfulness", "9", "4.67"],
      ["correctness", "4", "-"],
    ]);
    v.element.querySelectorAll<HTMLButtonElement>(".table-quality .sort-header")[0]!.click();
    expect(rows().map((r) => r[0])).toEqual(["helpfulness", "correctness"]);
    v.element.querySelectorAll<HTMLButtonElement>(".table-quality .sort-header")[0]!.click();
    expect(rows().map((r) => r[0])).toEqual(["correctness", "helpfulness"]);
    expect(v.element.querySelectorAll(".quality-card")).toHaveLength(2);
    expect(v.element.querySelector(".hbar-fill.tone-good")).not.toBeNull();

    t.handlers["overview/quality"] = () => ({ ...r, assessments: [quality("score", [["1e308", 2]], "Infinity"), quality("ratio", [["0", 1]], "NaN")] });
    await v.load();
    expect(rows()).toEqual([
      ["ratio", "1", "NaN"],
      ["score", "2", "∞"],
    ]);
    expect(Array.from(v.element.querySelectorAll(".quality-card .card-headline")).map((e) => e.textContent)).toEqual(["NaN", "∞"]);

    t.handlers["overview/quality"] = () => ({ ...r, assessments: [] });
    await v.load();
    expect(v.element.querySelector(".overview-state")?.textContent).toContain("No quality metrics yet");
  });
});
