import { describe, expect, it, vi } from "vitest";
import { CONNECTION_LOST, PostMessageTransport, RpcError, WebSocketTransport, startTransport, type WebSocketLike } from "../src/transport";
import { RpcErrorCodes } from "../src/protocol.generated";
import { stateFromSearch, withState } from "../src/browser-url";

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: any[] = [];
  private listeners = new Map<string, ((ev: any) => void)[]>();
  addEventListener(type: string, l: (ev: any) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  emit(type: string, ev: any = {}) {
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }
  open() {
    this.readyState = 1;
    this.emit("open");
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  reply(msg: object) {
    this.emit("message", { data: JSON.stringify({ jsonrpc: "2.0", ...msg }) });
  }
  close() {
    this.readyState = 3;
  }
}

describe("WebSocketTransport", () => {
  it("queues until open, then matches responses to requests by id (out of order)", async () => {
    const ws = new FakeSocket();
    const t = new WebSocketTransport(ws);
    const a = t.request("experiments/list", {});
    const b = t.request("markdown/render", { text: "x" });
    expect(ws.sent).toHaveLength(0);
    ws.open();
    expect(ws.sent.map((m) => m.method)).toEqual(["experiments/list", "markdown/render"]);
    expect(ws.sent[0]).toMatchObject({ jsonrpc: "2.0", id: 1, params: {} });
    ws.reply({ id: ws.sent[1].id, result: { html: "<p>x</p>" } });
    ws.reply({ id: ws.sent[0].id, result: { experiments: [] } });
    await expect(a).resolves.toEqual({ experiments: [] });
    await expect(b).resolves.toEqual({ html: "<p>x</p>" });
  });

  it("maps JSON-RPC errors to RpcError with code, message and data", async () => {
    const ws = new FakeSocket();
    ws.open();
    const t = new WebSocketTransport(ws);
    const p = t.request("traces/search", { experimentIds: ["1"], filter: "bad =" });
    ws.reply({ id: 1, error: { code: RpcErrorCodes.invalidFilter, message: "Invalid filter at 5", data: { kind: "invalidFilter" } } });
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(-32005);
    expect(err.message).toBe("Invalid filter at 5");
    expect(err.data).toEqual({ kind: "invalidFilter" });
  });

  it("cancels: rejects with cancelled, sends $/cancelRequest, ignores the late answer", async () => {
    const ws = new FakeSocket();
    ws.open();
    const t = new WebSocketTransport(ws);
    const ac = new AbortController();
    const p = t.request("traces/get", { traceId: "tr-1" }, ac.signal);
    ac.abort();
    const err = await p.catch((e) => e);
    expect(err.code).toBe(RpcErrorCodes.cancelled);
    expect(err.isCancelled).toBe(true);
    expect(ws.sent[1]).toEqual({ jsonrpc: "2.0", method: "$/cancelRequest", params: { id: 1 } });
    expect(() => ws.reply({ id: 1, result: {} })).not.toThrow();
  });

  it("rejects an already-aborted signal without sending", async () => {
    const ws = new FakeSocket();
    ws.open();
    const t = new WebSocketTransport(ws);
    const ac = new AbortController();
    ac.abort();
    await expect(t.request("experiments/list", {}, ac.signal)).rejects.toMatchObject({ code: RpcErrorCodes.cancelled });
    expect(ws.sent).toHaveLength(0);
  });

  it("fails pending requests when the socket closes", async () => {
    const ws = new FakeSocket();
    ws.open();
    const t = new WebSocketTransport(ws);
    const onClose = vi.fn();
    t.onClose = onClose;
    const p = t.request("experiments/list", {});
    ws.emit("close");
    await expect(p).rejects.toMatchObject({ code: CONNECTION_LOST });
    expect(onClose).toHaveBeenCalledOnce();
    await expect(t.request("experiments/list", {})).rejects.toMatchObject({ code: CONNECTION_LOST });
  });

  it("ignores non-JSON frames and notifications", async () => {
    const ws = new FakeSocket();
    ws.open();
    const t = new WebSocketTransport(ws);
    const p = t.request("experiments/list", {});
    ws.emit("message", { data: "not json" });
    ws.reply({ method: "log", params: {} });
    ws.reply({ id: 1, result: { experiments: [{ experimentId: "1" }] } });
    await expect(p).resolves.toMatchObject({ experiments: [{ experimentId: "1" }] });
  });
});

describe("PostMessageTransport", () => {
  function setup() {
    const posted: any[] = [];
    const target = new EventTarget();
    const t = new PostMessageTransport({ postMessage: (m) => posted.push(m) }, target);
    const deliver = (data: unknown) => target.dispatchEvent(new MessageEvent("message", { data }));
    return { t, posted, deliver };
  }

  it("sends {type:rpc} and resolves on the matching {type:rpc-result}", async () => {
    const { t, posted, deliver } = setup();
    const a = t.request("experiments/list", { query: "x" });
    const b = t.request("traces/get", { traceId: "tr-2" });
    expect(posted).toEqual([
      { type: "rpc", id: 1, method: "experiments/list", params: { query: "x" } },
      { type: "rpc", id: 2, method: "traces/get", params: { traceId: "tr-2" } },
    ]);
    deliver({ type: "something-else", id: 2 });
    deliver({ type: "rpc-result", id: 2, result: { spans: [] } });
    deliver({ type: "rpc-result", id: 1, result: { experiments: [] } });
    await expect(a).resolves.toEqual({ experiments: [] });
    await expect(b).resolves.toEqual({ spans: [] });
  });

  it("tags its messages with its load of the page and takes only that load's answers", async () => {
    const posted: any[] = [];
    const target = new EventTarget();
    const t = new PostMessageTransport({ postMessage: (m) => posted.push(m) }, target, 3);
    const deliver = (data: unknown) => target.dispatchEvent(new MessageEvent("message", { data }));
    const info = t.request("experiments/list", { query: "x" });
    const ac = new AbortController();
    const slow = t.request("traces/get", { traceId: "tr-1" }, ac.signal).catch((e) => e);
    ac.abort();
    expect(posted).toEqual([
      { type: "rpc", id: 1, method: "experiments/list", params: { query: "x" }, gen: 3 },
      { type: "rpc", id: 2, method: "traces/get", params: { traceId: "tr-1" }, gen: 3 },
      { type: "rpc-cancel", id: 2, gen: 3 },
    ]);
    expect(await slow).toMatchObject({ code: -32800 });
    deliver({ type: "rpc-result", id: 1, result: { from: "the previous load" }, gen: 2 }); // same id, another load: not ours
    deliver({ type: "rpc-result", id: 1, result: { from: "this load" }, gen: 3 });
    await expect(info).resolves.toEqual({ from: "this load" });
    const untagged = t.request("experiments/list", { query: null });
    deliver({ type: "rpc-result", id: 3, result: { experiments: [] } }); // a relay that does not tag (Visual Studio's)
    await expect(untagged).resolves.toEqual({ experiments: [] });
  });

  it("maps errors and cancels with {type:rpc-cancel}", async () => {
    const { t, posted, deliver } = setup();
    const p = t.request("traces/get", { traceId: "tr-x" });
    deliver({ type: "rpc-result", id: 1, error: { code: -32004, message: "Trace not found", data: { kind: "notFound" } } });
    await expect(p).rejects.toMatchObject({ code: -32004, message: "Trace not found", data: { kind: "notFound" } });

    const ac = new AbortController();
    const q = t.request("spans/get", { traceId: "tr-x", spanIds: ["a"] }, ac.signal);
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: RpcErrorCodes.cancelled });
    expect(posted.at(-1)).toEqual({ type: "rpc-cancel", id: 2 });
  });
});

