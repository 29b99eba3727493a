// The application shell: header (connection, experiment picker, refresh), traces view, trace viewer.
import { PanelViews, type Experiment, type InitializeResult, type PanelView, type UiNotifications } from "./protocol.generated";
import { CONNECTION_LOST, METHOD_NOT_FOUND, RpcError, type Transport } from "./transport";
import { clear, h, isTextInput } from "./dom";
import "./controls";
import { TracesView } from "./traces-view";
import { TraceViewer } from "./trace-viewer";
import { SessionsView } from "./sessions-view";
import { openKeysHelp } from "./keys-help";
import type { PageState } from "./browser-url";
import { DEFAULT_RANGE } from "./overview-math";
import { OverviewView, type OverviewOptions } from "./overview-view";
import type { ChartFactory } from "./charts";
import type { SettingsStore } from "./traces-logic";
import { HostClock } from "./clock";
import { VIEW_KEY } from "./panel-view";
import { CompareView, pickTrace } from "./compare-view";

/** GenAI experiments first, then by name; the default is the first. */
export function sortExperiments(experiments: Experiment[]): Experiment[] {
  return [...experiments].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name));
}

export function connectionText(info: InitializeResult): string {
  const kind = info.backendKind === "localStore" ? "Local store" : info.backendKind === "mlflowServer" ? "MLflow server" : info.backendKind;
  return [kind, info.backendLocation, info.mlflowVersion ? `MLflow ${info.mlflowVersion}` : null].filter(Boolean).join(" · ");
}

export interface AppOptions {
  pageSize?: number;
  /** "ide" when running in a VS Code / Visual Studio webview (enables the jump-to-source hook). */
  mode?: "ide" | "browser";
  chart?: ChartFactory;
  /** Where the column choice and the viewer's splitter are kept: vscode getState/setState in a webview, localStorage in a browser. */
  settings?: SettingsStore;
  /** "Now" for time filters and Overview ranges; by default the host's clock (see clock.ts). */
  now?: OverviewOptions["now"];
  /** What to mount as (panel-view.ts): the trace list by default, one trace, or the Overview. Kept in `settings`. */
  view?: PanelView;
}

export type MainTab = "traces" | "sessions" | "overview";

export class App {
  readonly element: HTMLElement;
  private readonly connection: HTMLElement;
  private readonly experimentSelect: HTMLSelectElement;
  private readonly banner: HTMLElement;
  readonly traces: TracesView;
  readonly viewer: TraceViewer;
  readonly overview: OverviewView;
  readonly sessions: SessionsView;
  readonly compare: CompareView;
  /** Where Escape on the compare goes back to: the list, or the trace it was opened from (null: nowhere, it was left). */
  private compareFrom: "list" | "viewer" | null = null;
  private readonly tabButtons = new Map<MainTab, HTMLButtonElement>();
  private readonly clock = new HostClock();
  /** Settles when `session/info` answered (or failed): the host's clock is known from then on. */
  private sessionReady: Promise<void> = Promise.resolve();
  tab: MainTab = "traces";
  /** The view this page shows, as it is now (kept in the settings after every change). */
  view: PanelView;
  private readonly settings: SettingsStore | undefined;

