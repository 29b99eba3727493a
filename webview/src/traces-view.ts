// The traces table: search box (MLflow filter syntax), state quick filter, sort, virtualized rows,
// endless paging through nextPageToken.
import { RpcErrorCodes, type TraceSummary, type TracesSearchParams } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import { formatDuration, formatNumber, formatTime, preview } from "./format";
import { VirtualList } from "./virtual";

export const TRACE_ROW_HEIGHT = 28;
const HEADER_HEIGHT = 30;
const PREFETCH_ROWS = 15;

interface Column {
  key: string;
  title: string;
  width: string;
  cell(t: TraceSummary): string | HTMLElement;
}

export function stateBadge(state: string): HTMLElement {
  const cls = state === "OK" ? "ok" : state === "ERROR" ? "error" : "pending";
  return h("span", { class: `badge badge-${cls}` }, state === "IN_PROGRESS" ? "In progress" : state);
}

const COLUMNS: Column[] = [
  { key: "id", title: "Trace ID", width: "minmax(120px, 1.1fr)", cell: (t) => t.traceId },
  { key: "name", title: "Name", width: "minmax(100px, 1fr)", cell: (t) => t.name ?? "" },
  { key: "request", title: "Request", width: "minmax(140px, 2fr)", cell: (t) => preview(t.requestPreview) },
  { key: "response", title: "Response", width: "minmax(140px, 2fr)", cell: (t) => preview(t.responsePreview) },
  { key: "state", title: "State", width: "80px", cell: (t) => stateBadge(t.state) },
  { key: "time", title: "Request time", width: "160px", cell: (t) => formatTime(t.requestTimeMs) },
  { key: "duration", title: "Duration", width: "90px", cell: (t) => formatDuration(t.durationMs) },
  { key: "tokens", title: "Tokens", width: "70px", cell: (t) => formatNumber(t.tokens?.totalTokens) },
  { key: "session", title: "Session", width: "minmax(80px, 0.8fr)", cell: (t) => t.session ?? "" },
  { key: "user", title: "User", width: "minmax(80px, 0.9fr)", cell: (t) => t.user ?? "" },
];
const GRID = COLUMNS.map((c) => c.width).join(" ");

export type StateFilter = "ALL" | "OK" | "ERROR";
export type SortKey = "timestamp_ms DESC" | "execution_time_ms DESC";

export interface TracesQuery {
  experimentIds: string[];
  filter: string;
  state: StateFilter;
  orderBy: SortKey;
  pageSize: number;
}

/** The traces/search parameters for a query (and a page token). */
export function searchParams(q: TracesQuery, pageToken?: string | null): TracesSearchParams {
  const params: TracesSearchParams = { experimentIds: q.experimentIds, orderBy: [q.orderBy], pageSize: q.pageSize };
  const filter = q.filter.trim();
  if (filter) params.filter = filter;
  if (q.state !== "ALL") params.filters = { states: [q.state] };
  if (pageToken) params.pageToken = pageToken;
  return params;
}

export class TracesView {
  readonly element: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly filterError: HTMLElement;
  private readonly stateButtons = new Map<StateFilter, HTMLButtonElement>();
  private readonly sortSelect: HTMLSelectElement;
  private readonly status: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly overlay: HTMLElement;
  private readonly list: VirtualList;

  private traces: TraceSummary[] = [];
  private nextPageToken: string | null = null;
  private loading = false;
  private generation = 0;
  private abort: AbortController | null = null;
  private selectedId: string | null = null;
  private query: TracesQuery;

