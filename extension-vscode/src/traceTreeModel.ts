// What the native "Traces" tree shows, without VS Code: experiments, each with its loaded pages of traces (or
// its sessions), the filter and time range, live mode, and the error state when the backend is out of reach.
// The rules the web UI's list follows (time ranges, live merge, session groups, formatting) come from the web
// UI's own modules, so the two lists cannot drift apart. traceTree.ts turns this into a TreeDataProvider.
import type { Experiment, TraceSummary, TracesChangedParams, TracesSearchResult, TracesSubscribeResult } from "../../webview/src/protocol.generated";
import { RpcMethods } from "../../webview/src/protocol.generated";
import { formatDuration, formatNumber } from "../../webview/src/format";
import { TIME_FILTERS, displayRows, mergeNewTraces, searchFilter, timeFilterRange, type TimeFilter } from "../../webview/src/traces-logic";
import { errorMessage as messageOf } from "./hostProcess";

export type TreeNode =
  | { kind: "experiment"; experiment: Experiment }
  | { kind: "session"; experimentId: string; session: string | null; traces: TraceSummary[] }
  | { kind: "trace"; trace: TraceSummary }
  | { kind: "more"; experimentId: string }
  | { kind: "message"; experimentId: string; text: string; error?: boolean; action?: { command: string; icon: string } };

export interface TraceTreeHost {
  request<R>(method: string, params: unknown): Promise<R>;
  onNotification(listener: (e: { method: string; params: unknown }) => void): { dispose(): void };
}

export interface TraceTreeOptions {
  /** Traces per page (`traceide.pageSize`). */
  pageSize(): number;
  /** `traceide.experiment`: only that experiment (ID or name) when set. */
  pinnedExperiment(): string | undefined;
  /** The host's clock (time ranges are measured from it, like the web UI's). */
  now(): number;
  /** Live mode's polling interval (`traceide.pollIntervalSeconds`). */
  pollIntervalMs(): number;
}

interface ExperimentTraces {
  traces: TraceSummary[];
  nextPageToken: string | null;
  loading?: Promise<void>;
  error?: string;
}

/** "ERROR" → an error icon, "IN_PROGRESS" → running, anything else → fine; traceTree.ts picks the icons. */
export type TraceIcon = "error" | "running" | "ok";

export function traceIcon(t: Pick<TraceSummary, "state">): TraceIcon {
  return t.state === "ERROR" ? "error" : t.state === "IN_PROGRESS" ? "running" : "ok";
}

/** The row's label: the trace's name, else its ID. */
export function traceLabel(t: Pick<TraceSummary, "name" | "traceId">): string {
  return oneLine(t.name) || t.traceId;
}

