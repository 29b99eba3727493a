// "Show the traces your code just made": notebook cells, debug sessions and terminal commands.
// A run (cell execution, debug session, shell command) is followed live through `traces/subscribe`
// while it executes; when it ends, `traces/window` over [start, end] is the authoritative answer.
// Notebooks: one trace opens in the trace viewer, several in a list; a cell status bar item says
// "3 traces". The notebook display can be switched off per workspace (like MLflow's
// `mlflow.tracing.disable_notebook_display()`).
import * as vscode from "vscode";
import type { RunKind, RunHistory } from "./runHistory";
import type { TraceSummary, TracesChangedParams, TracesSubscribeResult, TracesWindowResult } from "../../webview/src/protocol.generated";

/** workspaceState key of the notebook display switch (default on). */
export const NOTEBOOK_DISPLAY_KEY = "traceide.notebookDisplay";
export const OPEN_CELL_TRACES_COMMAND = "traceide.openCellTraces";

/** The part of the host connection runs need (HostProcess in the extension, a fake in tests). */
export interface RunTracesHost {
  request<R>(method: string, params: unknown): Promise<R>;
  onNotification(listener: (e: { method: string; params: unknown }) => void): vscode.Disposable;
}

/** What the user sees; the extension opens webviews, tests record calls. */
export interface RunTracesUi {
  openTrace(traceId: string): void;
  openList(title: string, traces: TraceSummary[]): void;
  /** A notification with an "Open" button; resolves true when it was clicked. */
  announce(message: string): Promise<boolean>;
  /** A problem worth a line in the log (the host unreachable, …): never a popup per cell. */
  log(message: string): void;
}

export interface RunTracesDeps {
  host: RunTracesHost;
  ui: RunTracesUi;
  /** The experiments whose traces count (settings, else the panel's current experiment). */
  experimentIds(): Promise<string[]>;
  /** Per-workspace memory (ExtensionContext.workspaceState). */
  state: { get<T>(key: string): T | undefined; update(key: string, value: unknown): Thenable<void> };
  pollIntervalMs?(): number;
  now?(): number;
  /** Where finished runs with traces are kept (the Runs view). */
  history?: RunHistory;
  /** A run's live tail stops after this long even without an end (a cell whose end VS Code never reports). */
  maxLiveMs?: number;
}

export const DEFAULT_MAX_LIVE_MS = 30 * 60_000;

/** "1 trace", "3 traces". */
export function countLabel(n: number): string {
  return n === 1 ? "1 trace" : `${n} traces`;
}

/** "This run made 12 traces (2 errors)", then what the run was; the counts come from the window's answer. */
export function describeRun(r: Pick<TracesWindowResult, "traces" | "errorCount" | "inProgressCount" | "truncated">, what?: string): string {
  const n = r.traces.length;
  const extras: string[] = [];
  if (r.errorCount) extras.push(r.errorCount === 1 ? "1 error" : `${r.errorCount} errors`);
  if (r.inProgressCount) extras.push(`${r.inProgressCount} still running`);
  return `This run made ${r.truncated ? "more than " : ""}${countLabel(n)}${extras.length ? ` (${extras.join(", ")})` : ""}${what ? ` — ${what}` : ""}`;
}

interface Run {
  startMs: number;
  subscriptionId?: Promise<string | undefined>;
  timer?: ReturnType<typeof setTimeout>;
  /** Traces seen live so far, updated in place by `traces/changed`. */
  live: Map<string, TraceSummary>;
}

/** The timing VS Code records for a cell execution (NotebookCellExecutionSummary). */
export interface CellExecution {
  timing?: { startTime: number; endTime: number };
  success?: boolean;
}

