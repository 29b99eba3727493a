// The splitter between the span tree and the detail pane: its limits, its keys, what it keeps, and the element
// as the viewer mounts it (happy-dom has no layout: the split's box is given).
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_TREE_SHARE,
  KEY_STEP_PX,
  MIN_DETAIL_PX,
  MIN_TREE_PX,
  SASH_PX,
  SPLIT_KEY,
  Splitter,
  clampTreeShare,
  parseTreeShare,
  splitterKey,
  treeColumn,
  treeShareRange,
} from "../src/splitter";
import { TraceViewer } from "../src/trace-viewer";
import { localSettings } from "../src/traces-logic";
import { FakeTransport } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

/** A split `width` px wide starting at x = 100, as the viewer's grid would be laid out. */
function splitOf(width: number): HTMLElement {
  const split = document.createElement("div");
  split.getBoundingClientRect = () => ({ left: 100, right: 100 + width, top: 0, bottom: 600, width, height: 600, x: 100, y: 0, toJSON() {} }) as DOMRect;
  document.body.appendChild(split);
  return split;
}

describe("splitter rules", () => {
  it("reads only a share strictly between 0 and 1 from the settings", () => {
    expect(parseTreeShare(0.4)).toBe(0.4);
    for (const bad of [0, 1, -0.2, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "0.4", null, undefined, {}, [0.4]]) expect(parseTreeShare(bad)).toBeNull();
  });

  it("keeps both sides at their readable minimum", () => {
    const width = 1000;
    expect(clampTreeShare(0.1, width)).toBeCloseTo(MIN_TREE_PX / width);
    expect(clampTreeShare(0.95, width)).toBeCloseTo((width - MIN_DETAIL_PX - SASH_PX) / width);
    expect(clampTreeShare(0.5, width)).toBe(0.5);
    expect(treeShareRange(width)).toEqual({ min: MIN_TREE_PX / width, max: (width - MIN_DETAIL_PX - SASH_PX) / width });
    // Narrower than both minimums (the viewer stacks the panes there): the tree's minimum wins.
    expect(clampTreeShare(0.2, 500)).toBeCloseTo(MIN_TREE_PX / 500);
    expect(clampTreeShare(0.2, 200)).toBe(1);
    // No layout yet: nothing to clamp against.
    expect(clampTreeShare(0.2, 0)).toBe(0.2);
  });

  it("moves by a step with the arrows, to either limit with Home and End, resets with Enter", () => {
    const width = 1200;
    const step = KEY_STEP_PX / width;
    expect(splitterKey("ArrowRight", 0.5, width)).toBeCloseTo(0.5 + step);
    expect(splitterKey("ArrowLeft", 0.5, width)).toBeCloseTo(0.5 - step);
    expect(splitterKey("Home", 0.5, width)).toBeCloseTo(MIN_TREE_PX / width);
    expect(splitterKey("End", 0.5, width)).toBeCloseTo((width - MIN_DETAIL_PX - SASH_PX) / width);
    expect(splitterKey("ArrowLeft", MIN_TREE_PX / width, width)).toBeCloseTo(MIN_TREE_PX / width);
    expect(splitterKey("ArrowRight", 0.99, width), "a kept share beyond today's limit steps from the limit").toBeCloseTo(
      (width - MIN_DETAIL_PX - SASH_PX) / width,
    );
    expect(splitterKey("Enter", 0.3, width)).toBe("reset");
    for (const other of ["ArrowUp", "a", "Escape", " "]) expect(splitterKey(other, 0.5, width)).toBeNull();
  });

  it("gives the tree a column CSS clamps again when the window is resized", () => {
    expect(treeColumn(0.425)).toBe(`clamp(${MIN_TREE_PX}px, 42.50%, calc(100% - ${MIN_DETAIL_PX + SASH_PX}px))`);
  });
});

