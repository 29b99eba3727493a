import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import {
  CancellationToken,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from "vscode-jsonrpc/node";
import { RpcErrorCodes, RpcMethods, UI_CALLABLE_METHODS, type InitializeResult } from "../../webview/src/protocol.generated";
import { METHOD_NOT_FOUND, Relay, defaultIdeHandlers, redact, toRpcError, type RelayHost } from "../src/relay";
import * as fake from "./fake-vscode";

const INFO: InitializeResult = {
  serverName: "traceide",
  serverVersion: "0.1.0",
  protocolVersion: "1.0",
  backendKind: "localStore",
  backendLocation: "/x/mlflow.db",
  mlflowVersion: null,
  capabilities: { searchV3: true, spanFilters: true, assessments: true, traceMetrics: true, deleteTraces: false, editTags: false },
};

/** A webview stand-in: collects posted messages, lets the test send messages in. */
function fakeWebview() {
  const posted: any[] = [];
  let listener: ((m: unknown) => unknown) | undefined;
  return {
    posted,
    postMessage: async (m: unknown) => {
      posted.push(m);
      return true;
    },
    onDidReceiveMessage: (l: (m: unknown) => unknown) => {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
    send: (m: unknown) => listener?.(m),
  };
}

function fakeHost(impl?: (method: string, params: unknown, token: CancellationToken) => Promise<unknown>) {
  const seen: Array<{ method: string; params: unknown }> = [];
  const host: RelayHost = {
    request: async (method, params, token) => {
      seen.push({ method, params });
      return impl ? impl(method, params, token) : { echoed: method };
    },
    sessionInfo: async () => INFO,
  };
  return { host, seen };
}

describe("relay allow-list", () => {
  it("forwards every UI-callable method (from the generated contract) to the host", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(wv, host);
    let id = 1;
    for (const method of UI_CALLABLE_METHODS) {
      if (method === "session/info") continue;
      await relay.handle({ type: "rpc", id: id++, method, params: { a: 1 } });
    }
    expect(seen.map((s) => s.method)).toEqual(UI_CALLABLE_METHODS.filter((m) => m !== "session/info"));
    expect(wv.posted.every((m) => m.type === "rpc-result" && m.result?.echoed && !m.error)).toBe(true);
    expect(seen[0]!.params).toEqual({ a: 1 });
  });

  it("refuses host methods the UI may not call (initialize, shutdown, exit, unknown) without touching the host", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(wv, host);
    const refused = [RpcMethods.initialize, RpcMethods.shutdown, RpcMethods.exit, "traces/nuke", "$/cancelRequest", "constructor", "__proto__"];
    for (const [i, method] of refused.entries()) await relay.handle({ type: "rpc", id: i, method, params: {} });
    expect(seen).toEqual([]);
    expect(wv.posted).toHaveLength(refused.length);
    for (const m of wv.posted) expect(m.error.code).toBe(METHOD_NOT_FOUND);
  });

  it("answers session/info itself with the host's InitializeResult", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(wv, host);
    await relay.handle({ type: "rpc", id: 7, method: "session/info", params: null });
    expect(seen).toEqual([]);
    expect(wv.posted).toEqual([{ type: "rpc-result", id: 7, result: INFO }]);
  });

  it("ignores messages that are not rpc requests", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(wv, host);
    for (const m of [null, 42, "rpc", { type: "other" }, { type: "rpc", method: "traces/get" }, { type: "rpc", id: 1 }]) await relay.handle(m);
    expect(seen).toEqual([]);
    expect(wv.posted).toEqual([]);
  });

  it("lets per-view hooks rewrite params and results", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost(async () => ({ experiments: [{ experimentId: "1" }, { experimentId: "2" }] }));
    const forwarded: string[] = [];
    const relay = new Relay(wv, host, {}, {
      params: (m, p) => (m === "traces/search" ? { ...(p as object), pageSize: 5 } : p),
      result: (_m, _p, r: any) => ({ experiments: r.experiments.filter((x: any) => x.experimentId === "2") }),
      forwarded: (m) => forwarded.push(m),
    });
    await relay.handle({ type: "rpc", id: 1, method: "traces/search", params: { experimentIds: ["1"], pageSize: 100 } });
    expect(seen[0]!.params).toEqual({ experimentIds: ["1"], pageSize: 5 });
    expect(wv.posted[0].result).toEqual({ experiments: [{ experimentId: "2" }] });
    expect(forwarded).toEqual(["traces/search"]);
  });
});

describe("relay intercept", () => {
  it("answers an intercepted method without forwarding it (a trace panel's one-trace list)", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(wv, host, {}, {
      intercept: (m) => (m === "traces/search" ? Promise.resolve({ traces: [{ traceId: "tr-1" }], nextPageToken: null }) : undefined),
    });
    await relay.handle({ type: "rpc", id: 1, method: "traces/search", params: { experimentIds: ["1"] } });
    await relay.handle({ type: "rpc", id: 2, method: "traces/get", params: { traceId: "tr-1" } });
    expect(wv.posted[0]).toEqual({ type: "rpc-result", id: 1, result: { traces: [{ traceId: "tr-1" }], nextPageToken: null } });
    expect(seen.map((x) => x.method)).toEqual(["traces/get"]);
  });

  it("never intercepts methods outside the allow-list", async () => {
    const wv = fakeWebview();
    const relay = new Relay(wv, fakeHost().host, {}, { intercept: () => Promise.resolve("sneaky") });
    await relay.handle({ type: "rpc", id: 1, method: "initialize", params: {} });
    expect(wv.posted[0].error.code).toBe(METHOD_NOT_FOUND);
  });
});

