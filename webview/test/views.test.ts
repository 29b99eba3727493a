import { afterEach, describe, expect, it, vi } from "vitest";
import { TracesView, searchParams } from "../src/traces-view";
import { FIRST_SCREEN_SPANS, SpanTree, TraceViewer, assessmentsOfSpan } from "../src/trace-viewer";
import { App, connectionText, sortExperiments } from "../src/app";
import { HostClock } from "../src/clock";
import { browserIde, LocalIdeTransport } from "../src/ide";
import { VIEW_KEY, initialPanelView, parsePanelView } from "../src/panel-view";
import { PostMessageTransport, RpcError } from "../src/transport";
import { UI_METHODS } from "../src/protocol.generated";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Assessment, Span } from "../src/protocol.generated";
import { FakeTransport, flush, span, summary, traceResult, waitFor } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

describe("traces view", () => {
  it("builds traces/search params from the query", () => {
    expect(searchParams({ experimentIds: ["1"], filter: "  ", state: "ALL", orderBy: "timestamp_ms DESC", pageSize: 50 })).toEqual({
      experimentIds: ["1"],
      orderBy: ["timestamp_ms DESC"],
      pageSize: 50,
    });
    expect(
      searchParams({ experimentIds: ["1"], filter: "trace.status = 'OK'", state: "ERROR", orderBy: "execution_time_ms DESC", pageSize: 10 }, "tok"),
    ).toEqual({
      experimentIds: ["1"],
      filter: "trace.status = 'OK'",
      filters: { states: ["ERROR"] },
      orderBy: ["execution_time_ms DESC"],
      pageSize: 10,
      pageToken: "tok",
    });
  });

  it("renders only the visible rows and pages in more when scrolled near the end", async () => {
    const all = Array.from({ length: 120 }, (_, i) => summary(i));
    const t = new FakeTransport({
      "traces/search": (p) => {
        const start = p.pageToken ? Number(p.pageToken) : 0;
        const end = start + p.pageSize;
        return { traces: all.slice(start, end), nextPageToken: end < all.length ? String(end) : undefined };
      },
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    expect(view.rows.length).toBe(50);
    const rendered = view.element.querySelectorAll(".trace-row[data-trace-id]").length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(50);
    const scroller = view.element.querySelector(".trace-scroller") as HTMLElement;
    scroller.scrollTop = 45 * 28;
    scroller.dispatchEvent(new Event("scroll"));
    await waitFor(() => view.rows.length === 100); // the next page, asked for on the frame after the scroll
    expect(view.rows.length).toBe(100);
    expect(t.calls.filter((c) => c.method === "traces/search").at(-1)!.params.pageToken).toBe("50");
  });

  it("shows an invalid filter inline under the search box", async () => {
    const t = new FakeTransport({
      "traces/search": (p) => {
        if (p.filter) throw new RpcError(-32005, "Invalid filter: unknown key 'foo' at position 0", { kind: "invalidFilter" });
        return { traces: [] };
      },
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    expect(view.element.querySelector(".list-overlay")!.textContent).toContain("No traces in this experiment yet");
    const input = view.element.querySelector("input.search") as HTMLInputElement;
    input.value = "foo = 1";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await flush();
    const error = view.element.querySelector(".filter-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toContain("unknown key 'foo'");
    expect(input.getAttribute("aria-invalid")).toBe("true");
  });

  it("state quick filter sends filters.states and other errors offer a retry", async () => {
    let fail = true;
    const t = new FakeTransport({
      "traces/search": () => {
        if (fail) throw new RpcError(-32001, "Cannot reach the tracking server");
        return { traces: [summary(5)] };
      },
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const overlay = view.element.querySelector(".list-overlay")!;
    expect(overlay.textContent).toContain("Cannot reach the tracking server");
    fail = false;
    (view.element.querySelector('[data-state="ERROR"]') as HTMLButtonElement).click();
    await flush();
    expect(t.calls.at(-1)!.params.filters).toEqual({ states: ["ERROR"] });
    expect(view.rows.length).toBe(1);
  });
});

describe("span tree", () => {
  const spans = [
    span("r", null, 0, 0, 100, { onCriticalPath: true }),
    span("a", "r", 1, 0, 40),
    span("a1", "a", 2, 5, 10, { name: "retrieve docs", spanType: "RETRIEVER" }),
    span("b", "r", 1, 40, 60, { onCriticalPath: true, status: "ERROR" }),
  ];
  it("collapse hides descendants; find keeps ancestors", () => {
    const tree = new SpanTree(spans);
    expect(tree.visible().map((s) => s.spanId)).toEqual(["r", "a", "a1", "b"]);
    tree.collapsed.add("a");
    expect(tree.visible().map((s) => s.spanId)).toEqual(["r", "a", "b"]);
    expect(tree.visible("retrieve").map((s) => s.spanId)).toEqual(["r", "a", "a1"]);
  });

  it("paints a span sent without its false/0 tree flags (the host omits them) as one that has them", () => {
    const paint = (list: Span[]) => {
      const viewer = new TraceViewer(new FakeTransport({}));
      viewer.show(traceResult(list, { info: summary(1, { durationMs: 100 }) }));
      return viewer.element.querySelector(".span-scroller")!.innerHTML;
    };
    const sparse = spans.map((s) => {
      const { onCriticalPath, childCount, orphaned, ...rest } = s;
      return { ...rest, ...(onCriticalPath ? { onCriticalPath } : {}), ...(childCount ? { childCount } : {}), ...(orphaned ? { orphaned } : {}) };
    });
    expect(sparse[1]).not.toHaveProperty("onCriticalPath");
    expect(paint(spans)).toContain("span-row");
    expect(paint(sparse)).toBe(paint(spans));
  });

  it("takes the keyboard for its span tree only when the page has the focus (a panel restored in the background does not)", () => {
    const shown = (pageHasFocus: boolean) => {
      const before = document.createElement("input");
      document.body.appendChild(before);
      before.focus();
      const viewer = new TraceViewer(new FakeTransport({}));
      document.body.appendChild(viewer.element);
      const hasFocus = vi.spyOn(document, "hasFocus").mockReturnValue(pageHasFocus);
      try {
        viewer.show(traceResult(spans, { info: summary(1, { durationMs: 100 }) }));
      } finally {
        hasFocus.mockRestore();
      }
      return document.activeElement === before ? "stayed" : (document.activeElement as HTMLElement).className;
    };
    expect(shown(true)).toBe("span-scroller");
    expect(shown(false)).toBe("stayed");
  });

  it("viewer paints rows with bars, highlights the critical path, and moves with the keyboard", () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    viewer.show(traceResult(spans, { info: summary(1, { durationMs: 100 }) }));
    const rows = [...viewer.element.querySelectorAll(".span-row")] as HTMLElement[];
    expect(rows.map((r) => r.dataset.spanId)).toEqual(["r", "a", "a1", "b"]);
    const barB = rows[3]!.querySelector(".bar") as HTMLElement;
    expect(barB.style.left).toBe("40%");
    expect(barB.style.width).toBe("60%");
    expect(barB.classList.contains("critical")).toBe(true);
    expect((rows[2]!.querySelector(".span-label") as HTMLElement).style.getPropertyValue("--indent")).toBe("2"); // two indent steps (styles.css --indent-step)
    const tree = viewer.element.querySelector(".span-scroller") as HTMLElement;
    const key = (k: string) => tree.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    const selected = () => (viewer.element.querySelector(".span-row.selected") as HTMLElement | null)?.dataset.spanId;
    expect(selected()).toBe("r");
    key("ArrowDown");
    expect(selected()).toBe("a");
    key("ArrowLeft"); // collapse a
    expect(viewer.element.querySelectorAll(".span-row").length).toBe(3);
    key("ArrowRight"); // expand a
    expect(viewer.element.querySelectorAll(".span-row").length).toBe(4);
    key("ArrowLeft");
    key("ArrowLeft"); // collapsed already → parent
    expect(selected()).toBe("r");
    key("/");
    const find = viewer.element.querySelector(".span-find") as HTMLInputElement;
    expect(document.activeElement).toBe(find);
    find.value = "retrieve";
    find.dispatchEvent(new Event("input"));
    expect([...viewer.element.querySelectorAll(".span-row")].map((r) => (r as HTMLElement).dataset.spanId)).toEqual(["r", "a", "a1"]);
    expect(selected()).toBe("a1");
    find.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(find.value).toBe("");
    expect(viewer.isOpen).toBe(true);
    let closed = false;
    viewer.onClose = () => (closed = true);
    key("Escape");
    expect(closed).toBe(true);
    expect(viewer.isOpen).toBe(false);
  });

  it("fetches the selected span's payload with spans/get when the trace came without payloads", async () => {
    const t = new FakeTransport({
      "spans/get": (p) => ({
        payloads: {
          [p.spanIds[0]]: {
            inputs: { q: "hello" },
            outputs: null,
            attributes: {},
            events: [
              {
                name: "exception",
                timeMs: 0,
                attributes: {
                  "exception.type": "ValueError",
                  "exception.message": "bad",
                  "exception.stacktrace": "Traceback (most recent call last):\n  File x",
                },
              },
            ],
          },
        },
      }),
    });
    const viewer = new TraceViewer(t);
    document.body.appendChild(viewer.element);
    viewer.show(traceResult(spans, { payloadsIncluded: false }));
    expect(viewer.element.querySelector(".detail-pane")!.textContent).toContain("Loading inputs and outputs");
    await flush();
    expect(t.calls[0]).toEqual({ method: "spans/get", params: { traceId: "tr-0001", spanIds: ["r"] } });
    const detail = viewer.element.querySelector(".detail-pane")!;
    expect(detail.textContent).toContain("hello");
    expect(detail.querySelector("pre.stacktrace")!.textContent).toContain("Traceback");
    expect(detail.querySelector(".exception-message")!.textContent).toBe("ValueError: bad");
  });

  it("paints a big trace from its head, then the rest, keeping the selection and collapsed spans", async () => {
    // A root with 1,500 children, each with one child: 3,001 spans in tree pre-order, as the host sends them.
    const all: Span[] = [span("root", null, 0, 0, 10_000, { childCount: 1500 })];
    for (let i = 0; i < 1500; i++) {
      all.push(span(`c${i}`, "root", 1, i, 5, { childCount: 1 }));
      all.push(span(`g${i}`, `c${i}`, 2, i, 1));
    }
    let release!: () => void;
    const restAsked = new Promise<void>((r) => (release = r));
    const t = new FakeTransport({
      "traces/get": async (p: { maxSpans?: number }) => {
        if (p.maxSpans) return traceResult(all.slice(0, p.maxSpans), { totalSpans: all.length, payloadsIncluded: false });
        await restAsked; // the test acts on the head first
        return traceResult(all, { payloadsIncluded: false });
      },
      "spans/get": (p) => ({ payloads: { [p.spanIds[0]]: { inputs: null, outputs: null, attributes: {}, events: [] } } }),
    });
    const viewer = new TraceViewer(t);
    document.body.appendChild(viewer.element);
    const opened = viewer.open(summary(1));
    await flush();
    const count = () => Number(viewer.element.querySelector(".span-scroller")!.getAttribute("data-span-count"));
    expect(t.calls.filter((c) => c.method === "traces/get").map((c) => c.params)).toEqual([
      { traceId: "tr-0001", maxSpans: FIRST_SCREEN_SPANS },
      { traceId: "tr-0001" },
    ]);
    expect(count()).toBe(FIRST_SCREEN_SPANS);
    expect(viewer.element.querySelector(".span-row")).not.toBeNull();
    expect(viewer.element.textContent).toContain(`Showing the first ${FIRST_SCREEN_SPANS} of 3001 spans`);
    // The user acts on the head before the rest arrives.
    viewer.select("c3");
    (viewer.element.querySelector('.span-row[data-span-id="c1"] .twisty') as HTMLElement).click();
    release();
    await opened;
    expect(count()).toBe(3001);
    expect(viewer.element.textContent).not.toContain("Showing the first");
    expect(viewer.element.querySelector(".span-row.selected")!.getAttribute("data-span-id")).toBe("c3");
    expect(viewer.element.querySelector('.span-row[data-span-id="g1"]')).toBeNull(); // still collapsed
    expect(viewer.element.querySelector('.span-row[data-span-id="g0"]')).not.toBeNull();
  });

  it("keeps the head of a big trace when the rest cannot be loaded, and says so", async () => {
    const all: Span[] = [span("root", null, 0, 0, 10_000)];
    for (let i = 0; i < 1200; i++) all.push(span(`c${i}`, "root", 1, i, 5));
    const t = new FakeTransport({
      "traces/get": (p: { maxSpans?: number }) => {
        if (p.maxSpans) return traceResult(all.slice(0, p.maxSpans), { totalSpans: all.length, payloadsIncluded: false });
        throw new RpcError(-32002, "The tracking server did not answer.");
      },
      "spans/get": () => ({ payloads: {} }),
    });
    const viewer = new TraceViewer(t);
    document.body.appendChild(viewer.element);
    await viewer.open(summary(1));
    expect(viewer.element.querySelector(".span-scroller")!.getAttribute("data-span-count")).toBe(String(FIRST_SCREEN_SPANS));
    expect(viewer.element.textContent).toContain(
      `Showing the first ${FIRST_SCREEN_SPANS} of 1201 spans: the rest could not be loaded (The tracking server did not answer.)`,
    );
  });

  it("shows assessments of the trace", () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    viewer.show(
      traceResult(spans, {
        assessments: [
          {
            assessmentId: "a1",
            name: "correctness",
            kind: "feedback",
            value: true,
            rationale: "matches the docs",
            sourceType: "LLM_JUDGE",
            sourceId: "gpt",
            valid: true,
            metadata: {},
          },
        ],
      }),
    );
    const text = viewer.element.querySelector(".assessments")!.textContent!;
    for (const s of ["correctness", "true", "matches the docs", "LLM_JUDGE"]) expect(text).toContain(s);
  });

  it("shows a trace-level assessment on the root span only, a span's own under that span", () => {
    const judged = (assessmentId: string, spanId?: string): Assessment => ({
      assessmentId,
      name: assessmentId,
      kind: "feedback",
      value: true,
      spanId,
      valid: true,
      metadata: {},
    });
    const all = [judged("trace-level"), judged("on-child", "child"), judged("on-a-span-not-in-the-trace", "gone")];
    const has = (id: string) => ["root", "child", "leaf"].includes(id);
    const names = (spanId: string, isRoot: boolean) => assessmentsOfSpan(all, spanId, isRoot, has).map((a) => a.assessmentId);
    expect(names("root", true)).toEqual(["trace-level", "on-a-span-not-in-the-trace"]);
    expect(names("child", false)).toEqual(["on-child"]);
    expect(names("leaf", false)).toEqual([]);

    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    viewer.show(traceResult([span("root", null, 0, 0, 10), span("child", "root", 1, 1, 5), span("leaf", "child", 2, 2, 1)], { assessments: all }));
    const shown = () => [...viewer.element.querySelectorAll(".assessments td.assessment-name .one-line")].map((td) => td.getAttribute("title"));
    const heading = () => [...viewer.element.querySelectorAll(".section-title")].find((t) => t.textContent!.startsWith("Assessments"))!.textContent;
    expect(shown()).toEqual(["trace-level feedback", "on-a-span-not-in-the-trace feedback"]);
    expect(heading()).toBe("Assessments (2)");
    viewer.select("child");
    expect(shown()).toEqual(["on-child feedback"]);
    expect(heading()).toBe("Assessments (1)");
    viewer.select("leaf");
    expect(shown()).toEqual([]);
    expect(heading()).toBe("Assessments (0)");
    expect(viewer.element.querySelector(".detail-pane")!.textContent).toContain(
      "No assessments of this span. The trace's own (2) show on its root span, span-root.",
    );
  });

  it("puts an assessment's whole name and source in their tooltips (styles.css cuts them to one line; the e2e measures it)", () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    const name = "retrieval_groundedness_against_the_product_catalogue";
    viewer.show(
      traceResult(spans, {
        assessments: [
          {
            assessmentId: "a1",
            name,
            kind: "feedback",
            value: "yes",
            rationale: "because ".repeat(200),
            sourceType: "LLM_JUDGE",
            sourceId: "openai:/gpt-4o-mini",
            valid: true,
            metadata: {},
          },
        ],
      }),
    );
    const nameCell = viewer.element.querySelector(".assessments td.assessment-name .one-line")!;
    expect(nameCell.getAttribute("title")).toBe(`${name} feedback`);
    expect(viewer.element.querySelector(".assessments td.assessment-source .one-line")!.getAttribute("title")).toBe("LLM_JUDGE · openai:/gpt-4o-mini");
  });
});

describe("app", () => {
  it("sorts GenAI experiments first and describes the connection", () => {
    const x = (id: string, name: string, isGenAi: boolean) => ({ experimentId: id, name, isGenAi, tags: {} });
    expect(sortExperiments([x("0", "Default", false), x("2", "b", true), x("1", "a", true)]).map((e) => e.experimentId)).toEqual(["1", "2", "0"]);
    expect(
      connectionText({
        serverName: "traceide",
        serverVersion: "1",
        protocolVersion: "1.0",
        backendKind: "localStore",
        backendLocation: "/x/mlflow.db",
        mlflowVersion: "3.11.2",
        capabilities: {} as any,
      }),
    ).toBe("Local store · /x/mlflow.db · MLflow 3.11.2");
  });

  it("starts: session/info, experiments/list, first experiment's traces", async () => {
    const t = new FakeTransport({
      "session/info": () => ({
        serverName: "traceide",
        serverVersion: "1",
        protocolVersion: "1.0",
        backendKind: "mlflowServer",
        backendLocation: "http://127.0.0.1:5000",
        mlflowVersion: "3.11.2",
        capabilities: {},
      }),
      "experiments/list": () => ({
        experiments: [
          { experimentId: "0", name: "Default", isGenAi: false, tags: {} },
          { experimentId: "7", name: "agent", isGenAi: true, tags: {} },
        ],
      }),
      "traces/search": () => ({ traces: [summary(1)] }),
    });
    const app = new App(t);
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    expect(app.element.querySelector(".connection")!.textContent).toBe("MLflow server · http://127.0.0.1:5000 · MLflow 3.11.2");
    expect((app.element.querySelector("select.experiment") as HTMLSelectElement).value).toBe("7");
    expect(t.calls.find((c) => c.method === "traces/search")!.params.experimentIds).toEqual(["7"]);
  });

  it("on a read-only backend (a local store) Delete… and Tags… stay off with the reason, whatever is selected", async () => {
    const t = new FakeTransport({
      "session/info": () => ({
        serverName: "traceide",
        serverVersion: "1",
        protocolVersion: "1.5",
        backendKind: "localStore",
        backendLocation: "x",
        capabilities: { deleteTraces: false, editTags: false },
      }),
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "a", isGenAi: true, tags: {} }] }),
      "traces/search": () => ({ traces: [summary(1)] }),
    });
    const app = new App(t);
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    app.traces.toggleChecked(summary(1).traceId);
    const del = app.element.querySelector(".delete-selected") as HTMLElement & { disabled: boolean };
    const tags = app.element.querySelector(".edit-tags") as HTMLElement & { disabled: boolean };
    expect([del.disabled, tags.disabled]).toEqual([true, true]);
    expect(del.title).toMatch(/Read-only: a local store/);
    expect(del.textContent).toBe("Delete 1…"); // the selection still counts
  });

  it("measures 'recent' from the host's clock (session/info nowMs), not the page's", async () => {
    const hostNow = Date.UTC(2026, 10, 24); // the fixtures' week, whatever today is
    const t = new FakeTransport({
      "session/info": () => ({
        serverName: "traceide",
        serverVersion: "1",
        protocolVersion: "1.4",
        backendKind: "localStore",
        backendLocation: "x",
        capabilities: {},
        nowMs: hostNow,
      }),
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "agent", isGenAi: true, tags: {} }] }),
      "traces/search": () => ({ traces: [summary(1)] }),
      "overview/usage": () => ({}),
    });
    const app = new App(t);
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    const time = app.element.querySelector<HTMLSelectElement>("select.time-filter")!;
    time.value = "LAST_7_DAYS";
    time.dispatchEvent(new Event("change"));
    await flush();
    const filters = t.calls.filter((c) => c.method === "traces/search").at(-1)!.params.filters;
    expect(Math.abs(filters.endTimeMs - hostNow)).toBeLessThan(60_000);
    expect(filters.endTimeMs - filters.startTimeMs).toBe(7 * 86_400_000);
    expect(Math.abs(app.overview.range.endMs - hostNow)).toBeLessThan(60_000);
  });
});

