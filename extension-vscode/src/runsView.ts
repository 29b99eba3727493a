// The "Runs" side view: the RunHistory as a native tree (run → its traces). A trace opens in its tab; a run's
// inline action opens all its traces in the run list tab. Kept across window reloads by the history itself.
import * as vscode from "vscode";
import { type RunHistory, runCounts, type RunRecord, type RunTrace } from "./runHistory";
import { oneLine, traceLabel, relativeTime } from "./traceTreeModel";
import { traceStateIcon } from "./traceTree";
import { formatDuration } from "../../webview/src/format";

export const RUNS_VIEW_ID = "traceide.runs";

type RunNode = { kind: "run"; run: RunRecord } | { kind: "trace"; run: RunRecord; trace: RunTrace };

const RUN_ICONS = { terminal: "terminal", debug: "debug-alt", cell: "notebook" } as const;

export interface RunsViewDeps {
  history: RunHistory;
  now(): number;
  openTrace(traceId: string): void;
  openList(title: string, run: RunRecord): void;
}

export class RunsView implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<RunNode>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: RunsViewDeps) {
    this.view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this });
    this.disposables.push(
      this.view,
      this.changed,
      deps.history.onDidChange(() => this.changed.fire(undefined)),
    );
  }

  getChildren(node?: RunNode): RunNode[] {
    if (!node) return this.deps.history.list().map((run) => ({ kind: "run", run }));
    if (node.kind === "run") return node.run.traces.map((trace) => ({ kind: "trace", run: node.run, trace }));
    return [];
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === "run") {
      const { run } = node;
      const item = new vscode.TreeItem(oneLine(run.label), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `run/${run.id}`;
      item.description = `${runCounts(run)} · ${relativeTime(run.startMs, this.deps.now())}`;
      item.iconPath = new vscode.ThemeIcon(RUN_ICONS[run.kind] ?? "run", run.errorCount ? new vscode.ThemeColor("testing.iconFailed") : undefined);
      item.tooltip = `${run.label}\n${new Date(run.startMs).toLocaleString()} · ${formatDuration(run.endMs - run.startMs)}\n${runCounts(run)}`;
      item.contextValue = "run";
      return item;
    }
    const t = node.trace;
    const item = new vscode.TreeItem(traceLabel(t), vscode.TreeItemCollapsibleState.None);
    item.id = `run/${node.run.id}/${t.traceId}`;
    item.description = `${formatDuration(t.durationMs)} · ${t.traceId}`;
    item.iconPath = traceStateIcon(t);
    item.contextValue = "trace";
    item.command = { title: "Open Trace", command: "traceide.tree.open", arguments: [t.traceId] };
    return item;
  }

  register(context: vscode.ExtensionContext): void {
    context.subscriptions.push(
      this,
      vscode.commands.registerCommand("traceide.runs.openAll", (node?: RunNode) => {
        const run = node?.run ?? this.deps.history.list()[0];
        if (run) this.deps.openList(`${oneLine(run.label)} — ${runCounts(run)}`, run);
      }),
      vscode.commands.registerCommand("traceide.runs.remove", (node?: RunNode) => node && this.deps.history.remove(node.run.id)),
      vscode.commands.registerCommand("traceide.runs.clear", () => this.deps.history.clear()),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