  constructor(
    private readonly transport: Transport,
    options: AppOptions = {},
  ) {
    this.view = options.view ?? { view: PanelViews.list };
    this.settings = options.settings;
    this.connection = h("span", { class: "connection muted", title: "Connecting…" }, "Connecting…");
    this.experimentSelect = h("select", { class: "experiment", "aria-label": "Experiment", disabled: true });
    this.experimentSelect.addEventListener("change", () => this.setExperiments([this.experimentSelect.value]));
    const refresh = h("vscode-button", { secondary: true, class: "refresh", title: "Reload experiments and traces" }, "Refresh");
    refresh.addEventListener("click", () => void this.refresh());
    const listLike = this.view.view === PanelViews.list || this.view.view === PanelViews.runList;
    this.banner = h("div", { class: "banner", role: "alert", hidden: true });

    this.viewer = new TraceViewer(transport, {
      mode: options.mode ?? "browser",
      standalone: this.view.view === PanelViews.trace,
      openInTab: options.mode === "ide" && listLike,
      settings: options.settings,
    });
    this.viewer.onSelect = (spanId) => {
      if (this.view.view === PanelViews.trace) this.keepView({ ...this.view, spanId });
      else this.onStateChanged?.(false);
    };
    const now = options.now ?? this.clock.now;
    this.overview = new OverviewView(transport, { chart: options.chart, now });
    this.overview.onChange = () => {
      if (this.view.view === PanelViews.overview) this.keepView({ ...this.view, tab: this.overview.tab, rangeKey: this.overview.rangeKey });
      else this.onStateChanged?.(false);
    };
    this.traces = new TracesView(
      transport,
      (t) => {
        this.traces.element.hidden = true;
        void this.viewer.open(t);
        this.onStateChanged?.(true);
      },
      options.pageSize ?? 100,
      { settings: options.settings, now },
    );
    // A turn of a session opens in the same viewer; closing it goes back to the transcript.
    this.sessions = new SessionsView(transport, (t) => {
      this.sessions.element.hidden = true;
      void this.viewer.open(t);
      this.onStateChanged?.(true);
    });
    this.viewer.onClose = () => {
      this.traces.element.hidden = this.tab !== "traces";
      this.sessions.element.hidden = this.tab !== "sessions";
      if (this.tab === "sessions") this.sessions.focus();
      this.traces.setSelected(null);
      this.onStateChanged?.(true);
    };
    this.viewer.onNavigate = (delta) => this.openRelative(delta);
    this.traces.onQueryChanged = () => this.onStateChanged?.(false);
    this.viewer.onAssessmentsChanged = (traceId, assessments) => this.traces.setAssessments(traceId, assessments);
    this.viewer.onTagsChanged = (traceId, tags) => this.traces.tagsChanged(traceId, tags);
    this.compare = new CompareView(transport, { standalone: this.view.view === PanelViews.compare });
    this.wireCompare(listLike);

    const tabs = h("nav", { class: "segmented main-tabs", role: "tablist", "aria-label": "View" });
    for (const [key, label] of [
      ["traces", "Traces"],
      ["sessions", "Sessions"],
      ["overview", "Overview"],
    ] as [MainTab, string][]) {
      const b = h("button", { type: "button", role: "tab", "data-main-tab": key, "aria-selected": String(key === this.tab) }, label);
      b.addEventListener("click", () => this.setTab(key));
      this.tabButtons.set(key, b);
      tabs.appendChild(b);
    }

    this.element = h(
      "div",
      { class: "app", "data-view": this.view.view, "data-panel-view": JSON.stringify(this.view) },
      h(
        "header",
        { class: "app-header" },
        h("span", { class: "brand" }, "TraceIde"),
        listLike ? tabs : null,
        this.connection,
        h("span", { class: "spacer" }),
        this.view.view === PanelViews.trace || this.view.view === PanelViews.compare
          ? null
          : h("label", { class: "muted experiment-label" }, "Experiment ", this.experimentSelect),
        refresh,
      ),
      this.banner,
      h("main", { class: "app-main" }, this.traces.element, this.sessions.element, this.viewer.element, this.compare.element, this.overview.element),
    );
  }

  /** What the page shows changed; `push` for a trace opened or closed or a tab (browser mode's address bar). */
  onStateChanged: ((push: boolean) => void) | null = null;

  /** What the page shows, for the address bar; null where it shows the default. */
  pageState(): PageState {
    const orderBy = this.traces.orderBy;
    return {
      tab: this.tab === "traces" ? null : this.tab,
      experiment: this.experimentSelect.value || null,
      q: this.traces.filterText || null,
      sort: orderBy === "timestamp_ms DESC" ? null : orderBy,
      trace: this.viewer.isOpen ? this.viewer.traceId : null,
      span: this.viewer.isOpen ? this.viewer.selectedSpanId : null,
      overview: this.tab === "overview" && this.overview.tab !== "usage" ? this.overview.tab : null,
      range: this.tab === "overview" && this.overview.rangeKey !== DEFAULT_RANGE && this.overview.rangeKey !== "CUSTOM" ? this.overview.rangeKey : null,
      unit: this.tab === "overview" ? this.overview.chosenUnit : null,
      compare: this.compare.isOpen ? (this.compare.traceIds?.join(",") ?? null) : null,
    };
  }