/** "5 min ago · 1.20 s · 1,234 tokens": what a narrow side bar has room for beside the name. */
export function traceDescription(t: TraceSummary, nowMs: number): string {
  const parts = [relativeTime(t.requestTimeMs, nowMs), t.state === "IN_PROGRESS" ? "running" : formatDuration(t.durationMs)];
  const tokens = t.tokens?.totalTokens;
  if (tokens != null && Number.isFinite(tokens)) parts.push(`${formatNumber(tokens)} tokens`);
  return parts.join(" · ");
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; a date past a month (or in the future). */
export function relativeTime(ms: number, nowMs: number): string {
  const d = nowMs - ms;
  if (!Number.isFinite(d)) return "—";
  if (d < 0 || d >= 30 * 86_400_000) return new Date(ms).toISOString().slice(0, 10);
  if (d < 5_000) return "just now";
  if (d < 60_000) return `${Math.floor(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  return `${Math.floor(d / 86_400_000)} d ago`;
}

/** Control, bidi and line-break characters out: a tree label is one line of plain text. */
export function oneLine(text: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (text ?? "")
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export class TraceTreeModel {
  experiments: Experiment[] | undefined;
  /** Why there is nothing to show (no backend, an unreachable server): the tree shows it with Retry. */
  error: string | undefined;
  filter = "";
  timeFilter: TimeFilter = "ALL";
  groupBySession = false;
  private readonly byExperiment = new Map<string, ExperimentTraces>();
  private readonly experimentNodes = new Map<string, TreeNode>();
  private loadingExperiments: Promise<void> | undefined;
  private live: { subscriptions: Map<string, string> } | undefined;
  private readonly listeners = new Set<(node?: TreeNode) => void>();
  private readonly notifications: { dispose(): void };
  private generation = 0;

  constructor(
    private readonly host: TraceTreeHost,
    private readonly options: TraceTreeOptions,
  ) {
    this.notifications = host.onNotification((e) => {
      if (e.method === RpcMethods.tracesChanged) this.onTracesChanged(e.params as TracesChangedParams);
    });
  }

  /** Called with the node that changed, or nothing when the whole tree did. */
  onDidChange(listener: (node?: TreeNode) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(node?: TreeNode): void {
    for (const l of this.listeners) l(node);
  }

  get isLive(): boolean {
    return !!this.live;
  }

  /** The filter the host is asked (searches and live mode alike): plain words become MLflow UI's text search. */
  private get hostFilter(): string | null {
    return searchFilter(this.filter) || null;
  }

  /** "trace.status = 'ERROR' · Last 24 hours", or "" with no filter. */
  get filterSummary(): string {
    const parts = [this.filter.trim()];
    if (this.timeFilter !== "ALL") parts.push(TIME_FILTERS.find((t) => t.key === this.timeFilter)?.label ?? "");
    return parts.filter(Boolean).join(" · ");
  }

  /**
   * Forget every loaded row (a new backend, a new filter): the tree shows nothing old while the new answer
   * comes. Live mode carries over to the new backend or filter.
   */
  reset(error?: string): void {
    this.generation++;
    this.experiments = undefined;
    this.loadingExperiments = undefined;
    this.byExperiment.clear();
    this.experimentNodes.clear();
    this.error = error;
    const wasLive = !!this.live;
    void this.stopLive();
    if (wasLive && !error) void this.startLive();
    this.changed();
  }

  // ---- loading ------------------------------------------------------------------------------------

  async children(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.roots();
    if (node.kind === "experiment") return this.experimentChildren(node.experiment.experimentId);
    if (node.kind === "session") return node.traces.map((trace) => ({ kind: "trace", trace }));
    return [];
  }

  private async roots(): Promise<TreeNode[]> {
    if (this.error) return [];
    if (!this.experiments) {
      const generation = this.generation;
      this.loadingExperiments ??= this.host
        .request<{ experiments: Experiment[] }>(RpcMethods.experimentsList, { query: null })
        .then((r) => {
          if (generation === this.generation) this.experiments = this.shown(r.experiments);
        })
        .catch((err) => {
          if (generation === this.generation) this.error = messageOf(err);
        })
        .finally(() => {
          if (generation === this.generation) this.loadingExperiments = undefined;
        });
      await this.loadingExperiments;
      if (generation !== this.generation) return [];
    }
    return (this.experiments ?? []).map((x) => this.experimentNode(x.experimentId)!);
  }

  /** The pinned experiment alone when it exists; else every experiment, GenAI ones first. */
  private shown(list: Experiment[]): Experiment[] {
    const pinned = this.options.pinnedExperiment()?.trim();
    const only = pinned ? list.filter((x) => x.experimentId === pinned || x.name === pinned) : [];
    if (only.length) return only;
    return [...list].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name));
  }

  /** The experiment the tree opens: the first shown (the pinned one, or the first GenAI experiment). */
  get primaryExperimentId(): string | undefined {
    return this.experiments?.[0]?.experimentId;
  }

  private async experimentChildren(experimentId: string): Promise<TreeNode[]> {
    let entry = this.byExperiment.get(experimentId);
    if (!entry) {
      entry = { traces: [], nextPageToken: null };
      this.byExperiment.set(experimentId, entry);
      entry.loading = this.loadPage(experimentId, entry, null);
    }
    await entry.loading;
    if (entry.error && entry.traces.length === 0) return [{ kind: "message", experimentId, text: entry.error, error: true }];
    if (entry.traces.length === 0) {
      const text = this.filterSummary ? `No traces match ${this.filterSummary}.` : "No traces in this experiment yet.";
      return [{ kind: "message", experimentId, text }];
    }
    const rows: TreeNode[] = this.groupBySession
      ? displayRows(entry.traces, true).flatMap((r) =>
          r.kind === "group"
            ? [{ kind: "session" as const, experimentId, session: r.session, traces: entry.traces.filter((t) => (t.session || null) === r.session) }]
            : [],
        )
      : entry.traces.map((trace) => ({ kind: "trace" as const, trace }));
    if (entry.nextPageToken) rows.push({ kind: "more", experimentId });
    if (entry.error) rows.push({ kind: "message", experimentId, text: entry.error, error: true });
    return rows;
  }

  private searchParams(experimentId: string, pageToken: string | null) {
    return {
      experimentIds: [experimentId],
      filter: this.hostFilter,
      filters: timeFilterRange(this.timeFilter, this.options.now()),
      orderBy: ["timestamp_ms DESC"], // newest first, as the web UI's list asks (live mode adds on top)
      pageSize: this.options.pageSize(),
      pageToken,
    };
  }

  private async loadPage(experimentId: string, entry: ExperimentTraces, pageToken: string | null): Promise<void> {
    const generation = this.generation;
    try {
      const r = await this.host.request<TracesSearchResult>(RpcMethods.tracesSearch, this.searchParams(experimentId, pageToken));
      if (generation !== this.generation) return;
      const known = new Set(entry.traces.map((t) => t.traceId));
      entry.traces.push(...r.traces.filter((t) => !known.has(t.traceId)));
      entry.nextPageToken = r.nextPageToken ?? null;
      entry.error = undefined;
    } catch (err) {
      if (generation === this.generation) entry.error = messageOf(err);
    } finally {
      if (generation === this.generation) entry.loading = undefined;
    }
  }

  /** "Load more…": the experiment's next page, appended. */
  async loadMore(experimentId: string): Promise<void> {
    const entry = this.byExperiment.get(experimentId);
    if (!entry?.nextPageToken || entry.loading) return entry?.loading;
    entry.loading = this.loadPage(experimentId, entry, entry.nextPageToken);
    await entry.loading;
    this.changed(this.experimentNode(experimentId));
  }

  /**
   * One node object per experiment for as long as the experiments are loaded: VS Code knows a tree element
   * by identity, so a change fired with an equal but new object would refresh nothing.
   */
  private experimentNode(experimentId: string): TreeNode | undefined {
    const known = this.experimentNodes.get(experimentId);
    if (known) return known;
    const experiment = this.experiments?.find((x) => x.experimentId === experimentId);
    if (!experiment) return undefined;
    const node: TreeNode = { kind: "experiment", experiment };
    this.experimentNodes.set(experimentId, node);
    return node;
  }

  /** The traces loaded so far for an experiment (completions, tests). */
  loaded(experimentId: string): TraceSummary[] {
    return this.byExperiment.get(experimentId)?.traces ?? [];
  }

  /** Every loaded trace with this ID (a trace may show under a session and, after a refresh, anew). */
  findTrace(traceId: string): TraceSummary | undefined {
    for (const e of this.byExperiment.values()) {
      const t = e.traces.find((x) => x.traceId === traceId);
      if (t) return t;
    }
    return undefined;
  }

  /** After a delete: the rows go without a reload. */
  removeTraces(traceIds: readonly string[]): void {
    const gone = new Set(traceIds);
    for (const e of this.byExperiment.values()) e.traces = e.traces.filter((t) => !gone.has(t.traceId));
    this.changed();
  }

  /** A new filter or time range: the rows are asked for again (live mode follows the new filter). */
  setFilter(filter: string, timeFilter: TimeFilter = this.timeFilter): void {
    this.filter = filter.trim();
    this.timeFilter = timeFilter;
    this.reset();
  }

  setGroupBySession(on: boolean): void {
    this.groupBySession = on;
    this.changed();
  }

  // ---- live mode ----------------------------------------------------------------------------------

  /**
   * Live mode: the host polls each shown experiment with the filter (`traces/subscribe`); new traces go on
   * top of what is loaded and running ones update in place, so the filter, the selection and the open tabs
   * stay as they are.
   */
  async setLive(on: boolean): Promise<void> {
    if (on === this.isLive) return;
    if (on) await this.startLive();
    else await this.stopLive();
    this.changed();
  }

  private async startLive(): Promise<void> {
    const live = { subscriptions: new Map<string, string>() };
    this.live = live;
    this.changed(); // the view says "live" at once; the subscriptions follow
    await this.roots();
    await Promise.all(
      (this.experiments ?? []).map(async (x) => {
        try {
          const r = await this.host.request<TracesSubscribeResult>(RpcMethods.tracesSubscribe, {
            experimentIds: [x.experimentId],
            filter: this.hostFilter,
            sinceMs: this.options.now(),
            pollIntervalMs: this.options.pollIntervalMs(),
          });
          if (this.live === live) live.subscriptions.set(r.subscriptionId, x.experimentId);
          else void this.host.request(RpcMethods.tracesUnsubscribe, { subscriptionId: r.subscriptionId }).catch(() => undefined);
        } catch (err) {
          const entry = this.byExperiment.get(x.experimentId);
          if (entry) entry.error = `Live mode: ${messageOf(err)}`;
          this.changed(this.experimentNode(x.experimentId));
        }
      }),
    );
  }

  private async stopLive(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    await Promise.all(
      [...live.subscriptions.keys()].map((subscriptionId) => this.host.request(RpcMethods.tracesUnsubscribe, { subscriptionId }).catch(() => undefined)),
    );
  }

  private onTracesChanged(p: TracesChangedParams | undefined): void {
    const experimentId = p && this.live?.subscriptions.get(p.subscriptionId);
    if (!experimentId) return;
    const entry = this.byExperiment.get(experimentId);
    if (!entry) return; // never expanded: it loads fresh when it is
    const range = timeFilterRange(this.timeFilter, this.options.now());
    const fresh = [...(p.traces ?? [])].filter((t) => !range || t.requestTimeMs >= range.startTimeMs).sort((a, b) => b.requestTimeMs - a.requestTimeMs);
    const merged = mergeNewTraces(entry.traces, fresh);
    entry.error = p.error ? `Live mode: ${p.error.message}` : undefined;
    if (merged.added || merged.updated || p.error) {
      entry.traces = merged.rows;
      this.changed(this.experimentNode(experimentId));
    }
  }

  dispose(): void {
    void this.stopLive();
    this.notifications.dispose();
    this.listeners.clear();
  }
}
