// The web UI (webview/dist copied to media/) inside VS Code, in editor tabs only (the side panel is a native tree,
// traceTree.ts): one tab per trace, the Overview, the full trace list, and a run's traces, each with its own Relay.
// Each page is told which view to mount as (the contract's PanelView, in `data-traceide-view`); it keeps that view,
// with its selection, in its webview state, which the panel serializers read back after a window reload.
// Our own HTML: strict CSP with a nonce, asWebviewUri for main.js / main.css.
import * as vscode from "vscode";
import { PanelViews, UiMethods, type Experiment, type PanelView, type TraceSummary } from "../../webview/src/protocol.generated";
import type { IdeHandler } from "./ideHandlers";
import { Relay, type RelayHooks, type RelayHost } from "./relay";
import { VIEW_KEY, parsePanelView } from "../../webview/src/panel-view";

export const TRACE_PANEL_TYPE = "traceide.trace";
export const OVERVIEW_PANEL_TYPE = "traceide.overview";
export const RUN_LIST_PANEL_TYPE = "traceide.runTraces";
export const LIST_PANEL_TYPE = "traceide.list";
export const COMPARE_PANEL_TYPE = "traceide.compare";
const RUN_LIST_STATE_KEY = "traceide.runList";
const OVERVIEW_TITLE = "TraceIde Overview";
const LIST_TITLE = "TraceIde Traces";
const TRACE_ID = /\btr-[0-9a-f]{8,64}\b/i;
/** The load reason of a panel made to replace a blank one (SilentPageWatch), which never replaces itself in turn. */
const REPLACING = "replacing a blank tab";

function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

