// Span values of any size without blocking the page: a 5 MiB output laid out whole took seconds of main thread
// per selection (and every click and Escape waited behind it). What is painted is a bounded preview; the rest comes
// in chunks on request, and the whole value is always one Copy or Open (an editor in an IDE, a download in a browser) away.
import type { JsonValue } from "./protocol.generated";
import { h } from "./dom";
import { formatNumber } from "./format";

/** Characters of a long text painted at first: a screenful or two, far below what costs a visible frame. */
export const TEXT_PREVIEW_CHARS = 4096;
/** Characters each "Show more" adds: big enough to get through a long text in a few clicks, small enough to lay out in a frame. */
export const TEXT_CHUNK_CHARS = 32_768;
/** Past this, a value's JSON tree opens only its top level (its children are built when someone opens them). */
export const BIG_VALUE_CHARS = 64 * 1024;

/** Copy the whole value; open it whole where it can be read and saved (`ide/openText`: an editor in an IDE, a download in a browser). */
export interface ValueActions {
  copy(text: string, what: string): void;
  open?: {
    /** What the button says where the page runs: "Open in Editor" in an IDE, "Save" in a browser. */
    label: string;
    run(text: string, fileName: string): void;
  };
}

/**
 * The text Copy and Save give for a value: a string as it is, anything else as indented JSON. Made on request only:
 * serialising a value of megabytes is a long task.
 */
export function valueText(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** How many nodes a size walk visits before it settles for "more than". */
const SIZE_WALK_NODES = 1_000_000;
/** Nodes walked per task when the size is measured after the paint: a few milliseconds each on a loaded machine. */
const SIZE_SLICE_NODES = 10_000;

export interface ValueSize {
  chars: number;
  /** False when strings were counted without their escapes (a few per cent at most for text). */
  exact: boolean;
  /** False when the walk stopped early: then the value is at least `chars` long. */
  complete: boolean;
}

/**
 * The length of a value's compact JSON, without making it: string lengths are O(1) here, while JSON.stringify of a
 * value of megabytes is one long task. Resumable, so that a big value is measured in slices
 * between frames instead of in one long task.
 */
class SizeWalk {
  chars = 0;
  private visited = 0;
  private hasStrings = false;
  private readonly stack: JsonValue[];

  constructor(value: JsonValue) {
    this.stack = [value];
  }

  get done(): boolean {
    return this.stack.length === 0 || this.visited >= SIZE_WALK_NODES;
  }

  /** Walks up to `nodes` more nodes, or until the count passes `stopAbove`. */
  run(nodes: number, stopAbove = Infinity): void {
    const stack = this.stack;
    const end = Math.min(SIZE_WALK_NODES, this.visited + nodes);
    while (stack.length && this.visited < end && this.chars <= stopAbove) {
      this.visited++;
      const v = stack.pop()!;
      if (v === null) this.chars += 4;
      else if (typeof v === "string") {
        this.chars += v.length + 2;
        this.hasStrings = true;
      } else if (typeof v === "number") this.chars += numberLength(v);
      else if (typeof v === "boolean") this.chars += v ? 4 : 5;
      else if (Array.isArray(v)) {
        this.chars += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]!);
      } else {
        let keys = 0;
        for (const k in v) {
          keys++;
          this.chars += k.length + 3; // "key":
          stack.push(v[k]!);
        }
        this.chars += 2 + Math.max(0, keys - 1);
      }
    }
  }

  result(): ValueSize {
    return { chars: this.chars, exact: !this.hasStrings, complete: this.stack.length === 0 };
  }
}

/** Digits of a number's JSON without making the string, for the common case (an integer). */
function numberLength(n: number): number {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return (n < 0 ? 1 : 0) + (n === 0 ? 1 : Math.floor(Math.log10(Math.abs(n))) + 1);
  return String(n).length;
}

// A span's payload stays in the viewer's cache: its sizes are walked once, not on every re-selection.
const sizes = new WeakMap<object, ValueSize>();

/** A value's compact JSON length (see SizeWalk), walked at once. */
export function valueSize(value: JsonValue): ValueSize {
  if (typeof value === "string") return { chars: value.length, exact: true, complete: true };
  if (value === null || typeof value !== "object") return { chars: JSON.stringify(value).length, exact: true, complete: true };
  let size = sizes.get(value);
  if (!size) {
    const walk = new SizeWalk(value);
    walk.run(SIZE_WALK_NODES);
    sizes.set(value, (size = walk.result()));
  }
  return size;
}

/** Whether a value's JSON is longer than `chars`: stops as soon as it is, so a 5 MiB value answers at once. */
export function isLongerThan(value: JsonValue, chars: number): boolean {
  if (typeof value === "string") return value.length > chars;
  if (value === null || typeof value !== "object") return false;
  const known = sizes.get(value);
  if (known) return known.chars > chars;
  const walk = new SizeWalk(value);
  walk.run(SIZE_WALK_NODES, chars);
  return walk.chars > chars;
}

