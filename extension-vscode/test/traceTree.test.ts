// The native Traces tree's model and the run history, against the REAL host (Release build) over the fixture
// store; what the tree must show comes from the fixture's ground truth (ground_truth_small.json, MLflow's own).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostProcess } from "../src/hostProcess";
import { RUN_HISTORY_KEY, RunHistory, asSummaries, runCounts } from "../src/runHistory";
import { TraceTreeModel, oneLine, relativeTime, traceDescription, type TreeNode } from "../src/traceTreeModel";
import { DLL, FIXTURES, storeCopy } from "./realHost";
import { until } from "./util";

interface Truth {
  trace_id: string;
  state: string;
  request_time_ms: number;
  session: string | null;
}
const truth: Truth[] = JSON.parse(readFileSync(join(FIXTURES, "ground_truth_small.json"), "utf8")).traces;
const ids = (list: Array<{ trace_id: string }>) => list.map((t) => t.trace_id).sort();

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function setup(store = join(FIXTURES, "store", "mlflow.db"), now = Math.max(...truth.map((t) => t.request_time_ms)) + 60_000) {
  const host = new HostProcess({
    dotnet: "dotnet",
    host: DLL,
    log: () => undefined,
    configure: async () => ({ init: { store, clientName: "vitest", workspaceFolders: [] }, env: {} }),
  });
  expect((await host.start()).state).toBe("running");
  const clock = { now };
  const model = new TraceTreeModel(
    { request: (m, p) => host.request(m, p), onNotification: (l) => host.onNotification(l) },
    { pageSize: () => 10, pinnedExperiment: () => undefined, now: () => clock.now, pollIntervalMs: () => 200 },
  );
  const changes: Array<TreeNode | undefined> = [];
  model.onDidChange((n) => changes.push(n));
  cleanup.push(() => {
    model.dispose();
    host.dispose();
  });
  return { host, model, clock, changes };
}

/** Every trace row under an experiment, loading "more" until there is none. */
async function loadAll(model: TraceTreeModel, experimentId: string): Promise<TreeNode[]> {
  const node: TreeNode = { kind: "experiment", experiment: model.experiments!.find((x) => x.experimentId === experimentId)! };
  for (let pages = 0; pages < 100; pages++) {
    const rows = await model.children(node);
    const more = rows.find((r) => r.kind === "more");
    if (!more) return rows;
    await model.loadMore(experimentId);
  }
  throw new Error("more than 100 pages");
}

async function allTraceIds(model: TraceTreeModel): Promise<string[]> {
  const roots = await model.children();
  const out: string[] = [];
  for (const r of roots) {
    if (r.kind !== "experiment") continue;
    for (const row of await loadAll(model, r.experiment.experimentId)) {
      if (row.kind === "trace") out.push(row.trace.traceId);
      if (row.kind === "session") out.push(...row.traces.map((t) => t.traceId));
    }
  }
  return out.sort();
}

