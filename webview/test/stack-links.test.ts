// Stack traces in the span detail: the app's frames become links that ask the IDE to open them; library
// frames and everything else stay text. The stack traces are the fixture store's own (a live trace whose
// tool raised through @mlflow.trace, and a generated one with JavaScript-style and hostile lines).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderEvents, stackFrameOf } from "../src/trace-viewer";
import { XSS_IMG, XSS_SCRIPT } from "./fixtures";

const STORE = join(__dirname, "..", "..", "tests", "fixtures", "mlflow-3.11.2.dev0", "store", "mlflow.db");

/** Every exception stack trace of the fixture store, read with sqlite3 (the recorded text, unchanged). */
function recordedStacks(): string[] {
  const sql =
    "SELECT json_extract(e.value, '$.attributes.\"exception.stacktrace\"') FROM spans, json_each(json_extract(spans.content, '$.events')) e " +
    "WHERE json_extract(e.value, '$.name') = 'exception'";
  const out = execFileSync("sqlite3", ["-json", `file:${STORE}?mode=ro`, sql], { encoding: "utf8" });
  return (JSON.parse(out || "[]") as Array<Record<string, string>>).map((r) => Object.values(r)[0]!).filter(Boolean);
}

afterEach(() => {
  document.body.textContent = "";
  delete (window as any).__xss;
});

describe("stack-trace links", () => {
  it("links each app frame of the recorded stack traces, never a library frame", () => {
    const stacks = recordedStacks();
    expect(stacks.length).toBeGreaterThan(0);
    for (const stack of stacks) {
      const opened: Array<[string, number]> = [];
      const root = renderEvents([{ name: "exception", timeMs: 0, attributes: { "exception.stacktrace": stack } }], (p, l) => opened.push([p, l]));
      document.body.appendChild(root);
      const frames = [...stack.matchAll(/File "([^"]+)", line (\d+)/g)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
      const app = frames.filter(([p]) => !p.includes("site-packages") && !/\/lib\/python\d/.test(p));
      const links = [...root.querySelectorAll<HTMLAnchorElement>("a.frame-link")];
      expect(links.length).toBe(app.length);
      for (const a of links) a.click();
      expect(opened).toEqual(app);
      expect(root.querySelector("pre.stacktrace")!.textContent).toBe(stack); // the text is unchanged
    }
  });

  it("reads JavaScript and .NET frames too, and keeps hostile text inert", () => {
    expect(stackFrameOf("    at lookupOrder (/srv/app/tools/orders.js:12:7)")).toEqual({ path: "/srv/app/tools/orders.js", line: 12 });
    expect(stackFrameOf("    at /srv/app/index.js:3:1")).toEqual({ path: "/srv/app/index.js", line: 3 });
    expect(stackFrameOf("   at Shop.Orders.Lookup(String id) in /src/Shop/Orders.cs:line 42")).toEqual({ path: "/src/Shop/Orders.cs", line: 42 });
    expect(stackFrameOf("    at x (/srv/app/node_modules/lib/a.js:1:1)")).toBeNull();
    expect(stackFrameOf("Traceback (most recent call last):")).toBeNull();

    const stack = `Traceback (most recent call last):\n  File "/srv/<i onmouseover=alert(1)>app</i>.py", line 3, in f\n    ${XSS_SCRIPT}\nError: ${XSS_IMG}`;
    const root = renderEvents([{ name: "exception", timeMs: 0, attributes: { "exception.stacktrace": stack } }], () => undefined);
    document.body.appendChild(root);
    expect(root.querySelectorAll("a.frame-link").length).toBe(1);
    expect(root.querySelector("img, i")).toBeNull();
    expect(root.querySelector("script")).toBeNull();
    expect((window as any).__xss).toBeUndefined();
    expect(root.textContent).toContain(XSS_IMG);
  });

  it("stays plain text without an IDE", () => {
    const root = renderEvents([{ name: "exception", timeMs: 0, attributes: { "exception.stacktrace": '  File "/srv/app/a.py", line 3, in f' } }]);
    expect(root.querySelector("a")).toBeNull();
  });
});