describe("HostClock", () => {
  it("follows the host's now at the local pace, and the local clock when the host sends none", () => {
    let local = 1_000_000;
    const clock = new HostClock(() => local);
    expect(clock.now()).toBe(1_000_000); // before any answer: the local clock
    clock.sync(5_000);
    expect(clock.now()).toBe(5_000);
    local += 250;
    expect(clock.now()).toBe(5_250);
    clock.sync(undefined); // a host before protocol 1.4
    expect(clock.now()).toBe(local);
    clock.sync(Number.NaN);
    expect(clock.now()).toBe(local);
  });

  it("uses the real clock by default", () => {
    const before = Date.now();
    const now = new HostClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

describe("view modes (the contract's PanelView)", () => {
  const info = { serverName: "traceide", serverVersion: "1", protocolVersion: "1.4", backendKind: "localStore", backendLocation: "x", capabilities: {} };
  const memory = () => {
    const m = new Map<string, unknown>();
    return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k: string, v: unknown) => void m.set(k, v) };
  };

  it("a trace tab opens its trace directly: no list, no experiments, no faked search; the kept span is selected", async () => {
    const spans = [span("root", null, 0, 0, 10), span("child", "root", 1, 1, 5)];
    const t = new FakeTransport({ "session/info": () => info, "traces/get": () => traceResult(spans, { info: summary(7, { name: "support_agent" }) }) });
    const settings = memory();
    const app = new App(t, { mode: "ide", settings, view: initialPanelView(JSON.stringify({ view: "trace", traceId: "tr-0007", spanId: "child" }), settings) });
    document.body.appendChild(app.element);
    await app.start();
    expect(t.calls.map((c) => c.method).sort()).toEqual(["session/info", "traces/get"]);
    expect(t.calls.find((c) => c.method === "traces/get")!.params).toMatchObject({ traceId: "tr-0007" });
    expect(app.traces.element.hidden).toBe(true);
    expect(app.element.querySelector(".viewer-title")!.textContent).toContain("support_agent");
    expect(app.element.querySelector(".span-row.selected")?.getAttribute("data-span-id")).toBe("child");
    expect(app.element.querySelector(".trace-viewer .close")).toBeNull(); // nothing to close back to
    expect(app.element.querySelector(".main-tabs")).toBeNull();
    // Selecting another span is kept for the next page (a reload, a host restart).
    app.viewer.select("root");
    expect(settings.get(VIEW_KEY)).toEqual({ view: "trace", traceId: "tr-0007", spanId: "root" });
  });

  it("Escape in a trace tab keeps the trace: there is no list to go back to", async () => {
    const t = new FakeTransport({ "session/info": () => info, "traces/get": () => traceResult([span("root", null, 0, 0, 10)], { info: summary(7) }) });
    const app = new App(t, { mode: "ide", view: { view: "trace", traceId: "tr-0007" } });
    document.body.appendChild(app.element);
    await app.start();
    for (const target of [app.element.querySelector(".span-scroller")!, app.element.querySelector(".detail-pane")!, document.body]) {
      target.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
      expect(app.viewer.isOpen).toBe(true);
      expect(app.traces.element.hidden).toBe(true);
    }
    // The find box's Escape still clears the box, and only that.
    const find = app.element.querySelector<HTMLInputElement>(".span-find")!;
    find.value = "ro";
    find.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(find.value).toBe("");
    expect(app.viewer.isOpen).toBe(true);
    expect(t.calls.map((c) => c.method).sort()).toEqual(["session/info", "traces/get"]); // no list was searched
  });

  it("what the page kept wins over what the IDE asked, for the same view and trace only", () => {
    const settings = memory();
    settings.set(VIEW_KEY, { view: "trace", traceId: "tr-1", spanId: "b" });
    expect(initialPanelView(JSON.stringify({ view: "trace", traceId: "tr-1", spanId: "a" }), settings)).toEqual({
      view: "trace",
      traceId: "tr-1",
      spanId: "b",
    });
    expect(initialPanelView(JSON.stringify({ view: "trace", traceId: "tr-2" }), settings)).toEqual({ view: "trace", traceId: "tr-2" });
    expect(initialPanelView(undefined, settings)).toEqual({ view: "list" });
    expect(initialPanelView("{not json", undefined)).toEqual({ view: "list" });
    expect(parsePanelView({ view: "trace" })).toBeNull(); // a trace view needs its trace
    expect(parsePanelView({ view: "<img>" })).toBeNull();
    expect(parsePanelView({ view: "overview", tab: 3, experimentIds: ["1", 2] })).toEqual({ view: "overview", experimentIds: ["1"] });
  });

  it("an Overview tab mounts as the Overview, with the kept tab and range, and keeps their changes", async () => {
    const t = new FakeTransport({
      "session/info": () => info,
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "agent", isGenAi: true, tags: {} }] }),
      "traces/search": () => ({ traces: [] }),
      "overview/quality": () => ({ cards: [], series: [], assessments: [] }),
      "overview/usage": () => ({}),
    });
    const settings = memory();
    settings.set(VIEW_KEY, { view: "overview", tab: "quality", rangeKey: "LAST_30_DAYS" });
    const app = new App(t, {
      mode: "ide",
      settings,
      view: initialPanelView(JSON.stringify({ view: "overview" }), settings),
      chart: () => ({ destroy() {} }) as any,
    });
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    expect(app.overview.element.hidden).toBe(false);
    expect(app.traces.element.hidden).toBe(true);
    expect(app.overview.tab).toBe("quality");
    expect(app.overview.rangeKey).toBe("LAST_30_DAYS");
    expect(t.calls.some((c) => c.method === "overview/quality")).toBe(true);
    expect(app.element.querySelector(".main-tabs")).toBeNull();
    app.overview.setTab("usage");
    expect(settings.get(VIEW_KEY)).toMatchObject({ view: "overview", tab: "usage", rangeKey: "LAST_30_DAYS", experimentIds: ["1"] });
  });

  it("browser mode answers the IDE methods it can in place, and says which it cannot", async () => {
    const t = new FakeTransport({
      "session/info": () => info,
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "agent", isGenAi: true, tags: {} }] }),
      "traces/search": () => ({ traces: [summary(1)] }),
      "traces/get": () => traceResult([span("root", null, 0, 0, 10)]),
    });
    const local = new LocalIdeTransport(t);
    const copied: string[] = [];
    const saved: string[][] = [];
    const app = new App(local, { mode: "browser" });
    local.handlers = browserIde({
      openTrace: (id, s) => void app.openTrace(id, s),
      openOverview: () => app.setTab("overview"),
      showList: () => app.showList(),
      copyText: async (x) => void copied.push(x),
      saveText: (text, fileName) => void saved.push([text, fileName]),
    });
    document.body.appendChild(app.element);
    await app.start();
    await local.request("ide/openTrace", { traceId: "tr-0001" });
    await flush();
    expect(app.viewer.isOpen).toBe(true);
    await local.request("ide/copy", { text: "tr-0001" });
    expect(copied).toEqual(["tr-0001"]);
    await local.request("ide/openText", { text: "{}", fileName: "root-outputs.json", language: "json" });
    expect(saved, "a page cannot open an editor: it downloads the text").toEqual([["{}", "root-outputs.json"]]);
    await expect(local.request("ide/openFile", { path: "/x.py" })).rejects.toMatchObject({ code: -32006, message: expect.stringContaining("needs an IDE") });
    await local.request("ide/revealPanel", null);
    expect(app.viewer.isOpen).toBe(false);
    expect(
      t.calls.some((c) => c.method.startsWith("ide/")),
      "no IDE method reaches the host",
    ).toBe(false);
  });
});

