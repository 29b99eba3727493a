// Compare two traces (issue 20, item 6): a header with both traces, their span trees merged by span path with the
// two sides in columns (spans on one side only marked added / removed), the differences of each aligned pair, and
// for the selected row a line diff of its inputs and outputs. The logic is compare-logic.ts; this is the page.
import type { Span, SpanPayload, TraceSummary, TracesGetResult } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h, isTextInput } from "./dom";
import "./controls";
import "./compare.css";
import { setPressed } from "./controls";
import { openDialog } from "./dialog";
import { durationProblem, durationWithWarning, formatDuration, formatNumber, formatTime } from "./format";
import { VirtualList } from "./virtual";
import { stateBadge } from "./traces-view";
import { indentOf } from "./trace-viewer";
import { spanTypeLabel } from "./span-types";
import {
  alignTraces,
  alignmentSummary,
  durationDelta,
  foldUnchanged,
  formatDelta,
  formatRatio,
  isErrorStatus,
  pairDifferences,
  traceTotalTokens,
  valueDiff,
  visibleRows,
  type AlignedRow,
  type Alignment,
  type DiffItem,
  type PairDifferences,
  type ValueDiff,
} from "./compare-logic";
import { formatSize } from "./big-value";

export const COMPARE_ROW_HEIGHT = 26;
/** Diff lines painted at first and per "Show more": a long diff never lays out thousands of lines at once. */
export const DIFF_RENDER_LINES = 300;

type SideKey = "left" | "right";

interface Loaded {
  result: TracesGetResult;
  payloads: Map<string, SpanPayload>;
}

export class CompareView {
  readonly element: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly cards: HTMLElement;
  private readonly message: HTMLElement;
  private readonly summaryLine: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly list: VirtualList;
  private readonly split: HTMLElement;
  private readonly diffOnlyButton: HTMLElement & { secondary: boolean };

  private ids: [string, string] | null = null;
  private sides: { left: Loaded; right: Loaded } | null = null;
  private alignment: Alignment | null = null;
  private rows: AlignedRow[] = [];
  private readonly collapsed = new Set<number>();
  private differencesOnly = false;
  private selected: number | null = null;
  private loadAbort: AbortController | null = null;
  private payloadAbort: AbortController | null = null;
  private readonly differences = new Map<number, PairDifferences>();

  /** Closed (Escape, ✕): back to where the compare was opened from. */
  onClose: (() => void) | null = null;
  /** "Open" on a side: that trace in the viewer. */
  onOpenTrace: ((traceId: string) => void) | null = null;
  /** The pair shown changed (opened, swapped): the address bar keeps it. */
  onChange: (() => void) | null = null;

  /** A compare tab of its own (PanelViews.compare): nothing to close back to, the tab's own ✕ closes it. */
  private readonly standalone: boolean;