describe("relay error mapping", () => {
  it("maps a host ResponseError to {code, message, data}", async () => {
    const wv = fakeWebview();
    const { host } = fakeHost(async () => {
      throw new ResponseError(RpcErrorCodes.invalidFilter, "Invalid filter 'x'", { kind: "invalidFilter", retryable: false });
    });
    await new Relay(wv, host).handle({ type: "rpc", id: 3, method: "traces/search", params: {} });
    expect(wv.posted).toEqual([{ type: "rpc-result", id: 3, error: { code: -32005, message: "Invalid filter 'x'", data: { kind: "invalidFilter", retryable: false } } }]);
  });

  it("maps plain errors and strings to -32603 and strips credentials from messages and data", () => {
    expect(toRpcError(new Error("boom"))).toEqual({ code: -32603, message: "boom" });
    expect(toRpcError("bad")).toEqual({ code: -32603, message: "bad" });
    const e = toRpcError(new ResponseError(-32001, "cannot reach http://alice:s3cret@mlflow:5000/api", { url: "https://bob:tok@x/y" }));
    expect(e.message).toBe("cannot reach http://***@mlflow:5000/api");
    expect(JSON.stringify(e)).not.toMatch(/s3cret|tok@/);
    expect(redact("no url here")).toBe("no url here");
  });

  it("answers with the connection-lost code while the host is down", async () => {
    const wv = fakeWebview();
    const { host } = fakeHost(async () => {
      throw new ResponseError(-32099, "The TraceIde host exited (SIGKILL).", { retryable: true });
    });
    await new Relay(wv, host).handle({ type: "rpc", id: 4, method: "experiments/list", params: {} });
    expect(wv.posted[0].error.code).toBe(-32099);
  });
});

describe("relay cancellation", () => {
  it("forwards rpc-cancel to the host as $/cancelRequest and answers cancelled", async () => {
    // A real vscode-jsonrpc connection pair over in-memory streams: client = relay side, server = host stand-in.
    const up = new PassThrough();
    const down = new PassThrough();
    const client = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    const server = createMessageConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
    let serverSawCancel = false;
    server.onRequest("traces/search", (_params, token) => new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve({ traces: [] }), 10_000);
      token.onCancellationRequested(() => {
        serverSawCancel = true;
        clearTimeout(t);
        reject(new ResponseError(RpcErrorCodes.cancelled, "cancelled by the client"));
      });
    }));
    server.listen();
    client.listen();
    const wv = fakeWebview();
    const host: RelayHost = { request: (m, p, token) => client.sendRequest(m, p, token), sessionInfo: async () => INFO };
    const relay = new Relay(wv, host);
    const done = relay.handle({ type: "rpc", id: 11, method: "traces/search", params: { experimentIds: ["1"] } });
    await new Promise((r) => setTimeout(r, 50));
    wv.send({ type: "rpc-cancel", id: 11 });
    await done;
    expect(serverSawCancel).toBe(true);
    expect(wv.posted).toHaveLength(1);
    expect(wv.posted[0].error.code).toBe(RpcErrorCodes.cancelled);
    client.dispose();
    server.dispose();
  });
});

describe("IDE-only requests", () => {
  beforeEach(() => {
    fake.resetCalls();
    fake.files.clear();
    fake.setWorkspace("/ws");
  });

  it("ide/openFile opens a workspace-relative file at the (1-based) line without calling the host", async () => {
    fake.files.set("/ws/app/gen.py", "a\nb\nc\ndef f():\n  pass\n");
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    await new Relay(wv, host, defaultIdeHandlers()).handle({ type: "rpc", id: 1, method: "ide/openFile", params: { path: "app/gen.py", line: 4 } });
    expect(seen).toEqual([]);
    expect(fake.calls).toContainEqual({ api: "showTextDocument", args: ["/ws/app/gen.py", 3] });
    expect(wv.posted[0].result).toMatchObject({ opened: true, line: 4 });
  });

  it("ide/openFile with bad params or a missing file answers an error", async () => {
    const wv = fakeWebview();
    const relay = new Relay(wv, fakeHost().host, defaultIdeHandlers());
    await relay.handle({ type: "rpc", id: 1, method: "ide/openFile", params: { line: 4 } });
    await relay.handle({ type: "rpc", id: 2, method: "ide/openFile", params: { path: "/nope.py", line: 1 } });
    expect(wv.posted[0].error.code).toBe(-32602);
    expect(wv.posted[1].error.code).toBe(RpcErrorCodes.notFound);
  });

  it("fire-and-forget {type:'ide'} messages reach only ide/* handlers, never the host, and report failures", async () => {
    fake.files.set("/ws/a.py", "x\ny\n");
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const errors: Array<{ method: string; code: number }> = [];
    const relay = new Relay(wv, host, defaultIdeHandlers(), { ideError: (method, e) => errors.push({ method, code: e.code }) });
    await relay.handle({ type: "ide", method: "ide/openFile", params: { path: "a.py", line: 2 } });
    await relay.handle({ type: "ide", method: "traces/delete", params: { experimentId: "1", traceIds: ["tr-1"] } });
    await relay.handle({ type: "ide", method: "ide/openFile", params: { line: 2 } });
    expect(fake.calls).toContainEqual({ api: "showTextDocument", args: ["/ws/a.py", 1] });
    expect(seen).toEqual([]);
    expect(wv.posted).toEqual([]);
    expect(errors).toEqual([{ method: "ide/openFile", code: -32602 }]);
  });

  it("ide/copy writes the clipboard", async () => {
    const wv = fakeWebview();
    await new Relay(wv, fakeHost().host, defaultIdeHandlers()).handle({ type: "rpc", id: 1, method: "ide/copy", params: { text: "tr-123" } });
    expect(fake.clipboardText).toBe("tr-123");
    expect(wv.posted[0].result).toEqual({ copied: true });
  });
});
