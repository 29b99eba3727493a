import { afterEach, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { looksLikeMarkdown, markdownRenderer, setHostSanitizedHtml, withoutInlineStyles } from "../src/markdown";
import { browserIde, LocalIdeTransport } from "../src/ide";
import { renderAssessments, renderValue, renderSpanDetail, sourceHint, TraceViewer, usageInfo, usageText, formatCost } from "../src/trace-viewer";
import type { Assessment } from "../src/protocol.generated";
import { FakeTransport, flush, span, summary, traceResult, XSS_IMG } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

describe("the one HTML sink", () => {
  it("no source file but markdown.ts parses HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write)", () => {
    const dir = join(__dirname, "../src");
    const offenders: string[] = [];
    let sinks = 0;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const code = readFileSync(join(dir, f), "utf8")
        .replace(/\/\/.*$/gm, "")
        .replace(/\/\*[\s\S]*?\*\//g, "");
      const n = (code.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/g) ?? []).length;
      if (f === "markdown.ts") sinks = n;
      else if (n) offenders.push(f);
    }
    expect(offenders).toEqual([]);
    expect(sinks).toBe(1);
  });

  it("puts host HTML in and makes links open outside", () => {
    const el = document.createElement("div");
    setHostSanitizedHtml(el, '<p><strong>hi</strong> <a href="https://example.com">x</a></p>');
    expect(el.querySelector("strong")?.textContent).toBe("hi");
    expect(el.querySelector("a")?.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("turns Markdig's table alignment styles into classes (CSP refuses inline styles)", () => {
    expect(withoutInlineStyles('<th style="text-align: right;">a</th><td style="color:red">&quot; style=&quot;x&quot;</td>')).toBe(
      '<th class="align-right">a</th><td>&quot; style=&quot;x&quot;</td>',
    );
    const el = document.createElement("div");
    setHostSanitizedHtml(el, '<table><tr><td style="text-align: center;">x</td></tr></table>');
    expect(el.querySelector("td")?.className).toBe("align-center");
    expect(el.querySelector("[style]")).toBeNull();
  });

  it("shows text at once, then the host's rendering; stays text when the host fails; caches", async () => {
    const t = new FakeTransport({ "markdown/render": (p) => ({ html: `<p><em>${p.text.length}</em></p>` }) });
    const md = markdownRenderer(t);
    const el = md("**bold** text");
    expect(el.textContent).toBe("**bold** text");
    expect(el.querySelector("em")).toBeNull();
    await flush();
    expect(el.querySelector("em")?.textContent).toBe("13");
    md("**bold** text");
    await flush();
    expect(t.calls.filter((c) => c.method === "markdown/render")).toHaveLength(1);
    // Plain one-liners are not sent.
    expect(md("just text").textContent).toBe("just text");
    expect(t.calls).toHaveLength(1);
    const failing = markdownRenderer(new FakeTransport({}))(`# Title ${XSS_IMG}`);
    await flush();
    expect(failing.textContent).toBe(`# Title ${XSS_IMG}`);
    expect(failing.querySelector("img")).toBeNull();
  });

  it("detects Markdown-looking text", () => {
    expect(looksLikeMarkdown("# Heading")).toBe(true);
    expect(looksLikeMarkdown("- a\n- b")).toBe(true);
    expect(looksLikeMarkdown("see `code`")).toBe(true);
    expect(looksLikeMarkdown("para one\n\npara two")).toBe(true);
    expect(looksLikeMarkdown("The response addresses the question.")).toBe(false);
  });

  it("string inputs/outputs and assessment rationales go through the renderer", () => {
    const seen: string[] = [];
    const md = (text: string) => {
      seen.push(text);
      const d = document.createElement("div");
      d.className = "md";
      d.textContent = text;
      return d;
    };
    renderValue("**out**", md);
    renderValue({ a: 1 }, md);
    const a: Assessment = { assessmentId: "a", name: "correctness", kind: "feedback", value: true, rationale: "Because **x**", valid: true, metadata: {} };
    renderAssessments([a], md);
    expect(seen).toEqual(["**out**", "Because **x**"]);
  });
});

describe("tokens, cost and model", () => {
  const attrs = {
    "mlflow.chat.tokenUsage": { input_tokens: 584, output_tokens: 24, total_tokens: 608 },
    "mlflow.llm.cost": { input_cost: 8.76e-5, output_cost: 1.44e-5, total_cost: 0.000102 },
    "mlflow.llm.model": "gpt-4o-mini",
    "mlflow.llm.provider": "openai",
  };

  it("reads span attributes (objects or JSON strings) and trace metadata", () => {
    const u = usageInfo(attrs)!;
    expect(u).toMatchObject({ inputTokens: 584, outputTokens: 24, totalTokens: 608, totalCost: 0.000102, model: "gpt-4o-mini", provider: "openai" });
    expect(usageText(u)).toBe("Tokens 584 in · 24 out · 608 total  ·  Cost $0.000102 ($0.0000876 in, $0.0000144 out)  ·  Model gpt-4o-mini (openai)");
    const fromStrings = usageInfo({ "mlflow.chat.tokenUsage": JSON.stringify({ input_tokens: 1, output_tokens: 2, total_tokens: 3 }) })!;
    expect(fromStrings.totalTokens).toBe(3);
    expect(
      usageInfo(
        { "mlflow.trace.tokenUsage": '{"input_tokens": 1275, "output_tokens": 45, "total_tokens": 1320}', "mlflow.trace.cost": '{"total_cost": 0.02}' },
        true,
      ),
    ).toMatchObject({ totalTokens: 1320, totalCost: 0.02 });
    expect(usageInfo({ other: 1 })).toBeNull();
    expect(formatCost(0.0123)).toBe("$0.0123");
  });

  it("shows them in the detail pane", () => {
    const s = span("s1", null, 0, 0, 10, { spanType: "CHAT_MODEL" });
    const el = renderSpanDetail(s, { inputs: null, outputs: null, attributes: attrs, events: [] }, [], { startMs: 0, totalMs: 10 }, null);
    expect(el.querySelector(".usage-info")?.textContent).toContain("608 total");
  });
});

describe("viewer keys: n / p and Enter", () => {
  function viewer(mode: "ide" | "browser", asked: unknown[] = []) {
    // In an IDE the relay answers ide/*; in a browser the page's own answers (ide.ts) stand in for it.
    const answer = (method: string) => async (params: unknown) => {
      asked.push({ method, params });
      return { opened: true, path: "/ws/src/agent.py", line: 42 };
    };
    const t = new FakeTransport(mode === "ide" ? { "ide/openSpanSource": answer("ide/openSpanSource"), "ide/openFile": answer("ide/openFile") } : {});
    const local = new LocalIdeTransport(t);
    local.handlers = browserIde({
      openTrace: () => undefined,
      openOverview: () => undefined,
      showList: () => undefined,
      copyText: async () => undefined,
      saveText: () => undefined,
    });
    const v = new TraceViewer(mode === "ide" ? t : local, { mode });
    document.body.appendChild(v.element);
    const info = summary(1, { metadata: { "mlflow.source.name": "agent.py" } });
    v.show(
      traceResult(
        [
          span("root", null, 0, 0, 10, {
            payload: { attributes: { "code.filepath": "src/agent.py", "code.lineno": 42, "mlflow.spanFunctionName": "run" }, events: [] },
          }),
        ],
        { info },
      ),
    );
    return v;
  }
  const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

  it("n and p ask for the next and previous trace, not while typing in the find box", () => {
    const v = viewer("browser");
    const moves: number[] = [];
    v.onNavigate = (d) => moves.push(d);
    const tree = v.element.querySelector(".span-scroller")!;
    key(tree, "n");
    key(tree, "p");
    key(v.element.querySelector(".span-find")!, "n");
    expect(moves).toEqual([1, -1]);
  });

  it("Enter asks the IDE for the span's source (ide/openSpanSource) and says what opened; a browser says it needs an IDE", async () => {
    const asked: any[] = [];
    const ide = viewer("ide", asked);
    key(ide.element.querySelector(".span-scroller")!, "Enter");
    await flush();
    expect(asked).toEqual([{ method: "ide/openSpanSource", params: { traceId: "tr-0001", spanId: "root", spanName: "span-root", functionName: "run" } }]);
    expect(ide.element.querySelector(".viewer-message")?.textContent).toBe("Opened /ws/src/agent.py:42.");
    document.body.textContent = "";
    const browser = viewer("browser");
    key(browser.element.querySelector(".span-scroller")!, "Enter");
    await flush();
    expect(browser.element.querySelector(".viewer-message")?.textContent).toContain("Jump to source needs an IDE");
  });

  it("an IDE's error reaches the viewer's message line", async () => {
    const t = new FakeTransport({ "ide/openSpanSource": () => Promise.reject({ code: -32004, message: "No source found for span run" }) });
    const v = new TraceViewer(t, { mode: "ide" });
    document.body.appendChild(v.element);
    v.show(traceResult([span("root", null, 0, 0, 10)]));
    await v.jumpToSource();
    expect(v.element.querySelector(".viewer-message")?.textContent).toBe("No source found for span run");
  });

  it("a stack frame outside the workspace: the message says what the IDE did, never that something opened", async () => {
    const stack = 'Traceback (most recent call last):\n  File "/srv/app/tools.py", line 7, in run\nValueError: x';
    const spanWithStack = span("root", null, 0, 0, 10, {
      payload: { attributes: {}, events: [{ name: "exception", timeMs: 0, attributes: { "exception.stacktrace": stack } }] },
    });
    const answers: Array<() => Promise<unknown>> = [
      // What the VS Code relay answers when source/mapPath finds no workspace file (ideHandlers.ts).
      () => Promise.reject({ code: -32004, message: "/srv/app/tools.py is not in the workspace (no file with that name and path ending)." }),
      // Several candidates, and the user dismissed the choice.
      async () => ({ opened: false }),
    ];
    const t = new FakeTransport({ "ide/openFile": () => answers.shift()!() });
    const v = new TraceViewer(t, { mode: "ide" });
    document.body.appendChild(v.element);
    v.show(traceResult([spanWithStack]));
    const message = () => v.element.querySelector(".viewer-message")!.textContent;
    v.element.querySelector<HTMLElement>("a.frame-link")!.click();
    expect(message()).toBe("Opening /srv/app/tools.py:7…");
    await flush();
    expect(message()).toBe("/srv/app/tools.py is not in the workspace (no file with that name and path ending).");
    v.element.querySelector<HTMLElement>("a.frame-link")!.click();
    await flush();
    expect(message()).toBe("Did not open /srv/app/tools.py:7.");
    expect(t.calls.map((c) => c.params)).toEqual([
      { path: "/srv/app/tools.py", line: 7, mapToWorkspace: true },
      { path: "/srv/app/tools.py", line: 7, mapToWorkspace: true },
    ]);
  });

  it("source hint prefers the OTel spelling of the function name", () => {
    const s = span("a", null, 0, 0, 1);
    expect(
      sourceHint(
        s,
        { attributes: { "code.file.path": "a.py", "code.line.number": "7", "code.function.name": "f", "mlflow.spanFunctionName": "g" }, events: [] },
        summary(2),
      ),
    ).toEqual({ traceId: "tr-0002", spanId: "a", spanName: "span-a", functionName: "f" });
  });
});
