// Activation: wires the host, the status bar, the webviews and their relay, the IDE methods, the commands,
// the traces of the code just run, CodeLens, and (tests only) the self-test. Each concern lives in its module.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { IdeMethods, type IdeOpenedResult, type InitializeResult } from "../../webview/src/protocol.generated";
import type { HostProcess } from "./hostProcess";
import { SECRET_PASSWORD, SECRET_TOKEN, SECRET_USERNAME, config, createHost, hostPaths, resolveStore } from "./hostSetup";
import { redact, type RelayHost } from "./relay";
import { addMcpServerToWorkspace, registerAgentTools } from "./agentTools";
import { registerCodeLinks } from "./codeLinks";
import { registerCommands, withErrors } from "./commands";
import { ideHandlers, openBest } from "./ideHandlers";
import { VALUE_SCHEME, valueDocuments, vscodeIdeSurface } from "./vscodeIde";
import { RunTraces, registerRunTraces } from "./runTraces";
import { createStatusBar } from "./statusBar";
import { TraceLists } from "./traceLists";
import { RunHistory, asSummaries } from "./runHistory";
import { RunsView } from "./runsView";
import { TRACE_TREE_ID, TraceTree } from "./traceTree";
import { Webviews } from "./webviews";

/** True only in the e2e's build (scripts/build.mjs --test-hooks, `define`); false in every published package. */
declare const TRACEIDE_TEST_HOOKS: boolean;

