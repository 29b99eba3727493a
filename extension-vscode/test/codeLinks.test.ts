// Code ↔ spans in VS Code: the pure parts, and the CodeLens/hover/jump against the REAL host
// (Release build) with the fixture store and the fixture's app (gen_traces.py) as the workspace.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FileChangeBatcher,
  SpanLensProvider,
  lensTargets,
  lensText,
  lensTooltip,
  locateSpan,
  spanTraces,
  widerWindow,
  type HostRequester,
} from "../src/codeLinks";
import { clearWinner } from "../src/ideHandlers";
import { pickItems } from "../src/vscodeIde";
import { HostProcess } from "../src/hostProcess";
import type { SourceLocation, SourceSpanStatsResult, SpanNameStats, TracesGetResult } from "../../webview/src/protocol.generated";
import * as fake from "./fake-vscode";
import { DLL, FIXTURES } from "./realHost";

const APP = readFileSync(join(FIXTURES, "app", "gen_traces.py"), "utf8");
const APP_LINES = APP.split("\n");
const truth = JSON.parse(readFileSync(join(FIXTURES, "ground_truth_small.json"), "utf8"));
const cases = JSON.parse(readFileSync(join(FIXTURES, "store", "cases.json"), "utf8")).cases as Record<string, string>;

const loc = (path: string, line: number, confidence: number): SourceLocation => ({ path, line, confidence, reason: `r${line}`, kind: "definition" });

