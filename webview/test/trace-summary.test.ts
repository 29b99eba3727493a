import { describe, expect, it } from "vitest";
import { renderTraceSummary, TraceViewer } from "../src/trace-viewer";
import { FakeTransport, XSS_IMG, flush, span, summary, traceResult } from "./fixtures";

const grid = (el: HTMLElement) => Object.fromEntries([...el.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));

describe("trace summary", () => {
  it("lists name, state, time, duration, tokens, session, user, tags, metadata and the previews", () => {
    const info = summary(3, {
      durationMs: 2370,
      session: "session-7",
      user: "alice",
      tokens: { inputTokens: 1252, outputTokens: 44, totalTokens: 1296 },
      requestPreview: "What is the weather in Paris?",
      responsePreview: "Sunny, 21 °C.",
      tags: { environment: "prod", "mlflow.traceName": "hidden" },
      metadata: { "app.version": "1.4", "mlflow.traceInputs": "{...}", "mlflow.trace.sizeStats": "{}" },
    });
    const el = renderTraceSummary(info, true);
    const rows = grid(el);
    expect(rows).toMatchObject({
      Name: "trace 3",
      State: "OK",
      Duration: "2.37 s",
      Tokens: "1,252 in · 44 out · 1,296 total",
      Session: "session-7",
      User: "alice",
      Request: "What is the weather in Paris?",
      Response: "Sunny, 21 °C.",
      Tags: "environment = prod",
      Metadata: "app.version = 1.4",
    });
    expect(el.querySelector("summary")!.textContent).toMatch(/^Summary.*2\.37 s · 1,296 tokens · session session-7$/);
    expect(el.open).toBe(true);
  });

  it("keeps hostile values as text and cuts long previews", () => {
    const el = renderTraceSummary(summary(1, { name: XSS_IMG, requestPreview: XSS_IMG.repeat(100), tags: { probe: XSS_IMG } }), true);
    expect(el.querySelector("img")).toBeNull();
    expect(grid(el).Name).toBe(XSS_IMG);
    const request = el.querySelector("dd .preview")!;
    expect(request.querySelector(".summary-text")!.textContent!.length).toBe(300);
    expect(request.querySelector(".show-more")).not.toBeNull();
  });

  it("says an unnamed trace is unnamed, and leaves out what it does not have", () => {
    const rows = grid(renderTraceSummary(summary(1, { name: null, session: null, user: null, requestPreview: null, responsePreview: null }), false));
    expect(rows.Name).toBe("(unnamed)");
    for (const k of ["Session", "User", "Request", "Response", "Tags", "Metadata", "Tokens"]) expect(rows).not.toHaveProperty(k);
  });

  it("in the viewer: closed at first, and stays open for the next trace once opened", async () => {
    const get = (p: { traceId: string }) => traceResult([span("r", null, 0, 0, 1)], { info: summary(p.traceId === "tr-0001" ? 1 : 2, { traceId: p.traceId }) });
    const viewer = new TraceViewer(new FakeTransport({ "traces/get": get }));
    await viewer.open(summary(1));
    const first = viewer.element.querySelector<HTMLDetailsElement>(".trace-summary")!;
    expect(first.open).toBe(false);
    first.open = true;
    first.dispatchEvent(new Event("toggle"));
    await viewer.open(summary(2));
    await flush();
    const second = viewer.element.querySelector<HTMLDetailsElement>(".trace-summary")!;
    expect(second).not.toBe(first);
    expect(second.open).toBe(true);
    expect(grid(second).Name).toBe("trace 2");
  });
});

describe("the viewer's summary: tags and the conversation", () => {
  const chatTrace = () =>
    traceResult(
      [
        span("root", null, 0, 0, 100, { spanType: "AGENT", name: "agent" }),
        span("c1", "root", 1, 0, 30, { spanType: "CHAT_MODEL", name: "first call" }),
        span("c2", "root", 1, 50, 40, { spanType: "CHAT_MODEL", name: "last call" }),
      ],
      { payloadsIncluded: false, info: summary(1, { tags: { env: "dev" } }) },
    );

  it("Show the conversation reads the last chat call's messages and answer (one spans/get)", async () => {
    const t = new FakeTransport({
      "spans/get": (p) => ({
        payloads: {
          [p.spanIds[0]]: {
            inputs: {
              messages: [
                { role: "user", content: "Weather in Paris?" },
                { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: "{}" } }] },
                { role: "tool", content: "21 C" },
              ],
            },
            outputs: { choices: [{ message: { role: "assistant", content: "Sunny, 21 °C." } }] },
            attributes: {},
            events: [],
          },
        },
      }),
    });
    const viewer = new TraceViewer(t);
    viewer.show(chatTrace());
    const slot = viewer.element.querySelector(".summary-conversation")!;
    slot.querySelector("button")!.click();
    await flush();
    await flush();
    // The first is the root span's, selected when the trace opens; then the last chat call's.
    expect(t.calls.filter((c) => c.method === "spans/get").map((c) => c.params.spanIds)).toEqual([["root"], ["c2"]]);
    expect([...slot.querySelectorAll(".chat-role")].map((e) => e.textContent)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(slot.textContent).toContain("Sunny, 21 °C.");
    expect(slot.textContent).toContain("→ get_weather");
  });

  it("no chat call, no conversation row; tags are edited from the summary and the list hears of it", async () => {
    const t = new FakeTransport({ "traces/setTag": () => ({}) });
    const viewer = new TraceViewer(t);
    document.body.appendChild(viewer.element);
    const heard: [string, Record<string, string>][] = [];
    viewer.onTagsChanged = (id, tags) => void heard.push([id, { ...tags }]);
    viewer.show(traceResult([span("root", null, 0, 0, 100)], { info: summary(1, { tags: { env: "dev" } }) }));
    expect(viewer.element.querySelector(".summary-conversation")).toBeNull();
    viewer.element.querySelector<HTMLButtonElement>(".summary-edit-tags")!.click();
    const dialog = document.querySelector(".dialog")!;
    (dialog.querySelector(".tag-key") as HTMLInputElement).value = "triage";
    (dialog.querySelector(".tag-value") as HTMLInputElement).value = "needs-review";
    (dialog.querySelector(".tag-set") as HTMLElement).click();
    await flush();
    expect(t.calls.find((c) => c.method === "traces/setTag")!.params).toEqual({ traceId: "tr-0001", key: "triage", value: "needs-review" });
    expect(heard).toEqual([["tr-0001", { env: "dev", triage: "needs-review" }]]);
    expect(viewer.element.querySelector(".trace-summary")!.textContent).toContain("triage = needs-review");
    viewer.element.remove();
    document.body.textContent = "";
  });

  it("on a read-only store the tag button is off and says why", () => {
    const viewer = new TraceViewer(new FakeTransport({}));
    viewer.setWritable({ backendKind: "localStore", capabilities: { editAssessments: false, editTags: false } });
    viewer.show(chatTrace());
    const edit = viewer.element.querySelector<HTMLButtonElement>(".summary-edit-tags")!;
    expect(edit.disabled).toBe(true);
    expect(edit.title).toContain("a local store cannot be changed");
  });
});
