import { afterEach, describe, expect, it } from "vitest";
import {
  COLUMNS_KEY,
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
  webviewSettings,
} from "../src/traces-logic";
import type { Assessment, TraceSummary } from "../src/protocol.generated";
import { ALL_COLUMNS, DEFAULT_COLUMNS, TRACE_ROW_HEIGHT, TracesView, nextSort, searchParams, sortLabel } from "../src/traces-view";
import { App } from "../src/app";
import { RpcError } from "../src/transport";
import type { VscodeButton } from "../src/controls";
import { FakeTransport, flush, frames, summary, traceResult, span, waitFor } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe("settings and columns", () => {
  it("persists through localStorage (namespaced) and a webview's getState/setState", () => {
    const storage = new MemoryStorage();
    localSettings(storage as unknown as Storage).set(COLUMNS_KEY, ["id", "name"]);
    expect(storage.data.get("traceide.traces.columns")).toBe('["id","name"]');
    expect(localSettings(storage as unknown as Storage).get(COLUMNS_KEY)).toEqual(["id", "name"]);
    let state: unknown = { other: 1 };
    const api = { postMessage() {}, getState: () => state, setState: (s: unknown) => void (state = s) };
    webviewSettings(api).set(COLUMNS_KEY, ["state"]);
    expect(state).toEqual({ other: 1, [COLUMNS_KEY]: ["state"] });
    expect(webviewSettings(api).get(COLUMNS_KEY)).toEqual(["state"]);
  });

  it("loads known columns in table order, defaults when nothing usable is stored; never hides the last one", () => {
    const all = ["a", "b", "c"];
    const store = localSettings(new MemoryStorage() as unknown as Storage);
    expect(loadColumns(store, all, ["a", "b"])).toEqual(["a", "b"]);
    store.set(COLUMNS_KEY, ["c", "zzz", "a"]);
    expect(loadColumns(store, all, ["a", "b"])).toEqual(["a", "c"]);
    store.set(COLUMNS_KEY, ["zzz"]);
    expect(loadColumns(store, all, ["b"])).toEqual(["b"]);
    expect(toggleColumn(["a", "c"], all, "b")).toEqual(["a", "b", "c"]);
    expect(toggleColumn(["a", "c"], all, "a")).toEqual(["c"]);
    expect(toggleColumn(["c"], all, "c")).toEqual(["c"]);
  });

  it("the column chooser hides a column in header and rows and remembers it", async () => {
    const storage = new MemoryStorage();
    const settings = localSettings(storage as unknown as Storage);
    const t = new FakeTransport({ "traces/search": () => ({ traces: [summary(1, { tags: { env: "prod", "mlflow.traceName": "x" } })] }) });
    const view = new TracesView(t, () => {}, 50, { settings });
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    expect(view.visibleColumns).toEqual(DEFAULT_COLUMNS);
    view.element.querySelector<HTMLButtonElement>(".columns-button")!.click();
    const box = (key: string) => view.element.querySelector<HTMLInputElement>(`.column-menu input[data-column="${key}"]`)!;
    box("response").checked = false;
    box("response").dispatchEvent(new Event("change"));
    box("tags").checked = true;
    box("tags").dispatchEvent(new Event("change"));
    expect(view.element.querySelector(".trace-header .cell-response")).toBeNull();
    expect(view.element.querySelector(".trace-row[data-trace-id] .cell-response")).toBeNull();
    expect(view.element.querySelector(".trace-row[data-trace-id] .cell-tags")?.textContent).toBe("env=prod");
    const again = new TracesView(t, () => {}, 50, { settings: localSettings(storage as unknown as Storage) });
    expect(again.visibleColumns).toEqual(ALL_COLUMNS.filter((k) => k !== "response"));
  });
});

