// The Overview tab (docs/mlflow-notes.md#overview-tab): Usage, Quality and Tool Calls sub-tabs over the host's
// overview/* methods, with the time range and time unit selectors.
import type { AssessmentQuality, OverviewParams, OverviewQualityResult, OverviewToolCallsResult, OverviewUsageResult } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import "./controls";
import { durationWithWarning, formatCompact, formatLatency, formatMetric, formatNumber, formatPercent, latencyTick } from "./format";
import { uplotChart, type ChartFactory, type ChartHandle, type ChartOptions } from "./charts";
import {
  DEFAULT_RANGE,
  RANGES,
  UNITS,
  chooseUnit,
  qualityTrend,
  assessedOutsideRange,
  resolveRange,
  scoreBars,
  sortRows,
  tokenSubtitle,
  toolCharts,
  qualityAverage,
  usageCharts,
  validUnits,
  readUsage,
  readToolCalls,
  type Usage,
  type ToolCalls,
  type ChartData,
  type RangeKey,
  type SortDir,
  type TimeRange,
  type TimeUnit,
} from "./overview-math";

export type OverviewTab = "usage" | "quality" | "toolCalls";
const TABS: { key: OverviewTab; label: string }[] = [
  { key: "usage", label: "Usage" },
  { key: "quality", label: "Quality" },
  { key: "toolCalls", label: "Tool Calls" },
];
const DAY = 86_400_000;

export interface OverviewOptions {
  chart?: ChartFactory;
  now?: () => number;
}