  /** Shows a state from the address bar (a link, a reload, Back or Forward). */
  async restore(state: PageState): Promise<void> {
    const known = [...this.experimentSelect.options].some((o) => o.value === state.experiment);
    if (state.experiment && known && state.experiment !== this.experimentSelect.value) {
      this.experimentSelect.value = state.experiment;
      this.setExperiments([state.experiment]);
    }
    this.traces.applyQuery(state.q ?? "", state.sort ?? "timestamp_ms DESC");
    if (state.compare) {
      const [a, b] = state.compare.split(",") as [string, string];
      const shown = this.compare.traceIds;
      if (!this.compare.isOpen || shown?.[0] !== a || shown?.[1] !== b)
        await this.openCompare(a, b, this.compare.isOpen ? (this.compareFrom ?? "list") : this.viewer.isOpen ? "viewer" : "list");
      return;
    }
    if (this.compare.isOpen) this.compare.close(); // Back from a compare: to where it was opened from
    if (state.trace) {
      if (this.viewer.isOpen && this.viewer.traceId === state.trace) {
        if (state.span && state.span !== this.viewer.selectedSpanId) this.viewer.select(state.span);
      } else await this.openTrace(state.trace, state.span ?? undefined);
      return;
    }
    if (this.viewer.isOpen && this.view.view !== PanelViews.trace) this.viewer.close();
    if (state.tab === "overview") this.overview.applyState(state.overview, state.range, state.unit);
    this.setTab(state.tab === "sessions" || state.tab === "overview" ? state.tab : "traces");
  }

  setTab(tab: MainTab): void {
    this.tab = tab;
    this.leaveCompare();
    for (const [k, b] of this.tabButtons) b.setAttribute("aria-selected", String(k === tab));
    if (this.viewer.isOpen && tab !== "traces") this.viewer.close();
    if (tab === "overview") this.overview.show();
    else this.overview.hide();
    if (tab === "sessions") this.sessions.show();
    else this.sessions.hide();
    this.traces.element.hidden = tab !== "traces" || this.viewer.isOpen;
    this.onStateChanged?.(true);
  }

  /** What the IDE may tell the page (the contract's UiMethods); unknown methods are ignored. */
  readonly uiHandlers: { [M in keyof UiNotifications]: (params: UiNotifications[M]["params"]) => void } = {
    // The one live mode: the list's own, which keeps the filter, the selection and the open trace.
    "ui/toggleLive": () => {
      if (this.view.view === PanelViews.list || this.view.view === PanelViews.runList) this.traces.setLive(!this.traces.isLive);
    },
  };

  handleUiNotification(method: string, params: unknown): void {
    if (Object.hasOwn(this.uiHandlers, method)) (this.uiHandlers as Record<string, (p: unknown) => void>)[method]!(params);
  }

  /** Opens a trace by ID in this page's viewer (browser mode's answer to `ide/openTrace`). */
  async openTrace(traceId: string, spanId?: string): Promise<void> {
    this.leaveCompare();
    if (this.tab !== "traces") this.setTab("traces");
    this.traces.element.hidden = true;
    this.traces.setSelected(traceId);
    const opened = this.viewer.open({ traceId }, { spanId });
    this.onStateChanged?.(true);
    await opened;
  }

  /** Back to the trace list (browser mode's answer to `ide/revealPanel`). */
  showList(): void {
    this.leaveCompare();
    if (this.viewer.isOpen && this.view.view !== PanelViews.trace) this.viewer.close();
    this.setTab("traces");
  }