function describeSize(size: ValueSize): string {
  return `${size.complete ? (size.exact ? "" : "about ") : "over "}${formatSize(size.chars)}`;
}

/** A value's size for its bar: "5.38 M characters", "about …" when escapes were not counted, "over …" when the walk stopped. */
export function sizeText(value: JsonValue): string {
  return describeSize(valueSize(value));
}

/** Writes a value's size into `el`: at once when known, else measured in slices after the paint. */
function fillSize(value: JsonValue, el: HTMLElement): void {
  if (typeof value !== "object" || value === null || sizes.has(value)) {
    el.textContent = sizeText(value);
    return;
  }
  el.textContent = "measuring size…";
  const walk = new SizeWalk(value);
  const slice = () => {
    walk.run(SIZE_SLICE_NODES);
    if (!walk.done) {
      setTimeout(slice, 0);
      return;
    }
    const size = walk.result();
    sizes.set(value, size);
    el.textContent = describeSize(size);
  };
  setTimeout(slice, 0);
}

/** "812 characters", "48.2 K characters", "5.24 M characters": the length a reader can weigh at a glance. */
export function formatSize(chars: number): string {
  if (chars < 10_000) return `${formatNumber(chars)} character${chars === 1 ? "" : "s"}`;
  if (chars < 1_000_000) return `${(chars / 1000).toFixed(1)} K characters`;
  return `${(chars / 1_000_000).toFixed(2)} M characters`;
}

/**
 * A long text as a preview: the first `initial` characters, then a button that adds `chunk` more each time (the
 * text is appended, never laid out again from the start). Short texts are shown whole with no button.
 */
export function textPreview(text: string, options: { initial?: number; chunk?: number; tag?: "pre" | "span" | "div"; className?: string } = {}): HTMLElement {
  const initial = options.initial ?? TEXT_PREVIEW_CHARS;
  const chunk = options.chunk ?? TEXT_CHUNK_CHARS;
  // A text only a little longer than the preview is shown whole: "Show 5 more" would cost a click for nothing.
  const whole = text.length <= initial + initial / 4;
  const body = h(options.tag ?? "pre", { class: options.className ?? "text-preview" }, whole ? text : text.slice(0, initial));
  if (whole) return body;
  const wrapper = h("span", { class: "preview", "data-total-chars": text.length });
  let shown = initial;
  const more = h("button", { class: "link show-more", type: "button" });
  const label = () => {
    more.textContent =
      `Show ${formatNumber(Math.min(chunk, text.length - shown))} more ` + `(${formatNumber(shown)} of ${formatNumber(text.length)} characters shown)`;
  };
  label();
  more.addEventListener("click", () => {
    const next = Math.min(text.length, shown + chunk);
    body.append(text.slice(shown, next));
    shown = next;
    if (shown >= text.length) more.remove();
    else label();
  });
  wrapper.append(body, more);
  return wrapper;
}

/** A safe file name from a span name and a part ("outputs"): letters, digits, dot, dash and underscore only. */
export function fileNameFor(spanName: string, part: string, value: JsonValue): string {
  const name = spanName
    .replace(/[^\w.-]+/g, "_")
    .replace(/^[._-]+|[._-]+$/g, "")
    .slice(0, 80);
  return `${name ? `${name}-` : ""}${part}.${typeof value === "string" ? "txt" : "json"}`;
}

/** The line over a value: how big it is, and Copy / Open for the whole of it. */
export function valueBar(value: JsonValue, what: string, fileName: string, actions?: ValueActions): HTMLElement {
  const sizeEl = h("span", { class: "value-size" });
  fillSize(value, sizeEl);
  const bar = h("div", { class: "value-bar muted" }, sizeEl);
  if (!actions) return bar;
  const copy = h("button", { class: "link value-copy", type: "button", title: `Copy the whole ${what}` }, "Copy");
  copy.addEventListener("click", () => actions.copy(valueText(value), what));
  bar.append(" · ", copy);
  const { open } = actions;
  if (open) {
    const openButton = h("button", { class: "link value-open", type: "button", title: `${open.label}: the whole ${what} as ${fileName}` }, open.label);
    openButton.addEventListener("click", () => open.run(valueText(value), fileName));
    bar.append(" · ", openButton);
  }
  return bar;
}

/** Browser mode's `ide/openText`: the text as a downloaded file (a Blob behind a temporary link). */
export function downloadText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: fileName.endsWith(".json") ? "application/json" : "text/plain" }));
  const link = h("a", { href: url, download: fileName, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; give the browser a moment before it is released.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
