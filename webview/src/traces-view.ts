// The traces table: search box (MLflow filter syntax, key completion), state and time quick filters,
// sort, virtualized rows, endless paging through nextPageToken, column chooser, multi-select delete,
// tag editing, grouping by session, live mode.
import { RpcErrorCodes, type Assessment, type TraceSummary, type TracesSearchParams } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import { setPressed, type VscodeButton } from "./controls";
import { formatDuration, formatNumber, formatTime, preview } from "./format";
import { VirtualList } from "./virtual";
import { confirmDialog } from "./dialog";
import { openTagEditor, userTags } from "./tag-editor";
import {
  ASSESSMENT_COLUMNS_KEY,
  COLUMNS_KEY,
  TIME_FILTERS,
  applyCompletion,
  assessmentCellText,
  assessmentColumnShown,
  assessmentNames,
  completions,
  displayRows,
  keepAnchor,
  knownKeys,
  loadColumns,
  localSettings,
  mergeNewTraces,
  moveCursor,
  searchFilter,
  timeFilterRange,
  toggleColumn,
  updateSelection,
  type AssessmentColumnChoice,
  type Completion,
  type DisplayRow,
  type SettingsStore,
  type TimeFilter,
} from "./traces-logic";

export const TRACE_ROW_HEIGHT = 28;
const HEADER_HEIGHT = 30;
const PREFETCH_ROWS = 15;

interface Column {
  key: string;
  title: string;
  width: string;
  cell(t: TraceSummary): string | HTMLElement;
  /** The cell's class when not `cell-<key>` (an assessment column's key is a user's name). */
  cls?: string;
}

/** One list column per assessment name, with the trace's values of it. */
function assessmentColumn(name: string): Column {
  return { key: `assessment:${name}`, title: name, width: "minmax(70px, 0.7fr)", cls: "cell-assessment", cell: (t) => assessmentCellText(t, name) };
}

const cellClass = (c: Column) => `cell ${c.cls ?? `cell-${c.key}`}`;

export function stateBadge(state: string): HTMLElement {
  const cls = state === "OK" ? "ok" : state === "ERROR" ? "error" : "pending";
  return h("span", { class: `badge badge-${cls}` }, state === "IN_PROGRESS" ? "In progress" : state);
}

const COLUMNS: Column[] = [
  { key: "id", title: "Trace ID", width: "minmax(120px, 1.1fr)", cell: (t) => t.traceId },
  { key: "name", title: "Name", width: "minmax(100px, 1fr)", cell: (t) => t.name ?? "" },
  { key: "request", title: "Request", width: "minmax(140px, 2fr)", cell: (t) => preview(t.requestPreview) },
  { key: "response", title: "Response", width: "minmax(140px, 2fr)", cell: (t) => preview(t.responsePreview) },
  { key: "state", title: "State", width: "96px", cell: (t) => stateBadge(t.state) }, // room for "In progress"
  { key: "time", title: "Request time", width: "160px", cell: (t) => formatTime(t.requestTimeMs) },
  { key: "duration", title: "Duration", width: "90px", cell: (t) => formatDuration(t.durationMs) },
  { key: "tokens", title: "Tokens", width: "70px", cell: (t) => formatNumber(t.tokens?.totalTokens) },
  { key: "session", title: "Session", width: "minmax(80px, 0.8fr)", cell: (t) => t.session ?? "" },
  { key: "user", title: "User", width: "minmax(80px, 0.9fr)", cell: (t) => t.user ?? "" },
  {
    key: "tags",
    title: "Tags",
    width: "minmax(120px, 1.2fr)",
    cell: (t) =>
      userTags(t)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
  },
];
export const ALL_COLUMNS = COLUMNS.map((c) => c.key);
export const DEFAULT_COLUMNS = ALL_COLUMNS.filter((k) => k !== "tags");
const SELECT_WIDTH = "28px";

export type StateFilter = "ALL" | "OK" | "ERROR";
/** An MLflow `order_by` clause: `<field> ASC` or `<field> DESC`. */
export type SortKey = string;

/**
 * The columns MLflow can order by (`order_by`, fixture README): the field each orders on, and the direction a first
 * click gives — newest and slowest first, names A→Z. Tokens, request and response cannot be ordered by the server.
 */
const SORTABLE: Readonly<Record<string, { field: string; first: "ASC" | "DESC" }>> = {
  time: { field: "timestamp_ms", first: "DESC" },
  duration: { field: "execution_time_ms", first: "DESC" },
  id: { field: "request_id", first: "ASC" },
  name: { field: "name", first: "ASC" },
  state: { field: "status", first: "ASC" },
  session: { field: "metadata.`mlflow.trace.session`", first: "ASC" },
  user: { field: "metadata.`mlflow.trace.user`", first: "ASC" },
};

function splitSort(key: SortKey): [string, string] {
  const at = key.lastIndexOf(" ");
  return at < 0 ? [key, "ASC"] : [key.slice(0, at), key.slice(at + 1).toUpperCase()];
}

