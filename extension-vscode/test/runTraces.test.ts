// RunTraces (notebook cells, debug sessions, terminal commands) against the REAL host (Release build)
// over the fixture store; expected traces come from the fixture's ground truth (ground_truth_small.json),
// and live-tail traces are written into a copy of the store in MLflow's schema (python3's sqlite3).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { TraceSummary } from "../../webview/src/protocol.generated";
import { HostProcess } from "../src/hostProcess";
import { NOTEBOOK_DISPLAY_KEY, RunTraces, countLabel, describeRun } from "../src/runTraces";
import { DLL, FIXTURES, storeCopy } from "./realHost";
import { until } from "./util";

interface Truth {
  trace_id: string;
  state: string;
  request_time_ms: number;
}
const truth: Truth[] = (JSON.parse(readFileSync(join(FIXTURES, "ground_truth_small.json"), "utf8")).traces as Truth[]).sort(
  (a, b) => a.request_time_ms - b.request_time_ms,
);
const inWindow = (start: number, end: number) => truth.filter((t) => t.request_time_ms >= start && t.request_time_ms <= end);

/** A per-workspace memory like ExtensionContext.workspaceState. */
function memento() {
  const data = new Map<string, unknown>();
  return { data, get: <T>(k: string) => data.get(k) as T | undefined, update: async (k: string, v: unknown) => void data.set(k, v) };
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function setup(store = join(FIXTURES, "store", "mlflow.db"), state = memento(), maxLiveMs?: number) {
  const host = new HostProcess({
    dotnet: "dotnet",
    host: DLL,
    log: () => undefined,
    configure: async () => ({ init: { store, clientName: "vitest", workspaceFolders: [] }, env: {} }),
  });
  const started = await host.start();
  expect(started.state).toBe("running");
  const seen = { opened: [] as string[], lists: [] as Array<{ title: string; ids: string[] }>, announced: [] as string[], logs: [] as string[] };
  let clickOpen = true;
  let now = 0;
  const runs = new RunTraces({
    host: { request: (m, p) => host.request(m, p), onNotification: (l) => host.onNotification(l) },
    ui: {
      openTrace: (id) => seen.opened.push(id),
      openList: (title, traces: TraceSummary[]) => seen.lists.push({ title, ids: traces.map((t) => t.traceId) }),
      announce: async (m) => (seen.announced.push(m), clickOpen),
      log: (m) => seen.logs.push(m),
    },
    experimentIds: async () => ["1"],
    state,
    pollIntervalMs: () => 200,
    now: () => now,
    maxLiveMs,
  });
  cleanup.push(() => {
    runs.dispose();
    host.dispose();
  });
  const requests: string[] = [];
  const request = host.request.bind(host);
  host.request = (<R>(method: string, params: unknown) => (requests.push(method), request<R>(method, params))) as typeof host.request;
  return { host, runs, seen, state, requests, setNow: (t: number) => (now = t), setClick: (c: boolean) => (clickOpen = c) };
}

describe("run summaries", () => {
  it("say how many traces a run made, with errors", () => {
    expect(countLabel(1)).toBe("1 trace");
    expect(countLabel(3)).toBe("3 traces");
    const traces = [{}, {}, {}] as TraceSummary[];
    expect(describeRun({ traces, errorCount: 2, inProgressCount: 0, truncated: false })).toBe("This run made 3 traces (2 errors)");
    expect(describeRun({ traces: traces.slice(0, 1), errorCount: 0, inProgressCount: 1, truncated: false }, "python app.py")).toBe(
      "This run made 1 trace (1 still running) — python app.py",
    );
  });
});

describe("notebook cells (real host, fixture store)", () => {
  it("a cell whose execution spans one fixture trace opens it; one spanning several lists them and the status bar counts them", async () => {
    const { runs, seen } = await setup();
    const one = truth[10]!;
    await runs.onCellExecution("cell-a", { timing: { startTime: one.request_time_ms - 5, endTime: one.request_time_ms + 5 } });
    expect(inWindow(one.request_time_ms - 5, one.request_time_ms + 5)).toHaveLength(1);
    expect(seen.opened).toEqual([one.trace_id]);
    expect(runs.cellStatus("cell-a")?.text).toContain("1 trace");

    const [start, end] = [truth[20]!.request_time_ms, truth[25]!.request_time_ms];
    const expected = inWindow(start, end);
    await runs.onCellExecution("cell-b", { timing: { startTime: start, endTime: end } });
    expect(seen.lists).toHaveLength(1);
    expect(seen.lists[0]!.ids.sort()).toEqual(expected.map((t) => t.trace_id).sort());
    const status = runs.cellStatus("cell-b")!;
    expect(status.text).toContain(`${expected.length} traces`);
    expect(status.text.startsWith(expected.some((t) => t.state === "ERROR") ? "$(error)" : "$(pulse)")).toBe(true);

    // Clicking the status bar item opens the same traces again.
    runs.openCell("cell-b");
    expect(seen.lists[1]!.ids.sort()).toEqual(expected.map((t) => t.trace_id).sort());
    // A cell that made no trace has no status bar item.
    await runs.onCellExecution("cell-c", { timing: { startTime: 1, endTime: 2 } });
    expect(runs.cellStatus("cell-c")).toBeUndefined();
  });

  it("Disable Notebook Display stops it and is remembered for the workspace", async () => {
    const state = memento();
    const first = await setup(undefined, state);
    const t = truth[5]!;
    await first.runs.onCellExecution("cell", { timing: { startTime: t.request_time_ms, endTime: t.request_time_ms } });
    expect(first.runs.cellStatus("cell")).toBeDefined();
    await first.runs.setNotebookDisplay(false);
    expect(state.data.get(NOTEBOOK_DISPLAY_KEY)).toBe(false);
    expect(first.runs.cellStatus("cell")).toBeUndefined();
    await first.runs.onCellExecution("cell", { timing: { startTime: t.request_time_ms, endTime: t.request_time_ms } });
    expect(first.seen.opened).toEqual([t.trace_id]); // only the run before disabling

    // A new window on the same workspace: still off, until enabled again.
    const second = await setup(undefined, state);
    expect(second.runs.notebookDisplay).toBe(false);
    await second.runs.onCellExecution("cell", { timing: { startTime: t.request_time_ms, endTime: t.request_time_ms } });
    expect(second.seen.opened).toEqual([]);
    await second.runs.setNotebookDisplay(true);
    await second.runs.onCellExecution("cell", { timing: { startTime: t.request_time_ms, endTime: t.request_time_ms } });
    expect(second.seen.opened).toEqual([t.trace_id]);
  });
});

describe("live tail bounds", () => {
  it("a run that never reports its end stops polling after maxLiveMs, and its window still answers", async () => {
    const { runs, requests, setNow } = await setup(undefined, memento(), 300);
    const t = truth[3]!;
    setNow(t.request_time_ms - 1);
    await runs.start("debug:forever");
    expect(requests).toContain("traces/subscribe");
    await until("the live tail's unsubscribe", () => requests.includes("traces/unsubscribe"), 5000);
    setNow(t.request_time_ms + 1);
    const r = await runs.finish("debug:forever", undefined);
    expect(r!.traces.map((x) => x.traceId)).toEqual([t.trace_id]);
    expect(requests.filter((m) => m === "traces/unsubscribe")).toHaveLength(1); // not twice
  });
});

describe("debug sessions and terminal commands (real host)", () => {
  it("a run over part of the fixture says 'This run made N traces (E errors)' and Open lists them", async () => {
    const { runs, seen, setNow } = await setup();
    const [start, end] = [truth[0]!.request_time_ms, truth[29]!.request_time_ms];
    const expected = inWindow(start, end);
    const errors = expected.filter((t) => t.state === "ERROR").length;
    expect(errors).toBeGreaterThan(0); // the fixture's window holds errors, so the count is exercised
    setNow(start);
    await runs.start("debug:1");
    setNow(end);
    await runs.onRunEnded("debug:1", "debug session 'app'");
    expect(seen.announced).toEqual([`This run made ${expected.length} traces (${errors} errors) — debug session 'app'`]);
    expect(seen.lists.at(-1)!.ids.sort()).toEqual(expected.map((t) => t.trace_id).sort());

    // A command that made no trace says nothing.
    setNow(1000);
    await runs.start("terminal:1");
    setNow(2000);
    await runs.onRunEnded("terminal:1", "ls");
    expect(seen.announced).toHaveLength(1);
  });

  it("live tail: traces appear while the cell runs (in progress, then finished, in place) and the window settles it", async () => {
    const { db, sql } = storeCopy("traceide-live-", cleanup);
    const { runs, setNow } = await setup(db);
    const t0 = truth.at(-1)!.request_time_ms + 60_000;
    setNow(t0 - 1000); // the cell starts after every fixture trace: only the new one is its
    await runs.onCellExecution("cell", {}); // started (no timing yet)
    const id = "tr-" + "ab".repeat(16);
    sql(`INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status) VALUES ('${id}', 1, ${t0}, NULL, 'IN_PROGRESS');
         INSERT INTO trace_tags (key, value, request_id) VALUES ('mlflow.traceName', 'live', '${id}');`);
    await until("the running trace", () => runs.cellStatus("cell")?.text.includes("1 trace…") ?? false);
    expect(runs.liveTraces("cell:cell")!.map((t) => [t.traceId, t.state])).toEqual([[id, "IN_PROGRESS"]]);
    sql(`UPDATE trace_info SET status = 'ERROR', execution_time_ms = 1500 WHERE request_id = '${id}';`);
    await until("the finished trace", () => runs.liveTraces("cell:cell")?.[0]?.state === "ERROR");
    expect(runs.liveTraces("cell:cell")).toHaveLength(1); // updated in place, not added twice
    expect(runs.cellStatus("cell")!.text).toBe("$(error) 1 trace…");

    await runs.onCellExecution("cell", { timing: { startTime: t0 - 10, endTime: t0 + 2000 } });
    expect(runs.liveTraces("cell:cell")).toBeUndefined();
    expect(runs.cellStatus("cell")!.text).toBe("$(error) 1 trace");
  });
});
