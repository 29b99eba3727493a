// The "Traces" side panel as a native VS Code tree (TraceTreeModel holds what it shows): experiment → traces,
// or → sessions → traces; a click opens the trace in an editor tab. Filter, time range, live mode, grouping
// and Refresh sit in the view's title bar; open, open to the side, copy ID, Overview, set tag and delete in a
// row's context menu. With no backend configured the view shows its welcome content (package.json
// `viewsWelcome`, when `traceide.connection` is "unconfigured"); an unreachable one, the reason and Retry.
import * as vscode from "vscode";
import type { BackendCapabilities, TraceSummary, TracesDeleteResult } from "../../webview/src/protocol.generated";
import { RpcMethods } from "../../webview/src/protocol.generated";
import { TIME_FILTERS, completions, applyCompletion, knownKeys, type TimeFilter } from "../../webview/src/traces-logic";
import type { HostStatus } from "./hostProcess";
import { redact } from "./relay";
import { TraceTreeModel, oneLine, traceDescription, traceIcon, traceLabel, type TraceTreeHost, type TraceTreeOptions, type TreeNode } from "./traceTreeModel";

export const TRACE_TREE_ID = "traceide.traces";

/** A trace row's icon in the theme's test colours: failed, running, passed (the Traces and Runs views). */
export function traceStateIcon(t: Pick<TraceSummary, "state">): vscode.ThemeIcon {
  const icon = traceIcon(t);
  if (icon === "error") return new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed"));
  if (icon === "running") return new vscode.ThemeIcon("sync~spin");
  return new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed"));
}

/** What the view's welcome content and title actions depend on (package.json `when` clauses). */
export const TreeContext = {
  /** "connected" | "unconfigured" | "failed" | "starting". */
  connection: "traceide.connection",
  live: "traceide.live",
  filtered: "traceide.filtered",
  grouped: "traceide.groupedBySession",
  canEditTags: "traceide.canEditTags",
  canDelete: "traceide.canDelete",
} as const;

/** What the tree offers when its backend is out of reach (the welcome content cannot show beside a message). */
const FAILED_ACTIONS: TreeNode[] = [
  { kind: "message", experimentId: "", text: "Retry Now", action: { command: "traceide.restartHost", icon: "refresh" } },
  { kind: "message", experimentId: "", text: "Connect to Another Server or Store…", action: { command: "traceide.connect", icon: "plug" } },
  { kind: "message", experimentId: "", text: "Show Host Log", action: { command: "traceide.showLog", icon: "output" } },
];

/** The host's error when nothing says where traces are (BackendSelector's message). */
const UNCONFIGURED = /^No MLflow backend configured/;

export interface TraceTreeDeps {
  host: TraceTreeHost;
  options: TraceTreeOptions;
  openTrace(traceId: string, beside: boolean): void;
  /** Two traces side by side span by span, A (the earlier) then B. */
  openCompare(a: string, b: string): void;
  openOverview(experimentIds: string[]): void;
  capabilities(): BackendCapabilities | undefined;
}

