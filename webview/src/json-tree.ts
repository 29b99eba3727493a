// Collapsible JSON view. Values are set with textContent only; children of a collapsed node are
// built the first time it is opened, so a huge payload costs nothing until someone looks at it.
import type { JsonValue } from "./protocol.generated";
import { h } from "./dom";
import { textPreview } from "./big-value";

/** A string leaf longer than this is a preview with "Show more": one 5 MiB string must not be laid out whole. */
export const LEAF_PREVIEW_CHARS = 1000;

export interface JsonTreeOptions {
  /** Nodes shallower than this start open (root is depth 0). */
  openDepth?: number;
  /** Children shown per node before a "show more" button. */
  pageSize?: number;
}

function primitive(value: JsonValue): HTMLElement {
  if (value === null) return h("span", { class: "json-null" }, "null");
  switch (typeof value) {
    case "string":
      // Long or multi-line strings read better unquoted; the length test must not serialise a huge string first.
      if (value.length > 118 || value.includes("\n")) return textPreview(value, { tag: "span", className: "json-string", initial: LEAF_PREVIEW_CHARS });
      return h("span", { class: "json-string" }, JSON.stringify(value));
    case "number":
      return h("span", { class: "json-number" }, String(value));
    case "boolean":
      return h("span", { class: "json-boolean" }, String(value));
    default:
      return h("span", {}, String(value));
  }
}

function summary(value: JsonValue[] | { [k: string]: JsonValue }, n: number): string {
  if (Array.isArray(value)) return `[${n} item${n === 1 ? "" : "s"}]`;
  return `{${n} key${n === 1 ? "" : "s"}}`;
}

function node(key: string | null, value: JsonValue, depth: number, options: Required<JsonTreeOptions>): HTMLElement {
  const keyEl = key === null ? null : h("span", { class: "json-key" }, `${key}: `);
  if (value === null || typeof value !== "object") {
    return h("div", { class: "json-leaf" }, keyEl, primitive(value));
  }
  // Keys are listed once, when the node is first opened: a collapsed 100,000-item array costs nothing.
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  if (count === 0) {
    return h("div", { class: "json-leaf" }, keyEl, h("span", { class: "json-empty" }, Array.isArray(value) ? "[]" : "{}"));
  }
  const details = h("details", { class: "json-node" });
  details.appendChild(h("summary", {}, keyEl, h("span", { class: "json-summary" }, summary(value, count))));
  const children = h("div", { class: "json-children" });
  details.appendChild(children);
  let shown = 0;
  let keys: string[] | null = null;
  const showMore = () => {
    const next = Math.min(count, shown + options.pageSize);
    if (!Array.isArray(value)) keys ??= Object.keys(value);
    for (; shown < next; shown++) {
      const k = keys ? keys[shown]! : String(shown);
      children.appendChild(node(k, keys ? (value as { [k: string]: JsonValue })[k]! : (value as JsonValue[])[shown]!, depth + 1, options));
    }
    if (shown < count) {
      const rest = count - shown;
      const button = h("button", { class: "link json-more", type: "button" }, `show ${Math.min(rest, options.pageSize)} more of ${rest}`);
      button.addEventListener("click", () => {
        button.remove();
        showMore();
      });
      children.appendChild(button);
    }
  };
  const fill = () => {
    if (shown === 0) showMore();
  };
  if (depth < options.openDepth) {
    details.open = true;
    fill();
  } else {
    details.addEventListener("toggle", () => {
      if (details.open) fill();
    });
  }
  return details;
}

/** A collapsible tree for any JSON value. */
export function renderJson(value: JsonValue | undefined, options: JsonTreeOptions = {}): HTMLElement {
  const opts: Required<JsonTreeOptions> = { openDepth: options.openDepth ?? 2, pageSize: options.pageSize ?? 200 };
  if (value === undefined) return h("div", { class: "json-tree muted" }, "(none)");
  return h("div", { class: "json-tree" }, node(null, value, 0, opts));
}

/** Compact one-line text for a value in a table cell. */
export function jsonText(value: JsonValue | undefined): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