describe("the Traces tree (real host, fixture store)", () => {
  it("lists experiments GenAI first, each with pages of 10 newest first and 'Load more' until every fixture trace is shown once", async () => {
    const { model, changes } = await setup();
    const roots = await model.children();
    const experiments = roots.flatMap((r) => (r.kind === "experiment" ? [r.experiment] : []));
    expect(experiments.length).toBeGreaterThan(0);
    expect(experiments.findIndex((x) => !x.isGenAi)).not.toBe(0);
    const first = await model.children(roots[0]);
    expect(first.filter((r) => r.kind === "trace").length).toBeLessThanOrEqual(10);
    const all = await allTraceIds(model);
    expect(all).toEqual(ids(truth)); // each once, none missing
    // VS Code knows tree elements by identity: a page loaded refreshes the very node the tree holds.
    expect(changes.length).toBeGreaterThan(0);
    expect((await model.children()).some((r) => r === changes.at(-1))).toBe(true);
    for (const x of experiments) {
      const times = model.loaded(x.experimentId).map((t) => t.requestTimeMs);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    }
  });

  it("a filter and a time range (measured from the host clock) show exactly MLflow's matches; an empty answer says which filter", async () => {
    const { model, clock } = await setup();
    await model.children();
    model.setFilter("trace.status = 'ERROR'");
    expect(await allTraceIds(model)).toEqual(ids(truth.filter((t) => t.state === "ERROR")));
    expect(model.filterSummary).toBe("trace.status = 'ERROR'");
    // Plain words search the traces' text, as MLflow's UI does: MLflow's own answer (filters_ground_truth.json).
    const mlflow = JSON.parse(readFileSync(join(FIXTURES, "filters_ground_truth.json"), "utf8")) as Record<string, string[]>;
    model.setFilter("weather");
    expect(await allTraceIds(model)).toEqual([...mlflow["trace.text ILIKE '%weather%'"]!].sort());

    const times = truth.map((t) => t.request_time_ms).sort((a, b) => a - b);
    clock.now = times[Math.floor(times.length / 2)]! + 30 * 60_000; // half an hour after the middle trace
    model.setFilter("", "LAST_HOUR");
    expect(await allTraceIds(model)).toEqual(ids(truth.filter((t) => t.request_time_ms >= clock.now - 3_600_000 && t.request_time_ms <= clock.now)));
    expect(model.filterSummary).toBe("Last hour");

    model.setFilter("trace.name = 'no-such-trace'", "ALL");
    const roots = await model.children();
    const rows = await model.children(roots[0]);
    expect(rows).toEqual([
      {
        kind: "message",
        experimentId: (roots[0] as { experiment: { experimentId: string } }).experiment.experimentId,
        text: "No traces match trace.name = 'no-such-trace'.",
      },
    ]);
  });

  it("grouped by session, every loaded trace sits under its own session, as the ground truth has them", async () => {
    const { model } = await setup();
    await model.children();
    model.setGroupBySession(true);
    const roots = await model.children();
    const bySession = new Map<string, string[]>();
    for (const r of roots) {
      if (r.kind !== "experiment") continue;
      for (const row of await loadAll(model, r.experiment.experimentId)) {
        expect(row.kind === "session" || row.kind === "message").toBe(true);
        if (row.kind === "session") bySession.set(row.session ?? "", [...(bySession.get(row.session ?? "") ?? []), ...row.traces.map((t) => t.traceId)]);
      }
    }
    const expected = new Map<string, string[]>();
    for (const t of truth) expected.set(t.session ?? "", [...(expected.get(t.session ?? "") ?? []), t.trace_id]);
    expect(new Map([...bySession].map(([k, v]) => [k, v.sort()]))).toEqual(new Map([...expected].map(([k, v]) => [k, v.sort()])));
  });

  it("an unreachable backend: no old rows and the reason; a new answer replaces it", async () => {
    const { model } = await setup();
    const roots = await model.children();
    await model.children(roots[0]);
    model.reset("Cannot reach http://127.0.0.1:9 (connection refused)");
    expect(await model.children()).toEqual([]);
    expect(model.loaded((roots[0] as { experiment: { experimentId: string } }).experiment.experimentId)).toEqual([]);
    expect(model.error).toContain("connection refused");
    model.reset();
    expect((await model.children()).length).toBe(roots.length);
  });

  it("live mode keeps the filter and what is loaded, puts a new matching trace on top and updates a running one in place", async () => {
    const { db, sql } = storeCopy("traceide-tree-live-", cleanup);
    const t0 = Math.max(...truth.map((t) => t.request_time_ms)) + 60_000;
    const { model } = await setup(db, t0 - 1000);
    model.setFilter("trace.name = 'live'");
    const roots = await model.children();
    const experiment =
      roots.find((r): r is Extract<TreeNode, { kind: "experiment" }> => r.kind === "experiment" && r.experiment.experimentId === "1") ??
      (roots[0] as Extract<TreeNode, { kind: "experiment" }>);
    const experimentId = experiment.experiment.experimentId;
    await model.children(experiment);
    await model.setLive(true);
    expect(model.isLive).toBe(true);
    const id = "tr-" + "cd".repeat(16);
    const other = "tr-" + "ef".repeat(16);
    sql(`INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status)
           VALUES ('${id}', ${experimentId}, ${t0}, NULL, 'IN_PROGRESS');
         INSERT INTO trace_tags (key, value, request_id) VALUES ('mlflow.traceName', 'live', '${id}');
         INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status) VALUES ('${other}', ${experimentId}, ${t0}, 5, 'OK');
         INSERT INTO trace_tags (key, value, request_id) VALUES ('mlflow.traceName', 'not-live', '${other}');`);
    await until("the new trace", () => model.loaded(experimentId).some((t) => t.traceId === id));
    expect(model.loaded(experimentId).map((t) => [t.traceId, t.state])).toEqual([[id, "IN_PROGRESS"]]); // the filter still holds
    sql(`UPDATE trace_info SET status = 'OK', execution_time_ms = 1500 WHERE request_id = '${id}';`);
    await until("the finished trace", () => model.loaded(experimentId)[0]?.state === "OK");
    expect(model.loaded(experimentId)).toHaveLength(1);
    expect(model.filter).toBe("trace.name = 'live'");
    await model.setLive(false);
    expect(model.isLive).toBe(false);
  });
});

