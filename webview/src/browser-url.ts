// Browser mode's address bar: the open trace is in the URL (`?trace=tr-…`), so Back closes it, Forward opens it
// again, and a link or a bookmark opens it; the page's token survives a reload (F5) in the tab's sessionStorage
// without staying in the URL, its history or a bookmark.

/** What the address bar follows: the list page's viewer (App). */
export interface TraceHistoryPage {
  onTraceShown: ((traceId: string | null) => void) | null;
  openTrace(traceId: string): Promise<void>;
  showList(): void;
}

const TOKEN_KEY = "traceide.token";

/** `?trace=` of a URL's query, if it looks like a trace ID. */
export function traceFromSearch(search: string): string | null {
  const id = new URLSearchParams(search).get("trace");
  return id && /^[\w.:-]{1,128}$/.test(id) ? id : null;
}

/** The same address with `?trace=` set to `traceId`, or removed for null; other parameters kept. */
export function withTrace(href: string, traceId: string | null): string {
  const url = new URL(href);
  if (traceId) url.searchParams.set("trace", traceId);
  else url.searchParams.delete("trace");
  return url.toString();
}

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

/** Keeps the URL and the open trace in step, both ways; opens the URL's trace once the list is up. */
export function followBrowserHistory(app: TraceHistoryPage, win: Window): { openInitial(): Promise<void> } {
  let restoring = false;
  app.onTraceShown = (traceId) => {
    if (restoring) return;
    const next = withTrace(win.location.href, traceId);
    if (next !== win.location.href) win.history.pushState({ trace: traceId }, "", next);
  };
  const follow = async () => {
    restoring = true;
    try {
      const id = traceFromSearch(win.location.search);
      if (id) await app.openTrace(id);
      else app.showList();
    } finally {
      restoring = false;
    }
  };
  win.addEventListener("popstate", () => void follow());
  return {
    openInitial: async () => {
      if (traceFromSearch(win.location.search)) await follow();
    },
  };
}