  constructor(
    private readonly transport: Transport,
    options: { standalone?: boolean } = {},
  ) {
    this.standalone = options.standalone ?? false;
    this.heading = h("div", { class: "cmp-heading" }, h("span", { class: "cmp-heading-name" }, "Compare traces"));
    this.summaryLine = h("span", { class: "muted cmp-summary", "aria-live": "polite" });
    const swap = h("vscode-button", { secondary: true, class: "cmp-swap", title: "Swap the two sides (s)" }, "⇄ Swap");
    swap.addEventListener("click", () => this.swap());
    this.diffOnlyButton = h(
      "vscode-button",
      { secondary: true, class: "cmp-diff-only", "aria-pressed": "false", title: "Show only the spans that differ, with their parents (d)" },
      "Differences only",
    );
    this.diffOnlyButton.addEventListener("click", () => this.setDifferencesOnly(!this.differencesOnly));
    const close = this.standalone
      ? null
      : h("vscode-button", { secondary: true, class: "cmp-close", title: "Close (Escape)", "aria-label": "Close the comparison" }, "✕");
    close?.addEventListener("click", () => this.close());
    this.cards = h("div", { class: "cmp-cards" });
    this.message = h("div", { class: "cmp-message", hidden: true });
    this.scroller = h("div", { class: "cmp-scroller", role: "tree", tabindex: "0", "aria-label": "Aligned spans of the two traces" });
    this.list = new VirtualList(this.scroller, { rowHeight: COMPARE_ROW_HEIGHT, overscan: 10, renderRow: (i) => this.renderRow(i) });
    this.scroller.addEventListener("keydown", (e) => this.onListKey(e));
    this.detail = h("div", { class: "cmp-detail", tabindex: "-1" });
    const columns = h(
      "div",
      { class: "cmp-row cmp-columns", "aria-hidden": "true" },
      h("div", { class: "cmp-name" }, "Span path"),
      h("div", { class: "cmp-side" }, "A"),
      h("div", { class: "cmp-side" }, "B"),
      h("div", { class: "cmp-delta" }, "Δ time"),
      h("div", { class: "cmp-tokens" }, "Tokens"),
      h("div", { class: "cmp-io" }, "In/Out"),
    );
    this.element = h(
      "section",
      { class: "compare-view", hidden: true, "aria-label": "Compare traces" },
      h("div", { class: "cmp-bar" }, this.heading, this.diffOnlyButton, swap, close),
      this.cards,
      this.message,
      (this.split = h(
        "div",
        { class: "cmp-split" },
        h("div", { class: "cmp-tree" }, columns, h("div", { class: "cmp-tree-body" }, this.scroller)),
        this.detail,
      )),
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !e.defaultPrevented) {
        if (this.standalone) return;
        e.preventDefault();
        this.close();
      } else if ((e.key === "s" || e.key === "d") && !isTextInput(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        if (e.key === "s") this.swap();
        else this.setDifferencesOnly(!this.differencesOnly);
      }
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** The two trace IDs shown, left (A) first. */
  get traceIds(): [string, string] | null {
    return this.ids;
  }

  /** Opens the comparison of `left` (A) and `right` (B); resolves once both trees are painted (or failed). */
  async open(left: string, right: string): Promise<void> {
    this.loadAbort?.abort();
    this.payloadAbort?.abort();
    const abort = (this.loadAbort = new AbortController());
    this.element.hidden = false;
    this.ids = [left, right];
    this.sides = null;
    this.alignment = null;
    this.rows = [];
    this.collapsed.clear();
    this.differences.clear();
    this.selected = null;
    this.list.setRowCount(0);
    clear(this.detail);
    clear(this.cards);
    this.summaryLine.textContent = "";
    this.setMessage("Loading both traces…");
    this.onChange?.();
    try {
      const [a, b] = await Promise.all([left, right].map((traceId) => this.transport.request("traces/get", { traceId }, abort.signal)));
      if (abort.signal.aborted) return;
      this.show(a!, b!);
    } catch (err) {
      const e = RpcError.from(err);
      if (e.isCancelled || abort.signal.aborted) return;
      this.setMessage(`Could not open the traces to compare: ${e.message}`, true);
    }
  }

  /** Shows two fetched traces side by side (also used by tests). */
  show(a: TracesGetResult, b: TracesGetResult): void {
    this.element.hidden = false;
    this.ids = [a.info.traceId, b.info.traceId];
    const loaded = (r: TracesGetResult): Loaded => {
      const payloads = new Map<string, SpanPayload>();
      for (const s of r.spans) if (s.payload) payloads.set(s.spanId, s.payload);
      return { result: r, payloads };
    };
    this.sides = { left: loaded(a), right: loaded(b) };
    this.alignment = alignTraces(a.spans, b.spans);
    this.differences.clear();
    this.paintCards();
    const warnings = [a, b].flatMap((r, i) => r.warnings.map((w) => `${i ? "B" : "A"}: ${w}`));
    this.setMessage(warnings.length ? warningsLine(warnings) : null);
    this.refreshRows();
    const first = this.rows.find((r) => this.differencesOf(r).any) ?? this.rows[0];
    if (first) this.select(first.index);
    else this.paintDetail();
    if (this.element.ownerDocument.hasFocus()) this.scroller.focus({ preventScroll: true });
  }

  close(): void {
    if (!this.isOpen) return;
    this.loadAbort?.abort();
    this.payloadAbort?.abort();
    this.element.hidden = true;
    this.ids = null;
    this.sides = null;
    this.alignment = null;
    this.rows = [];
    this.list.setRowCount(0); // nothing of it stays in the page behind the list or the viewer
    clear(this.detail);
    clear(this.cards);
    this.onClose?.();
  }

  /** A and B change places; the selected path stays selected. */
  swap(): void {
    if (!this.ids) return;
    const path = this.selected !== null ? this.alignment?.rows[this.selected]?.path : undefined;
    if (this.sides) {
      const { left, right } = this.sides;
      this.show(right.result, left.result);
      const again = path ? this.alignment!.rows.find((r) => r.path === path) : undefined;
      if (again) this.select(again.index);
      this.onChange?.();
    } else void this.open(this.ids[1], this.ids[0]);
  }

  setDifferencesOnly(on: boolean): void {
    this.differencesOnly = on;
    setPressed(this.diffOnlyButton, on);
    this.refreshRows();
  }

  private setMessage(text: string | null, error = false): void {
    this.message.textContent = text ?? "";
    this.message.hidden = text === null;
    this.message.classList.toggle("error-text", error);
  }

  private differencesOf(row: AlignedRow): PairDifferences {
    let d = this.differences.get(row.index);
    if (!d) {
      const lp = row.left ? this.sides?.left.payloads.get(row.left.spanId) : null;
      const rp = row.right ? this.sides?.right.payloads.get(row.right.spanId) : null;
      d = pairDifferences(row, lp, rp);
      this.differences.set(row.index, d);
    }
    return d;
  }

  // ---------------------------------------------------------------- header

  private paintCards(): void {
    const { left, right } = this.sides!;
    const a = left.result.info;
    const b = right.result.info;
    const card = (side: "A" | "B", info: TraceSummary, spans: number) => {
      const open = h("vscode-button", { secondary: true, class: `cmp-open cmp-open-${side.toLowerCase()}`, title: `Open trace ${side} in the viewer` }, "Open");
      open.addEventListener("click", () => this.onOpenTrace?.(info.traceId));
      const tokens = traceTotalTokens(info);
      return h(
        "div",
        { class: `cmp-card cmp-card-${side.toLowerCase()}`, "data-trace-id": info.traceId },
        h(
          "div",
          { class: "cmp-card-head" },
          h("span", { class: `cmp-side-label cmp-side-${side.toLowerCase()}` }, side),
          h("span", { class: "cmp-card-name" }, info.name || info.traceId),
          stateBadge(info.state),
          open,
        ),
        h(
          "div",
          { class: "cmp-card-meta muted" },
          h("span", { class: "cmp-card-id" }, info.traceId),
          h("span", {}, formatTime(info.requestTimeMs)),
          h("span", { class: "cmp-card-duration" }, durationWithWarning(info.durationMs)),
          h("span", { class: "cmp-card-tokens" }, tokens !== null ? `${formatNumber(tokens)} tokens` : "no token count"),
          h("span", {}, `${formatNumber(spans)} span${spans === 1 ? "" : "s"}`),
        ),
      );
    };
    const dur = durationDelta(a.durationMs, b.durationMs);
    const ta = traceTotalTokens(a);
    const tb = traceTotalTokens(b);
    const deltas = h(
      "div",
      { class: "cmp-trace-delta" },
      h("span", { class: "muted" }, "B against A: "),
      h(
        "span",
        { class: `cmp-dur-delta ${dur.change ?? ""}` },
        dur.delta !== null ? `${formatDelta(dur.delta, formatDuration)} ${formatRatio(dur.ratio)}`.trim() : "duration —",
      ),
      ta !== null && tb !== null ? h("span", { class: "cmp-tok-delta" }, ` · tokens ${formatSigned(tb - ta)}`) : null,
      a.state !== b.state ? h("span", { class: "cmp-state-delta" }, ` · state ${a.state} → ${b.state}`) : null,
    );
    this.cards.replaceChildren(
      card("A", a, left.result.spans.length),
      card("B", b, right.result.spans.length),
      h("div", { class: "cmp-trace-line" }, deltas, this.summaryLine),
    );
    this.summaryLine.textContent = alignmentSummary(this.alignment!);
    clear(this.heading);
    this.heading.append(
      h("span", { class: "cmp-heading-name" }, "Compare"),
      " ",
      h("span", { class: "muted" }, `${a.name || a.traceId} ⇄ ${b.name || b.traceId}`),
    );
  }

  // ---------------------------------------------------------------- the aligned tree

  private refreshRows(): void {
    if (!this.alignment) return;
    this.rows = visibleRows(this.alignment, this.collapsed, this.differencesOnly ? (r) => this.differencesOf(r).any : undefined);
    this.scroller.setAttribute("data-row-count", String(this.rows.length));
    this.split.style.setProperty("--cmp-rows", String(this.rows.length)); // a stacked tree is no taller than its rows
    this.list.setRowCount(this.rows.length);
    if (this.rows.length === 0 && this.alignment.rows.length > 0) this.setMessage("No span differs between the two traces (Differences only is on).");
  }

  private renderRow(i: number): HTMLElement {
    const row = this.rows[i]!;
    const d = this.differencesOf(row);
    const span = row.left ?? row.right!;
    const hasKids = row.children.length > 0;
    const collapsed = this.collapsed.has(row.index);
    const twisty = h("span", { class: "cmp-twisty" }, hasKids ? (collapsed ? "▸" : "▾") : "");
    twisty.addEventListener("click", (e) => {
      e.stopPropagation();
      if (hasKids) this.toggle(row.index);
    });
    const indent = indentOf(row.depth);
    // The words go in a narrow tab (the sign, the row's border and its strike-through stay).
    const kindMark =
      row.kind === "added"
        ? h("span", { class: "badge cmp-kind cmp-kind-added", title: "Only in trace B" }, "+", h("span", { class: "cmp-kind-text" }, " B only"))
        : row.kind === "removed"
          ? h("span", { class: "badge cmp-kind cmp-kind-removed", title: "Only in trace A" }, "−", h("span", { class: "cmp-kind-text" }, " A only"))
          : null;
    const label = h(
      "div",
      { class: "cmp-name cmp-label" },
      indent.badge ? h("span", { class: "cmp-depth-badge", title: `Depth ${row.depth}` }, indent.badge) : null,
      twisty,
      h("span", { class: `type-label type-${span.spanType.toLowerCase()}` }, spanTypeLabel(span.spanType)),
      h("span", { class: "cmp-span-name" }, row.occurrence > 1 ? [row.name, h("span", { class: "muted cmp-occurrence" }, `#${row.occurrence}`)] : row.name),
      kindMark,
    );
    label.style.setProperty("--indent", String(indent.levels));
    const dur = d.duration;
    const deltaText = dur.delta !== null ? formatDelta(dur.delta, formatDuration) : dur.suspect ? "⚠" : "";
    // The ratio is its own span: a narrow tab drops it (the pair's table below has it).
    const ratio = dur.delta !== null && dur.ratio !== null && dur.change !== "same" ? h("span", { class: "cmp-ratio" }, ` ${formatRatio(dur.ratio)}`) : null;
    const tokens =
      d.tokens.left !== null || d.tokens.right !== null
        ? `${d.tokens.left !== null ? formatNumber(d.tokens.left) : "—"} → ${d.tokens.right !== null ? formatNumber(d.tokens.right) : "—"}`
        : "";
    const io = [d.inputs ? "in" : null, d.outputs ? "out" : null].filter(Boolean).join(" ");
    const ioSame = d.inputs === false && d.outputs === false;
    const el = h(
      "div",
      {
        class: `cmp-row cmp-${row.kind}${row.index === this.selected ? " selected" : ""}${d.any ? " cmp-differs" : ""}`,
        role: "treeitem",
        "data-path": row.path,
        "data-kind": row.kind,
        "aria-level": row.depth + 1,
        "aria-expanded": hasKids ? String(!collapsed) : null,
        "aria-selected": String(row.index === this.selected),
      },
      label,
      sideCell(row.left, d.status.changed),
      sideCell(row.right, d.status.changed),
      h(
        "div",
        { class: `cmp-delta ${dur.change ?? ""}`, title: dur.suspect ? "A duration is negative or not a number: no delta is made of it." : null },
        deltaText,
        ratio,
      ),
      h("div", { class: `cmp-tokens${d.tokens.delta ? " changed" : ""}` }, tokens),
      h(
        "div",
        {
          class: `cmp-io${io ? " changed" : ""}`,
          title: io ? `The ${io === "in out" ? "inputs and outputs" : io === "in" ? "inputs" : "outputs"} differ` : ioSame ? "Same inputs and outputs" : null,
        },
        io ? `≠ ${io}` : ioSame ? "=" : "",
      ),
    );
    el.title =
      `${row.path}${row.kind === "added" ? " · only in B" : row.kind === "removed" ? " · only in A" : ""}` +
      `${d.status.changed ? ` · status ${d.status.left} → ${d.status.right}` : ""}`;
    el.addEventListener("click", () => this.select(row.index));
    return el;
  }

  private toggle(index: number, expand?: boolean): void {
    const collapse = expand === undefined ? !this.collapsed.has(index) : !expand;
    if (collapse) this.collapsed.add(index);
    else this.collapsed.delete(index);
    this.refreshRows();
  }

  private onListKey(e: KeyboardEvent): void {
    if (!this.alignment || this.rows.length === 0) return;
    const at = Math.max(
      0,
      this.rows.findIndex((r) => r.index === this.selected),
    );
    const cur = this.rows[at]!;
    const hasKids = cur.children.length > 0;
    switch (e.key) {
      case "ArrowDown":
        this.select(this.rows[Math.min(this.rows.length - 1, at + 1)]!.index);
        break;
      case "ArrowUp":
        this.select(this.rows[Math.max(0, at - 1)]!.index);
        break;
      case "Home":
        this.select(this.rows[0]!.index);
        break;
      case "End":
        this.select(this.rows[this.rows.length - 1]!.index);
        break;
      case "ArrowRight":
        if (hasKids && this.collapsed.has(cur.index)) this.toggle(cur.index, true);
        else if (hasKids) this.select(this.rows[Math.min(this.rows.length - 1, at + 1)]!.index);
        break;
      case "ArrowLeft":
        if (hasKids && !this.collapsed.has(cur.index)) this.toggle(cur.index, false);
        else if (cur.parent !== null) this.select(cur.parent);
        break;
      case "Enter":
        if (hasKids) this.toggle(cur.index);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** Selects an aligned row (by its index in the alignment): its pair's details and diffs, payloads fetched as needed. */
  select(index: number): void {
    if (!this.alignment || !this.sides) return;
    const row = this.alignment.rows[index];
    if (!row) return;
    this.selected = index;
    const at = this.rows.findIndex((r) => r.index === index);
    if (at >= 0) this.list.reveal(at);
    else this.list.render();
    this.payloadAbort?.abort();
    const missing = (["left", "right"] as SideKey[]).filter((k) => {
      const s = row[k];
      return s && !this.sides![k].result.payloadsIncluded && !this.sides![k].payloads.has(s.spanId);
    });
    this.paintDetail(missing.length ? "" : null);
    if (missing.length) void this.fetchPayloads(row, missing);
  }

  private async fetchPayloads(row: AlignedRow, sides: SideKey[]): Promise<void> {
    const abort = (this.payloadAbort = new AbortController());
    const sidesNow = this.sides!;
    try {
      await Promise.all(
        sides.map(async (k) => {
          const span = row[k]!;
          const r = await this.transport.request("spans/get", { traceId: sidesNow[k].result.info.traceId, spanIds: [span.spanId] }, abort.signal);
          const p = r.payloads[span.spanId];
          if (p) sidesNow[k].payloads.set(span.spanId, p);
        }),
      );
      if (abort.signal.aborted || this.sides !== sidesNow || this.selected !== row.index) return;
      this.differences.delete(row.index);
      this.list.render();
      this.paintDetail(null);
    } catch (err) {
      const e = RpcError.from(err);
      if (e.isCancelled || abort.signal.aborted || this.selected !== row.index) return;
      this.paintDetail(`Could not load the spans' inputs and outputs: ${e.message}`);
    }
  }

  // ---------------------------------------------------------------- the selected pair

  /** `loading`: null when the payloads are here, "" while they load, else why they could not be loaded. */
  private paintDetail(loading: string | null = null): void {
    clear(this.detail);
    if (!this.alignment || !this.sides) return;
    if (this.alignment.rows.length === 0) {
      this.detail.append(h("div", { class: "muted cmp-empty" }, "Neither trace has spans."));
      return;
    }
    if (this.selected === null) return;
    const row = this.alignment.rows[this.selected]!;
    const d = this.differencesOf(row);
    const { left, right } = this.sides;
    const offset = (s: Span | null, r: TracesGetResult) => (s ? `+${formatDuration(s.startMs - minStart(r.spans))}` : "—");
    const tokenText = (n: number | null, s: Span | null, k: SideKey) =>
      !s ? "—" : n !== null ? formatNumber(n) : this.sides![k].payloads.has(s.spanId) ? "none" : "…";
    const line = (label: string, a: HTMLElement | string, b: HTMLElement | string, delta: HTMLElement | string = "", changed = false) =>
      h("tr", { class: changed ? "changed" : null }, h("th", {}, label), h("td", {}, a), h("td", {}, b), h("td", { class: "cmp-delta-cell" }, delta));
    const status = (s: Span | null) =>
      s ? h("span", { class: isErrorStatus(s.status) ? "badge badge-error" : "badge badge-ok" }, s.status || "UNSET") : h("span", { class: "muted" }, "absent");
    const dur = d.duration;
    const table = h(
      "table",
      { class: "cmp-pair" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "A"), h("th", {}, "B"), h("th", {}, "Δ"))),
      h(
        "tbody",
        {},
        line("Status", status(row.left), status(row.right), d.status.changed ? "changed" : "", d.status.changed),
        line(
          "Duration",
          row.left ? durationWithWarning(row.left.durationMs) : "—",
          row.right ? durationWithWarning(row.right.durationMs) : "—",
          dur.delta !== null ? `${formatDelta(dur.delta, formatDuration)} ${formatRatio(dur.ratio)}`.trim() : dur.suspect ? "not comparable" : "",
          dur.change === "slower" || dur.change === "faster",
        ),
        line("Self time", row.left ? formatDuration(row.left.selfTimeMs) : "—", row.right ? formatDuration(row.right.selfTimeMs) : "—"),
        line("Starts at", offset(row.left, left.result), offset(row.right, right.result)),
        line(
          "Tokens",
          tokenText(d.tokens.left, row.left, "left"),
          tokenText(d.tokens.right, row.right, "right"),
          d.tokens.delta !== null ? formatSigned(d.tokens.delta) : "",
          !!d.tokens.delta,
        ),
        line("Span ID", row.left?.spanId ?? "—", row.right?.spanId ?? "—"),
      ),
    );
    const kind =
      row.kind === "added" ? "Only in B: trace A has no span at this path." : row.kind === "removed" ? "Only in A: trace B has no span at this path." : null;
    const problems = [row.left, row.right].map((s) => (s ? durationProblem(s.durationMs) : null)).filter(Boolean);
    const body: (HTMLElement | null)[] = [
      h(
        "div",
        { class: "cmp-detail-head" },
        h("div", { class: "cmp-path" }, row.path),
        kind ? h("div", { class: `cmp-kind-line cmp-kind-${row.kind}` }, kind) : null,
        problems.length ? h("div", { class: "cmp-warning" }, `⚠ ${problems[0]}`) : null,
      ),
      table,
    ];
    const statusMessages = [
      row.left?.statusMessage ? `A: ${row.left.statusMessage}` : null,
      row.right?.statusMessage ? `B: ${row.right.statusMessage}` : null,
    ].filter((x): x is string => !!x);
    if (statusMessages.length) body.push(h("div", { class: "cmp-status-message" }, statusMessages.join("\n")));
    if (loading !== null) body.push(h("div", { class: loading ? "error-text" : "muted" }, loading || "Loading inputs and outputs…"));
    else {
      const lp = row.left ? (left.payloads.get(row.left.spanId) ?? null) : null;
      const rp = row.right ? (right.payloads.get(row.right.spanId) ?? null) : null;
      for (const part of ["inputs", "outputs"] as const) {
        const diff = valueDiff(lp?.[part] ?? null, rp?.[part] ?? null);
        body.push(diffSection(part === "inputs" ? "Inputs" : "Outputs", diff, d[part], row));
      }
    }
    this.detail.append(...body.filter((x): x is HTMLElement => x !== null));
    this.detail.scrollTop = 0;
  }
}

/** The earliest start among a trace's spans (broken times ignored), for "starts at +…". */
function minStart(spans: readonly Span[]): number {
  let min = Infinity;
  for (const s of spans) if (Number.isFinite(s.startMs) && s.startMs < min) min = s.startMs;
  return Number.isFinite(min) ? min : 0;
}

function formatSigned(n: number): string {
  return n === 0 ? "±0" : `${n > 0 ? "+" : "−"}${formatNumber(Math.abs(n))}`;
}

function warningsLine(warnings: string[]): string {
  return `Warnings: ${warnings
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => (/[.!?]$/.test(w) ? w : `${w}.`))
    .join(" ")}`;
}

/** One side's cell of a row: its duration, with an error badge; "—" where that side has no span here. */
function sideCell(span: Span | null, statusChanged: boolean): HTMLElement {
  if (!span) return h("div", { class: "cmp-side absent muted" }, "—");
  const error = isErrorStatus(span.status);
  const problem = durationProblem(span.durationMs);
  return h(
    "div",
    { class: `cmp-side${statusChanged ? " status-changed" : ""}`, "data-status": span.status },
    error ? h("span", { class: "cmp-err", title: `Status ${span.status}`, "aria-label": "error", role: "img" }, "✕") : null,
    h("span", { class: `${problem ? "duration suspect" : "duration"}${error ? " error-text" : ""}` }, formatDuration(span.durationMs)),
  );
}

/** A value's line diff: a summary line, then the lines (unchanged runs folded), painted a few hundred at a time. */
export function diffSection(title: string, diff: ValueDiff, differs: boolean | null, row: Pick<AlignedRow, "kind">): HTMLElement {
  const same = diff.added === 0 && diff.removed === 0;
  const verdict = same ? (differs === true ? "Differ past the compared part" : "Same") : `+${formatNumber(diff.added)} −${formatNumber(diff.removed)} lines`;
  const notes: string[] = [];
  if (row.kind !== "both") notes.push(row.kind === "added" ? "the span is only in B" : "the span is only in A");
  if (diff.truncated.left || diff.truncated.right)
    notes.push(
      `only the first ${formatSize(100_000)} of ${diff.truncated.left && diff.truncated.right ? "each side" : diff.truncated.left ? "A" : "B"} compared`,
    );
  if (!diff.exact) notes.push("too different to align line by line: shown as replaced");
  const head = h(
    "summary",
    { class: "cmp-section-title" },
    title,
    " ",
    h("span", { class: `cmp-verdict ${same ? "same" : "differs"}` }, verdict),
    notes.length ? h("span", { class: "muted cmp-notes" }, ` (${notes.join("; ")})`) : null,
  );
  const section = h("details", { class: "cmp-diff-section", open: true, "data-part": title.toLowerCase() }, head);
  if (diff.ops.length === 0) {
    section.append(h("div", { class: "muted" }, "(none on either side)"));
    return section;
  }
  const items = foldUnchanged(diff.ops);
  const table = h("div", { class: "cmp-diff", role: "table", "aria-label": `${title}: A against B, line by line` });
  section.append(table);
  let shown = 0;
  const more = h("button", { type: "button", class: "link cmp-diff-more" });
  const paint = () => {
    const end = Math.min(items.length, shown + DIFF_RENDER_LINES);
    for (let i = shown; i < end; i++) table.append(diffItem(items[i]!));
    shown = end;
    if (shown < items.length) {
      more.textContent =
        `Show ${formatNumber(Math.min(DIFF_RENDER_LINES, items.length - shown))} more ` + `(${formatNumber(shown)} of ${formatNumber(items.length)})`;
      if (!more.isConnected) section.append(more);
    } else more.remove();
  };
  more.addEventListener("click", paint);
  paint();
  return section;
}

function diffLine(op: DiffItem & { kind: "line" }): HTMLElement {
  const { line } = op;
  const sign = line.op === "add" ? "+" : line.op === "del" ? "−" : " ";
  return h(
    "div",
    { class: `cmp-line cmp-line-${line.op}`, role: "row" },
    h("span", { class: "cmp-ln", role: "cell" }, line.a ?? ""),
    h("span", { class: "cmp-ln", role: "cell" }, line.b ?? ""),
    h("span", { class: "cmp-sign", role: "cell", "aria-label": line.op === "add" ? "added in B" : line.op === "del" ? "removed in B" : null }, sign),
    h("span", { class: "cmp-text", role: "cell" }, line.text),
  );
}

function diffItem(item: DiffItem): HTMLElement {
  if (item.kind === "line") return diffLine(item);
  const fold = h(
    "button",
    { type: "button", class: "cmp-fold", role: "row" },
    `⋯ ${formatNumber(item.lines.length)} unchanged line${item.lines.length === 1 ? "" : "s"}`,
  );
  fold.addEventListener("click", () => {
    // Unfolding a huge run paints it in one go only up to the bound; the rest stays folded.
    const now = item.lines.slice(0, DIFF_RENDER_LINES);
    const rest = item.lines.slice(DIFF_RENDER_LINES);
    fold.replaceWith(...now.map((line) => diffLine({ kind: "line", line })), ...(rest.length ? [diffItem({ kind: "fold", lines: rest })] : []));
  });
  return fold;
}

/**
 * "Compare with…": the loaded traces of the list to pick the other side from, the previous and next ones first.
 * Resolves with the trace chosen, or null (Cancel, Escape).
 */
export function pickTrace(parent: HTMLElement, rows: readonly TraceSummary[], current: string): Promise<TraceSummary | null> {
  return new Promise((resolve) => {
    let chosen: TraceSummary | null = null;
    const at = rows.findIndex((t) => t.traceId === current);
    const near = [at > 0 ? { t: rows[at - 1]!, tag: "previous" } : null, at >= 0 && at + 1 < rows.length ? { t: rows[at + 1]!, tag: "next" } : null].filter(
      (x): x is { t: TraceSummary; tag: string } => !!x,
    );
    const filter = h("input", {
      type: "search",
      class: "cmp-pick-filter",
      placeholder: "Filter by name, ID or request",
      "aria-label": "Filter the traces",
      spellcheck: "false",
    });
    const list = h("div", { class: "cmp-pick-list", role: "listbox", "aria-label": "Traces to compare with" });
    const option = (t: TraceSummary, tag?: string) => {
      const b = h(
        "button",
        { type: "button", class: "cmp-pick", role: "option", "data-trace-id": t.traceId },
        tag ? h("span", { class: "cmp-pick-tag muted" }, tag) : null,
        h("span", { class: "cmp-pick-name" }, t.name || t.traceId),
        stateBadge(t.state),
        h("span", { class: "muted cmp-pick-meta" }, `${formatTime(t.requestTimeMs)} · ${formatDuration(t.durationMs)} · ${t.traceId}`),
      );
      b.addEventListener("click", () => {
        chosen = t;
        dialog.close();
      });
      return b;
    };
    const MAX = 200;
    const paint = () => {
      const q = filter.value.trim().toLowerCase();
      const others = rows.filter(
        (t) => t.traceId !== current && (!q || [t.name, t.traceId, t.requestPreview].some((x) => (x ?? "").toLowerCase().includes(q))),
      );
      const nearIds = new Set(q ? [] : near.map((n) => n.t.traceId));
      const items = [
        ...(q ? [] : near.map((n) => option(n.t, n.tag))),
        ...others
          .filter((t) => !nearIds.has(t.traceId))
          .slice(0, MAX)
          .map((t) => option(t)),
      ];
      list.replaceChildren(...(items.length ? items : [h("div", { class: "muted" }, q ? "No loaded trace matches." : "The list has no other trace loaded.")]));
      if (others.length > MAX) list.append(h("div", { class: "muted" }, `${formatNumber(others.length - MAX)} more: filter to find them.`));
    };
    filter.addEventListener("input", paint);
    const move = (e: KeyboardEvent) => {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      const options = [...list.querySelectorAll<HTMLElement>(".cmp-pick")];
      if (!options.length) return;
      e.preventDefault();
      const i = options.indexOf(document.activeElement as HTMLElement);
      const next = e.key === "ArrowDown" ? (i < 0 ? 0 : Math.min(options.length - 1, i + 1)) : i <= 0 ? -1 : i - 1;
      (next < 0 ? filter : options[next]!).focus();
    };
    filter.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        list.querySelector<HTMLElement>(".cmp-pick")?.click();
      } else move(e);
    });
    list.addEventListener("keydown", move);
    const dialog = openDialog(parent, "Compare with…", [filter, list], [], () => resolve(chosen));
    dialog.element.classList.add("cmp-pick-dialog");
    paint();
    filter.focus();
  });
}
