// The trace lists (side panel, Overview): the relay hooks that fill in the page size and the pinned experiment
// and note what was last shown, "the current experiment" the commands and CodeLens use, and live mode.
import * as vscode from "vscode";
import type { Experiment, TracesSearchResult } from "../../webview/src/protocol.generated";
import type { HostProcess } from "./hostProcess";
import { config } from "./hostSetup";
import type { RelayHooks } from "./relay";
import type { Webviews } from "./webviews";

export class TraceLists {
  /** The experiments the side panel searched last (live mode polls them; commands use them). */
  lastSearch: { experimentIds: string[] } | undefined;
  /** The newest trace the side panel showed (live mode reloads the list when another one is on top). */
  lastTopTrace: string | undefined;

  constructor(private readonly h: HostProcess) {}

  /** The relay hooks of the list views: page size and pinned experiment from the settings; what was shown. */
  readonly hooks: RelayHooks = {
    params: (method, params) => {
      if (method === "traces/search" && params && typeof params === "object") {
        const pageSize = config().get<number>("pageSize");
        return pageSize ? { ...(params as object), pageSize } : params;
      }
      return params;
    },
    result: (method, params, result) => {
      const pinned = config().get<string>("experiment")?.trim();
      if (method === "experiments/list" && pinned && result && typeof result === "object") {
        const list = (result as { experiments: Experiment[] }).experiments ?? [];
        const only = list.filter((x) => x.experimentId === pinned || x.name === pinned);
        if (only.length) return { ...(result as object), experiments: only };
      }
      if (method === "traces/search" && result && typeof result === "object" && !(params as { pageToken?: string }).pageToken) {
        this.lastTopTrace = (result as TracesSearchResult).traces?.[0]?.traceId;
      }
      return result;
    },
    forwarded: (method, params) => {
      if (method === "traces/search" && params && typeof params === "object") {
        const p = params as { experimentIds?: string[]; pageToken?: string };
        if (p.experimentIds?.length && !p.pageToken) this.lastSearch = { experimentIds: p.experimentIds };
      }
    },
  };

  experiments = async (): Promise<Experiment[]> => (await this.h.request<{ experiments: Experiment[] }>("experiments/list", { query: null })).experiments;

  /** The side panel's experiments, else the pinned one, else the first GenAI experiment. */
  currentExperimentIds = async (): Promise<string[]> => {
    if (this.lastSearch) return this.lastSearch.experimentIds;
    const pinned = config().get<string>("experiment")?.trim();
    if (pinned) return [pinned];
    const list = await this.experiments();
    const first = [...list].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name))[0];
    return first ? [first.experimentId] : [];
  };
}

/** Live mode: polls the newest trace and reloads the side panel when it changes. */
export class LiveMode implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly h: HostProcess,
    private readonly lists: TraceLists,
    private readonly webviews: () => Webviews,
  ) {}

  get on(): boolean {
    return this.timer !== undefined;
  }

  toggle(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    } else {
      const seconds = Math.max(1, config().get<number>("pollIntervalSeconds") ?? 5);
      this.timer = setInterval(() => void this.poll(), seconds * 1000);
    }
  }

  private async poll(): Promise<void> {
    const search = this.lists.lastSearch;
    if (this.polling || !search || this.h.current.state !== "running" || !this.webviews().sideVisible) return;
    this.polling = true;
    try {
      const r = await this.h.request<TracesSearchResult>("traces/search", { experimentIds: search.experimentIds, pageSize: 1 });
      const top = r.traces[0]?.traceId;
      if (top && top !== this.lists.lastTopTrace) this.webviews().reloadSide();
    } catch {
      /* the status bar shows host problems */
    } finally {
      this.polling = false;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
