// Fixed-row-height virtualization: only the rows in (or near) the viewport are in the DOM.
import { clear } from "./dom";

export interface Range {
  /** First row rendered (inclusive). */
  start: number;
  /** One past the last row rendered. */
  end: number;
}

/** Rows intersecting [scrollTop, scrollTop + viewportHeight), widened by `overscan` on each side. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 4): Range {
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
  /**
   * Refills `row` (built by `renderRow` for another index) to show row `index`; false when it cannot (another
   * kind of row). With it, rows that leave the range are reused for those that enter it, so a fast scroll
   * rewrites text in place instead of building and dropping whole rows: less style work and less garbage,
   * whose collection otherwise lands in a scroll frame.
   */
  updateRow?(row: HTMLElement, index: number): boolean;
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
   * changed) redoes every row; a scroll or resize (`keepRows`) only fills the rows that came into range
   * and lets go of those that left, so a wheel step touches a few rows, not the whole viewport. Rows that
   * leave are refilled for the new ones when the list has `updateRow`, else dropped.
   */
  render(keepRows = false): void {
    const { rowHeight, overscan, updateRow } = this.options;
    const header = this.options.headerHeight ?? 0;
    const top = Math.max(0, this.scroller.scrollTop - header);
    let range = visibleRange(top, this.viewportHeight(), rowHeight, this.count, overscan ?? 4);
    const keepsAny = keepRows && [...this.rows.keys()].some((i) => i >= range.start && i < range.end);
    if (keepRows && !keepsAny && this.rows.size > 0) {
      // A jump (a fling, a drag of the scrollbar): overscan is for small steps, so show only the visible
      // rows now (a quarter less work in each frame of a fling) and add the overscan a frame later.
      range = visibleRange(top, this.viewportHeight(), rowHeight, this.count, 0);
      this.schedule();
    }
    this.rendered = range;
    if (!keepsAny && !updateRow) {
      clear(this.body); // a jump past the viewport (or a caller's render) without reuse: one mutation
      this.rows.clear();
    }
    // The rows that leave, in row order (which is DOM order).
    const leaving = [...this.rows.keys()].filter((i) => !keepsAny || i < range.start || i >= range.end).sort((a, b) => a - b);
    const spare = leaving.map((i) => this.rows.get(i)!);
    for (const i of leaving) this.rows.delete(i);
    if (!updateRow) for (const row of spare) row.remove();
    const reusable = updateRow ? spare : [];
    // The kept rows are one contiguous run; new rows go before or after it, so DOM order stays row
    // order (screen readers and Tab follow it). When nothing is kept, the spares are refilled in place
    // in row order for ascending new indices, which keeps that order without moving a node.
    let firstKept = Infinity;
    for (const i of this.rows.keys()) firstKept = Math.min(firstKept, i);
    const before = document.createDocumentFragment();
    const after = document.createDocumentFragment();
    let next = 0;
    for (let i = range.start; i < range.end; i++) {
      if (this.rows.has(i)) continue;
      let row: HTMLElement | undefined;
      while (!row && next < reusable.length) {
        const candidate = reusable[next++]!;
        if (updateRow!(candidate, i)) row = candidate;
        else candidate.remove();
      }
      if (!row) {
        row = this.options.renderRow(i);
        row.style.position = "absolute";
        row.style.height = `${rowHeight}px`;
        row.style.left = "0";
        row.style.right = "0";
      }
      row.style.top = `${i * rowHeight}px`;
      if (keepsAny || !row.isConnected) (keepsAny && i < firstKept ? before : after).appendChild(row);
      this.rows.set(i, row);
    }
    for (; next < reusable.length; next++) reusable[next]!.remove();
    this.body.insertBefore(before, this.body.firstChild);
    this.body.appendChild(after);
    this.options.onRange?.(range, this.count);
  }

  /** The index of a row element in the DOM (for a listener on `body`), or undefined. */
  indexOf(row: Element): number | undefined {
    for (const [i, r] of this.rows) if (r === row) return i;
    return undefined;
  }

  reveal(index: number): void {
    const header = this.options.headerHeight ?? 0;
    const current = Math.max(0, this.scroller.scrollTop - header);
    const next = scrollToReveal(index, current, this.viewportHeight() - header, this.options.rowHeight);
    if (next !== current) this.scroller.scrollTop = next + (next > 0 ? header : 0);
    this.render();
  }
}
