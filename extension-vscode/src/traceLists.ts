// The trace lists (side panel, Overview): the relay hooks that fill in the page size and the pinned experiment
// and note what was last shown, and "the current experiment" the commands, runs and CodeLens use.
import type { Experiment } from "../../webview/src/protocol.generated";
import type { HostProcess } from "./hostProcess";
import { config } from "./hostSetup";
import type { RelayHooks } from "./relay";

export class TraceLists {
  /** The experiments the side panel searched last (commands, runs and CodeLens use them). */
  lastSearch: { experimentIds: string[] } | undefined;

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
    result: (method, _params, result) => {
      const pinned = config().get<string>("experiment")?.trim();
      if (method === "experiments/list" && pinned && result && typeof result === "object") {
        const list = (result as { experiments: Experiment[] }).experiments ?? [];
        const only = list.filter((x) => x.experimentId === pinned || x.name === pinned);
        if (only.length) return { ...(result as object), experiments: only };
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