  /** `n` / `p` in the viewer: the next / previous trace of the list (loading the next page when needed). */
  async openRelative(delta: 1 | -1): Promise<void> {
    const current = this.viewer.traceId;
    const rows = this.traces.rows;
    const i = rows.findIndex((t) => t.traceId === current);
    if (i < 0) return;
    let target = rows[i + delta];
    if (!target && delta === 1) {
      await this.traces.loadMorePage();
      target = this.traces.rows[i + 1];
    }
    if (!target) {
      this.viewer.flash(delta === 1 ? "This is the last trace of the list." : "This is the first trace of the list.");
      return;
    }
    this.traces.setSelected(target.traceId);
    this.onStateChanged?.(true);
    await this.viewer.open(target);
  }

  /** Escape closes the viewer even when focus is outside it (on the page body); `?` lists the keys. */
  private readonly onDocumentKey = (e: KeyboardEvent) => {
    if (e.key === "?" && !e.defaultPrevented && !isTextInput(e.target) && !document.querySelector(".dialog-backdrop")) {
      e.preventDefault();
      openKeysHelp(this.element);
      return;
    }
    if (e.key === "Escape" && !e.defaultPrevented && this.compare.isOpen) {
      e.preventDefault();
      this.compare.close();
      return;
    }
    if (
      e.key === "c" &&
      !e.defaultPrevented &&
      !e.ctrlKey &&
      !e.metaKey &&
      !e.altKey &&
      this.viewer.isOpen &&
      this.view.view !== PanelViews.trace &&
      !isTextInput(e.target) &&
      !document.querySelector(".dialog-backdrop")
    ) {
      e.preventDefault();
      void this.compareWith();
      return;
    }
    if (e.key === "Escape" && !e.defaultPrevented && this.viewer.isOpen && this.view.view !== PanelViews.trace) {
      e.preventDefault();
      this.viewer.close();
    }
  };

  // ---------------------------------------------------------------- compare (compare-view.ts)

  private wireCompare(listLike: boolean): void {
    this.traces.onCompare = (a, b) => void this.openCompare(a.traceId, b.traceId, "list");
    // A trace tab has no list to pick the other trace from.
    if (listLike) this.viewer.onCompareWith = () => void this.compareWith();
    this.compare.onClose = () => {
      const from = this.compareFrom;
      this.compareFrom = null;
      if (from === "viewer") {
        this.viewer.element.hidden = false;
        this.viewer.element.querySelector<HTMLElement>(".span-scroller")?.focus({ preventScroll: true });
      } else if (from === "list") {
        this.traces.element.hidden = this.tab !== "traces" || this.viewer.isOpen;
        this.traces.element.querySelector<HTMLElement>(".trace-scroller")?.focus({ preventScroll: true });
      }
      this.onStateChanged?.(true);
    };
    this.compare.onOpenTrace = (traceId) => {
      // A compare tab has no viewer of its own: the trace opens in its tab, as the IDE opens traces.
      if (this.view.view === PanelViews.compare) void this.transport.request("ide/openTrace", { traceId }).catch(() => {});
      else void this.openTrace(traceId);
    };
    this.compare.onChange = () => {
      if (this.view.view === PanelViews.compare && this.compare.traceIds) this.keepView({ ...this.view, traceIds: [...this.compare.traceIds] });
      else this.onStateChanged?.(false);
    };
  }

  /** Compares two traces in this page: the list (or the open trace) is hidden behind it until it is closed. */
  async openCompare(a: string, b: string, from: "list" | "viewer"): Promise<void> {
    if (from === "list" && this.tab !== "traces") this.setTab("traces");
    this.compareFrom = from;
    this.traces.element.hidden = true;
    this.viewer.element.hidden = true; // kept as it is (not closed): Escape on the compare shows it again
    const opened = this.compare.open(a, b);
    this.onStateChanged?.(true);
    await opened;
  }

  /** "Compare with…" (or `c`) in the viewer: the open trace as A, another of the loaded list as B. */
  async compareWith(): Promise<void> {
    const current = this.viewer.traceId;
    if (!current || !this.viewer.isOpen) return;
    const picked = await pickTrace(this.element, this.traces.rows, current);
    if (picked) await this.openCompare(current, picked.traceId, "viewer");
  }

  /** The compare is left for something else (a tab, a trace, the list): closed without going back. */
  private leaveCompare(): void {
    if (!this.compare.isOpen) return;
    this.compareFrom = null;
    this.compare.close();
  }