describe("the message the bundle sends its IDE", () => {
  it("Enter on a span posts exactly the shared relay case's ide/openSpanSource request (tests/fixtures/relay)", async () => {
    const cases = JSON.parse(readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "relay", "ide-methods.json"), "utf8")).cases;
    const expected = cases[0].send;
    const posted: any[] = [];
    const transport = new PostMessageTransport({ postMessage: (m) => void posted.push(m) }, window);
    const viewer = new TraceViewer(transport, { mode: "ide" });
    document.body.appendChild(viewer.element);
    const { traceId, spanId, spanName, functionName } = expected.params;
    viewer.show(
      traceResult([span(spanId, null, 0, 0, 10, { name: spanName, payload: { attributes: { "mlflow.spanFunctionName": functionName }, events: [] } })], {
        info: summary(1, { traceId }),
      }),
    );
    viewer.element.querySelector(".span-scroller")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await flush();
    expect(posted).toEqual([{ ...expected, id: posted[0]?.id }]);
    transport.dispose();
  });

  it("Open in Editor on a span's outputs posts exactly the shared relay case's ide/openText request", async () => {
    const cases = JSON.parse(readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "relay", "ide-methods.json"), "utf8")).cases;
    const expected = cases.find((c: { send: { method: string } }) => c.send.method === "ide/openText").send;
    const posted: any[] = [];
    const transport = new PostMessageTransport({ postMessage: (m) => void posted.push(m) }, window);
    const viewer = new TraceViewer(transport, { mode: "ide" });
    document.body.appendChild(viewer.element);
    const outputs = JSON.parse(expected.params.text);
    viewer.show(traceResult([span("s1", null, 0, 0, 10, { name: "get_weather", payload: { outputs, attributes: {}, events: [] } })]));
    const open = [...viewer.element.querySelectorAll<HTMLButtonElement>(".value-open")].find((b) => b.title.includes("outputs"))!;
    expect(open.textContent).toBe("Open in Editor");
    open.click();
    await flush();
    expect(posted).toEqual([{ ...expected, id: posted[0]?.id }]);
    transport.dispose();
  });
});