  constructor(
    private readonly transport: Transport,
    private readonly onOpen: (trace: TraceSummary) => void,
    pageSize: number,
  ) {
    this.query = { experimentIds: [], filter: "", state: "ALL", orderBy: "timestamp_ms DESC", pageSize };

    this.searchInput = h("input", {
      class: "search",
      type: "search",
      placeholder: "Filter, e.g. trace.status = 'ERROR' AND tags.env = 'prod'  (Enter to search)",
      "aria-label": "Filter traces (MLflow filter syntax)",
      spellcheck: "false",
    });
    this.searchInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.query.filter = this.searchInput.value;
        void this.reload();
      }
    });
    this.filterError = h("div", { class: "filter-error", role: "alert", hidden: true });

    const stateGroup = h("div", { class: "segmented", role: "group", "aria-label": "State" });
    for (const [value, label] of [["ALL", "All"], ["OK", "OK"], ["ERROR", "Error"]] as [StateFilter, string][]) {
      const b = h("button", { type: "button", "data-state": value, "aria-pressed": String(value === "ALL") }, label);
      b.addEventListener("click", () => this.setState(value));
      this.stateButtons.set(value, b);
      stateGroup.appendChild(b);
    }

    this.sortSelect = h(
      "select",
      { "aria-label": "Sort", class: "sort" },
      h("option", { value: "timestamp_ms DESC" }, "Newest first"),
      h("option", { value: "execution_time_ms DESC" }, "Slowest first"),
    );
    this.sortSelect.addEventListener("change", () => {
      this.query.orderBy = this.sortSelect.value as SortKey;
      void this.reload();
    });

    this.status = h("span", { class: "list-status muted", "aria-live": "polite" });
    const header = h(
      "div",
      { class: "trace-row trace-header", role: "row" },
      COLUMNS.map((c) => h("div", { class: `cell cell-${c.key}`, role: "columnheader" }, c.title)),
    );
    header.style.gridTemplateColumns = GRID;
    header.style.height = `${HEADER_HEIGHT}px`;
    this.scroller = h("div", { class: "trace-scroller", role: "grid", "aria-label": "Traces", tabindex: "0" }, header);
    this.overlay = h("div", { class: "list-overlay", hidden: true });
    this.list = new VirtualList(this.scroller, {
      rowHeight: TRACE_ROW_HEIGHT,
      headerHeight: HEADER_HEIGHT,
      overscan: 6,
      renderRow: (i) => this.renderRow(i),
      onRange: (range, count) => {
        if (count > 0 && range.end >= count - PREFETCH_ROWS) void this.loadMore();
      },
    });

    this.element = h(
      "section",
      { class: "traces-view" },
      h("div", { class: "toolbar" }, h("div", { class: "search-box" }, this.searchInput, this.filterError), stateGroup, this.sortSelect, this.status),
      h("div", { class: "table-wrap" }, this.scroller, this.overlay),
    );
  }

  get rows(): readonly TraceSummary[] {
    return this.traces;
  }

  setExperiments(ids: string[]): void {
    this.query.experimentIds = ids;
    void this.reload();
  }

  setState(state: StateFilter): void {
    this.query.state = state;
    for (const [value, b] of this.stateButtons) b.setAttribute("aria-pressed", String(value === state));
    void this.reload();
  }

  focusSearch(): void {
    this.searchInput.focus();
  }

  /** Starts over from the first page (new query, refresh). */
  async reload(): Promise<void> {
    this.abort?.abort();
    this.generation++;
    this.traces = [];
    this.nextPageToken = null;
    this.loading = false;
    this.setFilterError(null);
    this.list.setRowCount(0);
    this.scroller.scrollTop = 0;
    if (this.query.experimentIds.length === 0) {
      this.showOverlay("No experiment selected", "Pick an experiment in the header. If the list is empty, log a trace with mlflow.trace first.");
      return;
    }
    await this.fetchPage(null);
  }

  private async loadMore(): Promise<void> {
    if (this.loading || !this.nextPageToken) return;
    await this.fetchPage(this.nextPageToken);
  }

  private async fetchPage(pageToken: string | null): Promise<void> {
    const generation = this.generation;
    this.loading = true;
    this.abort = new AbortController();
    if (!pageToken) this.showOverlay("Loading traces…", null, "loading");
    this.setStatus(pageToken ? `${this.traces.length} traces · loading more…` : "loading…");
    try {
      const result = await this.transport.request("traces/search", searchParams(this.query, pageToken), this.abort.signal);
      if (generation !== this.generation) return;
      this.traces = this.traces.concat(result.traces);
      this.nextPageToken = result.nextPageToken ?? null;
      this.loading = false;
      this.updateStatus();
      if (this.traces.length === 0) {
        const filtered = this.query.filter.trim() !== "" || this.query.state !== "ALL";
        this.showOverlay(
          filtered ? "No traces match" : "No traces in this experiment yet",
          filtered ? "Change or clear the filter, or pick All states." : "Run your application with MLflow tracing enabled, then press Refresh.",
        );
      } else {
        this.hideOverlay();
      }
      this.list.setRowCount(this.traces.length);
    } catch (err) {
      if (generation !== this.generation) return;
      this.loading = false;
      const e = RpcError.from(err);
      if (e.isCancelled) return;
      if (e.code === RpcErrorCodes.invalidFilter) {
        this.setFilterError(e.message);
        this.showOverlay("The filter is not valid", "Fix it (see the message under the search box) and press Enter.");
        this.setStatus("");
      } else {
        this.showOverlay("Could not load traces", `${e.message}`, "error");
        this.setStatus("");
      }
    }
  }

  private updateStatus(): void {
    const n = this.traces.length;
    this.setStatus(`${n} trace${n === 1 ? "" : "s"}${this.nextPageToken ? " · scroll for more" : ""}`);
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
  }

  private setFilterError(message: string | null): void {
    this.filterError.textContent = message ?? "";
    this.filterError.hidden = message === null;
    this.searchInput.setAttribute("aria-invalid", String(message !== null));
  }

  private showOverlay(title: string, hint: string | null, kind: "info" | "loading" | "error" = "info"): void {
    clear(this.overlay);
    this.overlay.className = `list-overlay overlay-${kind}`;
    this.overlay.appendChild(h("div", { class: "overlay-title" }, title));
    if (hint) this.overlay.appendChild(h("div", { class: "overlay-hint" }, hint));
    if (kind === "error") {
      const retry = h("button", { type: "button" }, "Retry");
      retry.addEventListener("click", () => void this.reload());
      this.overlay.appendChild(retry);
    }
    this.overlay.hidden = false;
  }

  private hideOverlay(): void {
    this.overlay.hidden = true;
  }

  setSelected(traceId: string | null): void {
    this.selectedId = traceId;
    this.list.render();
  }

  private renderRow(i: number): HTMLElement {
    const t = this.traces[i]!;
    const row = h(
      "div",
      {
        class: `trace-row${t.traceId === this.selectedId ? " selected" : ""}`,
        role: "row",
        "data-trace-id": t.traceId,
        "data-index": i,
      },
      COLUMNS.map((c) => {
        const v = c.cell(t);
        const cell = h("div", { class: `cell cell-${c.key}`, role: "gridcell" }, v);
        if (typeof v === "string") cell.title = v;
        return cell;
      }),
    );
    row.style.gridTemplateColumns = GRID;
    row.addEventListener("click", () => {
      this.setSelected(t.traceId);
      this.onOpen(t);
    });
    return row;
  }
}
