import { describe, expect, it } from "vitest";
import { VirtualList } from "../src/virtual";

function makeList(count: number) {
  const scroller = document.createElement("div");
  document.body.appendChild(scroller);
  const calls: number[] = [];
  const list = new VirtualList(scroller, {
    rowHeight: 20,
    overscan: 0,
    renderRow: (i) => {
      calls.push(i);
      const row = document.createElement("div");
      row.dataset.index = String(i);
      return row;
    },
  });
  list.setRowCount(count);
  const inDom = () => Array.from(list.body.children).map((r) => Number((r as HTMLElement).dataset.index));
  return { scroller, list, calls, inDom };
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
