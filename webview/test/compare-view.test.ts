// The compare page: rows, differences, the span diff with payloads fetched on demand, keys, swap, hostile strings,
// and its hooks in the list, the viewer and the app (address bar, Escape back to where it was opened).
import { afterEach, describe, expect, it } from "vitest";
import { CompareView, pickTrace } from "../src/compare-view";
import { App } from "../src/app";
import type { SettingsStore } from "../src/traces-logic";
import type { Span, SpanPayload, TracesGetResult } from "../src/protocol.generated";
import { FakeTransport, XSS_IMG, XSS_SCRIPT, span, summary, traceResult, waitFor } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

const s = (id: string, parent: string | null, name: string, startMs: number, durationMs: number, extra: Partial<Span> = {}) =>
  span(id, parent, 0, startMs, durationMs, { name, ...extra });
const usage = (total: number): SpanPayload => ({
  inputs: { q: "order 77777" },
  outputs: { a: total },
  attributes: { "mlflow.chat.tokenUsage": JSON.stringify({ total_tokens: total }) },
  events: [],
});

function pair(): { a: TracesGetResult; b: TracesGetResult } {
  const a = traceResult(
    [
      s("a1", null, "support_agent", 0, 388, { status: "ERROR" }),
      s("a2", "a1", "agent_loop", 1, 386, { status: "ERROR" }),
      s("a3", "a2", "Completions", 2, 301),
      s("a4", "a2", "lookup_order", 303, 84, { status: "ERROR" }),
    ],
    {
      info: summary(1, { traceId: "tr-a", name: "support_agent", state: "ERROR", durationMs: 388, tokens: { totalTokens: 71 } }),
      payloadsIncluded: false,
    },
  );
  const b = traceResult(
    [
      s("b1", null, "support_agent", 0, 691),
      s("b2", "b1", "agent_loop", 1, 690),
      s("b3", "b2", "Completions", 2, 301),
      s("b4", "b2", "lookup_order", 303, 86),
      s("b5", "b2", "Completions", 390, 301),
    ],
    {
      info: summary(2, { traceId: "tr-b", name: "support_agent", state: "OK", durationMs: 691, tokens: { totalTokens: 343 } }),
      payloadsIncluded: false,
    },
  );
  return { a, b };
}

function transport() {
  const { a, b } = pair();
  const payloads: Record<string, SpanPayload> = { a3: usage(71), b3: usage(119) };
  return new FakeTransport({
    "traces/get": (p: { traceId: string }) => (p.traceId === "tr-a" ? a : b),
    "spans/get": (p: { spanIds: string[] }) => ({ payloads: Object.fromEntries(p.spanIds.filter((id) => payloads[id]).map((id) => [id, payloads[id]!])) }),
  });
}

const rowTexts = (view: CompareView) =>
  [...view.element.querySelectorAll<HTMLElement>(".cmp-scroller .cmp-row")].map((r) => `${r.dataset.path} ${r.dataset.kind}`);