describe("time range quick filter", () => {
  it("maps to filters.startTimeMs / endTimeMs", () => {
    expect(timeFilterRange("ALL", 1000)).toBeNull();
    expect(timeFilterRange("LAST_24_HOURS", 100_000_000)).toEqual({ startTimeMs: 100_000_000 - 86_400_000, endTimeMs: 100_000_000 });
    expect(
      searchParams({ experimentIds: ["1"], filter: "", state: "ERROR", orderBy: "timestamp_ms DESC", pageSize: 10, time: "LAST_HOUR", nowMs: 7_200_000 }),
    ).toEqual({
      experimentIds: ["1"],
      orderBy: ["timestamp_ms DESC"],
      pageSize: 10,
      filters: { states: ["ERROR"], startTimeMs: 3_600_000, endTimeMs: 7_200_000 },
    });
  });

  it("the select re-queries with the range", async () => {
    const t = new FakeTransport({ "traces/search": () => ({ traces: [] }) });
    const view = new TracesView(t, () => {}, 50, { now: () => 10 * 86_400_000 });
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const sel = view.element.querySelector<HTMLSelectElement>("select.time-filter")!;
    sel.value = "LAST_7_DAYS";
    sel.dispatchEvent(new Event("change"));
    await flush();
    expect(t.calls.at(-1)!.params.filters).toEqual({ startTimeMs: 3 * 86_400_000, endTimeMs: 10 * 86_400_000 });
    expect(view.element.querySelector(".overlay-hint")?.textContent).toContain("All time");
  });
});

describe("key completion", () => {
  const rows = [
    summary(1, {
      tags: { env: "prod", "my key": "x" },
      metadata: { "mlflow.trace.user": "u" },
      assessments: [{ assessmentId: "a", name: "correctness", kind: "feedback", valid: true, metadata: {} }],
    }),
  ];

  it("collects tag, metadata and assessment keys from the loaded rows (quoting odd names)", () => {
    expect(knownKeys(rows)).toEqual(["feedback.correctness", "metadata.`mlflow.trace.user`", "tags.`my key`", "tags.env"]);
  });

  it("suggests entity prefixes and known keys for the word at the cursor, not inside values", () => {
    const keys = knownKeys(rows);
    expect(completions("tr", 2, keys).items).toEqual(expect.arrayContaining(["trace.status", "trace.name"]));
    expect(completions("tags.", 5, keys).items).toEqual(["tags.`my key`", "tags.env"]);
    const c = completions("trace.status = 'OK' AND tags.e", 30, keys);
    expect(c).toEqual({ from: 24, to: 30, items: ["tags.env"] });
    expect(applyCompletion("trace.status = 'OK' AND tags.e", c, "tags.env")).toEqual({ text: "trace.status = 'OK' AND tags.env", cursor: 32 });
    expect(completions("trace.status = 'ER", 18, keys).items).toEqual([]);
    expect(completions("trace.status = ER", 17, keys).items).toEqual([]);
    expect(completions("", 0, keys).items).toEqual([]);
    expect(completions("span.type", 9, keys).items).toEqual([]);
  });

  it("the search box shows suggestions; Tab accepts, Enter searches", async () => {
    const t = new FakeTransport({ "traces/search": () => ({ traces: rows }) });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const input = view.element.querySelector<HTMLInputElement>("input.search")!;
    input.value = "tags.e";
    input.setSelectionRange(6, 6);
    input.dispatchEvent(new Event("input"));
    const box = view.element.querySelector<HTMLElement>(".suggestions")!;
    expect(box.hidden).toBe(false);
    expect(Array.from(box.querySelectorAll("li")).map((l) => l.textContent)).toEqual(["tags.env"]);
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true }));
    expect(input.value).toBe("tags.env");
    expect(box.hidden).toBe(true);
    input.value = "tags.env = 'prod'";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await flush();
    expect(t.calls.at(-1)!.params.filter).toBe("tags.env = 'prod'");
  });
});

