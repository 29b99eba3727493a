// Collapsible JSON view. Values are set with textContent only; children of a collapsed node are
// built the first time it is opened, so a huge payload costs nothing until someone looks at it.
import type { JsonValue } from "./protocol.generated";
import { h } from "./dom";

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
      return h("span", { class: "json-string" }, JSON.stringify(value).length > 120 || value.includes("\n") ? value : JSON.stringify(value));
    case "number":
      return h("span", { class: "json-number" }, String(value));
    case "boolean":
      return h("span", { class: "json-boolean" }, String(value));
    default:
      return h("span", {}, String(value));
  }
}

function summary(value: JsonValue[] | { [k: string]: JsonValue }): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  const n = Object.keys(value).length;
  return `{${n} key${n === 1 ? "" : "s"}}`;
}

function node(key: string | null, value: JsonValue, depth: number, options: Required<JsonTreeOptions>): HTMLElement {
  const keyEl = key === null ? null : h("span", { class: "json-key" }, `${key}: `);
  if (value === null || typeof value !== "object") {
    return h("div", { class: "json-leaf" }, keyEl, primitive(value));
  }
  const entries: [string, JsonValue][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  if (entries.length === 0) {
    return h("div", { class: "json-leaf" }, keyEl, h("span", { class: "json-empty" }, Array.isArray(value) ? "[]" : "{}"));
  }
  const details = h("details", { class: "json-node" });
  details.appendChild(h("summary", {}, keyEl, h("span", { class: "json-summary" }, summary(value))));
  const children = h("div", { class: "json-children" });
  details.appendChild(children);
  let shown = 0;
  const showMore = () => {
    const next = Math.min(entries.length, shown + options.pageSize);
    for (; shown < next; shown++) {
      const [k, v] = entries[shown]!;
      children.appendChild(node(k, v, depth + 1, options));
    }
    if (shown < entries.length) {
      const rest = entries.length - shown;
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