describe("CompareView", () => {
  it("aligns the two trees, marks what differs, and diffs the selected pair's inputs and outputs once fetched", async () => {
    const t = transport();
    const view = new CompareView(t);
    document.body.appendChild(view.element);
    await view.open("tr-a", "tr-b");
    expect(rowTexts(view)).toEqual([
      "support_agent both",
      "support_agent/agent_loop both",
      "support_agent/agent_loop/Completions both",
      "support_agent/agent_loop/lookup_order both",
      "support_agent/agent_loop/Completions#2 added",
    ]);
    expect(view.element.querySelector(".cmp-summary")!.textContent).toBe("4 aligned spans · 1 only in B");
    expect(view.element.querySelector(".cmp-trace-delta")!.textContent).toBe("B against A: +303 ms ×1.78 · tokens +272 · state ERROR → OK");
    const root = view.element.querySelector<HTMLElement>('.cmp-row[data-path="support_agent"]')!;
    expect(root.querySelector(".cmp-delta")!.textContent).toBe("+303 ms ×1.78");
    expect(root.querySelector(".cmp-delta")!.classList.contains("slower")).toBe(true);
    expect(root.querySelectorAll(".cmp-side")[0]!.textContent).toBe("✕388 ms");
    // The first differing row is selected (its payloads are asked for: the trace did not include them).
    expect(view.element.querySelector(".cmp-row.selected")!.getAttribute("data-path")).toBe("support_agent");
    // Select Completions: both payloads come from spans/get, then the tokens and the diffs show.
    view.element.querySelector<HTMLElement>('.cmp-row[data-path="support_agent/agent_loop/Completions"]')!.click();
    await waitFor(() => !!view.element.querySelector('.cmp-diff-section[data-part="outputs"]'));
    expect(
      t.calls
        .filter((c) => c.method === "spans/get")
        .map((c) => c.params.spanIds[0])
        .sort(),
    ).toEqual(["a1", "a3", "b1", "b3"]);
    const tokensRow = [...view.element.querySelectorAll(".cmp-pair tbody tr")].find((r) => r.querySelector("th")!.textContent === "Tokens")!;
    expect([...tokensRow.querySelectorAll("td")].map((td) => td.textContent)).toEqual(["71", "119", "+48"]);
    expect(view.element.querySelector('.cmp-diff-section[data-part="inputs"] .cmp-verdict')!.textContent).toBe("Same");
    expect(view.element.querySelector('.cmp-diff-section[data-part="outputs"] .cmp-verdict')!.textContent).toBe("+1 −1 lines");
    expect([...view.element.querySelectorAll('.cmp-diff-section[data-part="outputs"] .cmp-line-add .cmp-text')].map((e) => e.textContent)).toEqual([
      '  "a": 119',
    ]);
    expect(view.element.querySelector('.cmp-row[data-path="support_agent/agent_loop/Completions"] .cmp-io')!.textContent).toBe("≠ out");
  });

  it("keys: arrows move, ← folds, Enter unfolds; d shows differences only; s swaps the sides; Escape closes", async () => {
    const view = new CompareView(transport());
    document.body.appendChild(view.element);
    let closed = 0;
    view.onClose = () => closed++;
    await view.open("tr-a", "tr-b");
    const scroller = view.element.querySelector<HTMLElement>(".cmp-scroller")!;
    const key = (k: string, target: HTMLElement = scroller) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
    const selected = () => view.element.querySelector(".cmp-row.selected")!.getAttribute("data-path");
    key("ArrowDown");
    expect(selected()).toBe("support_agent/agent_loop");
    key("ArrowLeft"); // folds agent_loop
    expect(rowTexts(view).length).toBe(2);
    key("Enter");
    expect(rowTexts(view).length).toBe(5);
    key("End");
    expect(selected()).toBe("support_agent/agent_loop/Completions#2");
    key("d");
    expect(rowTexts(view)).toEqual([
      "support_agent both",
      "support_agent/agent_loop both",
      "support_agent/agent_loop/lookup_order both",
      "support_agent/agent_loop/Completions#2 added",
    ]);
    key("s");
    expect(view.traceIds).toEqual(["tr-b", "tr-a"]);
    expect(rowTexts(view).at(-1)).toBe("support_agent/agent_loop/Completions#2 removed");
    expect(selected()).toBe("support_agent/agent_loop/Completions#2"); // the same path stays selected
    key("Escape");
    expect(closed).toBe(1);
    expect(view.isOpen).toBe(false);
  });

  it("hostile span and trace names stay text; empty traces and a failed fetch say so", async () => {
    const evil = traceResult([s("x", null, XSS_IMG, 0, 1)], { info: summary(1, { traceId: "tr-x", name: XSS_SCRIPT }) });
    const empty = traceResult([], { info: summary(2, { traceId: "tr-e" }) });
    const view = new CompareView(new FakeTransport({}));
    document.body.appendChild(view.element);
    view.show(evil, empty);
    expect(view.element.querySelector("img, script")).toBeNull();
    expect(view.element.querySelector(".cmp-card-name")!.textContent).toBe(XSS_SCRIPT);
    expect(rowTexts(view)).toEqual([`${XSS_IMG} removed`]);
    view.show(empty, empty);
    expect(view.element.querySelector(".cmp-empty")!.textContent).toBe("Neither trace has spans.");
    const failing = new CompareView(new FakeTransport({}));
    await failing.open("tr-1", "tr-2");
    expect(failing.element.querySelector(".cmp-message")!.textContent).toMatch(/^Could not open the traces to compare: no handler/);
  });

  it("pickTrace offers the previous and next traces first, filters, and resolves with the one clicked", async () => {
    const rows = [summary(1), summary(2), summary(3), summary(4)];
    const chosen = pickTrace(document.body, rows, rows[1]!.traceId);
    const options = () => [...document.querySelectorAll<HTMLElement>(".cmp-pick")].map((b) => b.dataset.traceId);
    expect(options()).toEqual([rows[0]!.traceId, rows[2]!.traceId, rows[3]!.traceId]);
    expect(document.querySelector(".cmp-pick-tag")!.textContent).toBe("previous");
    const filter = document.querySelector<HTMLInputElement>(".cmp-pick-filter")!;
    filter.value = "trace 4";
    filter.dispatchEvent(new Event("input"));
    expect(options()).toEqual([rows[3]!.traceId]);
    filter.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect((await chosen)?.traceId).toBe(rows[3]!.traceId);
  });
});