describe("live mode", () => {
  it("merges new traces on top and updates finished ones", () => {
    const a = summary(1),
      b = summary(2, { state: "IN_PROGRESS" });
    const m = mergeNewTraces([a, b], [summary(0), a, { ...b, state: "OK" }]);
    expect(m.rows.map((t) => t.traceId)).toEqual(["tr-0000", "tr-0001", "tr-0002"]);
    expect(m.added).toBe(1);
    expect(m.updated).toBe(1);
    expect(m.rows[2]!.state).toBe("OK");
  });

  it("keeps the row under the reader: the anchor row moves by the rows inserted above it", () => {
    expect(keepAnchor(["a", "b", "c", "d"], ["x", "y", "a", "b", "c", "d"], 2 * 28 + 5, 28)).toBe(4 * 28 + 5);
    expect(keepAnchor(["a", "b"], ["x", "a", "b"], 0, 28)).toBe(28);
    expect(keepAnchor(["a"], ["z"], 10, 28)).toBe(10);
  });

  it("polls the first page and keeps the scroll position on the same trace", async () => {
    let page = Array.from({ length: 60 }, (_, i) => summary(i + 10));
    const t = new FakeTransport({ "traces/search": () => ({ traces: page }) });
    const view = new TracesView(t, () => {}, 100, { livePollMs: 60_000 });
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const scroller = view.element.querySelector<HTMLElement>(".trace-scroller")!;
    scroller.scrollTop = 20 * TRACE_ROW_HEIGHT;
    const underReader = view.rows[20]!.traceId;
    page = [summary(1), summary(2), summary(3), ...page];
    expect(await view.poll()).toBe(3);
    expect(view.rows.slice(0, 3).map((t) => t.traceId)).toEqual(["tr-0001", "tr-0002", "tr-0003"]);
    expect(view.rows[Math.floor(scroller.scrollTop / TRACE_ROW_HEIGHT)]!.traceId).toBe(underReader);
    expect(view.element.querySelector(".list-status")?.textContent).toContain("+3 new");
    expect(await view.poll()).toBe(0);
    view.setLive(true);
    expect(view.isLive).toBe(true);
    view.dispose();
    expect(view.isLive).toBe(false);
  });
});

describe("grouping by session", () => {
  it("one header per session, sessions in order of their newest trace, no-session last, collapsible", () => {
    const rows = [summary(1, { session: "s2" }), summary(2), summary(3, { session: "s1" }), summary(4, { session: "s2" })];
    const d = displayRows(rows, true);
    expect(d.map((r) => (r.kind === "group" ? `[${r.session}:${r.count}]` : r.trace.traceId))).toEqual([
      "[s2:2]",
      "tr-0001",
      "tr-0004",
      "[s1:1]",
      "tr-0003",
      "[null:1]",
      "tr-0002",
    ]);
    expect(displayRows(rows, true, new Set(["s2"])).map((r) => (r.kind === "group" ? `[${r.session}]` : r.trace.traceId))).toEqual([
      "[s2]",
      "[s1]",
      "tr-0003",
      "[null]",
      "tr-0002",
    ]);
    expect(displayRows(rows, false)).toHaveLength(4);
  });

  it("the toggle shows group rows; clicking a group collapses it", async () => {
    const t = new FakeTransport({ "traces/search": () => ({ traces: [summary(1, { session: "s" }), summary(2, { session: "s" })] }) });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const toggle = view.element.querySelector<VscodeButton>("vscode-button.group-toggle")!;
    expect([toggle.getAttribute("aria-pressed"), toggle.secondary]).toEqual(["false", true]);
    toggle.click();
    // Pressed toggles take VS Code's primary button look.
    expect([toggle.getAttribute("aria-pressed"), toggle.secondary]).toEqual(["true", false]);
    const group = view.element.querySelector<HTMLElement>('.group-row[data-session="s"]')!;
    expect(group.textContent).toContain("Session s · 2 traces");
    group.click();
    expect(view.element.querySelectorAll(".trace-row[data-trace-id]")).toHaveLength(0);
  });
});