describe("startTransport", () => {
  it("prefers postMessage when acquireVsCodeApi exists", () => {
    const postMessage = vi.fn();
    (globalThis as any).acquireVsCodeApi = () => ({ postMessage });
    try {
      const started = startTransport(window as any);
      expect(started.mode).toBe("ide");
      started.transport.request("experiments/list", {}).catch(() => {});
      expect(postMessage).toHaveBeenCalledWith({ type: "rpc", id: 1, method: "experiments/list", params: {} });
      started.transport.dispose();
    } finally {
      delete (globalThis as any).acquireVsCodeApi;
    }
  });

  it("in a browser reads the token, strips it from the address bar and opens ws://host/rpc?token=", () => {
    const replaceState = vi.fn();
    const opened: string[] = [];
    const FakeWs = class {
      readyState = 0;
      constructor(url: string) {
        opened.push(url);
      }
      addEventListener() {}
      send() {}
      close() {}
    };
    const kept = new Map<string, string>();
    const sessionStorage = { getItem: (k: string) => kept.get(k) ?? null, setItem: (k: string, v: string) => void kept.set(k, v) };
    const fakeWindow = {
      location: { search: "?token=s3cr%2Bt&pageSize=20", host: "127.0.0.1:5123", pathname: "/", hash: "" },
      history: { replaceState, state: null },
      sessionStorage,
    };
    const saved = globalThis.WebSocket;
    (globalThis as any).WebSocket = FakeWs;
    try {
      const started = startTransport(fakeWindow as any);
      expect(started.mode).toBe("browser");
      expect(opened).toEqual(["ws://127.0.0.1:5123/rpc?token=s3cr%2Bt"]);
      expect(replaceState).toHaveBeenCalledWith(null, "", "/?pageSize=20");
      // F5: the address bar has no token any more; the tab's sessionStorage still has it.
      fakeWindow.location.search = "?pageSize=20";
      startTransport(fakeWindow as any);
      expect(opened[1]).toBe("ws://127.0.0.1:5123/rpc?token=s3cr%2Bt");
    } finally {
      (globalThis as any).WebSocket = saved;
    }
  });
});

