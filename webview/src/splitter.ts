// The splitter between the trace viewer's span tree and its detail pane (side by side only: a narrow viewer
// stacks them, and the splitter is hidden there by styles.css). Its position is the tree's share of the width,
// kept in the page's settings so that it survives a reload; the pure rules below are tested in test/splitter.test.ts.
import { h } from "./dom";
import type { SettingsStore } from "./traces-logic";

/** The settings key the tree's share of the width is kept under. */
export const SPLIT_KEY = "viewer.split";
/** The tree's share of the width before anyone moves the splitter. */
export const DEFAULT_TREE_SHARE = 0.55;
/** Below this the tree's names, durations and bars no longer fit. */
export const MIN_TREE_PX = 300;
/** Below this the detail pane's tables and transcripts are squeezed to a few words a line. */
export const MIN_DETAIL_PX = 320;
/** The splitter's own column (styles.css: `.viewer-split`'s middle column), which the detail gives up. */
export const SASH_PX = 1;
/** How far one arrow key press moves the splitter. */
export const KEY_STEP_PX = 24;

/** The tree's share kept in the settings (untrusted: whatever was stored), or null when there is none usable. */
export function parseTreeShare(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value < 1 ? value : null;
}

/** `share` limited so that neither side of a `width`-pixel split is below its minimum (too narrow to honour both: the tree's). */
export function clampTreeShare(share: number, width: number): number {
  if (!(width > 0)) return share;
  const min = MIN_TREE_PX / width;
  const max = (width - MIN_DETAIL_PX - SASH_PX) / width;
  if (max <= min) return Math.min(1, min);
  return Math.min(max, Math.max(min, share));
}

/** The lowest and highest share a `width`-pixel split allows. */
export function treeShareRange(width: number): { min: number; max: number } {
  return { min: clampTreeShare(0, width), max: clampTreeShare(1, width) };
}

/**
 * What a key does to the splitter: a new share, "reset" (Enter: back to the default), or null for keys it does
 * not take. Arrows move it by KEY_STEP_PX, Home and End to either limit.
 */
export function splitterKey(key: string, share: number, width: number): number | "reset" | null {
  const step = width > 0 ? KEY_STEP_PX / width : 0.02;
  switch (key) {
    case "ArrowLeft":
      return clampTreeShare(clampTreeShare(share, width) - step, width);
    case "ArrowRight":
      return clampTreeShare(clampTreeShare(share, width) + step, width);
    case "Home":
      return treeShareRange(width).min;
    case "End":
      return treeShareRange(width).max;
    case "Enter":
      return "reset";
    default:
      return null;
  }
}

/**
 * The tree's grid column for a share: CSS clamps it again, so that a window resized after the splitter moved
 * still leaves both sides readable without the page measuring anything.
 */
export function treeColumn(share: number): string {
  return `clamp(${MIN_TREE_PX}px, ${(share * 100).toFixed(2)}%, calc(100% - ${MIN_DETAIL_PX + SASH_PX}px))`;
}

/**
 * A vertical splitter for `split` (a grid whose first column is the tree): dragged with the mouse, moved with the
 * arrow keys, Home and End; a double click or Enter puts it back where it started. The share is written to
 * `settings` when a move ends.
 */
export class Splitter {
  readonly element: HTMLElement;
  private share: number;

  constructor(
    private readonly split: HTMLElement,
    private readonly settings?: SettingsStore,
  ) {
    this.share = parseTreeShare(settings?.get(SPLIT_KEY)) ?? DEFAULT_TREE_SHARE;
    this.element = h("div", {
      class: "split-sash",
      role: "separator",
      tabindex: "0",
      "aria-orientation": "vertical",
      "aria-label": "Resize the span tree and the details",
      title: "Drag to resize (← → Home End; double-click or Enter resets)",
    });
    this.element.addEventListener("pointerdown", (e) => this.startDrag(e));
    this.element.addEventListener("dblclick", () => this.reset());
    this.element.addEventListener("keydown", (e) => this.onKey(e));
    // The allowed range depends on the width now, which may have changed since the last move.
    this.element.addEventListener("focus", () => this.describe());
    this.apply();
  }

  /** The tree's share of the width, as shown now (after clamping to the current width). */
  get treeShare(): number {
    return clampTreeShare(this.share, this.width());
  }

  private width(): number {
    return this.split.getBoundingClientRect().width;
  }

  private apply(): void {
    this.split.style.setProperty("--split-tree", treeColumn(this.share));
    this.describe();
  }

  private describe(): void {
    const width = this.width();
    const { min, max } = treeShareRange(width);
    const percent = (x: number) => String(Math.round(x * 100));
    this.element.setAttribute("aria-valuemin", percent(width > 0 ? min : 0));
    this.element.setAttribute("aria-valuemax", percent(width > 0 ? max : 1));
    this.element.setAttribute("aria-valuenow", percent(this.treeShare));
  }

  private move(share: number): void {
    this.share = share;
    this.apply();
  }

  private keep(): void {
    this.settings?.set(SPLIT_KEY, Math.round(this.share * 1000) / 1000);
  }

  private reset(): void {
    this.move(DEFAULT_TREE_SHARE);
    this.settings?.set(SPLIT_KEY, null);
  }

  private onKey(e: KeyboardEvent): void {
    const next = splitterKey(e.key, this.share, this.width());
    if (next === null) return;
    e.preventDefault();
    e.stopPropagation(); // Enter and the arrows mean other things to the viewer around it
    if (next === "reset") this.reset();
    else {
      this.move(next);
      this.keep();
    }
  }

  private startDrag(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault(); // no text selection while dragging
    const sash = this.element;
    sash.setPointerCapture(e.pointerId);
    sash.classList.add("dragging");
    sash.focus({ preventScroll: true });
    let moved = false;
    const onMove = (m: PointerEvent) => {
      const box = this.split.getBoundingClientRect();
      if (!(box.width > 0)) return;
      moved = true;
      this.move(clampTreeShare((m.clientX - box.left) / box.width, box.width));
    };
    const onEnd = () => {
      sash.removeEventListener("pointermove", onMove);
      sash.removeEventListener("pointerup", onEnd);
      sash.removeEventListener("pointercancel", onEnd);
      sash.classList.remove("dragging");
      if (moved) this.keep();
    };
    sash.addEventListener("pointermove", onMove);
    sash.addEventListener("pointerup", onEnd);
    sash.addEventListener("pointercancel", onEnd);
  }
}
