// Pure pieces of the traces view: persisted settings, time range quick filter, search-box key
// completion, live-mode merge, grouping by session, selection. Tested in test/traces-logic.test.ts.
import type { TraceSummary } from "./protocol.generated";
import type { VsCodeApiLike } from "./transport";

// ------------------------------------------------------------------ settings (column chooser, …)

export interface SettingsStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

/** A browser's localStorage (namespaced); silently in-memory when storage is unavailable. */
export function localSettings(storage: Storage | null = typeof localStorage === "undefined" ? null : localStorage, prefix = "traceide."): SettingsStore {
  const memory = new Map<string, unknown>();
  return {
    get<T>(key: string) {
      try {
        const raw = storage?.getItem(prefix + key);
        if (raw !== null && raw !== undefined) return JSON.parse(raw) as T;
      } catch {
        /* fall through */
      }
      return memory.get(key) as T | undefined;
    },
    set(key, value) {
      memory.set(key, value);
      try {
        storage?.setItem(prefix + key, JSON.stringify(value));
      } catch {
        /* quota or privacy mode: memory only */
      }
    },
  };
}

/** A VS Code webview's getState/setState (survives the webview being hidden and restored). */
export function webviewSettings(api: VsCodeApiLike): SettingsStore {
  const state = (): Record<string, unknown> => {
    const s = api.getState?.();
    return s && typeof s === "object" ? (s as Record<string, unknown>) : {};
  };
  return {
    get<T>(key: string) {
      return state()[key] as T | undefined;
    },
    set(key, value) {
      api.setState?.({ ...state(), [key]: value });
    },
  };
}

export const COLUMNS_KEY = "traces.columns";

/** Visible column keys: the stored choice filtered to known keys, else the defaults; never empty. */
export function loadColumns(store: SettingsStore, all: readonly string[], defaults: readonly string[]): string[] {
  const stored = store.get<unknown>(COLUMNS_KEY);
  if (Array.isArray(stored)) {
    const keep = all.filter((k) => stored.includes(k));
    if (keep.length) return keep;
  }
  return [...defaults];
}

export function toggleColumn(visible: readonly string[], all: readonly string[], key: string): string[] {
  const on = visible.includes(key);
  if (on && visible.length === 1) return [...visible];
  return all.filter((k) => (k === key ? !on : visible.includes(k)));
}

// ------------------------------------------------------------------ time range quick filter

export type TimeFilter = "ALL" | "LAST_HOUR" | "LAST_24_HOURS" | "LAST_7_DAYS" | "LAST_30_DAYS" | "LAST_YEAR";
export const TIME_FILTERS: { key: TimeFilter; label: string; ms: number | null }[] = [
  { key: "ALL", label: "All time", ms: null },
  { key: "LAST_HOUR", label: "Last hour", ms: 3_600_000 },
  { key: "LAST_24_HOURS", label: "Last 24 hours", ms: 86_400_000 },
  { key: "LAST_7_DAYS", label: "Last 7 days", ms: 7 * 86_400_000 },
  { key: "LAST_30_DAYS", label: "Last 30 days", ms: 30 * 86_400_000 },
  { key: "LAST_YEAR", label: "Last year", ms: 365 * 86_400_000 },
];

/** filters.startTimeMs / endTimeMs for a quick filter; null for all time. */
export function timeFilterRange(key: TimeFilter, nowMs: number): { startTimeMs: number; endTimeMs: number } | null {
  const f = TIME_FILTERS.find((t) => t.key === key);
  if (!f || f.ms === null) return null;
  return { startTimeMs: nowMs - f.ms, endTimeMs: nowMs };
}

// ------------------------------------------------------------------ key completion

export const ENTITY_PREFIXES = [
  "trace.status",
  "trace.name",
  "trace.timestamp_ms",
  "trace.execution_time_ms",
  "trace.request_id",
  "trace.client_request_id",
  "trace.text",
  "trace.run_id",
  "span.name",
  "span.type",
  "span.status",
  "tags.",
  "metadata.",
  "feedback.",
  "expectation.",
  "request_metadata.",
  "attributes.",
];

export interface Completion {
  /** Replace text[from, to) with `insert`. */
  from: number;
  to: number;
  items: string[];
}

function quoteKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `\`${k}\``;
}

/** Known tag and metadata keys of the loaded rows, for completion (sorted, no duplicates). */
export function knownKeys(rows: readonly TraceSummary[], limit = 2000): string[] {
  const keys = new Set<string>();
  for (const t of rows.slice(0, limit)) {
    for (const k of Object.keys(t.tags)) keys.add(`tags.${quoteKey(k)}`);
    for (const k of Object.keys(t.metadata)) keys.add(`metadata.${quoteKey(k)}`);
    for (const a of t.assessments) keys.add(`${a.kind === "expectation" ? "expectation" : "feedback"}.${quoteKey(a.name)}`);
  }
  return [...keys].sort();
}