describe("refilled rows", () => {
  it("a row refilled by a scroll shows, opens and selects the trace it now shows", async () => {
    const all = Array.from({ length: 300 }, (_, i) => summary(i + 1));
    const opened: string[] = [];
    const view = new TracesView(new FakeTransport({ "traces/search": () => ({ traces: all }) }), (t) => opened.push(t.traceId), 300);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const scroller = view.element.querySelector<HTMLElement>(".trace-scroller")!;
    const rowsBefore = Array.from(view.element.querySelectorAll<HTMLElement>(".trace-row[data-trace-id]"));
    scroller.scrollTop = 200 * TRACE_ROW_HEIGHT;
    scroller.dispatchEvent(new Event("scroll"));
    // The list repaints on the next frame: wait for it, not for a fixed time (50 ms failed on a busy machine).
    await waitFor(() => !!view.element.querySelector('.trace-row[data-trace-id="tr-0201"]'));
    await frames(); // and its overscan, painted on the frame after: the rows are settled
    const rows = Array.from(view.element.querySelectorAll<HTMLElement>(".trace-row[data-trace-id]"));
    expect(rows.filter((r) => rowsBefore.includes(r)).length).toBeGreaterThan(0); // the same elements, refilled
    const row = rows.find((r) => r.dataset.traceId === "tr-0201")!;
    expect(row.querySelector(".cell-name")!.textContent).toBe("trace 201");
    expect(row.querySelector(".cell-name")!.getAttribute("title")).toBe("trace 201");
    expect(row.querySelector(".cell-request")!.textContent).toBe("question 201");
    expect(row.querySelector(".row-select")!.getAttribute("aria-label")).toBe("Select tr-0201");
    row.querySelector<HTMLElement>(".cell-name")!.click();
    expect(opened).toEqual(["tr-0201"]);
    expect(row.classList.contains("selected")).toBe(true);
    row.querySelector<HTMLInputElement>(".row-select")!.click();
    expect([...view.selection]).toEqual(["tr-0201"]);
    expect(opened).toEqual(["tr-0201"]); // the box selects, it does not open
    const badge = rows.find((r) => r.dataset.traceId === "tr-0205")!.querySelector(".cell-state .badge")!;
    expect([badge.className, badge.textContent]).toEqual(["badge badge-error", "ERROR"]);
    // Scrolled back, the refilled rows carry the selection of the traces they show, and only theirs.
    scroller.scrollTop = 0;
    scroller.dispatchEvent(new Event("scroll"));
    await waitFor(() => view.element.querySelector(".trace-row[data-trace-id] .cell-name")?.textContent === "trace 1");
    expect(view.element.querySelectorAll(".trace-row.selected, .trace-row.checked, .row-select:checked")).toHaveLength(0);
    expect(view.element.querySelector(".trace-row[data-trace-id] .cell-name")!.textContent).toBe("trace 1");
  });
});