/** A header click: the column's first direction, the same column again flips it. */
export function nextSort(current: SortKey, column: string): SortKey | null {
  const sortable = SORTABLE[column];
  if (!sortable) return null;
  const [curField, curDir] = splitSort(current);
  if (curField !== sortable.field) return `${sortable.field} ${sortable.first}`;
  return `${sortable.field} ${curDir === "DESC" ? "ASC" : "DESC"}`;
}

/** The Sort box's words for a column sort it has no preset for: "Name ↑ (A→Z)". */
export function sortLabel(key: SortKey): string {
  const [field, dir] = splitSort(key);
  const column = Object.entries(SORTABLE).find(([, s]) => s.field === field)?.[0];
  const title = COLUMNS.find((c) => c.key === column)?.title ?? field;
  return `${title} ${dir === "DESC" ? "↓ (Z→A)" : "↑ (A→Z)"}`;
}

const SORT_PRESETS: readonly [SortKey, string][] = [
  ["timestamp_ms DESC", "Newest first"],
  ["timestamp_ms ASC", "Oldest first"],
  ["execution_time_ms DESC", "Slowest first"],
  ["execution_time_ms ASC", "Fastest first"],
];

export interface TracesQuery {
  experimentIds: string[];
  filter: string;
  state: StateFilter;
  orderBy: SortKey;
  pageSize: number;
  /** Quick time filter, resolved against `nowMs` (filters.startTimeMs / endTimeMs). */
  time?: TimeFilter;
  nowMs?: number;
}

/** The traces/search parameters for a query (and a page token). */
export function searchParams(q: TracesQuery, pageToken?: string | null): TracesSearchParams {
  const params: TracesSearchParams = { experimentIds: q.experimentIds, orderBy: [q.orderBy], pageSize: q.pageSize };
  const filter = searchFilter(q.filter);
  if (filter) params.filter = filter;
  const filters: NonNullable<TracesSearchParams["filters"]> = {};
  if (q.state !== "ALL") filters.states = [q.state];
  const range = q.time ? timeFilterRange(q.time, q.nowMs ?? Date.now()) : null;
  if (range) Object.assign(filters, range);
  if (Object.keys(filters).length) params.filters = filters;
  if (pageToken) params.pageToken = pageToken;
  return params;
}

export interface TracesViewOptions {
  settings?: SettingsStore;
  now?: () => number;
  /** Live mode poll interval (ms). */
  livePollMs?: number;
}

export class TracesView {
  readonly element: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly suggestBox: HTMLElement;
  private readonly filterError: HTMLElement;
  private readonly stateButtons = new Map<StateFilter, VscodeButton>();
  private readonly sortSelect: HTMLSelectElement;
  private readonly timeSelect: HTMLSelectElement;
  private readonly status: HTMLElement;
  private readonly actionMessage: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly header: HTMLElement;
  private readonly overlay: HTMLElement;
  private readonly list: VirtualList;
  private readonly columnMenu: HTMLElement;
  private readonly deleteButton: VscodeButton;
  private readonly tagsButton: VscodeButton;
  private readonly compareButton: VscodeButton;
  private readonly groupButton: VscodeButton;
  private readonly liveButton: VscodeButton;
  private readonly settings: SettingsStore;
  private readonly now: () => number;
  private readonly livePollMs: number;

  private traces: TraceSummary[] = [];
  private display: DisplayRow[] = [];
  private nextPageToken: string | null = null;
  private loading = false;
  private generation = 0;
  private abort: AbortController | null = null;
  private selectedId: string | null = null;
  /** The row the keyboard is on (an index into `display`), shown with a focus ring. */
  private cursor: number | null = null;
  private query: TracesQuery;
  private columns: string[];
  /** The loaded traces' assessment names (a column each) and those the user hid. */
  private assessmentColumns: { name: string; byDefault: boolean }[] = [];
  private assessmentChoice: AssessmentColumnChoice;
  private grid = "";
  private checked = new Set<string>();
  private anchor: string | null = null;
  private grouped = false;
  private collapsedGroups = new Set<string>();
  private liveTimer: ReturnType<typeof setInterval> | null = null;
  private completion: Completion | null = null;
  private completionIndex = 0;