describe("tree texts", () => {
  it("one line of plain text: controls, bidi overrides and line breaks go", () => {
    expect(oneLine("a\nb\u202Ec\u0007d")).toBe("a b c d");
    expect(oneLine(null)).toBe("");
  });
  it("relative times, dates past a month or in the future", () => {
    const now = Date.UTC(2026, 10, 24);
    expect(relativeTime(now - 2_000, now)).toBe("just now");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(relativeTime(now - 3 * 86_400_000, now)).toBe("3 d ago");
    expect(relativeTime(now + 60_000, now)).toBe("2026-11-24");
    expect(relativeTime(Number.NaN, now)).toBe("—");
  });
  it("a row's description: when, how long (or running), tokens", () => {
    const now = Date.UTC(2026, 10, 24);
    const t = {
      traceId: "tr-1",
      experimentId: "1",
      state: "OK",
      requestTimeMs: now - 120_000,
      durationMs: 1200,
      tokens: { totalTokens: 1234 },
      tags: {},
      metadata: {},
      assessments: [],
    };
    expect(traceDescription(t as never, now)).toBe("2 min ago · 1.20 s · 1,234 tokens");
    expect(traceDescription({ ...t, state: "IN_PROGRESS", tokens: null } as never, now)).toBe("2 min ago · running");
  });
});

describe("the run history (workspace memory)", () => {
  function memento(initial?: unknown) {
    const data = new Map<string, unknown>(initial === undefined ? [] : [[RUN_HISTORY_KEY, initial]]);
    return { data, get: <T>(k: string) => data.get(k) as T | undefined, update: async (k: string, v: unknown) => void data.set(k, v) };
  }
  const trace = (id: string, ms: number, state = "OK") => ({
    traceId: id,
    experimentId: "1",
    name: id,
    state,
    requestTimeMs: ms,
    durationMs: 5,
    tags: { x: "y" },
    metadata: {},
    assessments: [],
  });

  it("keeps runs with traces, newest first, across a reload (a new history over the same memory), without payloads", async () => {
    const state = memento();
    const h = new RunHistory(state);
    expect(await h.add("terminal", "python app.py", 1000, 2000, { traces: [], errorCount: 0, truncated: false })).toBeUndefined();
    await h.add("terminal", "python app.py", 1000, 2000, { traces: [trace("tr-b", 1500, "ERROR"), trace("tr-a", 1200)], errorCount: 1, truncated: false });
    await h.add("debug", "debug session 'app'", 3000, 4000, { traces: [trace("tr-c", 3500)], errorCount: 0, truncated: true });
    const reloaded = new RunHistory(state).list();
    expect(reloaded.map((r) => r.label)).toEqual(["debug session 'app'", "python app.py"]);
    expect(reloaded[1]!.traces.map((t) => t.traceId)).toEqual(["tr-a", "tr-b"]);
    expect(Object.keys(reloaded[1]!.traces[0]!)).not.toContain("tags");
    expect(runCounts(reloaded[1]!)).toBe("2 traces · 1 error");
    expect(runCounts(reloaded[0]!)).toBe("more than 1 trace");
    expect(asSummaries(reloaded[0]!)[0]).toMatchObject({ traceId: "tr-c", tags: {}, assessments: [] });
  });

  it("two runs over the same time span (two cells run at once) get their own IDs; remove and clear; a damaged memory is skipped, not thrown", async () => {
    const h = new RunHistory(memento([{ id: 5 }, "junk", null]));
    expect(h.list()).toEqual([]);
    const a = await h.add("cell", "cell 1 of a.ipynb", 1, 2, { traces: [trace("tr-a", 1)], errorCount: 0, truncated: false });
    const b = await h.add("cell", "cell 2 of a.ipynb", 1, 2, { traces: [trace("tr-a", 1)], errorCount: 0, truncated: false });
    expect(a!.id).not.toBe(b!.id);
    let fired = 0;
    h.onDidChange(() => fired++);
    await h.remove(a!.id);
    expect(h.list().map((r) => r.id)).toEqual([b!.id]);
    await h.clear();
    expect(h.list()).toEqual([]);
    expect(fired).toBe(2);
  });

  it("the same execution reported twice (VS Code does, for a cell) is one run, the later answer kept", async () => {
    const h = new RunHistory(memento());
    await h.add("cell", "cell 1 of a.ipynb", 10, 20, { traces: [trace("tr-a", 11)], errorCount: 0, truncated: false });
    await h.add("cell", "cell 1 of a.ipynb", 10, 25, { traces: [trace("tr-a", 11), trace("tr-b", 22)], errorCount: 0, truncated: false });
    expect(h.list().map((r) => [r.label, r.traces.length])).toEqual([["cell 1 of a.ipynb", 2]]);
    await h.add("cell", "cell 1 of a.ipynb", 30, 40, { traces: [trace("tr-c", 31)], errorCount: 0, truncated: false }); // run again: a new run
    expect(h.list()).toHaveLength(2);
  });

  it("keeps at most MAX_RUNS, dropping the oldest", async () => {
    const h = new RunHistory(memento());
    for (let i = 0; i < RunHistory.MAX_RUNS + 3; i++)
      await h.add("terminal", `run ${i}`, i, i + 1, { traces: [trace(`tr-${i}`, i)], errorCount: 0, truncated: false });
    const list = h.list();
    expect(list).toHaveLength(RunHistory.MAX_RUNS);
    expect(list[0]!.label).toBe(`run ${RunHistory.MAX_RUNS + 2}`);
    expect(list.at(-1)!.label).toBe("run 3");
  });
});