describe("selection, delete and tags", () => {
  it("toggles one, shift extends a range", () => {
    const order = ["a", "b", "c", "d"];
    let s = updateSelection(new Set(), order, "b", "toggle", null);
    s = updateSelection(s, order, "d", "range", "b");
    expect([...s].sort()).toEqual(["b", "c", "d"]);
    expect([...updateSelection(s, order, "c", "toggle", "d")].sort()).toEqual(["b", "d"]);
  });

  async function setup(deleteHandler: (p: any) => unknown) {
    const t = new FakeTransport({ "traces/search": () => ({ traces: [summary(1), summary(2), summary(3)] }), "traces/delete": deleteHandler });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    const boxes = () => Array.from(view.element.querySelectorAll<HTMLInputElement>(".trace-row[data-trace-id] .row-select"));
    boxes()[0]!.click();
    boxes()[1]!.click();
    return { t, view };
  }

  it("asks for confirmation; Cancel deletes nothing", async () => {
    const { t, view } = await setup(() => ({ deleted: 2 }));
    const del = view.element.querySelector<HTMLButtonElement>(".delete-selected")!;
    expect(del.textContent).toBe("Delete 2…");
    del.click();
    const dialog = view.element.querySelector(".dialog")!;
    expect(dialog.textContent).toContain("Delete 2 traces?");
    dialog.querySelector<HTMLButtonElement>(".dialog-cancel")!.click();
    await flush();
    expect(view.element.querySelector(".dialog")).toBeNull();
    expect(t.calls.some((c) => c.method === "traces/delete")).toBe(false);
  });

  it("Delete sends traces/delete and removes the rows", async () => {
    const { t, view } = await setup(() => ({ deleted: 2 }));
    view.element.querySelector<HTMLButtonElement>(".delete-selected")!.click();
    view.element.querySelector<HTMLButtonElement>(".dialog-confirm")!.click();
    await flush();
    expect(t.calls.find((c) => c.method === "traces/delete")!.params).toEqual({ experimentId: "1", traceIds: ["tr-0001", "tr-0002"] });
    expect(view.rows.map((r) => r.traceId)).toEqual(["tr-0003"]);
    expect(view.element.querySelector(".action-message")?.textContent).toBe("Deleted 2 traces.");
  });

  it("shows the host's Unsupported message and keeps the rows", async () => {
    const { view } = await setup(() => {
      throw new RpcError(-32006, "A local store is read-only: deleting traces needs a tracking server.");
    });
    view.element.querySelector<HTMLButtonElement>(".delete-selected")!.click();
    view.element.querySelector<HTMLButtonElement>(".dialog-confirm")!.click();
    await flush();
    const msg = view.element.querySelector<HTMLElement>(".action-message")!;
    expect(msg.hidden).toBe(false);
    expect(msg.textContent).toContain("read-only");
    expect(view.rows).toHaveLength(3);
  });

  it("edits the tags of one selected trace (set, remove, host errors shown in the dialog)", async () => {
    const t = new FakeTransport({
      "traces/search": () => ({ traces: [summary(1, { tags: { env: "dev", "mlflow.traceName": "x" } })] }),
      "traces/setTag": () => ({}),
      "traces/deleteTag": () => {
        throw new RpcError(-32006, "Unsupported on a local store");
      },
    });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    view.element.querySelector<HTMLInputElement>(".row-select")!.click();
    view.element.querySelector<HTMLButtonElement>(".edit-tags")!.click();
    const dialog = view.element.querySelector(".dialog")!;
    expect(Array.from(dialog.querySelectorAll("[data-tag]")).map((li) => li.getAttribute("data-tag"))).toEqual(["env"]);
    dialog.querySelector<HTMLInputElement>(".tag-key")!.value = "team";
    dialog.querySelector<HTMLInputElement>(".tag-value")!.value = "search";
    dialog.querySelector<HTMLButtonElement>(".tag-set")!.click();
    await flush();
    expect(t.calls.find((c) => c.method === "traces/setTag")!.params).toEqual({ traceId: "tr-0001", key: "team", value: "search" });
    expect(dialog.querySelector('[data-tag="team"]')?.textContent).toContain("team = search");
    dialog.querySelector<HTMLButtonElement>('[data-tag="env"] .tag-remove')!.click();
    await flush();
    expect(dialog.querySelector<HTMLElement>(".dialog-error")!.textContent).toBe("Unsupported on a local store");
    expect(dialog.querySelector('[data-tag="env"]')).not.toBeNull();
  });
});

describe("n / p across the list", () => {
  it("opens the next and previous trace, paging in at the end", async () => {
    const all = [summary(1), summary(2), summary(3)];
    const t = new FakeTransport({
      "experiments/list": () => ({ experiments: [{ experimentId: "1", name: "x", isGenAi: true, tags: {} }] }),
      "session/info": () => ({
        serverName: "t",
        serverVersion: "1",
        protocolVersion: "1.0",
        backendKind: "localStore",
        backendLocation: "x",
        capabilities: {},
      }),
      "traces/search": (p) => (p.pageToken ? { traces: all.slice(2) } : { traces: all.slice(0, 2), nextPageToken: "2" }),
      "traces/get": (p) => traceResult([span("r", null, 0, 0, 1)], { info: all.find((x) => x.traceId === p.traceId)! }),
      "overview/usage": () => {
        throw new RpcError(-32006, "no");
      },
    });
    const app = new App(t, { pageSize: 2 });
    document.body.appendChild(app.element);
    await app.start();
    await flush();
    await app.viewer.open(all[0]!);
    await app.openRelative(1);
    expect(app.viewer.traceId).toBe("tr-0002");
    await app.openRelative(1);
    expect(app.viewer.traceId).toBe("tr-0003");
    await app.openRelative(1);
    expect(app.element.querySelector(".viewer-message")?.textContent).toContain("last trace");
    await app.openRelative(-1);
    expect(app.viewer.traceId).toBe("tr-0002");
    app.setTab("overview");
    expect(app.viewer.isOpen).toBe(false);
    expect(app.overview.element.hidden).toBe(false);
    expect(app.traces.element.hidden).toBe(true);
  });
});

