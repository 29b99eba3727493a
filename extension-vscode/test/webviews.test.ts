import { describe, expect, it } from "vitest";
import { renderHtml, webviewOptions } from "../src/webviews";
import { parsePanelView } from "../../webview/src/panel-view";
import * as fake from "./fake-vscode";

/** A webview stand-in with VS Code's resource scheme. */
function fakeWebview() {
  return {
    cspSource: "https://file+.vscode-resource.vscode-cdn.net",
    asWebviewUri: (u: fake.Uri) => `https://file+.vscode-resource.vscode-cdn.net${u.fsPath}`,
  } as any;
}

const EXT = fake.Uri.file("/ext");

function cspOf(html: string): Map<string, string> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  expect(m, "the page has a CSP meta tag").not.toBeNull();
  return new Map(
    m![1]!
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(" ")[0]!, d] as [string, string]),
  );
}

describe("webview HTML (the CSP every TraceIde webview gets)", () => {
  for (const view of ["list", "trace", "overview"] as const) {
    it(`${view}: default-src 'none', scripts only by nonce, no inline style, no connect`, () => {
      const html = renderHtml(fakeWebview(), EXT as any, { view: { view, traceId: view === "trace" ? "tr-1" : undefined }, generation: 1 });
      const csp = cspOf(html);
      expect(csp.get("default-src")).toBe("default-src 'none'");
      const script = csp.get("script-src")!;
      expect(script).toMatch(/^script-src 'nonce-[A-Za-z0-9+/=]{16,}'$/);
      expect(script).not.toContain("unsafe");
      expect(csp.get("style-src")).toBe("style-src https://file+.vscode-resource.vscode-cdn.net");
      expect(csp.has("connect-src")).toBe(false); // falls back to 'none': the page reaches nothing but the relay
      // Every <script> carries this page's nonce; there is no inline script body.
      const nonce = /'nonce-([^']+)'/.exec(script)![1];
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toContain(`nonce="${nonce}"`);
        expect(body!.trim()).toBe("");
      }
    });
  }

  it("a fresh nonce per render", () => {
    const a = cspOf(renderHtml(fakeWebview(), EXT as any, { view: { view: "list" }, generation: 1 })).get("script-src");
    const b = cspOf(renderHtml(fakeWebview(), EXT as any, { view: { view: "list" }, generation: 1 })).get("script-src");
    expect(a).not.toBe(b);
  });

  it("a hostile trace ID stays an attribute value, and the page reads back exactly the view it was given", () => {
    const view = { view: "trace", traceId: `"><script>alert(1)</script>&amp;'`, spanId: "00000000000000a1" };
    const html = renderHtml(fakeWebview(), EXT as any, { view, generation: 1 });
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html.match(/<script/g)!.length).toBe(1); // the bundle, nothing else
    // The attribute as a browser decodes it (escapeAttr writes these four entities).
    const raw = /data-traceide-view="([^"]*)"/.exec(html)![1]!;
    const decoded = raw
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
    expect(parsePanelView(decoded)).toEqual(view);
  });

  it("local resources only from media/", () => {
    const roots = webviewOptions(EXT as any).localResourceRoots!.map((u: any) => u.fsPath);
    expect(roots).toEqual(["/ext/media"]);
  });
});
