import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { type CancellationToken, ResponseError, StreamMessageReader, StreamMessageWriter, createMessageConnection } from "vscode-jsonrpc/node";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IDE_METHODS, RpcErrorCodes, RpcMethods, UI_CALLABLE_METHODS, type InitializeResult, type SourceLocation } from "../../webview/src/protocol.generated";
import { ideHandlers, isPlainFileName, uniqueUntitledName, type IdeSurface } from "../src/ideHandlers";
import { METHOD_NOT_FOUND, Relay, redact, toRpcError, type RelayHost } from "../src/relay";
import { RELEASED_VALUE, ValueDocuments, vscodeIdeSurface } from "../src/vscodeIde";
import * as fake from "./fake-vscode";

const INFO: InitializeResult = {
  serverName: "traceide",
  serverVersion: "0.1.0",
  protocolVersion: "1.0",
  backendKind: "localStore",
  backendLocation: "/x/mlflow.db",
  mlflowVersion: null,
  capabilities: { searchV3: true, spanFilters: true, assessments: true, traceMetrics: true, deleteTraces: false, editTags: false, editAssessments: false },
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
    const relay = new Relay(
      wv,
      host,
      {},
      {
        params: (m, p) => (m === "traces/search" ? { ...(p as object), pageSize: 5 } : p),
        result: (_m, _p, r: any) => ({ experiments: r.experiments.filter((x: any) => x.experimentId === "2") }),
        forwarded: (m) => forwarded.push(m),
      },
    );
    await relay.handle({ type: "rpc", id: 1, method: "traces/search", params: { experimentIds: ["1"], pageSize: 100 } });
    expect(seen[0]!.params).toEqual({ experimentIds: ["1"], pageSize: 5 });
    expect(wv.posted[0].result).toEqual({ experiments: [{ experimentId: "2" }] });
    expect(forwarded).toEqual(["traces/search"]);
  });
});

describe("relay: what the IDE tells the page", () => {
  it("holds notifications until the page has spoken, then posts them without an id; again after a reload", async () => {
    const wv = fakeWebview();
    const relay = new Relay(wv, fakeHost().host);
    relay.notify("ui/toggleLive");
    expect(wv.posted).toEqual([]); // the page may not be listening yet
    expect(relay.pageHasSpoken).toBe(false); // a silent page is what a blank restored tab looks like
    await relay.handle({ type: "rpc", id: 1, method: "session/info", params: null });
    expect(relay.pageHasSpoken).toBe(true);
    expect(wv.posted[0]).toEqual({ type: "rpc", method: "ui/toggleLive", params: null });
    relay.notify("ui/toggleLive");
    expect(wv.posted.filter((m) => m.method === "ui/toggleLive")).toHaveLength(2); // the page is up: at once
    relay.pageReloading();
    expect(relay.pageHasSpoken).toBe(false);
    relay.notify("ui/toggleLive");
    expect(wv.posted.filter((m) => m.method === "ui/toggleLive")).toHaveLength(2);
    await relay.handle({ type: "rpc", id: 2, method: "session/info", params: null });
    expect(wv.posted.filter((m) => m.method === "ui/toggleLive")).toHaveLength(3);
  });

  it("counts only the current load's word as the page being up: a late message of the load it replaced is not", async () => {
    const wv = fakeWebview();
    const spoke: number[] = [];
    const relay = new Relay(wv, fakeHost().host, {}, {}, () => spoke.push(Date.now()));
    relay.pageReloading(); // load 1
    relay.pageReloading(); // load 2 replaces it (a silent page loaded again)
    relay.notify("ui/toggleLive");
    await relay.handle({ type: "rpc", id: 1, method: "session/info", params: null, gen: 1 });
    expect(relay.pageHasSpoken).toBe(false); // load 2 may be the blank one: it must still be watched
    expect(spoke).toHaveLength(0);
    expect(wv.posted.filter((m) => m.method === "ui/toggleLive")).toEqual([]); // held for load 2
    expect(wv.posted).toContainEqual(expect.objectContaining({ type: "rpc-result", id: 1, gen: 1 })); // load 1 is still answered
    await relay.handle({ type: "rpc", id: 1, method: "session/info", params: null, gen: 2 });
    expect(relay.pageHasSpoken).toBe(true);
    expect(spoke).toHaveLength(1);
    expect(wv.posted.filter((m) => m.method === "ui/toggleLive")).toHaveLength(1);
  });
});

