// The span tree's timeline controls: the filter bar over the tree (the legend, whose type chips are the type
// filter; status; dim or hide; zoom buttons) and the header inside the tree's scroller (column titles, a minimap of
// the whole trace with the part in view, the time axis). It holds the view (zoom, pan) and the filter; the viewer
// draws the rows from them (timeline.ts has the geometry).
import type { Span } from "./protocol.generated";
import { h } from "./dom";
import { formatDuration, formatNumber } from "./format";
import { spanTypeLabel, typeColour } from "./span-types";
import {
  axisTicks,
  barGeometry,
  clampView,
  isFiltering,
  isWholeTrace,
  panView,
  PAN_STEP,
  statusOf,
  typesOf,
  viewBetween,
  viewOfSpan,
  zoomView,
  ZOOM_STEP,
  NO_FILTER,
  type SpanFilter,
  type TraceWindow,
} from "./timeline";

/** Height of the sticky header inside the span scroller (the VirtualList's `headerHeight`). */
export const TIMELINE_HEAD_HEIGHT = 40;
/** A pointer that moves less than this between down and up clicked; more, it dragged. */
const CLICK_SLOP_PX = 3;

export class TimelineControls {
  /** The bar over the tree: legend and type filter, status, dim/hide, zoom. */
  readonly tools: HTMLElement;
  /** The first thing in the span scroller (sticky): column titles, the minimap and the axis. */
  readonly head: HTMLElement;
  full: TraceWindow = { startMs: 0, totalMs: 0 };
  view: TraceWindow = { startMs: 0, totalMs: 0 };
  filter: SpanFilter = { ...NO_FILTER, types: new Set() };
  /** The view changed (zoom, pan): the rows' bars are drawn again. */
  onViewChange: (() => void) | null = null;
  /** The filter changed: the rows are chosen again. */
  onFilterChange: (() => void) | null = null;
  /** "Clear the filter" also clears the name, which the viewer's Find box holds. */
  onClearName: (() => void) | null = null;
  /** Under the header when the filter keeps no span: says so, with a way out. */
  readonly empty: HTMLElement;

  private readonly legend: HTMLElement;
  private readonly statusSelect: HTMLSelectElement;
  private readonly modeSelect: HTMLSelectElement;
  private readonly viewText: HTMLElement;
  private readonly spanCount: HTMLElement;
  private readonly minimap: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly lens: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly selection: HTMLElement;
  private rows: readonly Span[] = [];
  private drawFrame = 0;

