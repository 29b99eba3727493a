// Activation: host process, status bar, output channel, side panel + trace panels, commands, live mode.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { IdeMethods, type Experiment, type InitializeParams, type InitializeResult, type TracesGetResult, type TracesSearchResult } from "../../webview/src/protocol.generated";
import { HostProcess, errorMessage, type HostStatus } from "./hostProcess";
import { redact, type RelayHooks, type RelayHost } from "./relay";
import { FileChangeBatcher, SpanLensProvider } from "./codeLinks";
import { clearWinner, ideHandlers } from "./ideHandlers";
import { vscodeIdeSurface } from "./vscodeIde";
import { RunTraces, registerRunTraces } from "./runTraces";
import { TEST_CONTROLLER_ID, registerTestNotebookController } from "./testNotebookController";
import { SIDE_VIEW_ID, Webviews, findTraceId } from "./webviews";

const SECRET_PASSWORD = "traceide.trackingPassword";
const SECRET_USERNAME = "traceide.trackingUsername";
const SECRET_TOKEN = "traceide.trackingToken";

let host: HostProcess | undefined;

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("traceide");
}

function resolveStore(store: string): string {
  if (!store) return store;
  const expanded = store.startsWith("~/") ? path.join(process.env.HOME ?? "", store.slice(2)) : store;
  if (path.isAbsolute(expanded)) return expanded;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, expanded) : path.resolve(expanded);
}

/**
 * This machine as a VS Code target names it (the folder of its precompiled host, scripts/package.sh): Linux
 * with musl instead of glibc (Alpine) is `alpine-<arch>`, since a glibc build's SQLite does not load there.
 */
export function hostPlatform(isMusl: () => boolean = linuxIsMusl): string {
  if (process.platform === "linux" && isMusl()) return `alpine-${process.arch}`;
  return `${process.platform}-${process.arch}`;
}

/**
 * musl rather than glibc, read as detect-libc does from /usr/bin/ldd (musl's is a one-line script that names it).
 * Not `process.report`: an embedder may leave it out, and a statically linked glibc Node omits the glibc version.
 * Unknown counts as glibc, by far the common case; a wrong guess only costs the portable host's start.
 */
export function linuxIsMusl(ldd = "/usr/bin/ldd"): boolean {
  try {
    return fs.readFileSync(ldd, "latin1").includes("musl");
  } catch {
    return false;
  }
}

/**
 * The host to start: the one published ahead of time for this platform (host/<platform>-<arch>: ReadyToRun,
 * it starts with less JIT work) when the .vsix has it, with the portable one (any OS with .NET 10) as its
 * fallback; else the portable one.
 */