/** A compare tab's title: both trace IDs, shortened (the tab's tooltip and the page have them whole). */
function compareTitle(a: string, b: string): string {
  const short = (id: string) => (id.length > 14 ? `${id.slice(0, 11)}…` : id);
  return `Compare ${short(a)} ⇄ ${short(b)}`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export interface HtmlOptions {
  view: PanelView;
  /** Bumped on every reload so VS Code really replaces the document. */
  generation: number;
}

export function renderHtml(webview: vscode.Webview, extensionUri: vscode.Uri, options: HtmlOptions): string {
  const n = nonce();
  const media = vscode.Uri.joinPath(extensionUri, "media");
  const js = webview.asWebviewUri(vscode.Uri.joinPath(media, "main.js"));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(media, "main.css"));
  const src = webview.cspSource;
  const csp = ["default-src 'none'", `img-src ${src} data:`, `font-src ${src}`, `style-src ${src}`, `script-src 'nonce-${n}'`].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>TraceIde</title>
  <link rel="stylesheet" href="${css}">
  <script nonce="${n}" src="${js}" defer></script>
</head>
<body data-traceide-view="${escapeAttr(JSON.stringify(options.view))}" data-generation="${options.generation}">
  <noscript>TraceIde needs JavaScript.</noscript>
</body>
</html>`;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
  };
}

/** One webview (view or panel) with its relay; reload() re-creates the UI (after a host restart). */
class HostedWebview {
  private relay: Relay;
  private generation = 0;
  constructor(
    readonly webview: vscode.Webview,
    private readonly extensionUri: vscode.Uri,
    private readonly html: Omit<HtmlOptions, "generation">,
    host: RelayHost,
    ide: Record<string, IdeHandler>,
    hooks: RelayHooks,
    private readonly log: (line: string) => void,
    private readonly name: string,
  ) {
    webview.options = webviewOptions(extensionUri);
    this.relay = new Relay(webview, host, ide, hooks, () => this.log(`${this.name}: page load ${this.generation} answered`));
  }
  /** Tells the page something (UiMethods); held until the page is up. */
  notify(method: string, params: unknown = null): void {
    this.relay.notify(method, params);
  }

  /** Whether the page of the current load has sent a message. */
  get pageHasSpoken(): boolean {
    return this.relay.pageHasSpoken;
  }

  /** Loads the page (again); `reason` goes to the log. */
  reload(reason: string): void {
    this.relay.cancelAll();
    this.relay.pageReloading();
    this.webview.html = renderHtml(this.webview, this.extensionUri, { ...this.html, generation: ++this.generation });
    this.log(`${this.name}: page load ${this.generation} (${reason})`);
  }
  dispose(): void {
    this.relay.dispose();
  }
}

/**
 * A panel whose page stays silent while it is on screen: after a window reload VS Code now and then restores a
 * panel whose webview never shows a page (a blank tab). The page is loaded again after 4 s on screen (twice); if
 * it is still silent, the webview itself is dead (loading it again never helped in the e2e's runs) and the panel
 * is replaced by a new one (`replace`). Only time on screen counts: a hidden tab's page may be held back.
 */
export class SilentPageWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private revivals = 0;
  private gaveUp = false;
  private readonly delayMs: number;
  private readonly maxRevivals: number;
  private readonly mayReplace: boolean;
  /** @param options.mayReplace false for a panel that is itself a replacement: where no webview ever loads, tabs must
   *  not replace themselves forever. */
  constructor(
    private readonly page: { readonly pageHasSpoken: boolean; reload(reason: string): void; replace(reason: string): void },
    options: { delayMs?: number; maxRevivals?: number; mayReplace?: boolean } = {},
  ) {
    this.delayMs = options.delayMs ?? 4000;
    this.maxRevivals = options.maxRevivals ?? 2;
    this.mayReplace = options.mayReplace ?? true;
  }

  /** The panel is on screen (shown, or loaded while shown): the page has delayMs from now to speak. */
  shown(): void {
    clearTimeout(this.timer);
    if (this.page.pageHasSpoken || this.gaveUp) return;
    this.timer = setTimeout(() => {
      if (this.page.pageHasSpoken) return;
      const silent = `silent ${this.delayMs / 1000} s on screen`;
      if (this.revivals >= this.maxRevivals) {
        this.gaveUp = true;
        if (this.mayReplace) this.page.replace(`${silent} after ${this.maxRevivals} loads; its webview is replaced by a new tab`);
        return;
      }
      this.revivals++;
      this.page.reload(`${silent}; loaded again, ${this.revivals} of ${this.maxRevivals}`);
      this.shown();
    }, this.delayMs);
  }

  hidden(): void {
    clearTimeout(this.timer);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

export interface WebviewDeps {
  extensionUri: vscode.Uri;
  host: RelayHost;
  ide: Record<string, IdeHandler>;
  /** Hooks for the trace list tab and the Overview (page size, pinned experiment, the last search). */
  listHooks: RelayHooks;
  /** Workspace memory: the run list tab's traces, so that it comes back after a window reload. */
  state?: { get<T>(key: string): T | undefined; update(key: string, value: unknown): Thenable<void> };
  /** The TraceIde output channel: when each panel loads its page, and why. */
  log?: (line: string) => void;
}

type Tab = { panel: vscode.WebviewPanel; hosted: HostedWebview };

export class Webviews implements vscode.Disposable {
  private readonly traces = new Map<string, { panel: vscode.WebviewPanel; hosted: HostedWebview }>();
  /** Compare tabs by their pair, A then B ("a,b"). */
  private readonly compares = new Map<string, Tab>();
  private overview: Tab | undefined;
  private list: Tab | undefined;
  private runList: { panel: vscode.WebviewPanel; hosted: HostedWebview; traces: TraceSummary[] } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  /** Why the panel being adopted gets its page (the log says): a new tab, one VS Code restored, a replacement. */
  private loadReason = "opened";

  /** Runs `adopt` with `reason` as the load reason of the panel it hosts. */
  private adoptingAs(reason: string, adopt: () => void): void {
    this.loadReason = reason;
    try {
      adopt();
    } finally {
      this.loadReason = "opened";
    }
  }

  constructor(private readonly deps: WebviewDeps) {
    /** A panel serializer: adopts what VS Code restored after a window reload, logged as such. */
    const restoring = (adopt: (panel: vscode.WebviewPanel, state: unknown) => void): vscode.WebviewPanelSerializer => ({
      deserializeWebviewPanel: async (panel, state) => this.adoptingAs("restored after a window reload", () => adopt(panel, state)),
    });
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(
        TRACE_PANEL_TYPE,
        restoring((panel, state) => {
          const kept = keptView(state);
          const id = (kept?.view === PanelViews.trace ? kept.traceId : undefined) ?? panel.title.match(TRACE_ID)?.[0];
          if (id) this.adoptTracePanel(panel, { view: PanelViews.trace, traceId: id, spanId: kept?.traceId === id ? kept.spanId : undefined });
          else panel.dispose();
        }),
      ),
      vscode.window.registerWebviewPanelSerializer(
        OVERVIEW_PANEL_TYPE,
        restoring((panel, state) => {
          const kept = keptView(state);
          this.adoptOverview(panel, kept?.view === PanelViews.overview ? kept : { view: PanelViews.overview });
        }),
      ),
      vscode.window.registerWebviewPanelSerializer(
        LIST_PANEL_TYPE,
        restoring((panel) => this.adoptList(panel)),
      ),
      vscode.window.registerWebviewPanelSerializer(
        COMPARE_PANEL_TYPE,
        restoring((panel, state) => {
          const kept = keptView(state);
          if (kept?.view === PanelViews.compare && kept.traceIds?.length === 2) this.adoptCompare(panel, kept.traceIds[0]!, kept.traceIds[1]!);
          else panel.dispose();
        }),
      ),
      // A run's list comes back after a window reload with the traces it last showed.
      vscode.window.registerWebviewPanelSerializer(
        RUN_LIST_PANEL_TYPE,
        restoring((panel) => {
          const kept = this.deps.state?.get<{ title?: unknown; traces?: unknown }>(RUN_LIST_STATE_KEY);
          if (kept && typeof kept.title === "string" && Array.isArray(kept.traces)) this.adoptRunList(panel, kept.title, kept.traces as TraceSummary[]);
          else panel.dispose();
        }),
      ),
    );
  }

  /**
   * @param preserveFocus keep the focus where it is (a notebook whose cell just made this trace).
   * @param spanId the span to select when the tab opens.
   */
  openTrace(traceId: string, beside = false, preserveFocus = false, spanId?: string): vscode.WebviewPanel {
    const existing = this.traces.get(traceId);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      TRACE_PANEL_TYPE,
      `Trace ${traceId}`,
      { viewColumn: beside ? this.besideColumn() : vscode.ViewColumn.Active, preserveFocus },
      { ...webviewOptions(this.deps.extensionUri), retainContextWhenHidden: true, enableFindWidget: true },
    );
    this.adoptTracePanel(panel, { view: PanelViews.trace, traceId, spanId });
    return panel;
  }

  /** Two traces compared span by span, in a tab of their own (the web UI's compare view); the same pair reuses its tab. */
  openCompare(a: string, b: string): vscode.WebviewPanel {
    const existing = this.compares.get(`${a},${b}`);
    if (existing) {
      existing.panel.reveal();
      return existing.panel;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_PANEL_TYPE, compareTitle(a, b), vscode.ViewColumn.Active, {
      ...webviewOptions(this.deps.extensionUri),
      retainContextWhenHidden: true,
      enableFindWidget: true,
    });
    this.adoptCompare(panel, a, b);
    return panel;
  }

  private adoptCompare(panel: vscode.WebviewPanel, a: string, b: string): void {
    const key = `${a},${b}`;
    const hosted = this.hostPanel(
      panel,
      compareTitle(a, b),
      { view: PanelViews.compare, traceIds: [a, b] },
      {},
      () => {
        if (this.compares.get(key)?.panel === panel) this.compares.delete(key);
      },
      (fresh) => this.adoptCompare(fresh, a, b),
    );
    this.compares.set(key, { panel, hosted });
  }

  /**
   * "Beside the editor" as an explicit group: the group TraceIde's panels already use, unless that is the
   * editor's own (the notebook or file the user works in); else the group right of the editor. `Beside`
   * is relative to the active group, which after a panel opened with preserveFocus can be that panel's,
   * so each trace a run opened went one group further right.
   */
  private besideColumn(): vscode.ViewColumn {
    const editor = vscode.window.activeNotebookEditor?.viewColumn ?? vscode.window.activeTextEditor?.viewColumn;
    const ours = [this.runList?.panel, ...[...this.traces.values()].map((t) => t.panel)];
    for (const panel of ours) {
      if (panel?.viewColumn !== undefined && panel.viewColumn !== editor) return panel.viewColumn;
    }
    return ((editor ?? vscode.window.tabGroups.activeTabGroup.viewColumn) + 1) as vscode.ViewColumn;
  }

  private adoptTracePanel(panel: vscode.WebviewPanel, view: PanelView): void {
    const traceId = view.traceId!;
    const hosted = this.hostPanel(
      panel,
      `Trace ${traceId}`,
      view,
      {},
      () => {
        if (this.traces.get(traceId)?.panel === panel) this.traces.delete(traceId);
      },
      (fresh) => this.adoptTracePanel(fresh, view),
    );
    this.traces.set(traceId, { panel, hosted });
  }

  /**
   * Puts the web UI into a panel as `view`, with its own relay (`hooks`), revived when it shows up blank (and
   * replaced by a panel `adoptAgain` takes, in the same group, when it stays blank), and `forget` called when the
   * panel closes: every TraceIde tab is hosted this one way.
   */
  private hostPanel(
    panel: vscode.WebviewPanel,
    title: string,
    view: PanelView,
    hooks: RelayHooks,
    forget: () => void,
    adoptAgain: (fresh: vscode.WebviewPanel) => void,
  ): HostedWebview {
    panel.title = title;
    const log = this.deps.log ?? (() => {});
    const hosted = new HostedWebview(panel.webview, this.deps.extensionUri, { view }, this.deps.host, this.deps.ide, hooks, log, title);
    hosted.reload(this.loadReason);
    const watch = new SilentPageWatch(
      {
        get pageHasSpoken() {
          return hosted.pageHasSpoken;
        },
        reload: (reason) => hosted.reload(reason),
        replace: (reason) => {
          log(`${title}: ${reason}`);
          const fresh = vscode.window.createWebviewPanel(
            panel.viewType,
            title,
            { viewColumn: panel.viewColumn ?? vscode.ViewColumn.Active },
            {
              ...webviewOptions(this.deps.extensionUri),
              ...panel.options,
            },
          );
          this.adoptingAs(REPLACING, () => adoptAgain(fresh));
          panel.dispose();
        },
      },
      { mayReplace: this.loadReason !== REPLACING },
    );
    if (panel.visible) watch.shown();
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) return watch.hidden();
      if (!hosted.pageHasSpoken) log(`${title}: shown, page not heard from yet`);
      watch.shown();
    });
    panel.onDidDispose(() => {
      watch.dispose();
      hosted.dispose();
      forget();
    });
    return hosted;
  }

  /** The one tab of its kind (Overview, trace list): shown again if open, else created in the active group. */
  private openSingleTab(open: Tab | undefined, viewType: string, title: string, adopt: (panel: vscode.WebviewPanel) => void): vscode.WebviewPanel {
    if (open) {
      open.panel.reveal();
      return open.panel;
    }
    const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, {
      ...webviewOptions(this.deps.extensionUri),
      retainContextWhenHidden: true,
    });
    adopt(panel);
    return panel;
  }

  openOverview(experimentIds?: string[]): vscode.WebviewPanel {
    return this.openSingleTab(this.overview, OVERVIEW_PANEL_TYPE, OVERVIEW_TITLE, (panel) =>
      this.adoptOverview(panel, { view: PanelViews.overview, experimentIds: experimentIds?.length ? experimentIds : undefined }),
    );
  }

  /** The web UI's full trace list (columns, filters, bulk actions) in a tab of its own. */
  openListTab(): vscode.WebviewPanel {
    return this.openSingleTab(this.list, LIST_PANEL_TYPE, LIST_TITLE, (panel) => this.adoptList(panel));
  }

  private adoptList(panel: vscode.WebviewPanel): void {
    const hosted = this.hostPanel(
      panel,
      LIST_TITLE,
      { view: PanelViews.list },
      this.deps.listHooks,
      () => {
        if (this.list?.panel === panel) this.list = undefined;
      },
      (fresh) => this.adoptList(fresh),
    );
    this.list = { panel, hosted };
  }

  private adoptOverview(panel: vscode.WebviewPanel, view: PanelView): void {
    const hosted = this.hostPanel(
      panel,
      OVERVIEW_TITLE,
      view,
      this.deps.listHooks,
      () => {
        if (this.overview?.panel === panel) this.overview = undefined;
      },
      (fresh) => this.adoptOverview(fresh, view),
    );
    this.overview = { panel, hosted };
  }

  /**
   * The traces a run made (a notebook cell, a debug session, a command), in the web UI's list, beside
   * the editor. One panel, reused: its relay answers `traces/search` with exactly these traces.
   */
  openTraceList(title: string, traces: TraceSummary[]): vscode.WebviewPanel {
    void this.deps.state?.update(RUN_LIST_STATE_KEY, { title, traces });
    if (this.runList) {
      this.runList.traces = traces;
      this.runList.panel.title = title;
      this.runList.hosted.reload("a new run's traces");
      this.runList.panel.reveal(undefined, true);
      return this.runList.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      RUN_LIST_PANEL_TYPE,
      title,
      { viewColumn: this.besideColumn(), preserveFocus: true },
      {
        ...webviewOptions(this.deps.extensionUri),
        retainContextWhenHidden: true,
      },
    );
    this.adoptRunList(panel, title, traces);
    return panel;
  }

  private adoptRunList(panel: vscode.WebviewPanel, title: string, traces: TraceSummary[]): void {
    const tracesNow = () => this.runList?.traces ?? traces;
    const hooks: RelayHooks = {
      intercept: (method, params) => {
        if (method !== "traces/search") return undefined;
        if ((params as { pageToken?: string } | null)?.pageToken) return Promise.resolve({ traces: [], nextPageToken: null });
        return Promise.resolve({ traces: tracesNow(), nextPageToken: null });
      },
      result: (method, _params, result) => {
        if (method !== "experiments/list" || !result || typeof result !== "object") return result;
        const wanted = new Set(tracesNow().map((t) => t.experimentId));
        const only = ((result as { experiments: Experiment[] }).experiments ?? []).filter((x) => wanted.has(x.experimentId));
        return only.length ? { ...(result as object), experiments: only } : result;
      },
    };
    const hosted = this.hostPanel(
      panel,
      title,
      { view: PanelViews.runList },
      hooks,
      () => {
        if (this.runList?.panel === panel) this.runList = undefined;
      },
      (fresh) => this.adoptRunList(fresh, title, tracesNow()),
    );
    this.runList = { panel, hosted, traces };
  }

  /** The trace IDs the run list panel shows (tests). */
  get runListTraceIds(): string[] {
    return this.runList?.traces.map((t) => t.traceId) ?? [];
  }

  get openTraceIds(): string[] {
    return [...this.traces.keys()];
  }

  /**
   * "TraceIde: Toggle Live Mode" while the trace list tab is the active editor: its own live mode
   * (`ui/toggleLive`, which keeps its filter, selection and open trace); false when it is not active.
   */
  toggleListTabLive(): boolean {
    if (!this.list?.panel.active) return false;
    this.list.hosted.notify(UiMethods.toggleLive);
    return true;
  }

  /** Every webview re-requests its state (after a host restart or a settings change); `reason` goes to the log. */
  reloadAll(reason: string): void {
    this.list?.hosted.reload(reason);
    this.overview?.hosted.reload(reason);
    this.runList?.hosted.reload(reason);
    for (const t of this.traces.values()) t.hosted.reload(reason);
  }

  dispose(): void {
    this.list?.hosted.dispose();
    this.overview?.hosted.dispose();
    this.runList?.hosted.dispose();
    for (const t of this.traces.values()) t.hosted.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The view a page kept in its webview state (webview/src/panel-view.ts: the `view` key), if it is one. */
function keptView(state: unknown): PanelView | undefined {
  return parsePanelView(state && typeof state === "object" ? (state as Record<string, unknown>)[VIEW_KEY] : undefined) ?? undefined;
}

/** A `tr-…` trace ID in a piece of text (an editor selection), if any. */
export function findTraceId(text: string | undefined): string | undefined {
  return text?.match(TRACE_ID)?.[0];
}