describe("the list's keyboard cursor", () => {
  it("moves by one, to the ends and by a page, and starts at the top (↓, Home) or the bottom (↑, End)", () => {
    expect(moveCursor(null, "ArrowDown", 10, 5)).toBe(0);
    expect(moveCursor(null, "ArrowUp", 10, 5)).toBe(9);
    expect(moveCursor(3, "ArrowDown", 10, 5)).toBe(4);
    expect(moveCursor(9, "ArrowDown", 10, 5)).toBe(9);
    expect(moveCursor(0, "ArrowUp", 10, 5)).toBe(0);
    expect(moveCursor(4, "End", 10, 5)).toBe(9);
    expect(moveCursor(4, "Home", 10, 5)).toBe(0);
    expect(moveCursor(0, "PageDown", 10, 5)).toBe(4); // a page keeps one row of context
    expect(moveCursor(8, "PageDown", 10, 5)).toBe(9);
    expect(moveCursor(2, "PageUp", 10, 5)).toBe(0);
    expect(moveCursor(12, "ArrowUp", 10, 5)).toBe(8); // rows went away under the cursor
    expect(moveCursor(3, "x", 10, 5)).toBeNull();
    expect(moveCursor(null, "ArrowDown", 0, 5)).toBeNull();
  });
});

describe("the search box: words or a filter", () => {
  it("plain words become MLflow UI's text search; a filter expression goes as typed", () => {
    expect(searchFilter("weather")).toBe("trace.text ILIKE '%weather%'");
    expect(searchFilter("  refund policy ")).toBe("trace.text ILIKE '%refund policy%'");
    expect(searchFilter("couldn't find")).toBe(`trace.text ILIKE "%couldn't find%"`); // MLflow's own answer needs the double quotes
    expect(searchFilter("trace.status = 'ERROR'")).toBe("trace.status = 'ERROR'");
    expect(searchFilter("span.name LIKE '%tool%'")).toBe("span.name LIKE '%tool%'");
    expect(searchFilter("tags.env IS NULL")).toBe("tags.env IS NULL");
    expect(searchFilter("trace.timestamp_ms>5")).toBe("trace.timestamp_ms>5");
    expect(searchFilter("")).toBe("");
    expect(searchFilter(`it's "quoted"`)).toBe(`it's "quoted"`); // cannot be quoted: the host explains
  });
  it("words that only contain a keyword are still words", () => {
    expect(searchFilter("island")).toBe("trace.text ILIKE '%island%'");
    expect(searchFilter("origin story")).toBe("trace.text ILIKE '%origin story%'");
    expect(searchFilter("weather in Paris and Rome")).toBe("trace.text ILIKE '%weather in Paris and Rome%'");
    expect(searchFilter("name LIKE '%agent%'")).toBe("name LIKE '%agent%'"); // MLflow's bare keys, with a grammar keyword
    expect(searchFilter("status IN ('OK')")).toBe("status IN ('OK')");
  });
});