  async start(): Promise<void> {
    document.addEventListener("keydown", this.onDocumentKey);
    this.sessionReady = this.loadSessionInfo();
    if (this.view.view === PanelViews.trace) {
      this.traces.element.hidden = true;
      await this.openOwnTrace();
      return;
    }
    if (this.view.view === PanelViews.compare) {
      // Its own tab (the IDE's Compare on two selected traces): the two traces, nothing behind them.
      this.traces.element.hidden = true;
      const [a, b] = this.view.traceIds!;
      await this.compare.open(a!, b!);
      return;
    }
    if (this.view.view === PanelViews.overview) {
      this.overview.restore(this.view.tab, this.view.rangeKey);
      this.setTab("overview");
    }
    await this.loadExperiments(this.view.experimentIds?.[0]);
  }

  async refresh(): Promise<void> {
    if (this.view.view === PanelViews.trace) {
      await this.openOwnTrace();
      return;
    }
    const current = this.experimentSelect.value;
    await this.loadExperiments(current);
  }

  /** A trace tab's one trace, with the span it keeps selected. */
  private openOwnTrace(): Promise<void> {
    return this.viewer.open({ traceId: this.view.traceId! }, { spanId: this.view.spanId });
  }

  private keepView(view: PanelView): void {
    this.view = view;
    this.settings?.set(VIEW_KEY, view);
    this.element.dataset.panelView = JSON.stringify(view); // what the page keeps, for the end-to-end tests to read
  }

  private setExperiments(ids: string[]): void {
    if (this.view.view !== PanelViews.overview) {
      this.traces.setExperiments(ids); // an Overview tab lists no traces
      this.sessions.setExperiments(ids);
    }
    this.overview.setExperiments(ids);
    if (this.view.view === PanelViews.overview) this.keepView({ ...this.view, experimentIds: ids });
    this.onStateChanged?.(false);
  }

  private showBanner(text: string | null): void {
    this.banner.textContent = text ?? "";
    this.banner.hidden = text === null;
  }

  private async loadSessionInfo(): Promise<void> {
    try {
      const info = await this.transport.request("session/info", null);
      this.clock.sync(info.nowMs);
      if (info.capabilities) this.traces.setWritable(info.capabilities);
      this.viewer.setWritable(info);
      const text = connectionText(info);
      this.connection.textContent = text;
      this.connection.title = `${text}\n${info.serverName} ${info.serverVersion}, protocol ${info.protocolVersion}`;
    } catch (err) {
      const e = RpcError.from(err);
      this.connection.textContent = e.code === METHOD_NOT_FOUND ? "Connected" : "Not connected";
      this.connection.title = e.message;
    }
  }

  private async loadExperiments(keep?: string): Promise<void> {
    try {
      const result = await this.transport.request("experiments/list", {});
      const experiments = sortExperiments(result.experiments);
      clear(this.experimentSelect);
      for (const x of experiments) {
        this.experimentSelect.appendChild(h("option", { value: x.experimentId }, `${x.name}${x.isGenAi ? "" : " (not GenAI)"}`));
      }
      this.experimentSelect.disabled = experiments.length === 0;
      this.showBanner(null);
      if (experiments.length === 0) {
        this.showBanner("No experiments found. Log a trace with MLflow (mlflow.set_experiment + @mlflow.trace), then press Refresh.");
        this.setExperiments([]);
        return;
      }
      const chosen = experiments.find((x) => x.experimentId === keep) ?? experiments[0]!;
      this.experimentSelect.value = chosen.experimentId;
      await this.sessionReady; // the first search and Overview measure "recent" from the host's clock
      this.setExperiments([chosen.experimentId]);
    } catch (err) {
      const e = RpcError.from(err);
      // No connection to the host at all: its own message says what to do (Refresh cannot help).
      if (e.code === CONNECTION_LOST) this.showBanner(e.message);
      else this.showBanner(`Could not list experiments: ${e.message} — check the tracking server or store, then press Refresh.`);
    }
  }
}