export class RunTraces implements vscode.Disposable {
  private readonly runs = new Map<string, Run>();
  private readonly bySubscription = new Map<string, Run>();
  /** The last finished execution's traces per cell (key: cell document URI). */
  private readonly cells = new Map<string, TraceSummary[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a cell's trace count changes (the status bar provider listens). */
  readonly onDidChangeCells = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: RunTracesDeps) {
    this.disposables.push(
      this.changed,
      deps.host.onNotification((e) => this.onNotification(e.method, e.params)),
    );
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  get notebookDisplay(): boolean {
    return this.deps.state.get<boolean>(NOTEBOOK_DISPLAY_KEY) ?? true;
  }

  async setNotebookDisplay(on: boolean): Promise<void> {
    await this.deps.state.update(NOTEBOOK_DISPLAY_KEY, on);
    if (!on) {
      for (const key of [...this.runs.keys()].filter((k) => k.startsWith("cell:"))) void this.stop(key);
      this.cells.clear();
    }
    this.changed.fire();
  }

  // ---- runs (any kind) --------------------------------------------------------------------------

  /** A run began: follow its traces live from `startMs`. */
  async start(key: string, startMs = this.now()): Promise<void> {
    if (this.runs.has(key)) return;
    const run: Run = { startMs, live: new Map() };
    this.runs.set(key, run);
    run.subscriptionId = this.subscribe(run);
    // A cleared cell also reports a summary without timing, and then never ends: bound the host's polling.
    run.timer = setTimeout(() => void this.unsubscribe(run), this.deps.maxLiveMs ?? DEFAULT_MAX_LIVE_MS);
    run.timer.unref?.();
    await run.subscriptionId;
  }

  private async unsubscribe(run: Run): Promise<void> {
    clearTimeout(run.timer);
    const id = await run.subscriptionId;
    run.subscriptionId = undefined;
    if (id) {
      this.bySubscription.delete(id);
      await this.deps.host.request("traces/unsubscribe", { subscriptionId: id }).catch(() => undefined);
    }
  }

  private async subscribe(run: Run): Promise<string | undefined> {
    try {
      const experimentIds = await this.deps.experimentIds();
      if (!experimentIds.length) return undefined;
      const r = await this.deps.host.request<TracesSubscribeResult>("traces/subscribe", {
        experimentIds,
        sinceMs: run.startMs,
        pollIntervalMs: this.deps.pollIntervalMs?.() ?? 1000,
      });
      this.bySubscription.set(r.subscriptionId, run);
      return r.subscriptionId;
    } catch (err) {
      this.deps.ui.log(`live traces unavailable: ${messageOf(err)}`);
      return undefined;
    }
  }

  private async stop(key: string): Promise<Run | undefined> {
    const run = this.runs.get(key);
    if (!run) return undefined;
    this.runs.delete(key);
    await this.unsubscribe(run);
    return run;
  }

  /**
   * A run ended: stop following it and read its window; undefined when the host could not answer. A run
   * with traces goes into the history (the Runs view) as `label`.
   */
  async finish(key: string, startMs: number | undefined, endMs = this.now(), label?: string): Promise<TracesWindowResult | undefined> {
    const run = await this.stop(key);
    const from = startMs ?? run?.startMs;
    if (from === undefined) return undefined;
    let result: TracesWindowResult;
    try {
      const experimentIds = await this.deps.experimentIds();
      if (!experimentIds.length) return undefined;
      result = await this.deps.host.request<TracesWindowResult>("traces/window", { experimentIds, startTimeMs: from, endTimeMs: endMs });
    } catch (err) {
      this.deps.ui.log(`traces of ${key} unavailable: ${messageOf(err)}`);
      return undefined;
    }
    if (label) await this.deps.history?.add(key.split(":")[0] as RunKind, label, from, endMs, result);
    return result;
  }

  /** Traces seen live so far for a running run (oldest first), or undefined. */
  liveTraces(key: string): TraceSummary[] | undefined {
    const run = this.runs.get(key);
    return run ? [...run.live.values()].sort((a, b) => a.requestTimeMs - b.requestTimeMs) : undefined;
  }

  private onNotification(method: string, params: unknown): void {
    if (method !== "traces/changed" || !params || typeof params !== "object") return;
    const p = params as TracesChangedParams;
    const run = this.bySubscription.get(p.subscriptionId);
    if (!run) return;
    if (p.error) this.deps.ui.log(`live traces: ${p.error.message}`);
    for (const t of p.traces ?? []) run.live.set(t.traceId, t); // in place: a running trace that finished replaces itself
    if (p.traces?.length) this.changed.fire();
  }

  // ---- notebooks --------------------------------------------------------------------------------

  /**
   * A cell's execution summary changed. Without timing it has just started (VS Code records the
   * timing when it ends): follow it live. With timing it ended: show its window's traces.
   */
  async onCellExecution(cellKey: string, summary: CellExecution | undefined, label?: string): Promise<void> {
    if (!this.notebookDisplay || !summary) return;
    const key = `cell:${cellKey}`;
    if (!summary.timing) {
      await this.start(key);
      this.changed.fire();
      return;
    }
    const { startTime, endTime } = summary.timing;
    const result = await this.finish(key, startTime, endTime, label);
    if (!result || !this.notebookDisplay) return;
    this.cells.set(cellKey, result.traces);
    this.changed.fire();
    this.show(`${label ?? "Cell"} — ${countLabel(result.traces.length)}`, result.traces);
  }

  /** The traces of a cell: live while it runs, else its last execution's; undefined when none known. */
  cellTraces(cellKey: string): TraceSummary[] | undefined {
    if (!this.notebookDisplay) return undefined;
    return this.liveTraces(`cell:${cellKey}`) ?? this.cells.get(cellKey);
  }

  /** The cell status bar item: "3 traces" (with errors marked), or nothing when the cell made none. */
  cellStatus(cellKey: string): { text: string; tooltip: string; running: boolean } | undefined {
    const traces = this.cellTraces(cellKey);
    if (!traces?.length) return undefined;
    const running = this.runs.has(`cell:${cellKey}`);
    const errors = traces.filter((t) => t.state === "ERROR").length;
    return {
      text: `${errors ? "$(error)" : "$(pulse)"} ${countLabel(traces.length)}${running ? "…" : ""}`,
      tooltip: `${countLabel(traces.length)}${errors ? `, ${errors} with errors` : ""} — click to open`,
      running,
    };
  }

  openCell(cellKey: string): void {
    const traces = this.cellTraces(cellKey);
    if (traces?.length) this.show(`Cell — ${countLabel(traces.length)}`, traces);
  }

  // ---- debug sessions and terminal commands -----------------------------------------------------

  /** A debug session or a shell command ended: "This run made 12 traces (2 errors) — <what>" with Open. */
  async onRunEnded(key: string, what: string, startMs?: number): Promise<void> {
    const result = await this.finish(key, startMs, undefined, what);
    if (!result?.traces.length) return; // a command that traced nothing is not worth a notification
    if (await this.deps.ui.announce(describeRun(result, what))) this.show(`${what} — ${countLabel(result.traces.length)}`, result.traces);
  }

  private show(title: string, traces: TraceSummary[]): void {
    if (traces.length === 1) this.deps.ui.openTrace(traces[0]!.traceId);
    else if (traces.length > 1) this.deps.ui.openList(title, traces);
  }

  dispose(): void {
    for (const key of [...this.runs.keys()]) void this.stop(key);
    for (const d of this.disposables) d.dispose();
  }
}

function messageOf(err: unknown): string {
  return err && typeof err === "object" && "message" in err ? String((err as { message: unknown }).message) : String(err);
}

/**
 * Wires RunTraces to VS Code: notebook changes, the cell status bar, debug sessions, terminal shell
 * executions, and the Enable/Disable Notebook Display commands.
 */
export function registerRunTraces(context: vscode.ExtensionContext, runs: RunTraces, enabled: { debug(): boolean; terminal(): boolean }): void {
  const cellKey = (cell: vscode.NotebookCell) => cell.document.uri.toString();
  context.subscriptions.push(
    runs,
    vscode.workspace.onDidChangeNotebookDocument((e) => {
      for (const change of e.cellChanges) {
        const label = `cell ${change.cell.index + 1} of ${e.notebook.uri.path.split("/").pop()}`;
        if (change.executionSummary !== undefined) void runs.onCellExecution(cellKey(change.cell), change.executionSummary, label);
      }
    }),
    vscode.notebooks.registerNotebookCellStatusBarItemProvider("*", {
      onDidChangeCellStatusBarItems: runs.onDidChangeCells,
      provideCellStatusBarItems: (cell) => {
        const s = runs.cellStatus(cellKey(cell));
        if (!s) return [];
        const item = new vscode.NotebookCellStatusBarItem(s.text, vscode.NotebookCellStatusBarAlignment.Right);
        item.tooltip = s.tooltip;
        item.command = { title: "Open traces", command: OPEN_CELL_TRACES_COMMAND, arguments: [cellKey(cell)] };
        return [item];
      },
    }),
    vscode.commands.registerCommand(OPEN_CELL_TRACES_COMMAND, (key: unknown) => {
      if (typeof key === "string") runs.openCell(key);
    }),
    vscode.commands.registerCommand("traceide.disableNotebookDisplay", async () => {
      await runs.setNotebookDisplay(false);
      void vscode.window.showInformationMessage("TraceIde: notebook display off for this workspace.");
    }),
    vscode.commands.registerCommand("traceide.enableNotebookDisplay", async () => {
      await runs.setNotebookDisplay(true);
      void vscode.window.showInformationMessage("TraceIde: notebook display on for this workspace.");
    }),
    // A child session (a subprocess, a compound's part) runs inside its parent's run: counted once, by the parent.
    vscode.debug.onDidStartDebugSession((s) => {
      if (enabled.debug() && !s.parentSession) void runs.start(`debug:${s.id}`);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      void runs.onRunEnded(`debug:${s.id}`, `debug session '${s.name}'`);
    }),
  );

  // Shell integration (VS Code ≥ 1.93): one run per command line.
  const executions = new WeakMap<object, string>();
  let next = 0;
  context.subscriptions.push(
    vscode.window.onDidStartTerminalShellExecution((e) => {
      if (!enabled.terminal()) return;
      const key = `terminal:${++next}`;
      executions.set(e.execution, key);
      void runs.start(key);
    }),
    vscode.window.onDidEndTerminalShellExecution((e) => {
      const key = executions.get(e.execution);
      if (!key) return;
      executions.delete(e.execution);
      const command = e.execution.commandLine.value.trim();
      void runs.onRunEnded(key, command.length > 60 ? `${command.slice(0, 57)}…` : command);
    }),
  );
}