  constructor() {
    this.legend = h("div", { class: "legend", role: "group", "aria-label": "Span types (press to show only these)" });
    this.statusSelect = h(
      "select",
      { class: "status-filter", "aria-label": "Status filter", title: "Show spans of one status" },
      h("option", { value: "" }, "Any status"),
      h("option", { value: "ERROR" }, "Errors only"),
      h("option", { value: "OK" }, "OK only"),
      h("option", { value: "UNSET" }, "Unset only"),
    );
    this.statusSelect.addEventListener("change", () => this.setFilter({ status: (this.statusSelect.value || null) as SpanFilter["status"] }));
    this.modeSelect = h(
      "select",
      { class: "filter-mode", "aria-label": "Spans the filter leaves out", title: "Spans the filter leaves out: hidden, or dimmed in place" },
      h("option", { value: "hide" }, "Hide others"),
      h("option", { value: "dim" }, "Dim others"),
    );
    this.modeSelect.addEventListener("change", () => this.setFilter({ mode: this.modeSelect.value as SpanFilter["mode"] }));
    const zoomOut = this.toolButton("−", "Zoom out (−)", () => this.zoom(1 / ZOOM_STEP));
    const zoomIn = this.toolButton("+", "Zoom in (+)", () => this.zoom(ZOOM_STEP));
    const fit = this.toolButton("Fit", "Show the whole trace (0)", () => this.fit());
    this.viewText = h("span", { class: "view-range muted", "aria-live": "polite" });
    this.tools = h(
      "div",
      { class: "timeline-tools", role: "toolbar", "aria-label": "Span filter and timeline zoom" },
      this.legend,
      h("span", { class: "tools-group" }, this.statusSelect, this.modeSelect),
      h("span", { class: "tools-group zoom-group" }, zoomOut, zoomIn, fit, this.viewText),
    );

    this.canvas = h("canvas", { class: "minimap-canvas", "aria-hidden": "true" });
    this.lens = h("div", { class: "minimap-lens" });
    this.selection = h("div", { class: "timeline-selection", hidden: true });
    this.minimap = h(
      "div",
      { class: "minimap", title: "The whole trace: drag the lit part to pan, drag elsewhere to zoom to a range, click to centre", "aria-hidden": "true" },
      this.canvas,
      this.lens,
    );
    this.axis = h("div", { class: "axis", title: "Drag to zoom to a range; Ctrl + wheel zooms at the pointer", "aria-hidden": "true" });
    this.spanCount = h("span", { class: "muted" });
    this.head = h(
      "div",
      { class: "span-head", role: "presentation" },
      h("div", { class: "span-head-label" }, "Span ", this.spanCount),
      h("div", { class: "span-head-duration" }, "Duration"),
      h("div", { class: "span-head-timeline" }, this.minimap, this.axis, this.selection),
    );
    const clearFilter = h("button", { class: "link", type: "button" }, "Clear the filter");
    clearFilter.addEventListener("click", () => this.clearFilter());
    this.empty = h("div", { class: "tree-empty muted", hidden: true, role: "status" }, "No span matches the filter. ", clearFilter);
    this.minimap.addEventListener("pointerdown", (e) => this.dragOnMinimap(e));
    this.axis.addEventListener("pointerdown", (e) => this.dragOnAxis(e));
    this.head.addEventListener("wheel", (e) => this.onWheel(e, true), { passive: false });
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.paintHead()).observe(this.axis);
  }

  /** A new trace (`keepView`: the same trace grown, its rest after the head: the zoom stays). */
  setTrace(spans: readonly Span[], full: TraceWindow, keepView: boolean): void {
    const zoomed = keepView && !isWholeTrace(this.view, this.full);
    this.full = full;
    this.view = zoomed ? clampView(this.view, full) : { ...full };
    if (!keepView) this.filter = { ...this.filter, types: new Set(), status: null };
    this.statusSelect.value = this.filter.status ?? "";
    this.paintLegend(spans);
    this.paintHead();
  }

  /** The rows in display order (the minimap draws them). */
  setRows(rows: readonly Span[], total: number): void {
    this.rows = rows;
    this.spanCount.textContent = rows.length === total ? `(${formatNumber(total)})` : `(${formatNumber(rows.length)} of ${formatNumber(total)})`;
    this.empty.hidden = !(rows.length === 0 && total > 0);
    this.scheduleMinimap();
  }

  /** The name part of the filter (the viewer's Find box). */
  setName(name: string): void {
    this.filter = { ...this.filter, name };
  }

  zoom(factor: number, anchor = 0.5): void {
    this.setView(zoomView(this.view, this.full, factor, anchor));
  }

  pan(share: number): void {
    this.setView(panView(this.view, this.full, share));
  }

  fit(): void {
    this.setView({ ...this.full });
  }

  zoomToSpan(span: Span): void {
    this.setView(viewOfSpan(span, this.full));
  }

  setView(view: TraceWindow): void {
    const next = clampView(view, this.full);
    if (next.startMs === this.view.startMs && next.totalMs === this.view.totalMs) return;
    this.view = next;
    this.paintHead();
    this.onViewChange?.();
  }

  /** The timeline keys (the `?` overlay lists them); true when `e` was one. */
  handleKey(e: KeyboardEvent): boolean {
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    if (e.key === "+" || e.key === "=") this.zoom(ZOOM_STEP);
    else if (e.key === "-" || e.key === "_") this.zoom(1 / ZOOM_STEP);
    else if (e.key === "0") this.fit();
    else if (e.shiftKey && e.key === "ArrowLeft") this.pan(-PAN_STEP);
    else if (e.shiftKey && e.key === "ArrowRight") this.pan(PAN_STEP);
    else return false;
    return true;
  }

  /**
   * The wheel over the timeline: with Ctrl (or ⌘), or anywhere on the header, zooms at the pointer; sideways (or
   * with Shift) pans. A plain wheel over the rows scrolls them, as everywhere else.
   */
  onWheel(e: WheelEvent, onHead = false): void {
    const rect = this.axis.getBoundingClientRect();
    if (!(rect.width > 0) || this.full.totalMs <= 0) return;
    const sideways = Math.abs(e.deltaX) > Math.abs(e.deltaY) || (e.shiftKey && !e.ctrlKey);
    if (sideways) {
      e.preventDefault();
      this.pan(((e.shiftKey ? e.deltaY : e.deltaX) || e.deltaX) / rect.width);
      return;
    }
    if (!onHead && !e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const anchor = (e.clientX - rect.left) / rect.width;
    this.zoom(e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, anchor);
  }

  /** The axis's ticks, the minimap's lens and the range text: what changes with the view. */
  private paintHead(): void {
    const width = this.axis.clientWidth || 300;
    this.axis.replaceChildren(
      ...axisTicks(this.view, this.full, width).map((t) => {
        const tick = h("span", { class: "tick" }, h("span", { class: "tick-label" }, t.label));
        tick.style.left = `${t.pct}%`;
        return tick;
      }),
    );
    const lens = barGeometry(this.view.startMs, this.view.totalMs, this.full);
    this.lens.style.left = `${lens.leftPct}%`;
    this.lens.style.width = `${lens.widthPct}%`;
    const whole = isWholeTrace(this.view, this.full);
    this.lens.hidden = whole;
    this.minimap.classList.toggle("zoomed", !whole);
    this.viewText.textContent = whole ? "" : this.rangeText();
  }

  /** "831 ms – 1.30 s of 4.81 s": where the view is in the trace. */
  private rangeText(): string {
    const from = this.view.startMs - this.full.startMs;
    return `${formatDuration(from)} – ${formatDuration(from + this.view.totalMs)} of ${formatDuration(this.full.totalMs)}`;
  }

  private paintLegend(spans: readonly Span[]): void {
    const chips = typesOf(spans).map(({ type, count }) => {
      const pressed = this.filter.types.has(type);
      const chip = h(
        "button",
        {
          class: `legend-chip`,
          type: "button",
          "aria-pressed": String(pressed),
          "data-type": type,
          title: `${type}: ${formatNumber(count)} span${count === 1 ? "" : "s"}. Press to ${pressed ? "stop filtering by" : "show only"} this type.`,
        },
        h("span", { class: `swatch type-colour-${typeColour(type)}` }),
        `${spanTypeLabel(type)} ${formatNumber(count)}`,
      );
      chip.addEventListener("click", () => {
        const types = new Set(this.filter.types);
        if (types.has(type)) types.delete(type);
        else types.add(type);
        chip.setAttribute("aria-pressed", String(types.has(type)));
        this.setFilter({ types });
      });
      return chip;
    });
    const errors = spans.filter((s) => statusOf(s) === "ERROR").length;
    this.legend.replaceChildren(
      ...chips,
      errors
        ? h(
            "span",
            { class: "legend-key", title: `${errors} span${errors === 1 ? "" : "s"} with status ERROR` },
            h("span", { class: "swatch swatch-error" }),
            "error",
          )
        : "",
      h("span", { class: "legend-key", title: "The spans the trace's end waited for" }, h("span", { class: "swatch swatch-critical" }), "critical path"),
    );
  }

  /** Every span again: no type, any status, no name. */
  clearFilter(): void {
    for (const chip of this.legend.querySelectorAll(".legend-chip")) chip.setAttribute("aria-pressed", "false");
    this.statusSelect.value = "";
    this.filter = { ...this.filter, types: new Set(), status: null, name: "" };
    this.onClearName?.();
    this.setFilter({});
  }

  private setFilter(change: Partial<SpanFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.tools.classList.toggle("filtering", isFiltering(this.filter));
    this.onFilterChange?.();
  }

  private toolButton(text: string, title: string, run: () => void): HTMLButtonElement {
    const b = h("button", { class: "tool-button", type: "button", title, "aria-label": title }, text);
    b.addEventListener("click", run);
    return b;
  }

  // ---- the minimap: every row of the tree as a thin line, the part in view lit

  private scheduleMinimap(): void {
    if (this.drawFrame) return;
    const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 0);
    this.drawFrame = raf(() => {
      this.drawFrame = 0;
      this.drawMinimap();
    }) as unknown as number;
  }

  private drawMinimap(): void {
    const width = this.minimap.clientWidth;
    const height = this.minimap.clientHeight;
    const ctx = width > 0 && height > 0 ? this.canvas.getContext("2d") : null;
    if (!ctx) return;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(this.minimap);
    const colours = new Map<string, string>();
    const colourOf = (name: string) => {
      let c = colours.get(name);
      if (c === undefined) colours.set(name, (c = style.getPropertyValue(`--ti-type-${name}`).trim() || "#888"));
      return c;
    };
    const rowHeight = Math.max(1, height / Math.max(1, this.rows.length));
    this.rows.forEach((s, i) => {
      const bar = barGeometry(s.startMs, s.durationMs, this.full);
      ctx.fillStyle = statusOf(s) === "ERROR" ? colourOf("error") : colourOf(typeColour(s.spanType));
      ctx.fillRect(
        (bar.leftPct / 100) * width,
        (i / Math.max(1, this.rows.length)) * height,
        Math.max(1, (bar.widthPct / 100) * width),
        Math.min(rowHeight, 3),
      );
    });
  }

  // ---- drags: a range to zoom to (axis, minimap), or the lens moved (minimap)

  private dragOnAxis(e: PointerEvent): void {
    this.dragRange(e, this.axis, this.view);
  }

  private dragOnMinimap(e: PointerEvent): void {
    const rect = this.minimap.getBoundingClientRect();
    const share = (e.clientX - rect.left) / rect.width;
    const lens = barGeometry(this.view.startMs, this.view.totalMs, this.full);
    const onLens = !isWholeTrace(this.view, this.full) && share * 100 >= lens.leftPct && share * 100 <= lens.leftPct + lens.widthPct;
    if (!onLens) {
      this.dragRange(e, this.minimap, this.full, (at) =>
        this.setView({ startMs: this.full.startMs + at * this.full.totalMs - this.view.totalMs / 2, totalMs: this.view.totalMs }),
      );
      return;
    }
    e.preventDefault();
    const startView = this.view;
    const startX = e.clientX;
    this.capture(e, this.minimap, (x) => {
      const dx = (x - startX) / rect.width;
      this.setView({ startMs: startView.startMs + dx * this.full.totalMs, totalMs: startView.totalMs });
    });
  }

  /** A drag across `el` (which shows `of`) selects a range and zooms to it; a click calls `click` with its place. */
  private dragRange(e: PointerEvent, el: HTMLElement, of: TraceWindow, click?: (at: number) => void): void {
    if (e.button !== 0) return;
    e.preventDefault();
    const rect = el.getBoundingClientRect();
    const timelineRect = this.selection.parentElement!.getBoundingClientRect();
    const shareAt = (x: number) => Math.min(1, Math.max(0, (x - rect.left) / rect.width));
    const from = shareAt(e.clientX);
    const startX = e.clientX;
    let to = from;
    this.capture(
      e,
      el,
      (x) => {
        to = shareAt(x);
        const lo = Math.min(from, to);
        this.selection.hidden = Math.abs(x - startX) < CLICK_SLOP_PX;
        this.selection.style.left = `${rect.left - timelineRect.left + lo * rect.width}px`;
        this.selection.style.width = `${Math.abs(to - from) * rect.width}px`;
      },
      (x) => {
        this.selection.hidden = true;
        if (Math.abs(x - startX) >= CLICK_SLOP_PX) this.setView(viewBetween(from, to, of, this.full));
        else click?.(from);
      },
    );
  }

  private capture(e: PointerEvent, el: HTMLElement, move: (x: number) => void, up?: (x: number) => void): void {
    el.setPointerCapture?.(e.pointerId);
    const onMove = (m: PointerEvent) => move(m.clientX);
    const onUp = (u: PointerEvent) => {
      el.removeEventListener("pointermove", onMove);
      el.removeEventListener("pointerup", onUp);
      el.removeEventListener("pointercancel", onUp);
      up?.(u.clientX);
    };
    el.addEventListener("pointermove", onMove);
    el.addEventListener("pointerup", onUp);
    el.addEventListener("pointercancel", onUp);
  }
}