describe("compare in the app", () => {
  it("two checked rows show Compare; it opens the compare, the address keeps it, Escape goes back to the list", async () => {
    const { a, b } = pair();
    const t = new FakeTransport({
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "x", isGenAi: true }] }),
      "traces/search": () => ({ traces: [a.info, b.info] }),
      "traces/get": (p: { traceId: string }) => (p.traceId === "tr-a" ? a : b),
      "spans/get": () => ({ payloads: {} }),
    });
    const app = new App(t);
    document.body.appendChild(app.element);
    await app.start();
    await waitFor(() => app.traces.rows.length === 2);
    const button = app.element.querySelector<HTMLElement>(".compare-selected")!;
    expect(button.hidden).toBe(true);
    app.traces.toggleChecked("tr-a");
    expect(button.hidden).toBe(true);
    app.traces.toggleChecked("tr-b");
    expect(button.hidden).toBe(false);
    button.click();
    await waitFor(() => app.element.querySelectorAll(".cmp-scroller .cmp-row").length === 5);
    // The earlier trace is A: summary(1) is a second later than summary(2), so tr-b is A.
    expect(app.compare.traceIds).toEqual(["tr-b", "tr-a"]);
    expect(app.pageState().compare).toBe("tr-b,tr-a");
    expect(app.traces.element.hidden).toBe(true);
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(app.compare.isOpen).toBe(false);
    expect(app.traces.element.hidden).toBe(false);
    expect(app.pageState().compare).toBeNull();
    // From the viewer: Compare with… picks another trace; Escape goes back to the open trace.
    await app.openTrace("tr-a");
    expect(app.element.querySelector<HTMLElement>(".compare-with")!.hidden).toBe(false);
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "c", bubbles: true, cancelable: true }));
    await waitFor(() => !!document.querySelector(".cmp-pick"));
    document.querySelector<HTMLElement>('.cmp-pick[data-trace-id="tr-b"]')!.click();
    await waitFor(() => app.compare.isOpen && app.element.querySelectorAll(".cmp-scroller .cmp-row").length === 5);
    expect(app.compare.traceIds).toEqual(["tr-a", "tr-b"]);
    expect(app.viewer.element.hidden).toBe(true);
    app.compare.close();
    expect(app.viewer.isOpen).toBe(true);
    expect(app.pageState()).toMatchObject({ trace: "tr-a", compare: null });
    // A restored address opens the compare; one without it closes it.
    await app.restore({ ...app.pageState(), trace: null, compare: "tr-a,tr-b" });
    expect(app.compare.isOpen).toBe(true);
    await app.restore({ ...app.pageState(), trace: "tr-a", compare: null });
    expect(app.compare.isOpen).toBe(false);
    expect(app.viewer.isOpen).toBe(true);
  });
});

describe("a compare tab of its own (PanelViews.compare)", () => {
  it("mounts as the two traces, keeps a swap in its view, opens a trace through the IDE, and has nothing to close back to", async () => {
    const t = transport();
    t.handlers["session/info"] = () => ({
      serverName: "traceide",
      serverVersion: "1",
      protocolVersion: "1.7",
      backendKind: "localStore",
      backendLocation: "x",
    });
    t.handlers["ide/openTrace"] = () => ({});
    const settings = new Map<string, unknown>();
    const store = { get: (k: string) => settings.get(k), set: (k: string, v: unknown) => void settings.set(k, v) } as SettingsStore;
    const app = new App(t, { mode: "ide", view: { view: "compare", traceIds: ["tr-a", "tr-b"] }, settings: store });
    document.body.appendChild(app.element);
    await app.start();
    await waitFor(() => app.element.querySelectorAll(".cmp-scroller .cmp-row").length === 5);
    expect(app.traces.element.hidden).toBe(true);
    expect(app.element.querySelector(".main-tabs")).toBeNull();
    expect(app.element.querySelector(".cmp-close")).toBeNull();
    expect(t.calls.some((c) => c.method === "traces/search")).toBe(false);
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(app.compare.isOpen).toBe(true);
    app.compare.swap();
    expect(settings.get("view")).toEqual({ view: "compare", traceIds: ["tr-b", "tr-a"] });
    app.element.querySelector<HTMLElement>('.cmp-card[data-trace-id="tr-a"] .cmp-open')!.click();
    await waitFor(() => t.calls.some((c) => c.method === "ide/openTrace"));
    expect(t.calls.find((c) => c.method === "ide/openTrace")!.params).toEqual({ traceId: "tr-a" });
    expect(app.viewer.isOpen).toBe(false);
  });

  it("a kept or asked compare view needs two different traces", async () => {
    const { parsePanelView, initialPanelView } = await import("../src/panel-view");
    expect(parsePanelView({ view: "compare", traceIds: ["tr-a", "tr-b"] })).toEqual({ view: "compare", traceIds: ["tr-a", "tr-b"] });
    expect(parsePanelView({ view: "compare", traceIds: ["tr-a"] })).toBeNull();
    expect(parsePanelView({ view: "compare", traceIds: ["tr-a", "tr-a"] })).toBeNull();
    expect(parsePanelView({ view: "compare", traceIds: ["tr-a", 7] })).toBeNull();
    // The page's kept view (swapped) wins over what the IDE asked for the same pair only.
    const kept = { get: () => ({ view: "compare", traceIds: ["tr-b", "tr-a"] }), set: () => {} } as unknown as SettingsStore;
    expect(initialPanelView({ view: "compare", traceIds: ["tr-b", "tr-a"] }, kept).traceIds).toEqual(["tr-b", "tr-a"]);
    expect(initialPanelView({ view: "compare", traceIds: ["tr-c", "tr-d"] }, kept).traceIds).toEqual(["tr-c", "tr-d"]);
  });
});