describe("code links: pure parts", () => {
  it("finds a lens target for every def of the fixture app, with the span name @mlflow.trace(name=…) gives", () => {
    const targets = lensTargets("python", APP);
    const defs = APP_LINES.flatMap((l, i) => (/^\s*(async\s+)?def\s+\w+\s*\(/.test(l) ? [i] : []));
    expect(targets.map((t) => t.line)).toEqual(defs);
    const traced = targets.filter((t) => t.traced);
    const named = APP_LINES.flatMap((l) => /^\s*@mlflow\.trace\(name="([^"]+)"/.exec(l)?.[1] ?? []);
    expect(traced.map((t) => t.spanName)).toEqual(named);
    expect(traced.length).toBeGreaterThan(0);
  });

  it("finds TypeScript/JavaScript functions and C# methods, not calls or control flow", () => {
    expect(
      lensTargets(
        "typescript",
        "export async function lookupOrder(id: string) {\n  if (id) {\n    return get(id);\n  }\n}\nconst f = (x: number) => x;\nclass A {\n  " +
          "run(x: string): void {\n  }\n}\n",
      ).map((t) => [t.spanName, t.line]),
    ).toEqual([
      ["lookupOrder", 0],
      ["f", 5],
      ["run", 7],
    ]);
    expect(
      lensTargets(
        "csharp",
        "public class S\n{\n    public async Task<int> LookupAsync(string id)\n    {\n        return await Get(id);\n    }\n    Task<int> Get(string id);\n}\n",
      ).map((t) => [t.spanName, t.line]),
    ).toEqual([["LookupAsync", 2]]);
    expect(lensTargets("plaintext", "def x():\n  pass")).toEqual([]);
  });

  it("writes the lens line: this function's calls, by-name counts marked, sampled counts as a floor, none in the real window", () => {
    const located = { spanName: "a", match: "located", sampled: false };
    expect(lensText({ ...located, calls: 12, errors: 2, p50LatencyMs: 340.4 }, 7)).toBe("12 calls · p50 340 ms · 2 errors");
    expect(lensText({ ...located, calls: 1, errors: 1, p50LatencyMs: 1234.6 }, 7)).toBe("1 call · p50 1,235 ms · 1 error");
    expect(lensText({ ...located, calls: 1200, errors: 0, p50LatencyMs: null, sampled: true }, 7)).toBe("1,200+ calls · p50 n/a · 0 errors");
    expect(lensText({ spanName: "a", match: "name", sampled: false, calls: 11, errors: 0, p50LatencyMs: 5 }, 7)).toBe(
      "≈ 11 calls by name · p50 5 ms · 0 errors",
    );
    // A host before protocol 1.5 counts by name and says nothing about it.
    expect(lensText({ spanName: "a", calls: 3, errors: 0 } as SpanNameStats, 7)).toBe("≈ 3 calls by name · p50 n/a · 0 errors");
    expect(lensText(undefined, 7)).toBe("no calls in the last 7 days");
    expect(lensText({ ...located, calls: 0, errors: 0 }, 1)).toBe("no calls in the last 1 day");
  });

  it("explains each kind of lens in its tooltip", () => {
    expect(lensTooltip("a", undefined, 7, "x.py")).toBe("No spans of 'a' from x.py in the last 7 days — click to look back 30 days");
    expect(lensTooltip("a", undefined, 365, "x.py")).toBe("No spans of 'a' from x.py in the last 365 days");
    expect(lensTooltip("a", { spanName: "a", match: "name", sampled: false, calls: 2, errors: 0 }, 7, "x.py")).toContain(
      "namesakes in other files may be counted too",
    );
    expect(lensTooltip("a", { spanName: "a", match: "located", sampled: true, calls: 2, errors: 0 }, 7, "x.py")).toBe(
      "Spans of 'a' whose code is in x.py, in the last 7 days (counted in the newest 200 traces holding 'a': there are more) — click for their traces",
    );
  });

  it("widens the look-back window 7 → 30 → 90 → 365 days, then stops", () => {
    expect([1, 7, 8, 30, 90, 364, 365, 400].map(widerWindow)).toEqual([7, 30, 30, 90, 365, 365, undefined, undefined]);
  });

  it("opens a clear winner directly and offers a pick list when the host reports ambiguity", () => {
    expect(clearWinner([loc("/a", 1, 0.9)])?.line).toBe(1);
    expect(clearWinner([loc("/a", 1, 0.9), loc("/b", 2, 0.5)])?.line).toBe(1);
    expect(clearWinner([loc("/a", 1, 0.76), loc("/b", 2, 0.68)])).toBeUndefined();
    expect(clearWinner([])).toBeUndefined();
    const items = pickItems([loc("/a", 1, 0.76), loc("/b", 2, 0.68)]);
    expect(items.map((i) => [i.label, i.description, i.detail])).toEqual([
      ["/a:1", "76%", "r1"],
      ["/b:2", "68%", "r2"],
    ]);
  });

  it("asks for the document's own functions, and a lens without calls looks further back when clicked", async () => {
    const asked: Array<{ path?: string; startTimeMs: number; endTimeMs: number }> = [];
    const now = 1_800_000_000_000;
    const host: HostRequester = {
      request: async <R>(method: string, params: unknown) => {
        expect(method).toBe("source/spanStats");
        asked.push(params as (typeof asked)[number]);
        return { spans: [], engine: "host", startTimeMs: 0, endTimeMs: 0 } satisfies SourceSpanStatsResult as R;
      },
    };
    const lenses = new SpanLensProvider(host, { experimentIds: async () => ["1"], days: () => 7, now: () => now });
    let changed = 0;
    lenses.onDidChangeCodeLenses(() => changed++);
    const doc = fake.document("/w/app/orders.py", "python", "import mlflow\n\n@mlflow.trace\ndef lookup_order(order_id):\n    return {}\n");
    const seen: Array<[string, string, number]> = [];
    for (const expected of [7, 30, 90, 365]) {
      const [lens] = await lenses.provideCodeLenses(doc as never);
      expect(asked.at(-1)).toMatchObject({ path: "/w/app/orders.py", startTimeMs: now - expected * 86_400_000, endTimeMs: now });
      seen.push([lens!.command!.title, lens!.command!.command, lenses.days()]);
      const widened = lenses.widen();
      expect(widened).toBe(expected !== 365);
    }
    expect(seen).toEqual([
      ["no calls in the last 7 days", "traceide.widenCodeLensWindow", 7],
      ["no calls in the last 30 days", "traceide.widenCodeLensWindow", 30],
      ["no calls in the last 90 days", "traceide.widenCodeLensWindow", 90],
      ["no calls in the last 365 days", "", 365], // nothing wider: plain text
    ]);
    expect(changed).toBe(3); // each widening re-renders the lenses
    lenses.dispose();
  });

  it("typing in a function's body does not ask the host again; a new traced function does", async () => {
    const asked: string[][] = [];
    const host: HostRequester = {
      request: async <R>(_method: string, params: unknown) => {
        asked.push((params as { spanNames: string[] }).spanNames);
        return { spans: [], engine: "host", startTimeMs: 0, endTimeMs: 0 } as R;
      },
    };
    const lenses = new SpanLensProvider(host, { experimentIds: async () => ["1"], days: () => 7, now: () => 1_000 * 86_400_000 });
    const v1 = "@mlflow.trace\ndef a():\n    pass\n";
    await lenses.provideCodeLenses(fake.document("/w/x.py", "python", v1, 1) as never);
    await lenses.provideCodeLenses(fake.document("/w/x.py", "python", v1.replace("pass", "return 1"), 2) as never);
    expect(asked).toEqual([["a"]]);
    await lenses.provideCodeLenses(fake.document("/w/x.py", "python", `${v1}\n@mlflow.trace\ndef b():\n    pass\n`, 3) as never);
    expect(asked).toEqual([["a"], ["a", "b"]]);
    lenses.dispose();
  });

  it("a lens counted by name says so, and its click lists the span name's traces", async () => {
    const byName: SpanNameStats = { spanName: "lookup_order", match: "name", sampled: false, calls: 11, errors: 1, p50LatencyMs: 20 };
    const host: HostRequester = { request: async <R>() => ({ spans: [byName], engine: "host", startTimeMs: 0, endTimeMs: 0 }) as R };
    const lenses = new SpanLensProvider(host, { experimentIds: async () => ["1"], days: () => 7, now: () => 1_000 * 86_400_000 });
    const [lens] = await lenses.provideCodeLenses(fake.document("/w/draft.py", "python", "@mlflow.trace\ndef lookup_order():\n    pass\n") as never);
    expect(lens!.command!.title).toBe("≈ 11 calls by name · p50 20 ms · 1 error");
    expect(lens!.command!.tooltip).toContain("no definition of 'lookup_order' in draft.py");
    expect(lens!.command!.arguments).toEqual([
      { spanName: "lookup_order", experimentIds: ["1"], startTimeMs: 993 * 86_400_000, endTimeMs: 1_000 * 86_400_000 },
    ]);
    lenses.dispose();
  });

  it("batches file events into one notification, the last event per path winning", async () => {
    const sent: unknown[] = [];
    const b = new FileChangeBatcher((p) => sent.push(p), 20);
    b.add("created", "/w/a.py");
    b.add("changed", "/w/b.py");
    b.add("deleted", "/w/a.py");
    b.add("created", "/w/c.py");
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([{ changed: ["/w/b.py"], created: ["/w/c.py"], deleted: ["/w/a.py"] }]);
    b.flush();
    expect(sent.length).toBe(1);
  });
});

describe("code links against the real host", () => {
  let h: HostProcess;
  let ws: string;
  let appPath: string;
  beforeAll(async () => {
    ws = mkdtempSync(join(tmpdir(), "traceide-lens-"));
    mkdirSync(join(ws, "app"));
    appPath = join(ws, "app", "gen_traces.py");
    copyFileSync(join(FIXTURES, "app", "gen_traces.py"), appPath);
    h = new HostProcess({
      dotnet: "dotnet",
      host: DLL,
      log: () => undefined,
      configure: async () => ({ init: { store: join(FIXTURES, "store", "mlflow.db"), clientName: "vitest", workspaceFolders: [ws] }, env: {} }),
    });
    expect((await h.start()).state).toBe("running");
  });
  afterAll(() => {
    h?.dispose();
    rmSync(ws, { recursive: true, force: true });
  });

  it("jumps from a decorated span to its def through source/locate", async () => {
    const traceId = cases["live-s5-t1"]!;
    const trace = await h.request<TracesGetResult>("traces/get", { traceId });
    const span = trace.spans.find((s) => s.name === "get_weather")!;
    const located = await locateSpan(h, traceId, span.spanId);
    const defLine = APP_LINES.findIndex((l) => /^\s*def get_weather\(/.test(l)) + 1;
    expect(clearWinner(located)).toMatchObject({ path: appPath, line: defLine, kind: "definition" });
  });

  it("puts the ground truth's numbers above the traced functions", async () => {
    // The whole fixture week: `now` is just after the last trace, 8 days back.
    const lenses = new SpanLensProvider(h, { experimentIds: async () => ["1"], days: () => 8, now: () => truth.last_request_time_ms + 1 });
    const doc = fake.document(appPath, "python", APP);
    const result = await lenses.provideCodeLenses(doc as never);
    const traced = lensTargets("python", APP).filter((t) => t.traced);
    expect(result.length).toBe(traced.length);
    for (const [i, lens] of result.entries()) {
      const name = traced[i]!.spanName;
      const calls = truth.span_names[name] as number;
      expect(lens.command!.title).toMatch(new RegExp(`^${calls} calls? · p50 \\d[\\d,]* ms · \\d+ errors?$`));
      const tool = truth.tool_calls[name];
      if (tool) expect(lens.command!.title).toContain(`· ${tool.ERROR ?? 0} error`);
      expect(lens.command!.command).toBe("traceide.showSpanTraces");
      expect(lens.command!.arguments).toEqual([
        { spanName: name, experimentIds: ["1"], startTimeMs: truth.last_request_time_ms + 1 - 8 * 86_400_000, endTimeMs: truth.last_request_time_ms + 1 },
      ]);
      expect(lens.range.start.line).toBe(traced[i]!.line);
    }

    // Hover: the numbers and the latest call's inputs/outputs, as text in a code block.
    const weather = traced.find((t) => t.spanName === "get_weather")!;
    const hover = await lenses.provideHover(doc as never, new fake.Position(weather.line, 10) as never);
    const md = (hover as unknown as { contents: fake.MarkdownString }).contents;
    expect(md.value).toContain(`${truth.span_names.get_weather} calls`);
    expect(md.value).toMatch(/```text\nin: {2}\{"city": ?"Lisbon"/);
    expect(md.isTrusted).toBe(false);
  });

  it("a lens request the editor cancels does not fail the newer request that shares its numbers", async () => {
    // As vscode-jsonrpc does: a request whose token is cancelled rejects. Answers wait for `release` so that
    // the second lens request surely finds the first one's numbers still on their way.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let sent = 0;
    const cancelling: HostRequester = {
      request: <R>(method: string, params: unknown, token?: { onCancellationRequested(l: () => void): unknown }) =>
        new Promise<R>((resolve, reject) => {
          sent++;
          token?.onCancellationRequested(() => reject(new Error("Request cancelled")));
          void released.then(() => h.request<R>(method, params).then(resolve, reject));
        }),
    };
    const lenses = new SpanLensProvider(cancelling, { experimentIds: async () => ["1"], days: () => 8, now: () => truth.last_request_time_ms + 1 });
    const doc = fake.document(appPath, "python", APP);
    const cancel = new fake.EventEmitter<void>();
    const first = lenses.provideCodeLenses(doc as never, { isCancellationRequested: false, onCancellationRequested: cancel.event } as never);
    while (sent === 0) await Promise.resolve();
    const second = lenses.provideCodeLenses(doc as never); // the editor asks again…
    cancel.fire(); // …and cancels the first request
    release();
    await first;
    const titles = (await second).map((l) => l.command!.title);
    expect(sent).toBe(1); // one request for both
    expect(titles).toHaveLength(lensTargets("python", APP).filter((t) => t.traced).length);
    expect(titles.every((t) => /^\d+ calls? · p50/.test(t))).toBe(true);
  });

  it("after a failed request the lenses are asked for again, without the user editing the file", async () => {
    let failing = true;
    const flaky: HostRequester = {
      request: <R>(method: string, params: unknown) =>
        failing ? Promise.reject(new Error("The TraceIde host is not running.")) : h.request<R>(method, params),
    };
    const lenses = new SpanLensProvider(flaky, {
      experimentIds: async () => ["1"],
      days: () => 8,
      now: () => truth.last_request_time_ms + 1,
      retryDelayMs: 20,
    });
    let changed = 0;
    lenses.onDidChangeCodeLenses(() => changed++);
    const doc = fake.document(appPath, "python", APP);
    expect(await lenses.provideCodeLenses(doc as never)).toEqual([]);
    failing = false;
    for (let waited = 0; changed === 0 && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(changed).toBe(1);
    expect((await lenses.provideCodeLenses(doc as never)).length).toBe(lensTargets("python", APP).filter((t) => t.traced).length);
    lenses.dispose();
  });

  it("with a namesake in another file, each file's lens counts its own function and lists only the traces it counted", async () => {
    // A second `lookup_order` in tools/orders.py, told to the host as the IDE would. The fixture's spans all come
    // from gen_traces.py (its entry script, and their stack traces' frames in the span's function), so the app's
    // lens keeps every call and the namesake's has none; the host tests split real spans between two files.
    const decoy = join(ws, "tools", "orders.py");
    mkdirSync(join(ws, "tools"), { recursive: true });
    writeFileSync(decoy, 'import mlflow\n\n\n@mlflow.trace(name="lookup_order", span_type="TOOL")\ndef lookup_order(order_id):\n    return {}\n');
    h.notify("workspace/didChangeFiles", { created: [decoy] });
    try {
      const now = truth.last_request_time_ms + 1;
      const lenses = new SpanLensProvider(h, { experimentIds: async () => ["1"], days: () => 8, now: () => now });
      const lensOf = async (path: string, text: string) =>
        (await lenses.provideCodeLenses(fake.document(path, "python", text) as never)).find((l) =>
          text.split("\n")[l.range.start.line]!.includes("def lookup_order("),
        )!;
      // The notification has no answer: ask until the host's index has the namesake.
      let tools = await lensOf(decoy, readFileSync(decoy, "utf8"));
      for (let waited = 0; tools.command!.title.startsWith("≈") && waited < 5_000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        lenses.refresh();
        tools = await lensOf(decoy, readFileSync(decoy, "utf8"));
      }
      lenses.refresh();
      const app = await lensOf(appPath, APP);
      const total = truth.span_names.lookup_order as number;
      expect(tools.command).toMatchObject({ title: "no calls in the last 8 days", command: "traceide.widenCodeLensWindow" });
      expect(app.command!.title).toMatch(new RegExp(`^${total} calls · p50 \\d+ ms · \\d+ errors?$`)); // 7 + 0: the by-name total
      const args = app.command!.arguments![0] as { traceIds: string[]; fileName: string };
      expect(args.fileName).toBe("gen_traces.py");
      const listed = await spanTraces(h, app.command!.arguments![0] as never);
      expect(listed.title).toBe("lookup_order in gen_traces.py");
      expect(listed.traces.map((t) => t.traceId)).toEqual(args.traceIds);
      const byName = await spanTraces(h, { ...(app.command!.arguments![0] as object), traceIds: undefined } as never);
      expect(new Set(byName.traces.map((t) => t.traceId))).toEqual(new Set(args.traceIds)); // here, every trace of the name is the app's
      lenses.dispose();
    } finally {
      rmSync(join(ws, "tools"), { recursive: true, force: true });
      h.notify("workspace/didChangeFiles", { deleted: [join(ws, "tools")] });
    }
  });

  it("traceide.codeLens.enabled = false: no lenses, no hover, and no request to the host", async () => {
    let enabled = false;
    const calls: string[] = [];
    const counting: HostRequester = { request: <R>(method: string, params: unknown) => (calls.push(method), h.request<R>(method, params)) };
    const lenses = new SpanLensProvider(counting, {
      experimentIds: async () => ["1"],
      days: () => 8,
      now: () => truth.last_request_time_ms + 1,
      enabled: () => enabled,
    });
    const doc = fake.document(appPath, "python", APP);
    const weather = lensTargets("python", APP).find((t) => t.spanName === "get_weather")!;
    expect(await lenses.provideCodeLenses(doc as never)).toEqual([]);
    expect(await lenses.provideHover(doc as never, new fake.Position(weather.line, 10) as never)).toBeUndefined();
    expect(calls).toEqual([]);
    enabled = true; // the setting applies on the next request, without a reload
    expect((await lenses.provideCodeLenses(doc as never)).length).toBeGreaterThan(0);
    expect(calls).toContain("source/spanStats");
  });
});
