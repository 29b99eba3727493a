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
    expect(rows).toMatchObject({ Name: "trace 3", State: "OK", Duration: "2.37 s", Tokens: "1,252 in · 44 out · 1,296 total", Session: "session-7", User: "alice", Request: "What is the weather in Paris?", Response: "Sunny, 21 °C.", Tags: "environment = prod", Metadata: "app.version = 1.4" });
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