describe("browser mode's address bar", () => {
  it("holds the page's state: set, replaced, removed, other parameters kept; only valid values are read", () => {
    const none = { tab: null, experiment: null, q: null, sort: null, trace: null, span: null, overview: null, range: null, unit: null, compare: null };
    const base = "http://127.0.0.1:5123/?pageSize=20";
    const withA = withState(base, { ...none, trace: "tr-abc", span: "s1", experiment: "2", q: "trace.status = 'ERROR'", sort: "name ASC", tab: "sessions" });
    expect(new URL(withA).searchParams.get("pageSize")).toBe("20");
    expect(stateFromSearch(new URL(withA).search)).toEqual({
      ...none,
      tab: "sessions",
      experiment: "2",
      q: "trace.status = 'ERROR'",
      sort: "name ASC",
      trace: "tr-abc",
      span: "s1",
    });
    const overview = { ...none, tab: "overview", overview: "toolCalls", range: "LAST_30_DAYS", unit: "hour" };
    expect(stateFromSearch(new URL(withState(base, overview)).search)).toEqual(overview);
    expect(stateFromSearch("?overview=x&range=CUSTOM&unit=week")).toEqual(none);
    expect(withState(withA, none)).toBe(base);
    expect(stateFromSearch("?trace=<script>&span=a b&tab=evil&experiment=1;DROP").trace).toBeNull();
    expect(stateFromSearch("?trace=<script>&span=a b&tab=evil&experiment=1;DROP")).toEqual(none);
    expect(stateFromSearch("?pageSize=1")).toEqual(none);
    // Two traces compared: two distinct IDs, else nothing.
    const compared = withState(base, { ...none, compare: "tr-a,tr-b" });
    expect(new URL(compared).searchParams.get("compare")).toBe("tr-a,tr-b");
    expect(stateFromSearch(new URL(compared).search)).toEqual({ ...none, compare: "tr-a,tr-b" });
    for (const bad of ["tr-a", "tr-a,tr-a", "tr-a,tr-b,tr-c", "tr-a,<script>", ","])
      expect(stateFromSearch(`?compare=${encodeURIComponent(bad)}`).compare).toBeNull();
  });

  it("a WebSocket that fails before it opened asks why: a refused token is said so, not 'is it running?'", async () => {
    let onError: (() => void) | undefined;
    const ws = { readyState: 0, send() {}, close() {}, addEventListener: (type: string, l: () => void) => (type === "error" ? (onError = l) : undefined) };
    const t = new WebSocketTransport(ws as any);
    t.explainFailure = async () => "This page's token was refused";
    const said = new Promise<string>((resolve) => (t.onClose = resolve));
    onError!();
    expect(await said).toBe("This page's token was refused");
    const t2 = new WebSocketTransport({ ...ws, addEventListener: (type: string, l: () => void) => (type === "error" ? (onError = l) : undefined) } as any);
    t2.explainFailure = async () => null; // the host answered nothing: it is gone
    const said2 = new Promise<string>((resolve) => (t2.onClose = resolve));
    onError!();
    expect(await said2).toMatch(/still running/);
  });
});
