// Fixed-row-height virtualization: only the rows in (or near) the viewport are in the DOM.
import { clear } from "./dom";

export interface Range {
  /** First row rendered (inclusive). */
  start: number;
  /** One past the last row rendered. */
  end: number;
}

/** Rows intersecting [scrollTop, scrollTop + viewportHeight), widened by `overscan` on each side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan = 4,
): Range {
  if (rowCount <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(rowCount - 1, Math.floor(top / rowHeight));
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight); // exclusive
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(rowCount, Math.max(last, first + 1) + overscan),
  };
}

/** scrollTop that brings `index` into view (unchanged when it already is). */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return scrollTop;
}

export interface VirtualListOptions {
  rowHeight: number;
  renderRow(index: number): HTMLElement;
  /** Called after each render with the rendered range (for endless paging). */
  onRange?(range: Range, rowCount: number): void;
  overscan?: number;
  /** Height of sticky content above the rows inside the scroller (a table header). */
  headerHeight?: number;
}

export class VirtualList {
  readonly body: HTMLDivElement;
  private count = 0;
  private frame = 0;
  private rendered: Range = { start: 0, end: 0 };
  /** The rows in the DOM by index; a scroll keeps those still in range (see `render`). */
  private rows = new Map<number, HTMLElement>();

  constructor(
    readonly scroller: HTMLElement,
    private readonly options: VirtualListOptions,
  ) {
    this.body = document.createElement("div");
    this.body.className = "vlist-body";
    this.body.style.position = "relative";
    scroller.appendChild(this.body);
    scroller.addEventListener("scroll", () => this.schedule());
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.schedule()).observe(scroller);
  }

  get rowCount(): number {
    return this.count;
  }

  get range(): Range {
    return this.rendered;
  }

  setRowCount(count: number): void {
    this.count = count;
    this.body.style.height = `${count * this.options.rowHeight}px`;
    this.render();
  }

  schedule(): void {
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 0);
    this.frame = raf(() => {
      this.frame = 0;
      this.render(true);
    }) as unknown as number;
  }

  viewportHeight(): number {
    return this.scroller.clientHeight || 600;
  }

  /**
   * Puts the rows of the visible range in the DOM. A caller's render (data, selection or columns
   * changed) rebuilds every row; a scroll or resize (`keepRows`) only adds the rows that came into
   * range and drops those that left, so a wheel step re-renders a few rows, not the whole viewport.
   */
  render(keepRows = false): void {
    const { rowHeight, overscan } = this.options;
    const header = this.options.headerHeight ?? 0;
    const range = visibleRange(Math.max(0, this.scroller.scrollTop - header), this.viewportHeight(), rowHeight, this.count, overscan ?? 4);
    this.rendered = range;
    // A jump past the viewport (or a caller's render) keeps nothing: empty the body in one mutation.
    const keepsAny = keepRows && [...this.rows.keys()].some((i) => i >= range.start && i < range.end);
    if (!keepsAny) {
      clear(this.body);
      this.rows.clear();
    }
    for (const [i, row] of this.rows) {
      if (i < range.start || i >= range.end) {
        row.remove();
        this.rows.delete(i);
      }
    }
    // The kept rows are one contiguous run; new rows go before or after it, so DOM order stays row
    // order (screen readers and Tab follow it).
    let firstKept = Infinity;
    for (const i of this.rows.keys()) firstKept = Math.min(firstKept, i);
    const before = document.createDocumentFragment();
    const after = document.createDocumentFragment();
    for (let i = range.start; i < range.end; i++) {
      if (this.rows.has(i)) continue;
      const row = this.options.renderRow(i);
      row.style.position = "absolute";
      row.style.top = `${i * rowHeight}px`;
      row.style.height = `${rowHeight}px`;
      row.style.left = "0";
      row.style.right = "0";
      (i < firstKept ? before : after).appendChild(row);
      this.rows.set(i, row);
    }
    this.body.insertBefore(before, this.body.firstChild);
    this.body.appendChild(after);
    this.options.onRange?.(range, this.count);
  }

  reveal(index: number): void {
    const header = this.options.headerHeight ?? 0;
    const current = Math.max(0, this.scroller.scrollTop - header);
    const next = scrollToReveal(index, current, this.viewportHeight() - header, this.options.rowHeight);
    if (next !== current) this.scroller.scrollTop = next + (next > 0 ? header : 0);
    this.render();
  }
}