/**
 * Suggestions for the identifier being typed at `cursor` (not inside a quoted value): entity prefixes,
 * then `tags.x` / `metadata.x` keys seen in the loaded rows. Empty when nothing fits.
 */
export function completions(text: string, cursor: number, keys: readonly string[], max = 12): Completion {
  const before = text.slice(0, cursor);
  const quotes = (before.match(/'/g) ?? []).length + (before.match(/"/g) ?? []).length;
  if (quotes % 2 === 1) return { from: cursor, to: cursor, items: [] };
  const m = /[A-Za-z_.`][A-Za-z0-9_.`-]*$/.exec(before);
  const from = m ? m.index : cursor;
  const word = m ? m[0] : "";
  let to = cursor;
  while (to < text.length && /[A-Za-z0-9_.`-]/.test(text[to]!)) to++;
  if (!word) return { from, to, items: [] };
  // After a comparison (e.g. `trace.status = `), the user types a value, not a key.
  if (/(=|!=|<|>|LIKE|ILIKE|IN)\s*$/i.test(before.slice(0, from))) return { from, to, items: [] };
  const lower = word.toLowerCase();
  const all = [...ENTITY_PREFIXES, ...keys];
  const items = [...new Set(all.filter((k) => k.toLowerCase().startsWith(lower) && k.toLowerCase() !== lower))];
  return { from, to, items: items.slice(0, max) };
}

export function applyCompletion(text: string, c: Completion, item: string): { text: string; cursor: number } {
  const next = text.slice(0, c.from) + item + text.slice(c.to);
  return { text: next, cursor: c.from + item.length };
}

// ------------------------------------------------------------------ live mode

/**
 * New traces of a fresh first page go on top (those not already loaded), in the page's order.
 * Known traces are updated in place (state, duration of traces that were still running).
 */
export function mergeNewTraces(current: readonly TraceSummary[], firstPage: readonly TraceSummary[]): { rows: TraceSummary[]; added: number; updated: number } {
  const index = new Map(current.map((t, i) => [t.traceId, i]));
  const fresh: TraceSummary[] = [];
  const rows = [...current];
  let updated = 0;
  for (const t of firstPage) {
    const i = index.get(t.traceId);
    if (i === undefined) fresh.push(t);
    else if (rows[i]!.state !== t.state || rows[i]!.durationMs !== t.durationMs) {
      rows[i] = t;
      updated++;
    }
  }
  return { rows: [...fresh, ...rows], added: fresh.length, updated };
}

/**
 * The scrollTop that keeps the row under the reader where it was after rows changed: the top visible
 * row (by key) moves to its new index, with the same offset into it. Unknown key → unchanged.
 */
export function keepAnchor(beforeKeys: readonly string[], afterKeys: readonly string[], scrollTop: number, rowHeight: number): number {
  const index = Math.floor(scrollTop / rowHeight);
  const key = beforeKeys[Math.min(index, beforeKeys.length - 1)];
  if (key === undefined) return scrollTop;
  const next = afterKeys.indexOf(key);
  if (next < 0) return scrollTop;
  return next * rowHeight + (scrollTop - index * rowHeight);
}

// ------------------------------------------------------------------ grouping by session

export type DisplayRow = { kind: "trace"; trace: TraceSummary; index: number } | { kind: "group"; session: string | null; count: number; collapsed: boolean };

/** Flat rows, or one header per session (sessions in order of their newest loaded trace; no session last). */
export function displayRows(rows: readonly TraceSummary[], groupBySession: boolean, collapsed: ReadonlySet<string> = new Set()): DisplayRow[] {
  if (!groupBySession) return rows.map((trace, index) => ({ kind: "trace", trace, index }));
  const groups = new Map<string | null, { trace: TraceSummary; index: number }[]>();
  rows.forEach((trace, index) => {
    const key = trace.session || null;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push({ trace, index });
  });
  const keys = [...groups.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : 0));
  const out: DisplayRow[] = [];
  for (const key of keys) {
    const g = groups.get(key)!;
    const isCollapsed = collapsed.has(key ?? "");
    out.push({ kind: "group", session: key, count: g.length, collapsed: isCollapsed });
    if (!isCollapsed) for (const r of g) out.push({ kind: "trace", ...r });
  }
  return out;
}

// ------------------------------------------------------------------ selection

/** Click with shift extends from the anchor; with ctrl/meta (or on the checkbox) toggles one. */
export function updateSelection(
  selected: ReadonlySet<string>,
  order: readonly string[],
  id: string,
  mode: "toggle" | "range",
  anchor: string | null,
): Set<string> {
  const next = new Set(selected);
  if (mode === "range" && anchor && order.includes(anchor)) {
    const a = order.indexOf(anchor);
    const b = order.indexOf(id);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) next.add(order[i]!);
    return next;
  }
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

// ------------------------------------------------------------------ keyboard

/**
 * Where the list's keyboard cursor goes for a key (↑ ↓ Home End PageUp PageDown), over `count` rows of which
 * `pageRows` fit in view; null for a key that does not move it. No cursor yet: ↓/Home start at the top,
 * ↑/End at the bottom.
 */
export function moveCursor(current: number | null, key: string, count: number, pageRows: number): number | null {
  if (count <= 0) return null;
  const last = count - 1;
  const page = Math.max(1, pageRows - 1);
  const at = current === null ? null : Math.min(Math.max(current, 0), last);
  switch (key) {
    case "ArrowDown":
      return at === null ? 0 : Math.min(at + 1, last);
    case "ArrowUp":
      return at === null ? last : Math.max(at - 1, 0);
    case "Home":
      return 0;
    case "End":
      return last;
    case "PageDown":
      return Math.min((at ?? -1) + page, last);
    case "PageUp":
      return Math.max((at ?? count) - page, 0);
    default:
      return null;
  }
}

// ------------------------------------------------------------------ free text

/**
 * A filter expression, not words to look for: a comparison, an entity-qualified key (`trace.status`,
 * `tags.env`, a backquoted key), or a grammar keyword before a value (`name LIKE '…'`, `IN (…)`, `IS NULL`).
 * "weather in Paris" stays words.
 */
const FILTER_SYNTAX =
  /[=<>`]|\b(trace|span|tags?|metadata|request_metadata|attributes?|feedback|expectation)\.\w|\b(LIKE|ILIKE|RLIKE|IN)\s*['"(]|\bIS\s+(NOT\s+)?NULL\b/i;

/**
 * What the search box asks: a filter expression as typed, or — for plain words such as `weather` or
 * `refund policy` — MLflow UI's own text search, `trace.text ILIKE '%…%'` (docs/mlflow-notes.md#search-grammar: full text over span
 * content). Quotes in the words pick the other quote character; text with both cannot be quoted and goes
 * as typed (the host then says why it is not a filter).
 */
export function searchFilter(text: string): string {
  const t = text.trim();
  if (!t || FILTER_SYNTAX.test(t)) return t;
  if (t.includes("'") && t.includes('"')) return t;
  const q = t.includes("'") ? '"' : "'";
  return `trace.text ILIKE ${q}%${t}%${q}`;
}

// ------------------------------------------------------------------ assessment columns

/** Where the user's choice of assessment columns is kept: names turned on and off in the Columns menu. */
export const ASSESSMENT_COLUMNS_KEY = "traces.assessmentColumns";
export interface AssessmentColumnChoice {
  shown: string[];
  hidden: string[];
}

/** How many assessment columns show before the user chooses: a list of ten fixed columns has room for about three. */
export const DEFAULT_ASSESSMENT_COLUMNS = 3;

/**
 * The names of the loaded traces' valid assessments, one list column each (MLflow's own `_…` bookkeeping left
 * out), the most common first; `byDefault` marks the few that show before the user chooses: the commonest feedback
 * (expectations are long reference answers, better read in the trace).
 */
export function assessmentNames(traces: readonly TraceSummary[]): { name: string; byDefault: boolean }[] {
  const traceCount = new Map<string, number>();
  const feedback = new Set<string>();
  for (const t of traces) {
    const seen = new Set<string>();
    for (const a of t.assessments) {
      if (!a.valid || a.name.startsWith("_")) continue;
      if (a.kind === "feedback") feedback.add(a.name);
      if (!seen.has(a.name)) traceCount.set(a.name, (traceCount.get(a.name) ?? 0) + 1);
      seen.add(a.name);
    }
  }
  const ordered = [...traceCount.keys()].sort((a, b) => traceCount.get(b)! - traceCount.get(a)! || a.localeCompare(b));
  const defaults = new Set(ordered.filter((n) => feedback.has(n)).slice(0, DEFAULT_ASSESSMENT_COLUMNS));
  return ordered.map((name) => ({ name, byDefault: defaults.has(name) }));
}

/** Whether an assessment column shows: the user's choice, else the default. */
export function assessmentColumnShown(column: { name: string; byDefault: boolean }, choice: AssessmentColumnChoice): boolean {
  if (choice.shown.includes(column.name)) return true;
  if (choice.hidden.includes(column.name)) return false;
  return column.byDefault;
}

/** A row's cell of an assessment column: its valid values of that name ("2 values" stay readable as "a, b"). */
export function assessmentCellText(t: TraceSummary, name: string): string {
  return t.assessments
    .filter((a) => a.valid && a.name === name)
    .map((a) => (a.error ? "error" : a.value === null || a.value === undefined ? "" : typeof a.value === "string" ? a.value : JSON.stringify(a.value)))
    .join(", ");
}