describe("what the IDE tells the page (UiMethods)", () => {
  it("the app handles every UI method of the contract", () => {
    const app = new App(new FakeTransport({}));
    expect(Object.keys(app.uiHandlers).sort()).toEqual([...UI_METHODS].sort());
  });

  it("ui/toggleLive turns the list's own live mode on and off, keeping the filter and the open trace", async () => {
    const t = new FakeTransport({
      "session/info": () => ({
        serverName: "traceide",
        serverVersion: "1",
        protocolVersion: "1.4",
        backendKind: "localStore",
        backendLocation: "x",
        capabilities: {},
      }),
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "agent", isGenAi: true, tags: {} }] }),
      "traces/search": () => ({ traces: [summary(1), summary(2)] }),
      "traces/get": () => traceResult([span("root", null, 0, 0, 10)]),
    });
    const posted: unknown[] = [];
    const transport = new PostMessageTransport({ postMessage: (m) => void posted.push(m) }, window);
    const app = new App(t, { mode: "ide" });
    transport.onNotification = (m, p) => app.handleUiNotification(m, p);
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    const search = app.element.querySelector<HTMLInputElement>("input.search")!;
    search.value = "trace.status = 'OK'";
    await app.openTrace("tr-0001");
    window.dispatchEvent(new MessageEvent("message", { data: { type: "rpc", method: "ui/toggleLive" } }));
    expect(app.traces.isLive).toBe(true);
    expect(search.value).toBe("trace.status = 'OK'");
    expect(app.viewer.isOpen).toBe(true);
    window.dispatchEvent(new MessageEvent("message", { data: { type: "rpc", method: "ui/toggleLive" } }));
    expect(app.traces.isLive).toBe(false);
    window.dispatchEvent(new MessageEvent("message", { data: { type: "rpc", method: "ui/formatDisk" } })); // ignored
    expect(posted).toEqual([]); // a notification is not answered
    transport.dispose();
    app.traces.setLive(false);
  });
});
