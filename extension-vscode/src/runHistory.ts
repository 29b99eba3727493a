// The runs the Runs view lists: each finished terminal command, debug session or notebook cell with the traces
// it made, kept in the workspace's memory (ExtensionContext.workspaceState) so that a window reload keeps them.
// No `vscode` import: runsView.ts shows it, tests use it directly.
import type { TraceSummary, TracesWindowResult } from "../../webview/src/protocol.generated";

/** workspaceState key of the run history. */
export const RUN_HISTORY_KEY = "traceide.runs";

export type RunKind = "terminal" | "debug" | "cell";

/** A trace as a run keeps it: what its row shows and what opens it (no payload previews, tags or assessments). */
export type RunTrace = Pick<TraceSummary, "traceId" | "experimentId" | "name" | "state" | "requestTimeMs" | "durationMs">;

export interface RunRecord {
  /** Unique within the history: kind and time span (a suffix when two runs share both). */
  id: string;
  kind: RunKind;
  /** The command line, "debug session 'Python: app'", "cell 3 of eval.ipynb". */
  label: string;
  startMs: number;
  endMs: number;
  traces: RunTrace[];
  errorCount: number;
  /** The host's window answer was cut at its limit: the run made more traces than listed. */
  truncated: boolean;
}

export interface Memento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export class RunHistory {
  /** The newest runs kept; older ones drop off. */
  static readonly MAX_RUNS = 50;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly state: Memento) {}

  /** Newest first; entries that are not runs (an older format, a hand edit) are skipped. */
  list(): RunRecord[] {
    const raw = this.state.get<unknown>(RUN_HISTORY_KEY);
    return Array.isArray(raw) ? raw.filter(isRunRecord) : [];
  }

  get(id: string): RunRecord | undefined {
    return this.list().find((r) => r.id === id);
  }

  /** Records a finished run; runs that made no traces are not kept (nothing to open). */
  async add(
    kind: RunKind,
    label: string,
    startMs: number,
    endMs: number,
    result: Pick<TracesWindowResult, "traces" | "errorCount" | "truncated">,
  ): Promise<RunRecord | undefined> {
    if (!result.traces.length) return undefined;
    const runs = this.list();
    const record: RunRecord = {
      id: uniqueId(`${kind}:${startMs}-${endMs}`, runs),
      kind,
      label,
      startMs,
      endMs,
      traces: [...result.traces]
        .sort((a, b) => a.requestTimeMs - b.requestTimeMs)
        .map((t) => ({
          traceId: t.traceId,
          experimentId: t.experimentId,
          name: t.name ?? null,
          state: t.state,
          requestTimeMs: t.requestTimeMs,
          durationMs: t.durationMs ?? null,
        })),
      errorCount: result.errorCount,
      truncated: result.truncated,
    };
    // VS Code may report one cell execution's end twice: the same run again replaces itself.
    const same = runs.findIndex((r) => r.kind === kind && r.label === label && r.startMs === startMs);
    if (same >= 0) {
      record.id = runs[same]!.id;
      runs[same] = record;
      await this.save(runs);
    } else {
      await this.save([record, ...runs].slice(0, RunHistory.MAX_RUNS));
    }
    return record;
  }

  async remove(id: string): Promise<void> {
    await this.save(this.list().filter((r) => r.id !== id));
  }

  async clear(): Promise<void> {
    await this.save([]);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private async save(runs: RunRecord[]): Promise<void> {
    await this.state.update(RUN_HISTORY_KEY, runs);
    for (const l of this.listeners) l();
  }
}

/** A run's traces as the web UI's list takes them (it shows the fields a run keeps). */
export function asSummaries(run: RunRecord): TraceSummary[] {
  return run.traces.map((t) => ({ ...t, tags: {}, metadata: {}, assessments: [] }));
}

/** "3 traces · 1 error", "more than 500 traces". */
export function runCounts(run: Pick<RunRecord, "traces" | "errorCount" | "truncated">): string {
  const n = run.traces.length;
  const traces = `${run.truncated ? "more than " : ""}${n === 1 ? "1 trace" : `${n} traces`}`;
  return run.errorCount ? `${traces} · ${run.errorCount === 1 ? "1 error" : `${run.errorCount} errors`}` : traces;
}

function uniqueId(base: string, runs: readonly RunRecord[]): string {
  const taken = new Set(runs.map((r) => r.id));
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}#${n}`;
  return id;
}

function isRunRecord(x: unknown): x is RunRecord {
  if (!x || typeof x !== "object") return false;
  const r = x as Partial<RunRecord>;
  return typeof r.id === "string" && typeof r.label === "string" && typeof r.startMs === "number" && typeof r.endMs === "number" && Array.isArray(r.traces);
}