/** `YYYY-MM-DD` in UTC (the overview buckets are UTC-aligned). */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The 7 days ending at the end (UTC midnight) of the day of `newestMs`. */
export function weekEnding(newestMs: number): TimeRange {
  const endMs = Math.floor(newestMs / DAY) * DAY + DAY - 1;
  return { startMs: endMs + 1 - 7 * DAY, endMs };
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export class OverviewView {
  readonly element: HTMLElement;
  private readonly tabButtons = new Map<OverviewTab, HTMLButtonElement>();
  private readonly rangeSelect: HTMLSelectElement;
  private readonly unitSelect: HTMLSelectElement;
  private readonly customBox: HTMLElement;
  private readonly customStart: HTMLInputElement;
  private readonly customEnd: HTMLInputElement;
  private readonly notice: HTMLElement;
  private readonly body: HTMLElement;
  private readonly chart: ChartFactory;
  private readonly now: () => number;
  private charts: ChartHandle[] = [];
  private abort: AbortController | null = null;
  private generation = 0;

  private experimentIds: string[] = [];
  tab: OverviewTab = "usage";
  rangeKey: RangeKey = DEFAULT_RANGE;
  private custom: TimeRange | null = null;
  private manualUnit: TimeUnit | null = null;
  private toolForErrors: string | null = null;
  private sorts: Record<string, { col: number; dir: SortDir }> = { quality: { col: 1, dir: "desc" }, tools: { col: 1, dir: "desc" } };
  private lastResult: unknown = null;
  /** The tab or range changed (an Overview tab keeps them across reloads). */
  onChange: (() => void) | null = null;

  constructor(
    private readonly transport: Transport,
    options: OverviewOptions = {},
  ) {
    this.chart = options.chart ?? uplotChart;
    this.now = options.now ?? Date.now;
    const tabs = h("div", { class: "segmented overview-tabs", role: "tablist", "aria-label": "Overview" });
    for (const t of TABS) {
      const b = h("button", { type: "button", role: "tab", "data-tab": t.key, "aria-selected": String(t.key === this.tab) }, t.label);
      b.addEventListener("click", () => this.setTab(t.key));
      this.tabButtons.set(t.key, b);
      tabs.appendChild(b);
    }
    this.rangeSelect = h(
      "select",
      { class: "overview-range", "aria-label": "Time range" },
      RANGES.map((r) => h("option", { value: r.key }, r.label)),
    );
    this.rangeSelect.value = this.rangeKey;
    this.rangeSelect.addEventListener("change", () => {
      const key = this.rangeSelect.value as RangeKey;
      if (key === "CUSTOM" && !this.custom) this.custom = resolveRange(this.rangeKey, this.now());
      this.setRange(key, key === "CUSTOM" ? this.custom : null);
    });
    this.unitSelect = h("select", { class: "overview-unit", "aria-label": "Time unit" });
    this.unitSelect.addEventListener("change", () => {
      this.manualUnit = this.unitSelect.value as TimeUnit;
      this.onChange?.();
      void this.load();
    });
    this.customStart = h("input", { type: "datetime-local", class: "custom-start", "aria-label": "From" });
    this.customEnd = h("input", { type: "datetime-local", class: "custom-end", "aria-label": "To" });
    const applyCustom = () => {
      const s = Date.parse(this.customStart.value);
      const e = Date.parse(this.customEnd.value);
      if (Number.isFinite(s) && Number.isFinite(e) && e > s) this.setRange("CUSTOM", { startMs: s, endMs: e });
    };
    this.customStart.addEventListener("change", applyCustom);
    this.customEnd.addEventListener("change", applyCustom);
    this.customBox = h("span", { class: "custom-range", hidden: true }, this.customStart, " – ", this.customEnd);
    this.notice = h("div", { class: "overview-notice", role: "status", hidden: true });
    this.body = h("div", { class: "overview-body" });
    this.element = h(
      "section",
      { class: "overview-view", hidden: true, "aria-label": "Overview" },
      h(
        "div",
        { class: "toolbar" },
        tabs,
        h("span", { class: "spacer" }),
        h("label", { class: "muted" }, "Range ", this.rangeSelect),
        this.customBox,
        h("label", { class: "muted" }, "Unit ", this.unitSelect),
      ),
      this.notice,
      this.body,
    );
    this.updateUnits();
  }

  /** The range the selectors stand for now. */
  get range(): TimeRange {
    return resolveRange(this.rangeKey, this.now(), this.custom ?? undefined);
  }

  get unit(): TimeUnit {
    return chooseUnit(this.range, this.manualUnit);
  }

  setExperiments(ids: string[]): void {
    this.experimentIds = ids;
    if (!this.element.hidden) void this.load();
    else this.lastResult = null;
  }

  show(): void {
    this.element.hidden = false;
    if (this.lastResult === null) void this.load();
  }

  hide(): void {
    this.element.hidden = true;
  }

  setTab(tab: OverviewTab): void {
    this.tab = tab;
    for (const [k, b] of this.tabButtons) b.setAttribute("aria-selected", String(k === tab));
    this.onChange?.();
    void this.load();
  }

  setRange(key: RangeKey, custom: TimeRange | null = null): void {
    this.rangeKey = key;
    if (custom) this.custom = custom;
    this.rangeSelect.value = key;
    this.updateUnits();
    this.onChange?.();
    void this.load();
  }

  /** Tab and range as kept from an earlier page (a reload): set before the first load, unknown values ignored. */
  restore(tab: string | null | undefined, rangeKey: string | null | undefined): void {
    const t = TABS.find((x) => x.key === tab);
    if (t) {
      this.tab = t.key;
      for (const [k, b] of this.tabButtons) b.setAttribute("aria-selected", String(k === t.key));
    }
    const r = RANGES.find((x) => x.key === rangeKey && x.key !== "CUSTOM");
    if (r) {
      this.rangeKey = r.key;
      this.rangeSelect.value = r.key;
      this.updateUnits();
    }
  }

  /** The unit the user chose (null: the range's default). */
  get chosenUnit(): TimeUnit | null {
    return this.manualUnit;
  }

  /** A tab, range and unit from the address bar (a link, Back): set, and shown again when the Overview is up. */
  applyState(tab: string | null, rangeKey: string | null, unit: string | null): void {
    this.restore(tab ?? "usage", rangeKey ?? DEFAULT_RANGE);
    this.manualUnit = UNITS.some((u) => u.key === unit) ? (unit as TimeUnit) : null;
    this.updateUnits();
    if (!this.element.hidden) void this.load();
    else this.lastResult = null;
  }

  private updateUnits(): void {
    const range = this.range;
    const valid = validUnits(range);
    if (this.manualUnit && !valid.includes(this.manualUnit)) this.manualUnit = null;
    clear(this.unitSelect);
    for (const u of UNITS) if (valid.includes(u.key)) this.unitSelect.appendChild(h("option", { value: u.key }, u.label));
    this.unitSelect.value = this.unit;
    this.customBox.hidden = this.rangeKey !== "CUSTOM";
    if (this.rangeKey === "CUSTOM") {
      this.customStart.value = toLocalInput(range.startMs);
      this.customEnd.value = toLocalInput(range.endMs);
    }
  }

  private params(): OverviewParams {
    const r = this.range;
    return { experimentIds: this.experimentIds, startTimeMs: Math.round(r.startMs), endTimeMs: Math.round(r.endMs), timeUnit: this.unit };
  }

  private destroyCharts(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  private state(title: string, hint: string | null, kind: "info" | "loading" | "error" = "info", action?: HTMLElement): void {
    this.destroyCharts();
    clear(this.body);
    this.body.appendChild(
      h(
        "div",
        { class: `overview-state overlay-${kind}` },
        h("div", { class: "overlay-title" }, title),
        hint ? h("div", { class: "overlay-hint" }, hint) : null,
        action ?? null,
      ),
    );
  }

  /** Fetches the current sub-tab for the current range and paints it. */
  async load(): Promise<void> {
    this.abort?.abort();
    const generation = ++this.generation;
    this.notice.hidden = true;
    if (this.experimentIds.length === 0) {
      this.state("No experiment selected", "Pick an experiment in the header.");
      return;
    }
    const abort = (this.abort = new AbortController());
    const label = TABS.find((t) => t.key === this.tab)!.label;
    this.state(`Loading ${label.toLowerCase()}…`, null, "loading");
    this.element.setAttribute("aria-busy", "true");
    try {
      const params = this.params();
      let result: OverviewUsageResult | OverviewQualityResult | OverviewToolCallsResult;
      if (this.tab === "usage") result = await this.transport.request("overview/usage", params, abort.signal);
      else if (this.tab === "quality") result = await this.transport.request("overview/quality", params, abort.signal);
      else result = await this.transport.request("overview/toolCalls", params, abort.signal);
      if (generation !== this.generation) return;
      this.lastResult = result;
      this.axisUnit = result.axis.timeUnit;
      this.axisInterval = result.axis.intervalSeconds;
      this.destroyCharts();
      clear(this.body);
      if (this.tab === "usage") this.paintUsage(readUsage(result as OverviewUsageResult));
      else if (this.tab === "quality") this.paintQuality(result as OverviewQualityResult);
      else this.paintTools(readToolCalls(result as OverviewToolCallsResult));
    } catch (err) {
      if (generation !== this.generation) return;
      const e = RpcError.from(err);
      if (e.isCancelled) return;
      const retry = h("vscode-button", { class: "retry" }, "Retry");
      retry.addEventListener("click", () => void this.load());
      this.state(`Could not load the ${label.toLowerCase()} overview`, e.message, "error", retry);
    } finally {
      if (generation === this.generation) this.element.removeAttribute("aria-busy");
    }
  }

  /** Empty range: find the newest trace and offer its week in one click. */
  private async explainEmpty(what: string, generation: number): Promise<void> {
    const rangeLabel = this.rangeKey === "CUSTOM" ? "the chosen range" : RANGES.find((r) => r.key === this.rangeKey)!.label.toLowerCase();
    this.state(`No ${what} in ${rangeLabel}`, "Pick a longer time range.");
    try {
      const newest = await this.transport.request("traces/search", { experimentIds: this.experimentIds, orderBy: ["timestamp_ms DESC"], pageSize: 1 });
      if (generation !== this.generation) return;
      const t = newest.traces[0];
      if (!t) {
        this.state("No traces in this experiment yet", "Run your application with MLflow tracing enabled, then press Refresh.");
        return;
      }
      const week = weekEnding(t.requestTimeMs);
      if (week.startMs <= this.range.startMs && week.endMs >= this.range.endMs) return;
      const button = h("vscode-button", { secondary: true, class: "show-week" }, `Show ${utcDate(week.startMs)} – ${utcDate(week.endMs)}`);
      button.addEventListener("click", () => this.setRange("CUSTOM", week));
      clear(this.notice);
      this.notice.append(`No ${what} in ${rangeLabel} — newest trace ${utcDate(t.requestTimeMs)}. `, button);
      this.notice.hidden = false;
    } catch {
      /* the empty state already says what to do */
    }
  }

  private card(title: string, headline: string, subtitle: string | null, chart: ChartData | null, options: ChartOptions = {}, cls = ""): HTMLElement {
    const plot = h("div", { class: "card-chart" });
    const el = h(
      "div",
      { class: `card ${cls}`.trim(), "data-card": title },
      h("div", { class: "card-title" }, title),
      h("div", { class: "card-headline" }, headline),
      subtitle ? h("div", { class: "card-subtitle muted" }, subtitle) : null,
      chart ? plot : null,
    );
    if (chart)
      this.pendingCharts.push(() => this.charts.push(this.chart(plot, chart, { unit: this.axisUnit, intervalSeconds: this.axisInterval, ...options })));
    return el;
  }

  private pendingCharts: (() => void)[] = [];
  private axisUnit = "day";
  private axisInterval = 86_400;

  /** Charts are drawn once their cards are in the DOM (uPlot measures the width). */
  private flushCharts(): void {
    const pending = this.pendingCharts;
    this.pendingCharts = [];
    for (const draw of pending) {
      try {
        draw();
      } catch (err) {
        console.warn("chart failed", err);
      }
    }
  }

  private paintUsage(r: Usage): void {
    const t = r.totals;
    if (t.requests === 0) {
      void this.explainEmpty("traces", this.generation);
      return;
    }
    const c = usageCharts(r);
    this.body.appendChild(
      h(
        "div",
        { class: "cards" },
        this.card("Traces", formatNumber(t.requests), `${r.axis.bucketsMs.length} ${r.axis.timeUnit} buckets`, c.traces),
        this.card(
          "Latency",
          formatLatency(t.avgLatencyMs),
          `average · p50 ${formatLatency(t.p50LatencyMs)} · p99 ${formatLatency(t.p99LatencyMs)}`,
          c.latency,
          { yFormat: (n) => formatLatency(n), yTick: latencyTick },
        ),
        this.card("Errors", formatNumber(t.errors), `Overall error rate ${formatPercent(t.errorRate)}`, c.errors),
        this.card("Token Usage", formatCompact(t.totalTokens), tokenSubtitle(r), c.tokens, { yFormat: formatCompact }),
        this.card("Tokens per Trace", formatCompact(t.avgTokensPerTrace), "avg per trace", c.tokensPerTrace, { yFormat: formatCompact }),
      ),
    );
    this.flushCharts();
  }

  private sortableTable<T>(
    id: string,
    columns: { title: string; key: (r: T) => number | string | null | undefined; show: (r: T) => string | Node }[],
    rows: readonly T[],
    rowAttrs?: (r: T) => Record<string, string>,
  ): HTMLElement {
    const sort = this.sorts[id]!;
    const sorted = sortRows(rows, columns[sort.col]!.key, sort.dir);
    const head = h(
      "tr",
      {},
      columns.map((c, i) => {
        const b = h("button", { type: "button", class: "sort-header" }, c.title, sort.col === i ? (sort.dir === "desc" ? " ▾" : " ▴") : "");
        b.addEventListener("click", () => {
          this.sorts[id] = { col: i, dir: sort.col === i && sort.dir === "desc" ? "asc" : "desc" };
          table.replaceWith(this.sortableTable(id, columns, rows, rowAttrs));
        });
        return h("th", { "aria-sort": sort.col === i ? (sort.dir === "desc" ? "descending" : "ascending") : null }, b);
      }),
    );
    const table = h(
      "table",
      { class: `overview-table table-${id}` },
      h("thead", {}, head),
      h(
        "tbody",
        {},
        sorted.map((r) =>
          h(
            "tr",
            rowAttrs?.(r) ?? {},
            columns.map((c) => h("td", {}, c.show(r))),
          ),
        ),
      ),
    );
    return table;
  }

  private paintQuality(r: OverviewQualityResult): void {
    const list = r.assessments.filter((a) => a.name !== "_issue_discovery_judge");
    if (list.length === 0) {
      if (r.hasAssessmentsOutsideRange) {
        void this.explainEmpty("assessments", this.generation);
      } else {
        this.state("No quality metrics yet", "Log feedback with mlflow.log_feedback or run scorers with mlflow.genai.evaluate; the results appear here.");
      }
      return;
    }
    const summary = this.sortableTable<AssessmentQuality>(
      "quality",
      [
        { title: "Scorer", key: (a) => a.name, show: (a) => a.name },
        { title: "Total Count", key: (a) => a.count, show: (a) => formatNumber(a.count) },
        { title: "Avg Value", key: (a) => qualityAverage(a), show: (a) => formatMetric(qualityAverage(a)) },
      ],
      list,
      (a) => ({ "data-scorer": a.name }),
    );
    const cards = [...list]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((a) => {
        const bars = scoreBars(a);
        const max = Math.max(1, ...bars.map((b) => b.count));
        const barList = h(
          "div",
          { class: "hbars" },
          bars.map((b) => {
            const fill = h("span", { class: `hbar-fill tone-${b.tone}` });
            fill.style.width = `${(b.count / max) * 100}%`;
            return h(
              "div",
              { class: "hbar" },
              h("span", { class: "hbar-label", title: b.label }, b.label),
              h("span", { class: "hbar-track" }, fill),
              h("span", { class: "hbar-count" }, formatNumber(b.count)),
            );
          }),
        );
        const avg = qualityAverage(a);
        const card = this.card(
          a.name,
          avg != null ? formatMetric(avg) : formatNumber(a.count),
          avg != null ? "avg score" : `${a.count === 1 ? "assessment" : "assessments"}`,
          avg != null && a.series.length ? qualityTrend(r, a) : null,
          { height: 150 },
          "quality-card",
        );
        card.insertBefore(h("div", { class: "card-section muted" }, "Total aggregate scores"), card.querySelector(".card-chart"));
        card.insertBefore(barList, card.querySelector(".card-chart"));
        if (card.querySelector(".card-chart"))
          card.insertBefore(h("div", { class: "card-section muted" }, "Moving average over time"), card.querySelector(".card-chart"));
        const outside = avg != null ? assessedOutsideRange(r, a) : null;
        if (outside) card.append(h("div", { class: "card-section muted outside-range" }, outside));
        return card;
      });
    this.body.append(h("h3", { class: "overview-heading" }, "Quality Summary"), summary, h("div", { class: "cards" }, cards));
    this.flushCharts();
  }

  private paintTools(r: ToolCalls): void {
    const t = r.totals;
    if (t.calls === 0) {
      void this.explainEmpty("tool calls", this.generation);
      return;
    }
    const c = toolCharts(r);
    const table = this.sortableTable(
      "tools",
      [
        { title: "Tool", key: (x) => x.name, show: (x) => x.name },
        { title: "Calls", key: (x) => x.calls, show: (x) => formatNumber(x.calls) },
        {
          title: "Success (%)",
          key: (x) => (x.calls ? ((x.calls - x.failures) / x.calls) * 100 : null),
          show: (x) => formatPercent(x.calls ? ((x.calls - x.failures) / x.calls) * 100 : null),
        },
        { title: "Latency (AVG)", key: (x) => x.avgLatencyMs ?? null, show: (x) => durationWithWarning(x.avgLatencyMs, formatLatency(x.avgLatencyMs)) },
      ],
      r.tools,
      (x) => ({ "data-tool": x.name }),
    );
    const names = [...r.tools].sort((a, b) => b.calls - a.calls).map((x) => x.name);
    if (!this.toolForErrors || !names.includes(this.toolForErrors)) this.toolForErrors = names[0] ?? null;
    const toolSelect = h(
      "select",
      { class: "tool-select", "aria-label": "Tool" },
      names.map((n) => h("option", { value: n }, n)),
    );
    if (this.toolForErrors) toolSelect.value = this.toolForErrors;
    toolSelect.addEventListener("change", () => {
      this.toolForErrors = toolSelect.value;
      this.destroyCharts();
      clear(this.body);
      this.paintTools(r);
    });
    const selected = r.tools.find((x) => x.name === this.toolForErrors);
    const errorCard = this.card(
      "Tool Error Rates",
      formatPercent(selected?.errorRate),
      "overall error rate",
      this.toolForErrors ? c.errorRate(this.toolForErrors) : null,
    );
    errorCard.insertBefore(toolSelect, errorCard.querySelector(".card-headline"));
    this.body.append(
      h(
        "div",
        { class: "stat-cards" },
        this.stat("Total Tool Calls", formatNumber(t.calls)),
        this.stat("Success Rate", formatPercent(t.successRate)),
        this.stat("Failed Calls", formatNumber(t.failedCalls)),
        this.stat("Avg Latency", formatLatency(t.avgLatencyMs)),
      ),
      h("h3", { class: "overview-heading" }, "Tool Performance Summary"),
      table,
      h(
        "div",
        { class: "cards" },
        this.card("Tool usage over time", formatNumber(t.calls), "calls per tool", c.usage),
        this.card("Tool latency over time", formatLatency(t.avgLatencyMs), "average latency per tool", c.latency, {
          yFormat: (n) => formatLatency(n),
          yTick: latencyTick,
        }),
        errorCard,
      ),
    );
    this.flushCharts();
  }

  private stat(title: string, value: string): HTMLElement {
    return h("div", { class: "stat", "data-stat": title }, h("div", { class: "card-title" }, title), h("div", { class: "card-headline" }, value));
  }
}