describe("sorting by a column header", () => {
  it("a sortable column sorts descending first (newest, slowest); the same column again flips it", () => {
    expect(nextSort("timestamp_ms DESC", "time")).toBe("timestamp_ms ASC");
    expect(nextSort("timestamp_ms ASC", "time")).toBe("timestamp_ms DESC");
    expect(nextSort("timestamp_ms DESC", "duration")).toBe("execution_time_ms DESC");
    expect(nextSort("execution_time_ms DESC", "duration")).toBe("execution_time_ms ASC");
    // Names sort A→Z first; a second click flips; MLflow orders sessions and users by their metadata.
    expect(nextSort("timestamp_ms DESC", "name")).toBe("name ASC");
    expect(nextSort("name ASC", "name")).toBe("name DESC");
    expect(nextSort("name DESC", "state")).toBe("status ASC");
    expect(nextSort("timestamp_ms DESC", "session")).toBe("metadata.`mlflow.trace.session` ASC");
    expect(sortLabel("metadata.`mlflow.trace.user` DESC")).toBe("User ↓ (Z→A)");
    expect(nextSort("timestamp_ms DESC", "tokens")).toBeNull(); // MLflow cannot order by it
    expect(nextSort("timestamp_ms DESC", "request")).toBeNull();
  });

  it("a header click asks MLflow's order_by and marks the column (aria-sort)", async () => {
    const t = new FakeTransport({ "traces/search": () => ({ traces: [summary(1), summary(2)] }) });
    const view = new TracesView(t, () => {}, 100);
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    await flush();
    view.element.querySelector<HTMLButtonElement>(".trace-header .cell-duration .sort-header")!.click();
    await flush();
    expect(t.calls.filter((c) => c.method === "traces/search").at(-1)!.params.orderBy).toEqual(["execution_time_ms DESC"]);
    expect(view.element.querySelector(".trace-header .cell-duration")!.getAttribute("aria-sort")).toBe("descending");
    expect(view.element.querySelector(".trace-header .cell-time")!.getAttribute("aria-sort")).toBe("none");
    view.element.querySelector<HTMLButtonElement>(".trace-header .cell-duration .sort-header")!.click();
    await flush();
    expect(t.calls.filter((c) => c.method === "traces/search").at(-1)!.params.orderBy).toEqual(["execution_time_ms ASC"]);
    expect((view.element.querySelector("select.sort") as HTMLSelectElement).value).toBe("execution_time_ms ASC");
  });
});

describe("assessment columns", () => {
  const a = (name: string, value: Assessment["value"], extra: Partial<Assessment> = {}): Assessment => ({
    assessmentId: `${name}-${String(value)}`,
    name,
    kind: "feedback",
    value,
    valid: true,
    metadata: {},
    ...extra,
  });
  const trace = (...assessments: Assessment[]) => ({ traceId: "t", assessments }) as unknown as TraceSummary;

  it("a column per valid name, commonest first; the three commonest feedback show by default, expectations and the rest on request", () => {
    const traces = [
      trace(a("correctness", true), a("helpfulness", 4), a("expected_response", "Paris", { kind: "expectation" })),
      trace(a("correctness", false), a("helpfulness", 5), a("expected_response", "Rome", { kind: "expectation" }), a("tone", "ok")),
      trace(a("correctness", true), a("relevance", true), a("_issue_discovery_judge", "x"), a("stale", 1, { valid: false })),
    ];
    const names = assessmentNames(traces);
    expect(names).toEqual([
      { name: "correctness", byDefault: true },
      { name: "expected_response", byDefault: false },
      { name: "helpfulness", byDefault: true },
      { name: "relevance", byDefault: true },
      { name: "tone", byDefault: false },
    ]);
    const none = { shown: [], hidden: [] };
    expect(names.filter((c) => assessmentColumnShown(c, none)).map((c) => c.name)).toEqual(["correctness", "helpfulness", "relevance"]);
    const chosen = { shown: ["tone"], hidden: ["correctness"] };
    expect(names.filter((c) => assessmentColumnShown(c, chosen)).map((c) => c.name)).toEqual(["helpfulness", "relevance", "tone"]);
  });

  it("a cell shows the trace's valid values of that name, overridden ones left out", () => {
    const t = trace(
      a("helpfulness", 5, { valid: false }),
      a("helpfulness", 3),
      a("note", { x: 1 }),
      a("judge", null, { error: { code: "TIMEOUT", message: "t" } }),
    );
    expect(assessmentCellText(t, "helpfulness")).toBe("3");
    expect(assessmentCellText(t, "note")).toBe('{"x":1}');
    expect(assessmentCellText(t, "judge")).toBe("error");
    expect(assessmentCellText(t, "absent")).toBe("");
  });
});
