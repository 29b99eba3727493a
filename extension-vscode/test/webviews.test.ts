import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SilentPageWatch, renderHtml, webviewOptions } from "../src/webviews";
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

describe("a panel's page that stays silent on screen is loaded again (SilentPageWatch)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A page that never speaks unless told to, and counts its loads. */
  function silentPage() {
    const page = {
      pageHasSpoken: false,
      loads: [] as string[],
      replaced: [] as string[],
      reload: (reason: string) => page.loads.push(reason),
      replace: (reason: string) => page.replaced.push(reason),
    };
    return page;
  }

  it("loads a page silent for 4 s on screen again, twice, then replaces its panel once", () => {
    const page = silentPage();
    const watch = new SilentPageWatch(page);
    watch.shown();
    vi.advanceTimersByTime(3999);
    expect(page.loads).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(page.loads).toEqual(["silent 4 s on screen; loaded again, 1 of 2"]);
    vi.advanceTimersByTime(4000);
    expect(page.loads).toHaveLength(2);
    expect(page.replaced).toEqual([]);
    vi.advanceTimersByTime(4000); // a webview that loads nothing, however often it is told (the e2e's blank tab)
    expect(page.replaced).toEqual(["silent 4 s on screen after 2 loads; its webview is replaced by a new tab"]);
    watch.shown();
    vi.advanceTimersByTime(60_000);
    expect(page.loads).toHaveLength(2);
    expect(page.replaced).toHaveLength(1);
  });

  it("a panel that is itself a replacement is loaded again but never replaced in turn", () => {
    const page = silentPage();
    const watch = new SilentPageWatch(page, { mayReplace: false });
    watch.shown();
    vi.advanceTimersByTime(60_000);
    expect(page.loads).toHaveLength(2);
    expect(page.replaced).toEqual([]); // where no webview loads at all, tabs do not replace themselves forever
  });

  it("counts only time on screen: a hidden tab's page is not loaded again, and is watched again when shown", () => {
    const page = silentPage();
    const watch = new SilentPageWatch(page);
    watch.shown();
    vi.advanceTimersByTime(3000);
    watch.hidden(); // the user switched tabs before the page spoke
    vi.advanceTimersByTime(60_000);
    expect(page.loads).toEqual([]);
    watch.shown(); // back on screen, still silent: it gets its full 4 s again, then a new load
    vi.advanceTimersByTime(3999);
    expect(page.loads).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(page.loads).toHaveLength(1);
  });

  it("leaves a page that spoke alone", () => {
    const page = silentPage();
    const watch = new SilentPageWatch(page);
    watch.shown();
    vi.advanceTimersByTime(2000);
    page.pageHasSpoken = true;
    vi.advanceTimersByTime(60_000);
    watch.hidden();
    watch.shown();
    vi.advanceTimersByTime(60_000);
    expect(page.loads).toEqual([]);
    expect(page.replaced).toEqual([]);
  });
});