export function hostDll(extensionRoot: string, platform = hostPlatform()): { dll: string; fallbackDll?: string } {
  const portable = path.join(extensionRoot, "host", "traceide.dll");
  const native = path.join(extensionRoot, "host", platform, "traceide.dll");
  return fs.existsSync(native) ? { dll: native, fallbackDll: portable } : { dll: portable };
}

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("TraceIde");
  const log = (line: string) => output.appendLine(redact(line));
  const secrets = context.secrets;
  const { dll, fallbackDll } = hostDll(context.extensionUri.fsPath);

  const h = new HostProcess({
    dotnet: config().get<string>("dotnetPath")?.trim() || "dotnet",
    dll,
    fallbackDll,
    log,
    configure: async () => {
      const c = config();
      const trackingUri = c.get<string>("trackingUri")?.trim() || undefined;
      const store = trackingUri ? undefined : resolveStore(c.get<string>("store")?.trim() ?? "") || undefined;
      const init: InitializeParams = {
        trackingUri: trackingUri ?? null,
        store: store ?? null,
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        clientName: `vscode ${vscode.version}`,
      };
      // Secrets go into the host's environment only: never settings, logs or webview messages.
      const env: Record<string, string | undefined> = {};
      const [user, password, token] = await Promise.all([secrets.get(SECRET_USERNAME), secrets.get(SECRET_PASSWORD), secrets.get(SECRET_TOKEN)]);
      if (user) env.MLFLOW_TRACKING_USERNAME = user;
      if (password) env.MLFLOW_TRACKING_PASSWORD = password;
      if (token) env.MLFLOW_TRACKING_TOKEN = token;
      if (!fs.existsSync(dll)) throw new Error(`the host is missing from the extension (${dll})`);
      return { init, env };
    },
  });
  host = h;
  context.subscriptions.push({ dispose: () => h.dispose() }, output);

  // ---- status bar -------------------------------------------------------------------------
  const status = vscode.window.createStatusBarItem("traceide.status", vscode.StatusBarAlignment.Left, 10);
  status.name = "TraceIde";
  context.subscriptions.push(status);
  let live: NodeJS.Timeout | undefined;
  const renderStatus = (s: HostStatus) => {
    const liveMark = live ? " $(broadcast)" : "";
    if (s.state === "running" && s.info) {
      const where = s.info.backendKind === "localStore" ? path.basename(s.info.backendLocation) : s.info.backendLocation;
      status.text = `$(pulse) TraceIde: ${where}${s.info.mlflowVersion ? ` · MLflow ${s.info.mlflowVersion}` : ""}${liveMark}`;
      status.tooltip = `${s.info.backendKind} ${s.info.backendLocation}\n${s.info.serverName} ${s.info.serverVersion} (protocol ${s.info.protocolVersion}), pid ${s.pid}${s.restarts ? `, restarted ${s.restarts}×` : ""}\nClick to change the tracking server.`;
      status.command = "traceide.connect";
      status.backgroundColor = undefined;
    } else if (s.state === "starting") {
      status.text = `$(sync~spin) TraceIde: ${s.nextRetryMs ? `restarting in ${Math.round(s.nextRetryMs / 100) / 10} s` : "starting…"}`;
      status.tooltip = s.error ? redact(s.error) : "Starting the TraceIde host";
      status.command = "traceide.showLog";
      status.backgroundColor = undefined;
    } else if (s.state === "failed") {
      status.text = "$(error) TraceIde: not connected";
      status.tooltip = `${redact(s.error ?? "unknown error")}\nClick for fixes.`;
      status.command = "traceide.fix";
      status.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    } else {
      status.text = "$(circle-slash) TraceIde: stopped";
      status.command = "traceide.restartHost";
    }
    status.show();
  };

  // ---- webviews + relay --------------------------------------------------------------------
  const relayHost: RelayHost = {
    request: (method, params, token) => h.request(method, params, token),
    sessionInfo: async () => {
      await h.request("experiments/list", { query: null }).catch(() => undefined); // waits for a starting host
      if (h.current.state === "running" && h.current.info) return { ...h.current.info, nowMs: h.clock.now() };
      throw { code: -32099, message: h.current.error ?? "The TraceIde host is not running.", data: { fix: "Run 'TraceIde: Connect / Choose Tracking Server…'" } };
    },
  };
  let lastSearch: { experimentIds: string[] } | undefined;
  let lastTopTrace: string | undefined;
  const listHooks: RelayHooks = {
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
      if (method === "traces/search" && result && typeof result === "object" && !(_params as { pageToken?: string }).pageToken) {
        lastTopTrace = (result as TracesSearchResult).traces?.[0]?.traceId;
      }
      return result;
    },
    forwarded: (method, params) => {
      if (method === "traces/search" && params && typeof params === "object") {
        const p = params as { experimentIds?: string[]; pageToken?: string };
        if (p.experimentIds?.length && !p.pageToken) lastSearch = { experimentIds: p.experimentIds };
      }
    },
  };
  let webviews: Webviews;
  // The contract's IDE methods (`ide/*`): the rules in ideHandlers.ts (shared with Visual Studio through
  // tests/fixtures/relay), what VS Code does for them in vscodeIde.ts.
  const surface = vscodeIdeSurface({
    openTrace: (traceId, spanId) => webviews.openTrace(traceId, true, false, spanId),
    openOverview: (experimentIds) => webviews.openOverview(experimentIds),
    revealPanel: async () => void (await vscode.commands.executeCommand(`${SIDE_VIEW_ID}.focus`)),
  });
  const ide = ideHandlers(surface, { request: (method, params) => h.request(method, params) });
  /** Opens a span's code (Enter in the UI, the command, the e2e's self-test); undefined when nothing opened. */
  const goToSource = async (args?: { traceId?: string; spanId?: string; name?: string }): Promise<{ path: string; line: number } | undefined> => {
    let r: { opened: boolean; path?: string; line?: number };
    if (args?.traceId && args.spanId) {
      r = (await ide[IdeMethods.openSpanSource]({ traceId: args.traceId, spanId: args.spanId, functionName: args.name })) as typeof r;
    } else {
      const name = args?.name ?? (await vscode.window.showInputBox({ prompt: "Function name (a span's name) to find in the workspace" }));
      if (!name) return undefined;
      const found = await surface.findDefinitions(name);
      if (!found.length) {
        void vscode.window.showWarningMessage(`TraceIde: no definition of '${name}' found in the workspace.`);
        return undefined;
      }
      const chosen = clearWinner(found) ?? (await surface.choose(found, `Several definitions of ${name}`));
      r = chosen ? { opened: true, ...(await surface.openFile(chosen.path, chosen.line)) } : { opened: false };
    }
    return r.opened && r.path && r.line ? { path: r.path, line: r.line } : undefined;
  };
  webviews = new Webviews({ extensionUri: context.extensionUri, host: relayHost, ide, listHooks });
  context.subscriptions.push(webviews);

  let everRan = false;
  context.subscriptions.push(
    h.onDidChange((s) => {
      renderStatus(s);
      if (s.state === "running") {
        if (everRan) webviews.reloadAll(); // panels re-request their state from the new host
        everRan = true;
      }
    }),
  );
  renderStatus(h.current);

  // ---- commands -------------------------------------------------------------------------------
  const experiments = async (): Promise<Experiment[]> => (await h.request<{ experiments: Experiment[] }>("experiments/list", { query: null })).experiments;
  const currentExperimentIds = async (): Promise<string[]> => {
    if (lastSearch) return lastSearch.experimentIds;
    const pinned = config().get<string>("experiment")?.trim();
    if (pinned) return [pinned];
    const list = await experiments();
    const first = [...list].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name))[0];
    return first ? [first.experimentId] : [];
  };
  const withErrors = <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) => async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      void vscode.window.showErrorMessage(`TraceIde: ${redact(errorMessage(err))}`);
      return undefined;
    }
  };
  const target = () => (vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);

  const reg = (id: string, fn: (...args: any[]) => Promise<unknown>) => context.subscriptions.push(vscode.commands.registerCommand(id, withErrors(fn)));
  reg("traceide.connect", async () => {
    const c = config();
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(globe) MLflow tracking server…", description: c.get<string>("trackingUri") || "", choice: "server" as const },
        { label: "$(database) Local store (mlflow.db)…", description: c.get<string>("store") || "", choice: "store" as const },
        { label: "$(key) Password or token…", description: "kept in SecretStorage", choice: "secret" as const },
      ],
      { placeHolder: "Where are the traces?" },
    );
    if (!pick) return;
    if (pick.choice === "secret") return vscode.commands.executeCommand("traceide.setToken");
    if (pick.choice === "server") {
      const uri = await vscode.window.showInputBox({
        prompt: "MLflow tracking server URL (no credentials in the URL)",
        value: c.get<string>("trackingUri") || "http://127.0.0.1:5000",
        validateInput: (v) => (/^https?:\/\/[^\s]+$/.test(v.trim()) ? (/\/\/[^/]*@/.test(v) ? "Put credentials in 'Password or token', not in the URL" : undefined) : "http:// or https:// URL"),
      });
      if (uri === undefined) return;
      await c.update("trackingUri", uri.trim(), target());
    } else {
      const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "MLflow store": ["db"] }, openLabel: "Use this store" });
      const file = files?.[0]?.fsPath ?? (await vscode.window.showInputBox({ prompt: "Path to mlflow.db" }));
      if (!file) return;
      await c.update("store", file, target());
      await c.update("trackingUri", "", target());
    }
  });
  reg("traceide.setToken", async () => {
    const kind = await vscode.window.showQuickPick(["Token (MLFLOW_TRACKING_TOKEN)", "Username and password", "Forget stored credentials"], { placeHolder: "Tracking server credentials (SecretStorage)" });
    if (!kind) return;
    if (kind.startsWith("Forget")) {
      await Promise.all([secrets.delete(SECRET_TOKEN), secrets.delete(SECRET_USERNAME), secrets.delete(SECRET_PASSWORD)]);
    } else if (kind.startsWith("Token")) {
      const token = await vscode.window.showInputBox({ prompt: "Token", password: true, ignoreFocusOut: true });
      if (!token) return;
      await secrets.store(SECRET_TOKEN, token);
    } else {
      const user = await vscode.window.showInputBox({ prompt: "Username", ignoreFocusOut: true });
      if (!user) return;
      const password = await vscode.window.showInputBox({ prompt: "Password", password: true, ignoreFocusOut: true });
      if (password === undefined) return;
      await secrets.store(SECRET_USERNAME, user);
      await secrets.store(SECRET_PASSWORD, password);
    }
    await h.restart();
  });
  reg("traceide.chooseExperiment", async () => {
    const list = await experiments();
    const pinned = config().get<string>("experiment");
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(list-unordered) Any (choose in the panel)", id: "" },
        ...[...list]
          .sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name))
          .map((x) => ({ label: x.name, description: `${x.experimentId}${x.isGenAi ? "" : " · not GenAI"}${x.experimentId === pinned ? " · current" : ""}`, id: x.experimentId })),
      ],
      { placeHolder: "Experiment" },
    );
    if (!pick) return;
    lastSearch = undefined;
    await config().update("experiment", pick.id, target());
  });
  reg("traceide.openTrace", async (arg?: unknown) => {
    let id = typeof arg === "string" ? findTraceId(arg) : undefined;
    const editor = vscode.window.activeTextEditor;
    if (!id && editor) {
      const sel = editor.document.getText(editor.selection);
      id = findTraceId(sel) ?? findTraceId(editor.document.getText(editor.document.getWordRangeAtPosition(editor.selection.active, /tr-[0-9a-fA-F]+/)));
    }
    if (!id) {
      const typed = await vscode.window.showInputBox({ prompt: "Trace ID", placeHolder: "tr-…", validateInput: (v) => (findTraceId(v) ? undefined : "A trace ID looks like tr-0123abcd…") });
      id = findTraceId(typed);
    }
    if (id) webviews.openTrace(id, !!editor);
  });
  const traceList = async (experimentIds: string[], filter: string | null, title?: string, filters?: { startTimeMs?: number; endTimeMs?: number }) => {
    const r = await h.request<TracesSearchResult>("traces/search", { experimentIds, filter, filters: filters ?? null, pageSize: 100 });
    if (!r.traces.length) return vscode.window.showInformationMessage("TraceIde: no traces match.");
    const pick = await vscode.window.showQuickPick(
      r.traces.map((t) => ({ label: `${t.state === "ERROR" ? "$(error)" : "$(pass)"} ${t.name ?? t.traceId}`, description: t.traceId, detail: t.requestPreview ?? undefined, id: t.traceId })),
      { placeHolder: `${title ? `${title}: ` : ""}${r.traces.length} trace(s)`, matchOnDescription: true, matchOnDetail: true },
    );
    if (pick) webviews.openTrace(pick.id);
  };
  reg("traceide.searchTraces", async () => {
    const filter = await vscode.window.showInputBox({ prompt: "MLflow trace filter (empty: newest traces)", placeHolder: "e.g. trace.status = 'ERROR'  or  span.name = 'get_weather'" });
    if (filter === undefined) return;
    await traceList(await currentExperimentIds(), filter.trim() || null);
  });
  // A CodeLens click: the traces holding a span of that name, newest first.
  reg("traceide.showSpanTraces", async (args?: { spanName?: string; experimentIds?: string[]; startTimeMs?: number; endTimeMs?: number }) => {
    const name = args?.spanName;
    if (!name) return;
    const quoted = name.includes("'") ? `"${name}"` : `'${name}'`;
    const range = typeof args.startTimeMs === "number" ? { startTimeMs: args.startTimeMs, endTimeMs: args.endTimeMs } : undefined;
    await traceList(args.experimentIds?.length ? args.experimentIds : await currentExperimentIds(), `span.name = ${quoted}`, `spans named ${name}`, range);
  });
  reg("traceide.refresh", async () => webviews.reloadAll());
  reg("traceide.openOverview", async () => webviews.openOverview());
  reg("traceide.toggleLive", async () => {
    if (live) {
      clearInterval(live);
      live = undefined;
    } else {
      const seconds = Math.max(1, config().get<number>("pollIntervalSeconds") ?? 5);
      live = setInterval(() => void poll(), seconds * 1000);
    }
    renderStatus(h.current);
    void vscode.window.showInformationMessage(`TraceIde: live mode ${live ? "on" : "off"}`);
  });
  let polling = false;
  const poll = async () => {
    if (polling || !lastSearch || h.current.state !== "running" || !webviews.sideVisible) return;
    polling = true;
    try {
      const r = await h.request<TracesSearchResult>("traces/search", { experimentIds: lastSearch.experimentIds, pageSize: 1 });
      const top = r.traces[0]?.traceId;
      if (top && top !== lastTopTrace) webviews.reloadSide();
    } catch {
      /* the status bar shows host problems */
    } finally {
      polling = false;
    }
  };
  context.subscriptions.push({ dispose: () => live && clearInterval(live) });

  // ---- the traces a notebook cell, debug session or terminal command just made ------------------
  const runTraces = new RunTraces({
    host: { request: (method, params) => h.request(method, params), onNotification: (l) => h.onNotification(l) },
    ui: {
      openTrace: (id) => webviews.openTrace(id, true, true),
      openList: (title, traces) => webviews.openTraceList(title, traces),
      announce: async (message) => (await vscode.window.showInformationMessage(`TraceIde: ${message}`, "Open")) === "Open",
      log,
    },
    experimentIds: async () => {
      const configured = (config().get<string[]>("runTraces.experimentIds") ?? []).map((x) => String(x).trim()).filter(Boolean);
      return configured.length ? configured : currentExperimentIds();
    },
    state: context.workspaceState,
    pollIntervalMs: () => Math.max(200, config().get<number>("runTraces.pollIntervalMs") ?? 1000),
  });
  registerRunTraces(context, runTraces, {
    debug: () => config().get<boolean>("runTraces.debugSessions") ?? true,
    terminal: () => config().get<boolean>("runTraces.terminalCommands") ?? true,
  });
  reg("traceide.restartHost", async () => h.restart());
  reg("traceide.showLog", async () => output.show(true));
  reg("traceide.goToSource", async (args?: { traceId?: string; spanId?: string; name?: string }) => goToSource(args));
  reg("traceide.fix", async () => {
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(plug) Connect / choose tracking server…", cmd: "traceide.connect" },
        { label: "$(key) Set password or token…", cmd: "traceide.setToken" },
        { label: "$(gear) Set the dotnet path (needs the .NET 10 runtime)…", cmd: "workbench.action.openSettings", arg: "traceide.dotnetPath" },
        { label: "$(debug-restart) Restart the host", cmd: "traceide.restartHost" },
        { label: "$(output) Show the host log", cmd: "traceide.showLog" },
      ],
      { placeHolder: redact(h.current.error ?? "TraceIde") },
    );
    if (pick) await vscode.commands.executeCommand(pick.cmd, ...(pick.arg ? [pick.arg] : []));
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("traceide.trackingUri") || e.affectsConfiguration("traceide.store") || e.affectsConfiguration("traceide.dotnetPath")) {
        lastSearch = undefined;
        if (e.affectsConfiguration("traceide.dotnetPath")) {
          void vscode.window.showInformationMessage("TraceIde: reload the window to use the new dotnet path.");
        }
        void h.restart();
      } else if (e.affectsConfiguration("traceide.experiment") || e.affectsConfiguration("traceide.pageSize")) {
        webviews.reloadAll();
      }
    }),
  );

  // ---- code ↔ spans: file changes for the host's workspace index, CodeLens + hover ---------------
  const batcher = new FileChangeBatcher((params) => h.notify("workspace/didChangeFiles", params));
  const watcher = vscode.workspace.createFileSystemWatcher("**/*");
  context.subscriptions.push(
    batcher,
    watcher,
    watcher.onDidChange((u) => u.scheme === "file" && batcher.add("changed", u.fsPath)),
    watcher.onDidCreate((u) => u.scheme === "file" && batcher.add("created", u.fsPath)),
    watcher.onDidDelete((u) => u.scheme === "file" && batcher.add("deleted", u.fsPath)),
  );
  const lenses = new SpanLensProvider(h, {
    experimentIds: currentExperimentIds,
    days: () => Math.max(1, config().get<number>("codeLens.days") ?? 7),
    enabled: () => config().get<boolean>("codeLens.enabled") ?? true,
    now: h.clock.now,
  });
  const lensLanguages = ["python", "typescript", "javascript", "typescriptreact", "javascriptreact", "csharp"].map((language) => ({ language, scheme: "file" }));
  context.subscriptions.push(
    lenses,
    h.onDidChange((s) => s.state === "running" && lenses.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("traceide.codeLens") && lenses.refresh()),
    vscode.languages.registerCodeLensProvider(lensLanguages, lenses),
    vscode.languages.registerHoverProvider(lensLanguages, lenses),
  );

  // ---- test-only self-test (the e2e sets TRACEIDE_SELFTEST_OUT in code-server's environment) ----
  const selfTestOut = process.env.TRACEIDE_SELFTEST_OUT;
  if (selfTestOut) {
    void vscode.commands.executeCommand("setContext", "traceide.selfTest", true);
    registerTestNotebookController(context);
    context.subscriptions.push(
      // Selects the test kernel for the active notebook (what a user does in the kernel picker).
      vscode.commands.registerCommand("traceide._selectTestKernel", () =>
        vscode.commands.executeCommand("notebook.selectKernel", { id: TEST_CONTROLLER_ID, extension: context.extension.id }),
      ),
    );
    context.subscriptions.push(
      vscode.commands.registerCommand("traceide._selfTest", async () => {
        const result: Record<string, unknown> = { vscodeVersion: vscode.version, at: Date.now() };
        try {
          const list = await experiments();
          result.experiments = list.length;
          const ids = await currentExperimentIds();
          const traces = await h.request<TracesSearchResult>("traces/search", { experimentIds: ids, pageSize: 100 });
          result.traces = traces.traces.length;
          const target = process.env.TRACEIDE_SELFTEST_SPAN; // "<traceId>/<spanName>"
          if (target) {
            const [traceId, spanName] = target.split("/");
            const trace = await h.request<TracesGetResult>("traces/get", { traceId, includePayloads: true });
            const span = trace.spans.find((s) => s.name === spanName);
            // Bounded: a hang here (a picker waiting for a person) must show in the result, not stall the test.
            const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("timed out after 10 s"), 10_000));
            result.goToSource = span ? await Promise.race([goToSource({ traceId, spanId: span.spanId }), timeout]) : `span ${spanName} not found`;
          }
        } catch (err) {
          result.error = errorMessage(err);
        }
        const s = h.current;
        result.host = { state: s.state, pid: s.pid, restarts: s.restarts, backendKind: s.info?.backendKind, backendLocation: s.info?.backendLocation, mlflowVersion: s.info?.mlflowVersion };
        result.openTraces = webviews.openTraceIds;
        result.runListTraces = webviews.runListTraceIds;
        result.notebookDisplay = runTraces.notebookDisplay;
        // Not the active editor: a cell's trace panel may have taken the focus.
        const nb = vscode.window.activeNotebookEditor?.notebook ?? vscode.workspace.notebookDocuments.find((d) => d.notebookType === "jupyter-notebook");
        if (nb) {
          result.cellTraces = nb.getCells().map((c) => (runTraces.cellTraces(c.document.uri.toString()) ?? []).map((t) => t.traceId));
          result.cellExecutionOrders = nb.getCells().map((c) => c.executionSummary?.executionOrder ?? null);
        }
        result.activeEditor = vscode.window.activeTextEditor?.document.uri.fsPath;
        await fs.promises.writeFile(selfTestOut, JSON.stringify(result, null, 2));
      }),
    );
  }

  void h.start();
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}

export type { InitializeResult };