let host: HostProcess | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("TraceIde");
  const log = (line: string) => output.appendLine(redact(line));
  const h = createHost(context, log);
  host = h;
  context.subscriptions.push({ dispose: () => h.dispose() }, output);

  const lists = new TraceLists(h);
  let webviews: Webviews;
  const showStatus = createStatusBar(context);
  const renderStatus = () => showStatus(h.current);

  // ---- webviews + relay --------------------------------------------------------------------
  const relayHost: RelayHost = {
    request: (method, params, token) => h.request(method, params, token),
    sessionInfo: async () => {
      await h.request("experiments/list", { query: null }).catch(() => undefined); // waits for a starting host
      if (h.current.state === "running" && h.current.info) return { ...h.current.info, nowMs: h.clock.now() };
      throw {
        code: -32099,
        message: h.current.error ?? "The TraceIde host is not running.",
        data: { fix: "Run 'TraceIde: Connect / Choose Tracking Server…'" },
      };
    },
  };
  // The contract's IDE methods (`ide/*`): the rules in ideHandlers.ts (shared with Visual Studio through
  // tests/fixtures/relay), what VS Code does for them in vscodeIde.ts.
  const surface = vscodeIdeSurface({
    openTrace: (traceId, spanId) => webviews.openTrace(traceId, true, false, spanId),
    openOverview: (experimentIds) => webviews.openOverview(experimentIds),
    revealPanel: async () => void (await vscode.commands.executeCommand(`${TRACE_TREE_ID}.focus`)),
  });
  const ide = ideHandlers(surface, { request: (method, params) => h.request(method, params) });
  /** Opens a span's code (Enter in the UI, the command, the e2e's self-test); undefined when nothing opened. */
  const goToSource = async (args?: { traceId?: string; spanId?: string; name?: string }): Promise<{ path: string; line: number } | undefined> => {
    let r: IdeOpenedResult;
    if (args?.traceId && args.spanId) {
      r = (await ide[IdeMethods.openSpanSource]({ traceId: args.traceId, spanId: args.spanId, functionName: args.name })) as IdeOpenedResult;
    } else {
      const name = args?.name ?? (await vscode.window.showInputBox({ prompt: "Function name (a span's name) to find in the workspace" }));
      if (!name) return undefined;
      const found = await surface.findDefinitions(name);
      if (!found.length) {
        void vscode.window.showWarningMessage(`TraceIde: no definition of '${name}' found in the workspace.`);
        return undefined;
      }
      r = await openBest(surface, found, `Several definitions of ${name}`);
    }
    return r.opened && r.path && r.line ? { path: r.path, line: r.line } : undefined;
  };
  webviews = new Webviews({ extensionUri: context.extensionUri, host: relayHost, ide, listHooks: lists.hooks, state: context.workspaceState, log });
  context.subscriptions.push(webviews);
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(VALUE_SCHEME, valueDocuments),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === VALUE_SCHEME) valueDocuments.release(d.uri);
    }),
  );

  // ---- the side bar: the Traces tree and the Runs view -----------------------------------------
  const tree = new TraceTree({
    host: { request: (method, params) => h.request(method, params), onNotification: (l) => h.onNotification(l) },
    options: {
      pageSize: () => config().get<number>("pageSize") ?? 100,
      pinnedExperiment: () => config().get<string>("experiment"),
      now: () => h.clock.now(),
      pollIntervalMs: () => Math.max(1, config().get<number>("pollIntervalSeconds") ?? 5) * 1000,
    },
    openTrace: (traceId, beside) => webviews.openTrace(traceId, beside),
    openCompare: (a, b) => webviews.openCompare(a, b),
    openOverview: (experimentIds) => webviews.openOverview(experimentIds),
    capabilities: () => h.current.info?.capabilities,
  });
  context.subscriptions.push(tree);
  tree.register(context, withErrors);
  const history = new RunHistory(context.workspaceState);
  new RunsView({
    history,
    now: () => h.clock.now(),
    openTrace: (traceId) => webviews.openTrace(traceId, true),
    openList: (title, run) => webviews.openTraceList(title, asSummaries(run)),
  }).register(context);

  // Panels show the backend as it is now: reloaded when the host (re)connects, and once when it loses its
  // backend (a server that refuses, a bad store), so no panel goes on showing the old backend's rows.
  let everRan = false;
  let showing: "running" | "failed" | undefined;
  context.subscriptions.push(
    h.onDidChange((s) => {
      renderStatus();
      tree.onHostStatus(s);
      if (s.state === "running") {
        if (everRan) webviews.reloadAll("the host connected again");
        everRan = true;
        showing = "running";
      } else if (s.state === "failed") {
        if (showing !== "failed") webviews.reloadAll("the host lost its backend");
        showing = "failed";
      }
    }),
  );
  renderStatus();
  tree.onHostStatus(h.current);

  registerCommands(context, { h, webviews: () => webviews, lists, output, goToSource, tree: () => tree });

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
      return configured.length ? configured : lists.currentExperimentIds();
    },
    state: context.workspaceState,
    history,
    pollIntervalMs: () => Math.max(200, config().get<number>("runTraces.pollIntervalMs") ?? 1000),
  });
  registerRunTraces(context, runTraces, {
    debug: () => config().get<boolean>("runTraces.debugSessions") ?? true,
    terminal: () => config().get<boolean>("runTraces.terminalCommands") ?? true,
  });

  registerCodeLinks(context, h, lists.currentExperimentIds);

  // ---- agents: the language-model tools on this host, and an MCP server entry for other clients -----
  registerAgentTools(context, { request: (method, params, token) => h.request(method, params, token) });
  context.subscriptions.push(
    vscode.commands.registerCommand(
      "traceide.addMcpServer",
      withErrors(async () => {
        const c = config();
        const trackingUri = c.get<string>("trackingUri")?.trim() || undefined;
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        const configuredStore = resolveStore(c.get<string>("store")?.trim() ?? "") || undefined;
        // The workspace's own mlflow.db by its ${workspaceFolder} path, so the entry stays right when the folder moves.
        const store = configuredStore ?? (folder && fs.existsSync(path.join(folder, "mlflow.db")) ? "${workspaceFolder}/mlflow.db" : undefined);
        const [username, password, token] = await Promise.all([SECRET_USERNAME, SECRET_PASSWORD, SECRET_TOKEN].map((k) => context.secrets.get(k)));
        return addMcpServerToWorkspace({
          dotnet: c.get<string>("dotnetPath")?.trim() || "dotnet",
          host: hostPaths(context.extensionUri.fsPath).host,
          trackingUri,
          store: trackingUri ? undefined : store,
          credentials: { username: !!username, password: !!password, token: !!token },
        });
      }),
    ),
  );
  // The e2e's hooks exist only in its own build (scripts/build.mjs --test-hooks): esbuild drops this branch and
  // selfTest.ts with it from the published bundle, which scripts/package.sh checks.
  if (TRACEIDE_TEST_HOOKS && process.env.TRACEIDE_SELFTEST_OUT) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { registerSelfTest } = require("./selfTest") as typeof import("./selfTest");
    registerSelfTest(context, { h, lists, webviews: () => webviews, runTraces, goToSource, tree, history });
  }

  void h.start();
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}

export type { InitializeResult };
