import { describe, expect, it } from "vitest";
import { VirtualList } from "../src/virtual";
import { waitFor } from "./fixtures";

/**
 * A list of `count` rows that show `data-index`; `calls` are the rows built. With `refill`, its `updateRow` refills
 * any row except those marked `data-fixed` (`refilled` are those rows' new indices).
 */
function makeList(count: number, { refill = false } = {}) {
  const scroller = document.createElement("div");
  document.body.appendChild(scroller);
  const calls: number[] = [];
  const refilled: number[] = [];
  const list = new VirtualList(scroller, {
    rowHeight: 20,
    overscan: 0,
    renderRow: (i) => {
      calls.push(i);
      const row = document.createElement("div");
      row.dataset.index = String(i);
      return row;
    },
    updateRow: refill
      ? (row, i) => {
          if (row.dataset.fixed) return false;
          refilled.push(i);
          row.dataset.index = String(i);
          return true;
        }
      : undefined,
  });
  list.setRowCount(count);
  const inDom = () => Array.from(list.body.children).map((r) => Number((r as HTMLElement).dataset.index));
  const tops = () => Array.from(list.body.children).map((r) => (r as HTMLElement).style.top);
  return { scroller, list, calls, refilled, inDom, tops };
}

describe("VirtualList", () => {
  it("a scroll re-renders only the rows that came into range, and keeps DOM order = row order", () => {
    const { scroller, list, calls, inDom } = makeList(1000);
    const viewportRows = list.viewportHeight() / 20;
    expect(inDom()).toEqual([...Array(viewportRows).keys()]);
    calls.length = 0;

    scroller.scrollTop = 3 * 20; // three rows down
    list.render(true);
    expect(calls).toEqual([viewportRows, viewportRows + 1, viewportRows + 2]);
    expect(inDom()).toEqual([...Array(viewportRows).keys()].map((i) => i + 3));

    calls.length = 0;
    scroller.scrollTop = 1 * 20; // back up two
    list.render(true);
    expect(calls).toEqual([1, 2]);
    expect(inDom()).toEqual([...Array(viewportRows).keys()].map((i) => i + 1));
  });

  it("a caller's render rebuilds every row (data or selection changed)", () => {
    const { list, calls, inDom } = makeList(1000);
    calls.length = 0;
    list.render();
    expect(calls.length).toBe(inDom().length);
    expect(calls.length).toBeGreaterThan(0);
  });

  it("a jump past the viewport replaces every row", () => {
    const { scroller, list, calls, inDom } = makeList(1000);
    calls.length = 0;
    scroller.scrollTop = 500 * 20;
    list.render(true);
    expect(inDom()[0]).toBe(500);
    expect(calls.length).toBe(inDom().length);
  });
});

describe("VirtualList with updateRow", () => {
  it("a jump refills the same elements in place, in row order, and builds none", () => {
    const { scroller, list, calls: built, refilled, inDom, tops } = makeList(1000, { refill: true });
    const before = Array.from(list.body.children);
    built.length = 0;
    scroller.scrollTop = 500 * 20;
    list.render(true);
    expect(built).toEqual([]);
    expect(refilled).toEqual([...Array(before.length).keys()].map((i) => i + 500));
    expect(Array.from(list.body.children)).toEqual(before);
    expect(inDom()).toEqual([...Array(before.length).keys()].map((i) => i + 500));
    expect(tops()).toEqual(inDom().map((i) => `${i * 20}px`));
  });

  it("a partial scroll moves the rows that left to the side that came into range", () => {
    const { scroller, list, calls: built, refilled, inDom, tops } = makeList(1000, { refill: true });
    const n = list.body.children.length;
    const top3 = Array.from(list.body.children).slice(0, 3);
    built.length = 0;
    scroller.scrollTop = 3 * 20;
    list.render(true);
    expect(built).toEqual([]);
    expect(refilled).toEqual([n, n + 1, n + 2]);
    expect(Array.from(list.body.children).slice(-3)).toEqual(top3);
    expect(inDom()).toEqual([...Array(n).keys()].map((i) => i + 3));
    refilled.length = 0;
    scroller.scrollTop = 1 * 20;
    list.render(true);
    expect(refilled).toEqual([1, 2]);
    expect(inDom()).toEqual([...Array(n).keys()].map((i) => i + 1));
    expect(tops()).toEqual(inDom().map((i) => `${i * 20}px`));
    expect(list.indexOf(list.body.children[0]!)).toBe(1);
    expect(list.indexOf(document.createElement("div"))).toBeUndefined();
  });

  it("a caller's render refills every row; a row updateRow refuses is dropped and a new one built", () => {
    const { list, calls: built, refilled, inDom } = makeList(1000, { refill: true });
    const rows = Array.from(list.body.children) as HTMLElement[];
    rows[0]!.dataset.fixed = "1";
    built.length = 0;
    list.render();
    expect(refilled).toEqual(inDom().slice(0, -1));
    expect(built).toEqual([inDom().at(-1)]);
    expect(rows[0]!.isConnected).toBe(false);
    expect(inDom()).toEqual([...Array(rows.length).keys()]);
  });
});

describe("VirtualList overscan", () => {
  it("a jump shows only the visible rows, then adds the overscan a frame later; a small step keeps it", async () => {
    const scroller = document.createElement("div");
    document.body.appendChild(scroller);
    const list = new VirtualList(scroller, { rowHeight: 20, overscan: 4, renderRow: () => document.createElement("div") });
    list.setRowCount(1000);
    const visible = list.viewportHeight() / 20;
    expect(list.range).toEqual({ start: 0, end: visible + 4 });
    scroller.scrollTop = 500 * 20;
    list.render(true);
    expect(list.range).toEqual({ start: 500, end: 500 + visible });
    expect(list.body.children).toHaveLength(visible);
    await waitFor(() => list.range.start === 496); // the overscan comes on the frame after
    expect(list.range).toEqual({ start: 496, end: 504 + visible });
    expect(list.body.children).toHaveLength(visible + 8);
    scroller.scrollTop = 502 * 20;
    list.render(true);
    expect(list.range).toEqual({ start: 498, end: 506 + visible });
  });
});