export class TraceTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly model: TraceTreeModel;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private connection: "connected" | "unconfigured" | "failed" | "starting" = "starting";
  /** The running host and backend the rows came from. */
  private running: string | undefined;

  constructor(private readonly deps: TraceTreeDeps) {
    this.model = new TraceTreeModel(deps.host, deps.options);
    this.view = vscode.window.createTreeView(TRACE_TREE_ID, { treeDataProvider: this, showCollapseAll: true, canSelectMany: true });
    this.disposables.push(
      this.view,
      this.changed,
      this.model.onDidChange((node) => this.refreshView(node)),
    );
    this.refreshView();
  }

  private refreshView(node?: TreeNode): void {
    this.changed.fire(node);
    const summary = this.model.filterSummary;
    if (this.model.error)
      this.view.message =
        this.connection === "failed" ? `Cannot load traces: ${this.model.error}` : this.connection === "starting" ? this.model.error : undefined;
    else
      this.view.message = summary
        ? `Filter: ${summary}${this.model.isLive ? " · live" : ""}`
        : this.model.isLive
          ? "Live: new traces appear on top."
          : undefined;
    this.view.description = this.model.isLive ? "live" : undefined;
    void vscode.commands.executeCommand("setContext", TreeContext.live, this.model.isLive);
    void vscode.commands.executeCommand("setContext", TreeContext.filtered, !!summary);
    void vscode.commands.executeCommand("setContext", TreeContext.grouped, this.model.groupBySession);
  }

  /** The host's state: a new backend clears the rows at once; a lost one shows why (the message) and Retry rows. */
  onHostStatus(s: HostStatus): void {
    const running = s.state === "running" ? `${s.pid} ${s.info?.backendKind} ${s.info?.backendLocation}` : undefined;
    if (running && running === this.running) return; // the same host on the same backend: keep what is loaded
    this.running = running;
    this.connection = s.state === "running" ? "connected" : s.state === "failed" ? (UNCONFIGURED.test(s.error ?? "") ? "unconfigured" : "failed") : "starting";
    void vscode.commands.executeCommand("setContext", TreeContext.connection, this.connection);
    // Write actions only where the backend allows them (a local store is read-only).
    void vscode.commands.executeCommand("setContext", TreeContext.canEditTags, s.info?.capabilities.editTags === true);
    void vscode.commands.executeCommand("setContext", TreeContext.canDelete, s.info?.capabilities.deleteTraces === true);
    if (s.state === "running") this.model.reset();
    else if (s.state === "failed") this.model.reset(redact(s.error ?? "The TraceIde host is not running."));
    else this.model.reset(s.nextRetryMs ? `Reconnecting in ${Math.round(s.nextRetryMs / 1000)} s…` : "Connecting…");
  }

  getChildren(node?: TreeNode): Promise<TreeNode[]> | TreeNode[] {
    // Out of reach: the reason is the view's message, the ways out are rows (reachable from the keyboard).
    if (!node && this.connection === "failed" && this.model.error) return FAILED_ACTIONS;
    return this.model.children(node);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case "experiment": {
        const x = node.experiment;
        const item = new vscode.TreeItem(
          oneLine(x.name) || x.experimentId,
          x.experimentId === this.model.primaryExperimentId ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `x/${x.experimentId}`;
        item.description = x.isGenAi ? undefined : "not GenAI";
        item.iconPath = new vscode.ThemeIcon("beaker");
        item.contextValue = "experiment";
        item.tooltip = `Experiment ${x.experimentId}`;
        return item;
      }
      case "session": {
        const label = node.session ? `Session ${oneLine(node.session)}` : "No session";
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `s/${node.experimentId}/${node.session ?? ""}`;
        item.description = node.traces.length === 1 ? "1 trace" : `${node.traces.length} traces`;
        item.iconPath = new vscode.ThemeIcon("comment-discussion");
        return item;
      }
      case "trace":
        return this.traceItem(node.trace);
      case "more": {
        const item = new vscode.TreeItem("Load more…", vscode.TreeItemCollapsibleState.None);
        item.id = `more/${node.experimentId}/${this.model.loaded(node.experimentId).length}`;
        item.iconPath = new vscode.ThemeIcon("ellipsis");
        item.command = { title: "Load more", command: "traceide.tree.loadMore", arguments: [node.experimentId] };
        return item;
      }
      case "message": {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = `msg/${node.experimentId}/${node.text}`;
        if (node.action) {
          item.iconPath = new vscode.ThemeIcon(node.action.icon);
          item.command = { title: node.text, command: node.action.command };
          return item;
        }
        item.iconPath = new vscode.ThemeIcon(node.error ? "warning" : "info");
        item.tooltip = node.text;
        if (node.error) item.command = { title: "Retry", command: "traceide.refresh" };
        else if (this.model.filterSummary) item.command = { title: "Clear filter", command: "traceide.clearFilter" };
        return item;
      }
    }
  }

  private traceItem(t: TraceSummary): vscode.TreeItem {
    const item = new vscode.TreeItem(traceLabel(t), vscode.TreeItemCollapsibleState.None);
    // Stable across refreshes and live updates, so VS Code keeps the selection and the focus on it.
    item.id = `t/${t.experimentId}/${t.traceId}${this.model.groupBySession ? `/${t.session ?? ""}` : ""}`;
    item.description = traceDescription(t, this.deps.options.now());
    item.iconPath = traceStateIcon(t);
    const tip = new vscode.MarkdownString();
    tip.appendText(`${traceLabel(t)}\n${t.traceId} · ${t.state}\n`);
    if (t.requestPreview) tip.appendText(`\nRequest: ${oneLine(t.requestPreview).slice(0, 300)}`);
    if (t.responsePreview) tip.appendText(`\nResponse: ${oneLine(t.responsePreview).slice(0, 300)}`);
    item.tooltip = tip;
    item.accessibilityInformation = {
      label: `${traceLabel(t)}, ${t.state === "ERROR" ? "error" : t.state === "IN_PROGRESS" ? "running" : "OK"}, ${item.description}`,
    };
    item.contextValue = "trace";
    item.command = { title: "Open Trace", command: "traceide.tree.open", arguments: [t.traceId] };
    return item;
  }

  /** The traces a context-menu command applies to: the selection when the clicked row is part of it. */
  private targets(node?: TreeNode | string): TraceSummary[] {
    const clicked = typeof node === "string" ? this.model.findTrace(node) : node?.kind === "trace" ? node.trace : undefined;
    const selected = this.view.selection.flatMap((n) => (n.kind === "trace" ? [n.trace] : []));
    if (clicked && selected.some((t) => t.traceId === clicked.traceId)) return selected;
    return clicked ? [clicked] : selected;
  }

  /** Trace IDs for commands that need no more (also from the Runs view, whose rows carry `trace` too). */
  private targetIds(node?: TreeNode | { trace?: { traceId: string } }): string[] {
    const own = this.targets(node as TreeNode).map((t) => t.traceId);
    if (own.length) return own;
    const id = node && "trace" in node ? node.trace?.traceId : undefined;
    return id ? [id] : [];
  }

  // ---- title actions --------------------------------------------------------------------------------

  /** The filter in a quick input, with the web UI's completions (entity prefixes, the loaded rows' keys). */
  async editFilter(): Promise<void> {
    const keys = knownKeys(this.model.experiments?.flatMap((x) => this.model.loaded(x.experimentId)) ?? []);
    const input = vscode.window.createQuickPick<vscode.QuickPickItem & { completion?: string }>();
    input.title = "Filter traces: words to search for, or MLflow's filter syntax";
    input.placeholder = "e.g. weather, or trace.status = 'ERROR' AND span.name = 'get_weather'  (Enter: apply, empty: no filter)";
    input.value = this.model.filter;
    // A filter being typed is not lost when the user clicks into the tree or an editor to look up a key or value (and
    // the focus VS Code gives back to the view the palette came from cannot close it): Escape closes it.
    input.ignoreFocusOut = true;
    const suggest = () => {
      const text = input.value;
      const c = completions(text, text.length, keys);
      const apply: vscode.QuickPickItem = { label: text.trim() ? `Apply: ${text.trim()}` : "Show all traces (no filter)", alwaysShow: true };
      input.items = [
        apply,
        ...c.items.map((item) => ({ label: item, description: "complete", alwaysShow: true, completion: applyCompletion(text, c, item).text })),
      ];
    };
    suggest();
    const done = new Promise<string | undefined>((resolve) => {
      input.onDidChangeValue(suggest);
      input.onDidAccept(() => {
        const picked = input.selectedItems[0];
        if (picked?.completion !== undefined) {
          input.value = picked.completion;
          suggest();
          return;
        }
        resolve(input.value);
        input.hide();
      });
      input.onDidHide(() => resolve(undefined));
    });
    input.show();
    const filter = await done;
    input.dispose();
    if (filter !== undefined) this.model.setFilter(filter);
  }

  async pickTimeRange(): Promise<void> {
    const pick = await vscode.window.showQuickPick(
      TIME_FILTERS.map((t) => ({ label: t.label, key: t.key, description: t.key === this.model.timeFilter ? "current" : undefined })),
      { placeHolder: "Traces from" },
    );
    if (pick) this.model.setFilter(this.model.filter, pick.key as TimeFilter);
  }

  // ---- row actions --------------------------------------------------------------------------------

  async copyIds(node?: TreeNode): Promise<void> {
    const ids = this.targetIds(node);
    if (ids.length) await vscode.env.clipboard.writeText(ids.join("\n"));
  }

  async setTag(node?: TreeNode): Promise<void> {
    const traces = this.targets(node);
    if (!traces.length) return;
    if (this.deps.capabilities()?.editTags === false)
      throw new Error("this backend cannot edit tags (a local store is read-only; connect to a tracking server).");
    const key = await vscode.window.showInputBox({
      prompt: `Tag key (${traces.length === 1 ? traces[0]!.traceId : `${traces.length} traces`})`,
      validateInput: (v) => (v.trim() ? undefined : "A key is required"),
    });
    if (!key) return;
    const value = await vscode.window.showInputBox({ prompt: `Value of ${key.trim()}` });
    if (value === undefined) return;
    for (const t of traces) await this.deps.host.request(RpcMethods.tracesSetTag, { traceId: t.traceId, key: key.trim(), value });
    this.model.reset();
  }

  async deleteTraces(node?: TreeNode): Promise<void> {
    const traces = this.targets(node);
    if (!traces.length) return;
    if (this.deps.capabilities()?.deleteTraces === false)
      throw new Error("this backend cannot delete traces (a local store is read-only; connect to a tracking server).");
    const what = traces.length === 1 ? `trace ${traces[0]!.traceId}` : `${traces.length} traces`;
    const ok = await vscode.window.showWarningMessage(`Delete ${what} from the tracking server? This cannot be undone.`, { modal: true }, "Delete");
    if (ok !== "Delete") return;
    const byExperiment = new Map<string, string[]>();
    for (const t of traces) byExperiment.set(t.experimentId, [...(byExperiment.get(t.experimentId) ?? []), t.traceId]);
    let deleted = 0;
    for (const [experimentId, traceIds] of byExperiment) {
      deleted += (await this.deps.host.request<TracesDeleteResult>(RpcMethods.tracesDelete, { experimentId, traceIds })).deleted;
    }
    this.model.removeTraces(traces.map((t) => t.traceId));
    void vscode.window.showInformationMessage(`TraceIde: deleted ${deleted === 1 ? "1 trace" : `${deleted} traces`}.`);
  }

  register(
    context: vscode.ExtensionContext,
    withErrors: <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) => (...args: A) => Promise<unknown>,
  ): void {
    const reg = (id: string, fn: (...args: any[]) => Promise<unknown>) => context.subscriptions.push(vscode.commands.registerCommand(id, withErrors(fn)));
    // A row's click passes the trace ID (the Runs view's rows too, whose traces this tree may not hold).
    reg("traceide.tree.open", async (arg?: string | TreeNode) => {
      const id = typeof arg === "string" ? arg : this.targets(arg)[0]?.traceId;
      if (id) this.deps.openTrace(id, false);
    });
    reg("traceide.tree.openToSide", async (node?: TreeNode) => {
      for (const id of this.targetIds(node)) this.deps.openTrace(id, true);
    });
    reg("traceide.tree.copyId", async (node?: TreeNode) => this.copyIds(node));
    reg("traceide.tree.compare", async (node?: TreeNode) => {
      const picked = this.targets(node);
      if (picked.length !== 2) throw new Error(`select exactly two traces to compare (Ctrl or Shift + click in the Traces view); ${picked.length} selected.`);
      // The earlier trace is A, as the web UI's Compare does.
      const [a, b] = [...picked].sort((x, y) => x.requestTimeMs - y.requestTimeMs);
      this.deps.openCompare(a!.traceId, b!.traceId);
    });
    reg("traceide.tree.showInOverview", async (node?: TreeNode) => {
      const ids = node?.kind === "experiment" ? [node.experiment.experimentId] : [...new Set(this.targets(node).map((t) => t.experimentId))];
      this.deps.openOverview(ids);
    });
    reg("traceide.tree.setTag", async (node?: TreeNode) => this.setTag(node));
    reg("traceide.tree.delete", async (node?: TreeNode) => this.deleteTraces(node));
    reg("traceide.tree.loadMore", async (experimentId: string) => this.model.loadMore(experimentId));
    reg("traceide.filter", async () => this.editFilter());
    reg("traceide.clearFilter", async () => this.model.setFilter("", "ALL"));
    reg("traceide.timeRange", async () => this.pickTimeRange());
    reg("traceide.liveOn", async () => this.model.setLive(true));
    reg("traceide.liveOff", async () => this.model.setLive(false));
    reg("traceide.groupBySession", async () => this.model.setGroupBySession(true));
    reg("traceide.ungroup", async () => this.model.setGroupBySession(false));
  }

  dispose(): void {
    this.model.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
