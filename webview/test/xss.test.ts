import { afterEach, describe, expect, it } from "vitest";
import { renderJson } from "../src/json-tree";
import { renderAssessments, renderAttributes, renderEvents, renderSpanDetail, renderValue, TraceViewer } from "../src/trace-viewer";
import { TracesView } from "../src/traces-view";
import { OverviewView } from "../src/overview-view";
import { FakeTransport, XSS_IMG, XSS_SCRIPT, flush, span, summary, traceResult } from "./fixtures";

function assertInert(root: HTMLElement) {
  document.body.appendChild(root);
  expect(root.querySelector("img")).toBeNull();
  expect(root.querySelector("script")).toBeNull();
  expect(root.querySelector("[onerror]")).toBeNull();
  expect((window as any).__xss).toBeUndefined();
  expect(root.textContent).toContain(XSS_IMG);
  expect(root.textContent).toContain(XSS_SCRIPT);
}

afterEach(() => {
  document.body.textContent = "";
  delete (window as any).__xss;
});

describe("XSS payloads render as text", () => {
  it("JSON tree values and keys", () => {
    assertInert(renderJson({ [XSS_IMG]: XSS_SCRIPT, nested: [XSS_IMG, { x: XSS_SCRIPT }] }, { openDepth: 5 }));
  });
  it("chat transcripts", () => {
    assertInert(
      renderValue({
        messages: [
          { role: "user", content: XSS_IMG },
          { role: "assistant", content: [{ type: "text", text: XSS_SCRIPT }] },
        ],
      }),
    );
  });
  it("attributes, events with stack traces, assessments", () => {
    const root = document.createElement("div");
    root.append(
      renderAttributes({ [XSS_IMG]: XSS_SCRIPT }),
      renderEvents([{ name: "exception", timeMs: 0, attributes: { "exception.type": XSS_IMG, "exception.message": "m", "exception.stacktrace": XSS_SCRIPT } }]),
      renderAssessments([
        {
          assessmentId: "a",
          name: XSS_IMG,
          kind: "feedback",
          value: XSS_SCRIPT,
          rationale: XSS_IMG,
          sourceType: "HUMAN",
          sourceId: XSS_SCRIPT,
          valid: true,
          metadata: {},
        },
      ]),
    );
    assertInert(root);
  });
  it("a whole span detail and the span tree with hostile names, outputs and tags", async () => {
    const s = span("aaaa", null, 0, 0, 10, {
      name: XSS_IMG,
      statusMessage: XSS_SCRIPT,
      payload: { inputs: XSS_IMG, outputs: { answer: XSS_SCRIPT }, attributes: { "mlflow.tag": XSS_IMG }, events: [] },
    });
    assertInert(renderSpanDetail(s, s.payload!, [], { startMs: 0, totalMs: 10 }, null));
    const viewer = new TraceViewer(new FakeTransport({}));
    document.body.appendChild(viewer.element);
    viewer.show(traceResult([s], { info: summary(1, { name: XSS_SCRIPT, tags: { t: XSS_IMG } }) }));
    await flush();
    assertInert(viewer.element);
  });
  it("the traces table", async () => {
    const t = new FakeTransport({
      "traces/search": () => ({
        traces: [summary(1, { name: XSS_IMG, requestPreview: XSS_SCRIPT, responsePreview: XSS_IMG, user: XSS_SCRIPT, session: XSS_IMG })],
      }),
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    assertInert(view.element);
  });
  it("tags column, session groups, the tag dialog and completion suggestions", async () => {
    const t = new FakeTransport({
      "traces/search": () => ({ traces: [summary(1, { session: XSS_IMG, tags: { [XSS_IMG]: XSS_SCRIPT }, metadata: { [XSS_SCRIPT]: "x" } })] }),
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    view.setColumns(["id", "tags"]);
    view.setGrouped(true);
    view.element.querySelector<HTMLInputElement>(".row-select")!.click();
    view.editTags();
    const input = view.element.querySelector<HTMLInputElement>("input.search")!;
    input.value = "tags.";
    input.setSelectionRange(5, 5);
    input.dispatchEvent(new Event("input"));
    assertInert(view.element);
  });
  it("overview tables, cards and bars with hostile tool and scorer names", async () => {
    const axis = { startTimeMs: 0, endTimeMs: 1, timeUnit: "day", intervalSeconds: 86400, bucketsMs: [0], engine: "host" };
    const t = new FakeTransport({
      "overview/toolCalls": () => ({
        axis,
        totals: { calls: 1, failedCalls: 0, successRate: 100 },
        tools: [
          { name: XSS_IMG, calls: 1, failures: 0, errorRate: 0 },
          { name: XSS_SCRIPT, calls: 1, failures: 0, errorRate: 0 },
        ],
        series: [],
      }),
      "overview/quality": () => ({
        axis,
        hasAssessmentsOutsideRange: false,
        assessments: [
          { name: XSS_IMG, count: 1, valueKind: "s", nullValues: 0, distribution: [{ rawValue: XSS_SCRIPT, label: XSS_SCRIPT, count: 1 }], series: [] },
        ],
      }),
    });
    const v = new OverviewView(t, { chart: () => ({ destroy() {} }) });
    document.body.appendChild(v.element);
    v.setExperiments(["1"]);
    v.tab = "toolCalls";
    v.show();
    await flush();
    assertInert(v.element);
    v.setTab("quality");
    await flush();
    expect(v.element.textContent).toContain(XSS_IMG);
    expect(v.element.querySelector("img, script")).toBeNull();
  });
});
