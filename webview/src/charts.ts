// uPlot charts for the Overview tab. uPlot sizes its elements through the CSSOM (element.style), which
// the host's CSP (`style-src 'self'`) allows; its stylesheet is bundled into main.css.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartData } from "./overview-math";
import { legendValue, stack } from "./overview-math";

export interface ChartOptions {
  height?: number;
  yFormat?: (n: number) => string;
  /** Unit of the x axis buckets (tick labels) and its length in seconds (half a bucket of padding each side). */
  unit?: string;
  intervalSeconds?: number;
  /** Y tick labels (shorter than the legend's values). */
  yTick?: (n: number) => string;
}

export interface ChartHandle {
  destroy(): void;
}

/** Draws one chart into `host`; the Overview view takes it as a parameter so tests can record the data. */
export type ChartFactory = (host: HTMLElement, data: ChartData, options: ChartOptions) => ChartHandle;

const X_FORMATS: Record<string, string> = {
  second: "{HH}:{mm}:{ss}",
  minute: "{HH}:{mm}",
  hour: "{MM}-{DD} {HH}:{mm}",
  day: "{MM}-{DD}",
  month: "{YYYY}-{MM}",
  year: "{YYYY}",
};

const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"];

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

function withAlpha(colour: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(colour);
  if (!m) return colour;
  const n = parseInt(m[1]!, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export const uplotChart: ChartFactory = (host, data, options) => {
  const fallback = ["#3b82f6", "#f59e0b", "#10b981", "#8b5cf6", "#ec4899", "#14b8a6"];
  const colours = PALETTE.map((v, i) => cssVar(host, v, fallback[i]!));
  const errorColour = cssVar(host, "--chart-error", "#e5484d");
  const fg = cssVar(host, "--chart-fg", "#888888");
  const grid = cssVar(host, "--chart-grid", "rgba(128,128,128,0.2)");
  const areas = data.series.filter((s) => s.kind === "area");
  const stacked = areas.length ? stack(areas.map((s) => s.values)) : [];

  const series: uPlot.Series[] = [{}];
  const columns: (number | null)[][] = [];
  // Stacked areas back to front: the largest cumulative sum first.
  const order = data.series.map((s, i) => ({ s, i }));
  const areaOrder = order.filter((o) => o.s.kind === "area").reverse();
  const rest = order.filter((o) => o.s.kind !== "area");
  for (const { s, i } of [...areaOrder, ...rest]) {
    const colour = s.colour === "error" ? errorColour : colours[i % colours.length]!;
    const isBar = s.kind === "bar";
    const isArea = s.kind === "area";
    series.push({
      label: s.label,
      stroke: colour,
      width: isBar ? 0 : 2,
      fill: isBar ? withAlpha(colour, 0.75) : isArea ? withAlpha(colour, 0.35) : undefined,
      paths: isBar ? uPlot.paths.bars!({ size: [0.6, 48] }) : undefined,
      points: { show: data.x.length <= 2 },
      scale: s.label.endsWith("%") && data.series.some((o) => o.kind === "bar") ? "pct" : "y",
      value: (_u, drawn, _series, index) => {
        const v = legendValue(s, drawn, index);
        return v === null ? "-" : options.yFormat && !s.label.endsWith("%") ? options.yFormat(v) : String(Math.round(v * 100) / 100);
      },
    });
    columns.push(isArea ? stacked[areas.indexOf(s)]! : s.values);
  }
  if (data.reference) {
    series.push({
      label: data.reference.label,
      stroke: fg,
      width: 1,
      dash: [6, 4],
      points: { show: false },
      scale: data.series.some((s) => s.label.endsWith("%")) && data.series.some((o) => o.kind === "bar") ? "pct" : "y",
    });
    columns.push(data.x.map(() => data.reference!.value));
  }
  const xFormat = X_FORMATS[options.unit ?? "day"] ?? "{MM}-{DD}";
  const pad = (options.intervalSeconds ?? 0) / 2;
  const axisStyle = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const hasPct = series.some((s) => s.scale === "pct");
  const opts: uPlot.Options = {
    width: Math.max(240, host.clientWidth || 420),
    height: options.height ?? 180,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_u, min, max) => [min - pad, max + pad] },
      y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      pct: { range: [0, 100] },
    },
    axes: [
      { ...axisStyle, values: xFormat },
      { ...axisStyle, size: 60, values: (_u, ticks) => ticks.map((t) => (options.yTick ?? options.yFormat ?? String)(t)) },
      ...(hasPct
        ? [{ ...axisStyle, scale: "pct", side: 1 as const, grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t}%`) }]
        : []),
    ],
    series,
  };
  const plot = new uPlot(opts, [data.x, ...columns] as uPlot.AlignedData, host);
  const observer =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          const w = host.clientWidth;
          if (w > 0 && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: opts.height });
        })
      : null;
  observer?.observe(host);
  return {
    destroy() {
      observer?.disconnect();
      plot.destroy();
    },
  };
};