  constructor(
    private readonly transport: Transport,
    private readonly onOpen: (trace: TraceSummary) => void,
    pageSize: number,
    options: TracesViewOptions = {},
  ) {
    this.settings = options.settings ?? localSettings();
    this.now = options.now ?? Date.now;
    this.livePollMs = options.livePollMs ?? 5000;
    this.query = { experimentIds: [], filter: "", state: "ALL", orderBy: "timestamp_ms DESC", pageSize, time: "ALL" };
    this.columns = loadColumns(this.settings, ALL_COLUMNS, DEFAULT_COLUMNS);
    const choice = this.settings.get<Partial<AssessmentColumnChoice>>(ASSESSMENT_COLUMNS_KEY);
    this.assessmentChoice = { shown: Array.isArray(choice?.shown) ? choice.shown : [], hidden: Array.isArray(choice?.hidden) ? choice.hidden : [] };

    this.searchInput = h("input", {
      class: "search",
      type: "search",
      placeholder: "Search, or filter: trace.status = 'ERROR'",
      "aria-label": "Filter traces (MLflow filter syntax)",
      "aria-autocomplete": "list",
      autocomplete: "off",
      spellcheck: "false",
    });
    this.suggestBox = h("ul", { class: "suggestions", role: "listbox", hidden: true });
    this.searchInput.addEventListener("keydown", (e) => this.onSearchKey(e));
    this.searchInput.addEventListener("input", () => this.updateCompletion());
    this.searchInput.addEventListener("blur", () => setTimeout(() => this.hideCompletion(), 150));
    this.filterError = h("div", { class: "filter-error", role: "alert", hidden: true });

    const stateGroup = h("vscode-button-group", { class: "state-filter", role: "group", "aria-label": "State" });
    for (const [value, label] of [
      ["ALL", "All"],
      ["OK", "OK"],
      ["ERROR", "Error"],
    ] as [StateFilter, string][]) {
      const b = h("vscode-button", { "data-state": value }, label);
      setPressed(b, value === "ALL");
      b.addEventListener("click", () => this.setState(value));
      this.stateButtons.set(value, b);
      stateGroup.appendChild(b);
    }

    this.timeSelect = h(
      "select",
      { class: "time-filter", "aria-label": "Time range" },
      TIME_FILTERS.map((t) => h("option", { value: t.key }, t.label)),
    );
    this.timeSelect.addEventListener("change", () => {
      this.query.time = this.timeSelect.value as TimeFilter;
      void this.reload();
    });

    this.sortSelect = h(
      "select",
      { "aria-label": "Sort", class: "sort" },
      SORT_PRESETS.map(([value, label]) => h("option", { value }, label)),
    );
    this.sortSelect.addEventListener("change", () => this.setSort(this.sortSelect.value as SortKey));

    const columnsButton = h("vscode-button", { secondary: true, class: "columns-button", "aria-haspopup": "true", "aria-expanded": "false" }, "Columns");
    this.columnMenu = h("div", { class: "column-menu", role: "menu", hidden: true });
    columnsButton.addEventListener("click", () => {
      this.columnMenu.hidden = !this.columnMenu.hidden;
      columnsButton.setAttribute("aria-expanded", String(!this.columnMenu.hidden));
      if (!this.columnMenu.hidden) this.paintColumnMenu();
    });
    this.groupButton = h(
      "vscode-button",
      { secondary: true, class: "group-toggle", "aria-pressed": "false", title: "Group the loaded traces by session" },
      "Group by session",
    );
    this.groupButton.addEventListener("click", () => this.setGrouped(!this.grouped));
    this.liveButton = h(
      "vscode-button",
      { secondary: true, class: "live-toggle", "aria-pressed": "false", title: `Check for new traces every ${Math.round(this.livePollMs / 1000)} s` },
      "Live",
    );
    this.liveButton.addEventListener("click", () => this.setLive(this.liveTimer === null));
    this.deleteButton = h("vscode-button", { secondary: true, class: "delete-selected", disabled: true }, "Delete…");
    this.deleteButton.addEventListener("click", () => void this.deleteChecked());
    this.tagsButton = h("vscode-button", { secondary: true, class: "edit-tags", disabled: true, title: "Edit the tags of the one selected trace" }, "Tags…");
    this.tagsButton.addEventListener("click", () => this.editTags());
    // Shown when exactly two traces are checked (selectionChanged): compare-view.ts.
    this.compareButton = h("vscode-button", { class: "compare-selected", hidden: true, title: "Compare the two checked traces span by span" }, "Compare");
    this.compareButton.addEventListener("click", () => this.compareChecked());

    this.status = h("span", { class: "list-status muted", "aria-live": "polite" });
    this.actionMessage = h("div", { class: "action-message", role: "alert", hidden: true });
    this.header = h("div", { class: "trace-row trace-header", role: "row" });
    this.header.style.height = `${HEADER_HEIGHT}px`;
    this.scroller = h("div", { class: "trace-scroller", role: "grid", "aria-label": "Traces", "aria-multiselectable": "true", tabindex: "0" }, this.header);
    this.overlay = h("div", { class: "list-overlay", hidden: true });
    this.list = new VirtualList(this.scroller, {
      rowHeight: TRACE_ROW_HEIGHT,
      headerHeight: HEADER_HEIGHT,
      overscan: 6,
      renderRow: (i) => this.renderRow(i),
      updateRow: (row, i) => this.fillRow(row, i),
      onRange: (range, count) => {
        if (count > 0 && range.end >= count - PREFETCH_ROWS) void this.loadMore();
      },
    });
    this.list.body.addEventListener("click", (e) => this.onRowClick(e as MouseEvent));
    this.scroller.addEventListener("keydown", (e) => this.onListKey(e));
    this.scroller.addEventListener("focus", () => {
      if (this.cursor === null && this.display.length)
        this.setCursor(
          Math.max(
            0,
            this.display.findIndex((d) => d.kind === "trace" && d.trace.traceId === this.selectedId),
          ),
        );
    });
    this.paintHeader();

    this.element = h(
      "section",
      { class: "traces-view" },
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "search-box" }, this.searchInput, this.suggestBox, this.filterError),
        stateGroup,
        this.timeSelect,
        this.sortSelect,
        h("span", { class: "columns-wrap" }, columnsButton, this.columnMenu),
        this.groupButton,
        this.liveButton,
        this.deleteButton,
        this.tagsButton,
        this.compareButton,
        this.status,
      ),
      this.actionMessage,
      h("div", { class: "table-wrap" }, this.scroller, this.overlay),
    );
  }

  get rows(): readonly TraceSummary[] {
    return this.traces;
  }

  get visibleColumns(): readonly string[] {
    return this.columns;
  }

  get selection(): ReadonlySet<string> {
    return this.checked;
  }

  setExperiments(ids: string[]): void {
    this.query.experimentIds = ids;
    void this.reload();
  }

  setState(state: StateFilter): void {
    this.query.state = state;
    for (const [value, b] of this.stateButtons) setPressed(b, value === state);
    void this.reload();
  }

  focusSearch(): void {
    this.searchInput.focus();
  }

  // ---------------------------------------------------------------- columns

  setColumns(keys: string[]): void {
    this.columns = ALL_COLUMNS.filter((k) => keys.includes(k));
    if (this.columns.length === 0) this.columns = [...DEFAULT_COLUMNS];
    this.settings.set(COLUMNS_KEY, this.columns);
    this.paintHeader();
    this.list.render();
    if (!this.columnMenu.hidden) this.paintColumnMenu();
  }

  private paintColumnMenu(): void {
    clear(this.columnMenu);
    for (const c of COLUMNS) {
      const box = h("input", { type: "checkbox", "data-column": c.key, checked: this.columns.includes(c.key) });
      box.addEventListener("change", () => this.setColumns(toggleColumn(this.columns, ALL_COLUMNS, c.key)));
      this.columnMenu.appendChild(h("label", { class: "column-option", role: "menuitemcheckbox" }, box, ` ${c.title}`));
    }
    if (this.assessmentColumns.length) this.columnMenu.appendChild(h("div", { class: "column-menu-heading muted" }, "Assessments"));
    for (const column of this.assessmentColumns) {
      const name = column.name;
      const box = h("input", { type: "checkbox", "data-column": `assessment:${name}`, checked: assessmentColumnShown(column, this.assessmentChoice) });
      box.addEventListener("change", () => {
        const { shown, hidden } = this.assessmentChoice;
        this.assessmentChoice = {
          shown: [...shown.filter((n) => n !== name), ...(box.checked ? [name] : [])],
          hidden: [...hidden.filter((n) => n !== name), ...(box.checked ? [] : [name])],
        };
        this.settings.set(ASSESSMENT_COLUMNS_KEY, this.assessmentChoice);
        this.paintHeader();
        this.list.render();
      });
      this.columnMenu.appendChild(h("label", { class: "column-option", role: "menuitemcheckbox" }, box, ` ${name}`));
    }
  }

  /** New assessment names among the loaded traces: a column each (the header and rows are rebuilt). */
  private updateAssessmentColumns(): void {
    const names = assessmentNames(this.traces);
    const key = (list: { name: string; byDefault: boolean }[]) => list.map((c) => `${c.name}:${c.byDefault}`).join("\n");
    if (key(names) === key(this.assessmentColumns)) return;
    this.assessmentColumns = names;
    this.paintHeader();
    if (!this.columnMenu.hidden) this.paintColumnMenu();
  }

  private paintHeader(): void {
    const cols = this.shownColumns();
    this.grid = [SELECT_WIDTH, ...cols.map((c) => c.width)].join(" ");
    clear(this.header);
    const all = h("input", { type: "checkbox", class: "select-all", "aria-label": "Select all loaded traces" });
    all.addEventListener("change", () => {
      this.checked = all.checked ? new Set(this.traces.map((t) => t.traceId)) : new Set();
      this.selectionChanged();
    });
    const [sortField, sortDir] = splitSort(this.query.orderBy);
    const headerCell = (c: Column) => {
      const field = SORTABLE[c.key]?.field;
      if (!field)
        return h(
          "div",
          {
            class: cellClass(c),
            role: "columnheader",
            title:
              c.cls === "cell-assessment"
                ? `Assessment ${c.title}: its values on each trace (MLflow cannot sort by it)`
                : "MLflow cannot order traces by this column",
          },
          c.title,
        );
      const sorted = field === sortField;
      const button = h(
        "button",
        { type: "button", class: "sort-header", title: `Sort by ${c.title.toLowerCase()}` },
        c.title,
        sorted ? (sortDir === "ASC" ? " ▲" : " ▼") : "",
      );
      button.addEventListener("click", () => {
        const next = nextSort(this.query.orderBy, c.key);
        if (next) this.setSort(next);
      });
      return h(
        "div",
        { class: `cell cell-${c.key}`, role: "columnheader", "aria-sort": sorted ? (sortDir === "ASC" ? "ascending" : "descending") : "none" },
        button,
      );
    };
    this.header.append(h("div", { class: "cell cell-select", role: "columnheader" }, all), ...cols.map(headerCell));
    this.header.style.gridTemplateColumns = this.grid;
  }

  // ---------------------------------------------------------------- completion

  private updateCompletion(): void {
    const c = completions(this.searchInput.value, this.searchInput.selectionStart ?? this.searchInput.value.length, knownKeys(this.traces));
    this.completion = c.items.length ? c : null;
    this.completionIndex = 0;
    this.paintCompletion();
  }

  private paintCompletion(): void {
    clear(this.suggestBox);
    const c = this.completion;
    this.suggestBox.hidden = !c;
    this.searchInput.setAttribute("aria-expanded", String(!!c));
    if (!c) return;
    c.items.forEach((item, i) => {
      const li = h(
        "li",
        { role: "option", class: `suggestion${i === this.completionIndex ? " active" : ""}`, "aria-selected": String(i === this.completionIndex) },
        item,
      );
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        this.acceptCompletion(i);
      });
      this.suggestBox.appendChild(li);
    });
  }

  private hideCompletion(): void {
    this.completion = null;
    this.paintCompletion();
  }

  private acceptCompletion(i: number): void {
    const c = this.completion;
    if (!c) return;
    const next = applyCompletion(this.searchInput.value, c, c.items[i]!);
    this.searchInput.value = next.text;
    this.searchInput.setSelectionRange(next.cursor, next.cursor);
    this.hideCompletion();
    this.searchInput.focus();
  }

  private onSearchKey(e: KeyboardEvent): void {
    const c = this.completion;
    if (c && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      this.completionIndex = (this.completionIndex + (e.key === "ArrowDown" ? 1 : c.items.length - 1)) % c.items.length;
      this.paintCompletion();
    } else if (c && (e.key === "Tab" || (e.key === "Enter" && this.suggestBox.querySelector(".active")))) {
      if (e.key === "Enter" && !this.completionNavigated) {
        this.hideCompletion();
        this.search(e);
        return;
      }
      e.preventDefault();
      this.acceptCompletion(this.completionIndex);
    } else if (c && e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.hideCompletion();
    } else if (e.key === "Enter") {
      this.search(e);
    }
    this.completionNavigated = c !== null && (e.key === "ArrowDown" || e.key === "ArrowUp");
  }
  private completionNavigated = false;

  private search(e: KeyboardEvent): void {
    e.preventDefault();
    this.hideCompletion();
    this.query.filter = this.searchInput.value;
    this.onQueryChanged?.();
    void this.reload();
  }

  /** The search or the sort changed (browser mode writes them into the address bar). */
  onQueryChanged: (() => void) | null = null;

  get filterText(): string {
    return this.query.filter;
  }

  get orderBy(): SortKey {
    return this.query.orderBy;
  }

  /** A search and a sort from outside (a link, Back): the list reloads once, and only when they changed. */
  applyQuery(filter: string, orderBy: SortKey): void {
    if (filter === this.query.filter && orderBy === this.query.orderBy) return;
    this.query.filter = filter;
    this.searchInput.value = filter;
    if (orderBy !== this.query.orderBy)
      this.setSort(orderBy); // reloads, with the Sort box and headers
    else if (this.query.experimentIds.length) void this.reload();
  }

  // ---------------------------------------------------------------- loading

  /** Starts over from the first page (new query, refresh). */
  async reload(): Promise<void> {
    this.abort?.abort();
    this.generation++;
    this.traces = [];
    this.checked = new Set();
    this.selectionChanged(false);
    this.nextPageToken = null;
    this.loading = false;
    this.setFilterError(null);
    this.setRows();
    this.scroller.scrollTop = 0;
    if (this.query.experimentIds.length === 0) {
      this.showOverlay("No experiment selected", "Pick an experiment in the header. If the list is empty, log a trace with mlflow.trace first.");
      return;
    }
    await this.fetchPage(null);
  }

  /** Loads the next page if there is one (used by `n` at the end of the loaded rows). */
  async loadMorePage(): Promise<void> {
    await this.loadMore();
  }

  private async loadMore(): Promise<void> {
    if (this.loading || !this.nextPageToken) return;
    await this.fetchPage(this.nextPageToken);
  }

  private currentQuery(): TracesQuery {
    return { ...this.query, nowMs: this.now() };
  }

  private async fetchPage(pageToken: string | null): Promise<void> {
    const generation = this.generation;
    this.loading = true;
    this.abort = new AbortController();
    if (!pageToken) this.showOverlay("Loading traces…", null, "loading");
    this.setStatus(pageToken ? `${this.traces.length} traces · loading more…` : "loading…");
    try {
      const result = await this.transport.request("traces/search", searchParams(this.currentQuery(), pageToken), this.abort.signal);
      if (generation !== this.generation) return;
      const appendedFrom = this.traces.length;
      for (const t of result.traces) this.traces.push(t); // in place: concat per page made O(n²) garbage over 10k rows
      this.nextPageToken = result.nextPageToken ?? null;
      this.loading = false;
      this.updateStatus();
      if (this.traces.length === 0) {
        const filtered = this.query.filter.trim() !== "" || this.query.state !== "ALL" || (this.query.time ?? "ALL") !== "ALL";
        this.showOverlay(
          filtered ? "No traces match" : "No traces in this experiment yet",
          filtered ? "Change or clear the filter, pick All states or All time." : "Run your application with MLflow tracing enabled, then press Refresh.",
        );
      } else {
        this.hideOverlay();
      }
      this.setRows(pageToken ? appendedFrom : undefined);
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

  /** Rebuilds the displayed rows (flat or grouped) from the loaded traces. */
  /** Rebuilds the display rows; a page appended to an ungrouped list (`appendedFrom`) only adds its own. */
  private setRows(appendedFrom?: number): void {
    if (appendedFrom !== undefined && !this.grouped && this.display.length === appendedFrom) {
      for (let index = appendedFrom; index < this.traces.length; index++) this.display.push({ kind: "trace", trace: this.traces[index]!, index });
    } else {
      this.display = displayRows(this.traces, this.grouped, this.collapsedGroups);
    }
    this.updateAssessmentColumns();
    this.list.setRowCount(this.display.length);
  }

  private keys(rows: readonly DisplayRow[]): string[] {
    return rows.map((r) => (r.kind === "trace" ? r.trace.traceId : `group:${r.session ?? ""}`));
  }

  // ---------------------------------------------------------------- grouping, live mode

  setGrouped(on: boolean): void {
    this.grouped = on;
    setPressed(this.groupButton, on);
    this.setRows();
  }

  get isLive(): boolean {
    return this.liveTimer !== null;
  }

  /** Orders the list (MLflow's order_by), from the Sort box or a column header; live mode needs newest first. */
  setSort(orderBy: SortKey): void {
    this.query.orderBy = orderBy;
    // A column's sort without a preset (Name, State, Session…) shows as one more choice of the Sort box.
    this.sortSelect.querySelector("option.column-sort")?.remove();
    if (!SORT_PRESETS.some(([value]) => value === orderBy))
      this.sortSelect.appendChild(h("option", { value: orderBy, class: "column-sort" }, sortLabel(orderBy)));
    this.sortSelect.value = orderBy;
    if (orderBy !== "timestamp_ms DESC") this.setLive(false);
    this.paintHeader();
    this.onQueryChanged?.();
    if (this.query.experimentIds.length) void this.reload();
  }

  setLive(on: boolean): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
    if (on) {
      if (this.query.orderBy !== "timestamp_ms DESC") this.setSort("timestamp_ms DESC");
      this.liveTimer = setInterval(() => void this.poll(), this.livePollMs);
    }
    setPressed(this.liveButton, on);
  }

  /** Live mode: fetch the first page again and put new traces on top, keeping the row under the reader. */
  async poll(): Promise<number> {
    if (this.loading || this.query.experimentIds.length === 0) return 0;
    const generation = this.generation;
    try {
      const result = await this.transport.request("traces/search", searchParams(this.currentQuery(), null));
      if (generation !== this.generation || this.loading) return 0;
      const merged = mergeNewTraces(this.traces, result.traces);
      if (merged.added === 0 && merged.updated === 0) return 0;
      const before = this.keys(this.display);
      const top = this.scroller.scrollTop;
      this.traces = merged.rows;
      this.display = displayRows(this.traces, this.grouped, this.collapsedGroups);
      const next = keepAnchor(before, this.keys(this.display), top, TRACE_ROW_HEIGHT);
      this.list.setRowCount(this.display.length);
      this.scroller.scrollTop = next;
      this.list.render();
      if (this.traces.length) this.hideOverlay();
      this.updateStatus(merged.added ? `+${merged.added} new` : undefined);
      return merged.added;
    } catch {
      return 0;
    }
  }

  dispose(): void {
    this.setLive(false);
  }

  // ---------------------------------------------------------------- selection, delete, tags

  /**
   * What the backend lets the user change (session/info's capabilities): a local store is read-only, so
   * Delete… and Tags… say why they are off instead of failing after a confirmation.
   */
  setWritable(can: { deleteTraces?: boolean; editTags?: boolean }): void {
    this.writable = { deleteTraces: can.deleteTraces !== false, editTags: can.editTags !== false };
    const readOnly = "Read-only: a local store cannot be changed here. Connect to a tracking server to";
    this.deleteButton.title = this.writable.deleteTraces ? "Delete the selected traces" : `${readOnly} delete traces.`;
    this.tagsButton.title = this.writable.editTags ? "Edit the tags of the one selected trace" : `${readOnly} edit tags.`;
    this.selectionChanged(false);
  }
  private writable = { deleteTraces: true, editTags: true };

  private selectionChanged(render = true): void {
    const n = this.checked.size;
    this.deleteButton.disabled = n === 0 || !this.writable.deleteTraces;
    this.deleteButton.textContent = n ? `Delete ${n}…` : "Delete…";
    this.tagsButton.disabled = n !== 1 || !this.writable.editTags;
    this.compareButton.hidden = n !== 2;
    const all = this.header.querySelector<HTMLInputElement>(".select-all");
    if (all) all.checked = n > 0 && n === this.traces.length;
    if (render) {
      this.updateStatus();
      this.list.render();
    }
  }

  /** Compare: the two checked traces, the earlier one as A (the baseline), the later as B. */
  onCompare: ((a: TraceSummary, b: TraceSummary) => void) | null = null;

  compareChecked(): void {
    const pair = this.traces.filter((t) => this.checked.has(t.traceId)).sort((x, y) => x.requestTimeMs - y.requestTimeMs);
    if (pair.length === 2) this.onCompare?.(pair[0]!, pair[1]!);
  }

  /** A trace's assessments as the viewer just wrote them (the row's preview, and filters' completions, use them). */
  setAssessments(traceId: string, assessments: Assessment[]): void {
    const trace = this.traces.find((t) => t.traceId === traceId);
    if (!trace) return;
    trace.assessments = assessments;
    this.updateAssessmentColumns();
    this.list.render();
  }

  toggleChecked(traceId: string, range = false): void {
    const order = this.display.filter((r): r is Extract<DisplayRow, { kind: "trace" }> => r.kind === "trace").map((r) => r.trace.traceId);
    this.checked = updateSelection(this.checked, order, traceId, range ? "range" : "toggle", this.anchor);
    this.anchor = traceId;
    this.selectionChanged();
  }

  private showActionMessage(text: string | null, error = false): void {
    this.actionMessage.textContent = text ?? "";
    this.actionMessage.hidden = text === null;
    this.actionMessage.classList.toggle("error-text", error);
  }

  /** Asks for confirmation, then traces/delete; the host's message (e.g. Unsupported on a local store) is shown. */
  async deleteChecked(): Promise<void> {
    const ids = [...this.checked];
    if (ids.length === 0) return;
    const ok = await confirmDialog(
      this.element,
      `Delete ${ids.length} trace${ids.length === 1 ? "" : "s"}?`,
      `This deletes ${ids.length === 1 ? ids[0] : `${ids.length} traces`} from the tracking server. It cannot be undone.`,
      "Delete",
    );
    if (!ok) return;
    const byExperiment = new Map<string, string[]>();
    for (const id of ids) {
      const t = this.traces.find((x) => x.traceId === id);
      const exp = t?.experimentId ?? this.query.experimentIds[0] ?? "";
      byExperiment.set(exp, [...(byExperiment.get(exp) ?? []), id]);
    }
    let deleted = 0;
    try {
      for (const [experimentId, traceIds] of byExperiment) deleted += (await this.transport.request("traces/delete", { experimentId, traceIds })).deleted;
    } catch (err) {
      const e = RpcError.from(err);
      this.showActionMessage(`Could not delete: ${e.message}`, true);
      return;
    }
    const gone = new Set(ids);
    this.traces = this.traces.filter((t) => !gone.has(t.traceId));
    this.checked = new Set();
    this.setRows();
    this.selectionChanged();
    this.showActionMessage(`Deleted ${deleted} trace${deleted === 1 ? "" : "s"}.`);
  }

  /** Tag editor for the one checked trace: remove a tag, or set key = value (traces/setTag, traces/deleteTag). */
  editTags(): void {
    const id = [...this.checked][0];
    const trace = this.traces.find((t) => t.traceId === id);
    if (trace) openTagEditor(this.element, this.transport, trace, () => this.list.render());
  }

  /** A trace's tags changed elsewhere (the viewer's summary): its row shows them. */
  tagsChanged(traceId: string, tags: Record<string, string>): void {
    const trace = this.traces.find((t) => t.traceId === traceId);
    if (!trace || trace.tags === tags) return;
    trace.tags = { ...tags };
    this.list.render();
  }

  // ---------------------------------------------------------------- painting

  private updateStatus(extra?: string): void {
    const n = this.traces.length;
    const parts = [`${n} trace${n === 1 ? "" : "s"}`];
    if (this.checked.size) parts.push(`${this.checked.size} selected`);
    if (extra) parts.push(extra);
    if (this.nextPageToken) parts.push("scroll for more");
    this.setStatus(parts.join(" · "));
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
      const retry = h("vscode-button", { class: "retry" }, "Retry");
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

  /** Builds row `i`'s elements, then fills them (`fillRow`); a scroll refills built rows instead. */
  private renderRow(i: number): HTMLElement {
    const d = this.display[i]!;
    const row =
      d.kind === "group"
        ? h("div", { class: "trace-row group-row", role: "row" }, h("div", { class: "cell group-cell", role: "gridcell" }))
        : h(
            "div",
            { class: "trace-row", role: "row" },
            h("div", { class: "cell cell-select", role: "gridcell" }, h("input", { type: "checkbox", class: "row-select" })),
            this.shownColumns().map((c) => h("div", { class: cellClass(c), role: "gridcell", "data-column": c.key })),
          );
    this.fillRow(row, i);
    return row;
  }

  /**
   * Shows row `i` in `row`, a row built for another; false when `row` cannot show it: a group row for a
   * trace or back, or cells for other columns.
   */
  private fillRow(row: HTMLElement, i: number): boolean {
    const d = this.display[i]!;
    if ((d.kind === "group") !== row.classList.contains("group-row")) return false;
    row.id = `trace-row-${i}`;
    row.classList.toggle("cursor", i === this.cursor);
    if (d.kind === "group") {
      const label = d.session ?? "(no session)";
      row.dataset.session = d.session ?? "";
      row.setAttribute("aria-expanded", String(!d.collapsed));
      setText(row.firstElementChild!, `${d.collapsed ? "▸" : "▾"} Session ${label} · ${d.count} trace${d.count === 1 ? "" : "s"}`);
      return true;
    }
    const columns = this.shownColumns();
    if (row.childElementCount !== columns.length + 1 || columns.some((c, k) => (row.children[k + 1] as HTMLElement).dataset.column !== c.key)) return false;
    const t = d.trace;
    const checked = this.checked.has(t.traceId);
    row.className = `trace-row${t.traceId === this.selectedId ? " selected" : ""}${checked ? " checked" : ""}${i === this.cursor ? " cursor" : ""}`;
    row.setAttribute("aria-selected", String(checked));
    row.dataset.traceId = t.traceId;
    row.dataset.index = String(d.index);
    row.style.gridTemplateColumns = this.grid;
    const box = row.firstElementChild!.firstElementChild as HTMLInputElement;
    box.checked = checked;
    box.setAttribute("aria-label", `Select ${t.traceId}`);
    columns.forEach((c, k) => {
      const cell = row.children[k + 1] as HTMLElement;
      const v = c.cell(t);
      if (typeof v === "string") {
        setText(cell, v);
        cell.title = v;
      } else {
        cell.replaceChildren(v);
        cell.removeAttribute("title");
      }
    });
    return true;
  }

  private shownColumns(): Column[] {
    return [
      ...COLUMNS.filter((c) => this.columns.includes(c.key)),
      ...this.assessmentColumns.filter((c) => assessmentColumnShown(c, this.assessmentChoice)).map((c) => assessmentColumn(c.name)),
    ];
  }

  /** ↑ ↓ Home End PageUp PageDown move the cursor; Enter opens its trace (or folds its session); Space checks it. */
  private onListKey(e: KeyboardEvent): void {
    if (e.target !== this.scroller) return; // a row's checkbox keeps its own keys
    const pageRows = Math.floor((this.scroller.clientHeight - HEADER_HEIGHT) / TRACE_ROW_HEIGHT);
    const next = moveCursor(this.cursor, e.key, this.display.length, pageRows);
    if (next !== null) {
      e.preventDefault();
      this.setCursor(next);
      return;
    }
    if (e.key === "/") {
      e.preventDefault();
      this.searchInput.focus();
      return;
    }
    const d = this.cursor === null ? undefined : this.display[this.cursor];
    if (!d) return;
    if (e.key === "Enter") {
      e.preventDefault();
      if (d.kind === "group") this.toggleGroup(d.session);
      else {
        this.setSelected(d.trace.traceId);
        this.onOpen(d.trace);
      }
    } else if (e.key === " " && d.kind === "trace") {
      e.preventDefault();
      this.toggleChecked(d.trace.traceId, e.shiftKey);
    } else if (e.key === "Delete" && this.writable.deleteTraces) {
      // The checked traces, or the one under the cursor when none is checked: asked first, as the button does.
      e.preventDefault();
      if (this.checked.size === 0 && d.kind === "trace") this.toggleChecked(d.trace.traceId);
      void this.deleteChecked();
    }
  }

  private setCursor(index: number): void {
    this.cursor = index;
    this.scroller.setAttribute("aria-activedescendant", `trace-row-${index}`);
    this.list.reveal(index);
  }

  private toggleGroup(session: string | null): void {
    const key = session ?? "";
    if (this.collapsedGroups.has(key)) this.collapsedGroups.delete(key);
    else this.collapsedGroups.add(key);
    this.setRows();
  }

  /**
   * One listener for every row: rows are refilled for other traces as the list scrolls, so a listener
   * on a row would act on the trace the row was built for.
   */
  private onRowClick(e: MouseEvent): void {
    const target = e.target as Element;
    const row = target.closest(".trace-row");
    const i = row ? this.list.indexOf(row) : undefined;
    const d = i === undefined ? undefined : this.display[i];
    if (!d) return;
    this.cursor = i!;
    if (d.kind === "group") {
      this.toggleGroup(d.session);
      return;
    }
    const t = d.trace;
    if (target.closest(".row-select") || e.ctrlKey || e.metaKey || e.shiftKey) {
      this.toggleChecked(t.traceId, e.shiftKey);
      return;
    }
    this.setSelected(t.traceId);
    this.onOpen(t);
  }
}

/** Sets an element's one text child, rewriting the Text node it has rather than making a new one. */
function setText(el: Element, text: string): void {
  const only = el.firstChild;
  if (only && only === el.lastChild && only.nodeType === Node.TEXT_NODE) {
    if ((only as Text).data !== text) (only as Text).data = text;
  } else {
    el.textContent = text;
  }
}