describe("the splitter element", () => {
  const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));

  it("is a focusable vertical separator that says where it is and what it allows", () => {
    const splitter = new Splitter(splitOf(1000));
    const sash = splitter.element;
    expect(sash.getAttribute("role")).toBe("separator");
    expect(sash.getAttribute("aria-orientation")).toBe("vertical");
    expect(sash.tabIndex).toBe(0);
    expect(sash.getAttribute("aria-valuenow")).toBe(String(Math.round(DEFAULT_TREE_SHARE * 100)));
    expect(sash.getAttribute("aria-valuemin")).toBe("30");
    expect(sash.getAttribute("aria-valuemax")).toBe("68");
  });

  it("moves with the keyboard, keeps the position in the settings, and Enter puts it back", () => {
    const settings = localSettings(memoryStorage());
    const split = splitOf(1000);
    const sash = new Splitter(split, settings).element;
    expect(key(sash, "ArrowLeft")).toBe(false); // taken: the viewer's own keys do not see it
    expect(settings.get(SPLIT_KEY)).toBeCloseTo(DEFAULT_TREE_SHARE - KEY_STEP_PX / 1000);
    expect(split.style.getPropertyValue("--split-tree")).toBe(treeColumn(DEFAULT_TREE_SHARE - KEY_STEP_PX / 1000));
    key(sash, "Home");
    expect(sash.getAttribute("aria-valuenow")).toBe("30");
    expect(settings.get(SPLIT_KEY)).toBeCloseTo(0.3);
    key(sash, "Enter");
    expect(sash.getAttribute("aria-valuenow")).toBe(String(Math.round(DEFAULT_TREE_SHARE * 100)));
    expect(parseTreeShare(settings.get(SPLIT_KEY))).toBeNull();
    expect(key(sash, "a")).toBe(true); // not its key: left alone
  });

  it("follows a mouse drag, clamped, and keeps where it was let go; a double click resets it", () => {
    const settings = localSettings(memoryStorage());
    const split = splitOf(1000);
    const sash = new Splitter(split, settings).element;
    const pointer = (type: string, clientX: number) =>
      sash.dispatchEvent(new PointerEvent(type, { clientX, button: 0, pointerId: 1, bubbles: true, cancelable: true }));
    pointer("pointerdown", 650);
    pointer("pointermove", 500); // 400 px into a 1,000 px split that starts at 100
    expect(sash.classList.contains("dragging")).toBe(true);
    expect(settings.get(SPLIT_KEY), "nothing kept until the drag ends").toBeUndefined();
    pointer("pointermove", 120); // far left: the tree keeps its minimum
    expect(sash.getAttribute("aria-valuenow")).toBe("30");
    pointer("pointermove", 480);
    pointer("pointerup", 480);
    expect(sash.classList.contains("dragging")).toBe(false);
    expect(settings.get(SPLIT_KEY)).toBeCloseTo(0.38);
    pointer("pointermove", 900); // after the drag: no effect
    expect(settings.get(SPLIT_KEY)).toBeCloseTo(0.38);
    sash.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    expect(sash.getAttribute("aria-valuenow")).toBe(String(Math.round(DEFAULT_TREE_SHARE * 100)));
    expect(parseTreeShare(settings.get(SPLIT_KEY))).toBeNull();
  });

  it("starts where the settings say (a reload), and ignores what is not a share", () => {
    const storage = memoryStorage();
    localSettings(storage).set(SPLIT_KEY, 0.4);
    expect(new Splitter(splitOf(1000), localSettings(storage)).treeShare).toBe(0.4);
    storage.setItem(`traceide.${SPLIT_KEY}`, '"<img src=x>"');
    expect(new Splitter(splitOf(1000), localSettings(storage)).treeShare).toBe(DEFAULT_TREE_SHARE);
  });

  it("sits between the tree and the detail in the viewer, which reads and writes the same settings", () => {
    const settings = localSettings(memoryStorage());
    settings.set(SPLIT_KEY, 0.42);
    const viewer = new TraceViewer(new FakeTransport({}), { settings });
    const split = viewer.element.querySelector<HTMLElement>(".viewer-split")!;
    expect([...split.children].map((c) => c.className)).toEqual(["tree-pane", "split-sash", "detail-pane"]);
    expect(split.style.getPropertyValue("--split-tree")).toBe(treeColumn(0.42));
  });
});