describe("relay intercept", () => {
  it("answers an intercepted method without forwarding it (a trace panel's one-trace list)", async () => {
    const wv = fakeWebview();
    const { host, seen } = fakeHost();
    const relay = new Relay(
      wv,
      host,
      {},
      {
        intercept: (m) => (m === "traces/search" ? Promise.resolve({ traces: [{ traceId: "tr-1" }], nextPageToken: null }) : undefined),
      },
    );
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
    expect(wv.posted).toEqual([
      { type: "rpc-result", id: 3, error: { code: -32005, message: "Invalid filter 'x'", data: { kind: "invalidFilter", retryable: false } } },
    ]);
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

describe("relay across a page reload", () => {
  it("answers only the page that asked: the old page's cancelled requests do not settle the new page's same ids", async () => {
    const wv = fakeWebview();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const host: RelayHost = {
      request: async (method, _params, token) => {
        if (method === "traces/get") {
          await Promise.race([slow, new Promise<void>((r) => token.onCancellationRequested(() => r()))]);
          if (token.isCancellationRequested) throw new Error("cancelled");
        }
        return { answered: method };
      },
      sessionInfo: async () => INFO,
    };
    const relay = new Relay(wv, host);
    // The old page asked for a trace (id 1); the host restarts and the panel reloads, cancelling it.
    const old = relay.handle({ type: "rpc", id: 1, method: "traces/get", params: { traceId: "tr-1" } });
    relay.cancelAll();
    relay.pageReloading();
    // The new page numbers from 1 again.
    await relay.handle({ type: "rpc", id: 1, method: "session/info", params: null });
    await old;
    release();
    expect(wv.posted).toEqual([{ type: "rpc-result", id: 1, result: INFO }]); // no stale "cancelled" for id 1
    // A cancel from the new page reaches the new page's request, not a finished old one.
    const next = relay.handle({ type: "rpc", id: 2, method: "traces/get", params: { traceId: "tr-2" } });
    wv.send({ type: "rpc-cancel", id: 2 });
    await next;
    expect(wv.posted.at(-1)).toMatchObject({ type: "rpc-result", id: 2, error: { code: RpcErrorCodes.cancelled } });
  });
});

describe("relay across a reload that does not come", () => {
  it("answers a page that says its load, even after a reload that did not replace it, and keeps loads apart", async () => {
    const wv = fakeWebview();
    const host: RelayHost = { request: async (method) => ({ answered: method }), sessionInfo: async () => INFO };
    const relay = new Relay(wv, host);
    // The panel was reloaded (load 2), but the page on screen is still load 1: its questions are answered, tagged.
    relay.pageReloading();
    await relay.handle({ type: "rpc", id: 1, method: "session/info", params: null, gen: 1 });
    expect(wv.posted).toEqual([{ type: "rpc-result", id: 1, result: INFO, gen: 1 }]);
    // Load 2 arrives and numbers from 1 again: its answer is its own.
    await relay.handle({ type: "rpc", id: 1, method: "experiments/list", params: {}, gen: 2 });
    expect(wv.posted.at(-1)).toEqual({ type: "rpc-result", id: 1, result: { answered: "experiments/list" }, gen: 2 });
  });

  it("cancels only the request of the load that asked", async () => {
    const wv = fakeWebview();
    const asked: string[] = [];
    const host: RelayHost = {
      request: (_method, params, token) =>
        new Promise((resolve) => {
          asked.push((params as { traceId: string }).traceId);
          token.onCancellationRequested(() => resolve({ cancelled: (params as { traceId: string }).traceId }));
          setTimeout(() => resolve({ done: (params as { traceId: string }).traceId }), 50);
        }),
      sessionInfo: async () => INFO,
    };
    const relay = new Relay(wv, host);
    const old = relay.handle({ type: "rpc", id: 1, method: "traces/get", params: { traceId: "tr-old" }, gen: 1 });
    const current = relay.handle({ type: "rpc", id: 1, method: "traces/get", params: { traceId: "tr-new" }, gen: 2 });
    wv.send({ type: "rpc-cancel", id: 1, gen: 2 });
    await Promise.all([old, current]);
    expect(asked).toEqual(["tr-old", "tr-new"]);
    expect(wv.posted).toContainEqual({ type: "rpc-result", id: 1, result: { cancelled: "tr-new" }, gen: 2 }); // the cancel reached load 2's
    expect(wv.posted).toContainEqual({ type: "rpc-result", id: 1, result: { done: "tr-old" }, gen: 1 });
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
    let received!: () => void;
    const serverHasIt = new Promise<void>((r) => (received = r));
    server.onRequest(
      "traces/search",
      (_params, token) =>
        new Promise((resolve, reject) => {
          received();
          const t = setTimeout(() => resolve({ traces: [] }), 10_000);
          token.onCancellationRequested(() => {
            serverSawCancel = true;
            clearTimeout(t);
            reject(new ResponseError(RpcErrorCodes.cancelled, "cancelled by the client"));
          });
        }),
    );
    server.listen();
    client.listen();
    const wv = fakeWebview();
    const host: RelayHost = { request: (m, p, token) => client.sendRequest(m, p, token), sessionInfo: async () => INFO };
    const relay = new Relay(wv, host);
    const done = relay.handle({ type: "rpc", id: 11, method: "traces/search", params: { experimentIds: ["1"] } });
    await serverHasIt; // the request is at the host: the cancel has something to cancel
    wv.send({ type: "rpc-cancel", id: 11 });
    await done;
    expect(serverSawCancel).toBe(true);
    expect(wv.posted).toHaveLength(1);
    expect(wv.posted[0].error.code).toBe(RpcErrorCodes.cancelled);
    client.dispose();
    server.dispose();
  });
});

// ---- the IDE methods: one set of cases for every relay (tests/fixtures/relay; Visual Studio's RelayTests runs them too)

interface RelayCase {
  name: string;
  send: { type: string; id: number | string; method: string; params?: unknown };
  host?: Record<string, unknown>;
  existingFiles?: string[];
  definitions?: SourceLocation[];
  choose?: number | null;
  expectHost: Array<{ method: string; params: unknown }>;
  expectIde: unknown[];
  reply: { type: string; id: number | string; result?: unknown; error?: { code: number } };
  errorIncludes?: string;
}

const CASES: RelayCase[] = JSON.parse(readFileSync(join(__dirname, "..", "..", "tests", "fixtures", "relay", "ide-methods.json"), "utf8")).cases;

/** An IDE that records what it is asked to do and answers as the case says. */
function recordingIde(c: RelayCase): { surface: IdeSurface; did: unknown[] } {
  const did: unknown[] = [];
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const surface: IdeSurface = {
    fileExists: async (path) => (c.existingFiles ?? []).includes(path),
    openFile: async (path, line, column) => {
      did.push({ openFile: defined({ path, line, column }) });
      return { path, line: line ?? 1 };
    },
    choose: async (locations) => {
      did.push({ choose: locations.map((l) => `${l.path}:${l.line}`) });
      return typeof c.choose === "number" ? locations[c.choose] : undefined;
    },
    findDefinitions: async (name) => {
      did.push({ findDefinitions: name });
      return c.definitions ?? [];
    },
    copy: async (text) => void did.push({ copy: text }),
    openTrace: async (traceId, spanId) => void did.push({ openTrace: defined({ traceId, spanId }) }),
    openOverview: async (experimentIds) => void did.push({ openOverview: defined({ experimentIds }) }),
    revealPanel: async () => void did.push({ revealPanel: {} }),
    openText: async (text, fileName, language) => void did.push({ openText: { text, fileName, language } }),
  };
  return { surface, did };
}

describe("IDE methods (the shared relay cases)", () => {
  it("has a case for every IDE method of the contract, and a handler for each", () => {
    const sent = new Set(CASES.map((c) => c.send.method));
    for (const m of IDE_METHODS) expect(sent, m).toContain(m);
    expect(Object.keys(ideHandlers(recordingIde(CASES[0]!).surface, { request: async <R>() => ({}) as R })).sort()).toEqual([...IDE_METHODS].sort());
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const { surface, did } = recordingIde(c);
      const hostCalls: Array<{ method: string; params: unknown }> = [];
      const ideHost = {
        request: async <R>(method: string, params: unknown): Promise<R> => {
          hostCalls.push({ method, params });
          if (!c.host || !(method in c.host)) throw new Error(`the case has no host answer for ${method}`);
          return c.host[method] as R;
        },
      };
      const wv = fakeWebview();
      const { host, seen } = fakeHost();
      await new Relay(wv, host, ideHandlers(surface, ideHost)).handle(c.send);
      expect(seen, "nothing the UI sent reached the host through the allow-list").toEqual([]);
      expect(hostCalls).toEqual(c.expectHost);
      expect(did).toEqual(c.expectIde);
      expect(wv.posted).toHaveLength(1);
      const reply = wv.posted[0];
      if (c.reply.error) {
        expect({ type: reply.type, id: reply.id, code: reply.error?.code }).toEqual({ type: c.reply.type, id: c.reply.id, code: c.reply.error.code });
        if (c.errorIncludes) expect(reply.error.message).toContain(c.errorIncludes);
      } else {
        expect(reply).toEqual(c.reply);
      }
    });
  }
});

describe("VS Code's side of the IDE methods (vscodeIde.ts)", () => {
  beforeEach(() => {
    fake.resetCalls();
    fake.files.clear();
    fake.setWorkspace("/ws");
  });

  it("opens a workspace-relative file at the (1-based) line", async () => {
    fake.files.set("/ws/app/gen.py", "a\nb\nc\ndef f():\n  pass\n");
    const surface = vscodeIdeSurface({ openTrace: () => undefined, openOverview: () => undefined, revealPanel: async () => undefined });
    expect(await surface.fileExists("app/gen.py")).toBe(true);
    expect(await surface.fileExists("app/none.py")).toBe(false);
    expect(await surface.openFile("app/gen.py", 4)).toEqual({ path: "/ws/app/gen.py", line: 4 });
    expect(fake.calls).toContainEqual({ api: "showTextDocument", args: ["/ws/app/gen.py", 3] });
  });

  it("code opens in the first group, or beside a trace tab that is in it (the trace stays in view)", async () => {
    fake.files.set("/ws/a.py", "x\ny\n");
    const surface = vscodeIdeSurface({ openTrace: () => undefined, openOverview: () => undefined, revealPanel: async () => undefined });
    const group = fake.window.tabGroups.activeTabGroup;
    try {
      group.viewColumn = fake.ViewColumn.Two;
      group.activeTab = { input: new fake.TabInputWebview("traceide.trace") };
      await surface.openFile("/ws/a.py", 2);
      expect(fake.lastViewColumn).toBe(fake.ViewColumn.One); // the trace is in the second group: code in the first
      group.viewColumn = fake.ViewColumn.One;
      await surface.openFile("/ws/a.py", 2);
      expect(fake.lastViewColumn).toBe(fake.ViewColumn.Beside); // the trace is in the first group: code beside it
      group.activeTab = undefined; // a jump from an editor (a CodeLens, a command)
      await surface.openFile("/ws/a.py", 2);
      expect(fake.lastViewColumn).toBe(fake.ViewColumn.One);
    } finally {
      group.viewColumn = fake.ViewColumn.One;
      group.activeTab = undefined;
    }
  });

  it("a file it cannot open is a not-found error; copy writes the clipboard", async () => {
    const surface = vscodeIdeSurface({ openTrace: () => undefined, openOverview: () => undefined, revealPanel: async () => undefined });
    await expect(surface.openFile("/nope.py", 1)).rejects.toMatchObject({ code: RpcErrorCodes.notFound });
    await surface.copy("tr-123");
    expect(fake.clipboardText).toBe("tr-123");
  });
});

describe("ide/openText's read-only documents", () => {
  it("keep each text while its document is open, under a name of its own, and let it go when VS Code closes it", () => {
    const docs = new ValueDocuments();
    const a = docs.add('{"a": 1}', "get_weather-outputs.json");
    const b = docs.add('{"b": 2}', "get_weather-outputs.json");
    expect([a.path, b.path]).toEqual(["/1/get_weather-outputs.json", "/2/get_weather-outputs-2.json"]);
    expect([docs.provideTextDocumentContent(a), docs.provideTextDocumentContent(b)]).toEqual(['{"a": 1}', '{"b": 2}']);
    docs.release(a);
    expect(docs.size).toBe(1);
    expect(docs.provideTextDocumentContent(a)).toBe(RELEASED_VALUE); // Reopen Closed Editor says where to find it
    expect(docs.add("{}", "get_weather-outputs.json").path).toBe("/3/get_weather-outputs.json"); // the name is free again
  });
});

describe("ide/openText's editor name", () => {
  it("is the page's file name, or the first free -N of it when that name is already open", () => {
    expect(uniqueUntitledName("a-outputs.json", new Set())).toBe("a-outputs.json");
    expect(uniqueUntitledName("a-outputs.json", new Set(["a-outputs.json", "a-outputs-2.json"]))).toBe("a-outputs-3.json");
    expect(uniqueUntitledName("notes", new Set(["notes"]))).toBe("notes-2");
  });

  it("refuses names that reach outside a plain file", () => {
    for (const bad of ["", ".", "..", "a/b.json", "..\\x.txt", "C:x", "a\0b", "x".repeat(201), 42, null]) expect(isPlainFileName(bad), String(bad)).toBe(false);
    expect(isPlainFileName("get_weather-outputs.json")).toBe(true);
  });
});
