// The tag editor of one trace: its own tags (not MLflow's `mlflow.*`), each removable, and a key = value to set.
// The list's Tags… button and the viewer's summary open the same dialog; each write is one `traces/setTag` or
// `traces/deleteTag`, applied to `trace.tags` only once the host has answered.
import type { TraceSummary } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import "./controls";
import { openDialog } from "./dialog";

/** A trace's own tags, sorted as stored (MLflow's `mlflow.*` tags are its bookkeeping, not the user's). */
export function userTags(t: TraceSummary): [string, string][] {
  return Object.entries(t.tags).filter(([k]) => !k.startsWith("mlflow."));
}

/** Opens the editor over `parent`; `changed` runs after each write the host accepted. */
export function openTagEditor(parent: HTMLElement, transport: Transport, trace: TraceSummary, changed: () => void): void {
  const list = h("ul", { class: "tag-list" });
  const key = h("vscode-textfield", { class: "tag-key", placeholder: "key", "aria-label": "Tag key", spellcheck: "false" });
  const value = h("vscode-textfield", { class: "tag-value", placeholder: "value", "aria-label": "Tag value", spellcheck: "false" });
  const set = h("vscode-button", { class: "tag-set" }, "Set tag");
  const form = h("div", { class: "tag-form" }, key, " = ", value, set);
  const dialog = openDialog(parent, `Tags of ${trace.traceId}`, [list, form], []);
  const paint = () => {
    clear(list);
    const tags = userTags(trace);
    if (tags.length === 0) list.appendChild(h("li", { class: "muted" }, "No tags yet."));
    for (const [k, v] of tags) {
      const remove = h("vscode-button", { secondary: true, class: "tag-remove", "aria-label": `Remove tag ${k}` }, "Remove");
      remove.addEventListener(
        "click",
        () =>
          void run(
            () => transport.request("traces/deleteTag", { traceId: trace.traceId, key: k }),
            () => delete trace.tags[k],
          ),
      );
      list.appendChild(h("li", { "data-tag": k }, h("span", { class: "tag-text" }, `${k} = ${v}`), " ", remove));
    }
  };
  const run = async (call: () => Promise<unknown>, apply: () => void) => {
    dialog.setError(null);
    try {
      await call();
      apply();
      paint();
      changed();
    } catch (err) {
      dialog.setError(RpcError.from(err).message);
    }
  };
  set.addEventListener("click", () => {
    const k = key.value.trim();
    if (!k) {
      dialog.setError("Enter a tag key.");
      return;
    }
    void run(
      () => transport.request("traces/setTag", { traceId: trace.traceId, key: k, value: value.value }),
      () => {
        trace.tags[k] = value.value;
        key.value = "";
        value.value = "";
      },
    );
  });
  paint();
  key.focus();
}
