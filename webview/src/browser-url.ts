// Browser mode's address bar: what the page shows is in the URL — the tab (Sessions, Overview), the experiment,
// the search, the sort, the open trace and its selected span, the Overview's own tab, range and unit — so a reload or a link shows it again, and Back
// closes a trace or returns to the last tab. The page's token survives a reload (F5) in the tab's sessionStorage
// without staying in the URL, its history or a bookmark.

/** What the address bar holds; null is the page's default (the Traces tab, the first experiment, newest first…). */
export interface PageState {
  tab: string | null;
  experiment: string | null;
  q: string | null;
  sort: string | null;
  trace: string | null;
  span: string | null;
  /** The Overview's tab, range preset and manual time unit. */
  overview: string | null;
  range: string | null;
  unit: string | null;
  /** Two traces compared (compare-view.ts): `<idA>,<idB>`. */
  compare: string | null;
}

const STATE_KEYS = ["tab", "experiment", "q", "sort", "trace", "span", "overview", "range", "unit", "compare"] as const;
const ID = /^[\w.:-]{1,128}$/;
const TABS = ["sessions", "overview"];
const OVERVIEW_TABS = ["usage", "quality", "toolCalls"];
const RANGES = ["LAST_HOUR", "LAST_24_HOURS", "LAST_7_DAYS", "LAST_30_DAYS", "LAST_YEAR"];
const UNITS = ["second", "minute", "hour", "day", "month", "year"];

/** What the address bar follows: the list page (App). */
export interface HistoryPage {
  /** Called after what the page shows changed; `push` for a new history entry (a trace opened or closed, a tab). */
  onStateChanged: ((push: boolean) => void) | null;
  pageState(): PageState;
  restore(state: PageState): Promise<void>;
}

/** The page state a URL's query asks for, each value checked (IDs look like IDs, the tab is one of the tabs). */
export function stateFromSearch(search: string): PageState {
  const p = new URLSearchParams(search);
  const text = (k: string) => {
    const v = p.get(k);
    return v && v.length <= 4000 ? v : null;
  };
  const id = (k: string) => {
    const v = p.get(k);
    return v && ID.test(v) ? v : null;
  };
  const oneOf = (k: string, values: string[]) => {
    const v = p.get(k);
    return v && values.includes(v) ? v : null;
  };
  const pair = (k: string) => {
    const ids = (p.get(k) ?? "").split(",");
    return ids.length === 2 && ids.every((x) => ID.test(x)) && ids[0] !== ids[1] ? ids.join(",") : null;
  };
  return {
    compare: pair("compare"),
    tab: oneOf("tab", TABS),
    experiment: id("experiment"),
    q: text("q"),
    sort: text("sort"),
    trace: id("trace"),
    span: id("span"),
    overview: oneOf("overview", OVERVIEW_TABS),
    range: oneOf("range", RANGES),
    unit: oneOf("unit", UNITS),
  };
}

/** The same address with the page state's parameters set (null: removed); other parameters kept. */
export function withState(href: string, state: PageState): string {
  const url = new URL(href);
  for (const k of STATE_KEYS) {
    const v = state[k];
    if (v) url.searchParams.set(k, v);
    else url.searchParams.delete(k);
  }
  return url.toString();
}

const TOKEN_KEY = "traceide.token";

/**
 * The token to connect with: the URL's (then moved out of the address bar into this tab's sessionStorage),
 * else the one this tab kept from before a reload.
 */
export function takeToken(win: Pick<Window, "location" | "history" | "sessionStorage">): string {
  const params = new URLSearchParams(win.location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    try {
      win.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      /* storage off: a reload then needs the printed address again */
    }
    params.delete("token");
    const rest = params.toString();
    win.history.replaceState(win.history.state, "", `${win.location.pathname}${rest ? `?${rest}` : ""}${win.location.hash}`);
    return fromUrl;
  }
  try {
    return win.sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

/**
 * Keeps the URL and the page in step, both ways: each change the page reports is written (pushed or replaced,
 * once per turn of the event loop however many came), Back and Forward restore the URL's state, and the URL the
 * page was opened with is restored once the list is up.
 */
export function followBrowserHistory(app: HistoryPage, win: Window): { openInitial(): Promise<void> } {
  // Until the opening URL is restored, the page's first steps (its default experiment, an empty viewer) are not
  // what the URL asks for, and must not overwrite it.
  let restoring = true;
  let pending: boolean | null = null; // null: nothing to write; true: push
  app.onStateChanged = (push) => {
    if (restoring) return;
    const first = pending === null;
    pending = (pending ?? false) || push;
    if (!first) return;
    queueMicrotask(() => {
      const pushIt = pending;
      pending = null;
      const next = withState(win.location.href, app.pageState());
      if (next === win.location.href) return;
      if (pushIt) win.history.pushState(null, "", next);
      else win.history.replaceState(null, "", next);
    });
  };
  const follow = async () => {
    restoring = true;
    try {
      await app.restore(stateFromSearch(win.location.search));
    } finally {
      restoring = false;
    }
  };
  win.addEventListener("popstate", () => void follow());
  return {
    openInitial: async () => {
      const asked = stateFromSearch(win.location.search);
      if (STATE_KEYS.some((k) => asked[k] !== null)) await follow();
      restoring = false;
    },
  };
}
