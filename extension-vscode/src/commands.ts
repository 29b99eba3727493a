// The commands under "TraceIde:" and what a change of the traceide.* settings does.
import * as vscode from "vscode";
import type { TraceSummary, TracesGetResult, TracesSearchResult } from "../../webview/src/protocol.generated";
import { spanTraces, type ShowSpanTracesArgs } from "./codeLinks";
import { errorMessage, type HostProcess } from "./hostProcess";
import { SECRET_PASSWORD, SECRET_TOKEN, SECRET_USERNAME, config } from "./hostSetup";
import { redact } from "./relay";
import type { TraceLists } from "./traceLists";
import { TRACE_TREE_ID, type TraceTree } from "./traceTree";
import { findTraceId, type Webviews } from "./webviews";

export interface CommandDeps {
  h: HostProcess;
  webviews: () => Webviews;
  lists: TraceLists;
  output: vscode.OutputChannel;
  goToSource(args?: { traceId?: string; spanId?: string; name?: string }): Promise<unknown>;
  tree: () => TraceTree;
}

/** Shows a failed command's error (credentials redacted) instead of letting it vanish. */
export const withErrors =
  <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) =>
  async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      void vscode.window.showErrorMessage(`TraceIde: ${redact(errorMessage(err))}`);
      return undefined;
    }
  };

export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const { h, webviews, lists, output } = deps;
  const secrets = context.secrets;
  const target = () => (vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);

  const reg = (id: string, fn: (...args: any[]) => Promise<unknown>) => context.subscriptions.push(vscode.commands.registerCommand(id, withErrors(fn)));
  const connectServer = async () => {
    const c = config();
    const uri = await vscode.window.showInputBox({
      prompt: "MLflow tracking server URL (no credentials in the URL)",
      value: c.get<string>("trackingUri") || "http://127.0.0.1:5000",
      validateInput: (v) =>
        /^https?:\/\/[^\s]+$/.test(v.trim())
          ? /\/\/[^/]*@/.test(v)
            ? "Put credentials in 'Password or token', not in the URL"
            : undefined
          : "http:// or https:// URL",
    });
    if (uri === undefined) return;
    await c.update("trackingUri", uri.trim(), target());
  };
  const openStore = async () => {
    const c = config();
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "MLflow store": ["db"] }, openLabel: "Use this store" });
    const file = files?.[0]?.fsPath ?? (await vscode.window.showInputBox({ prompt: "Path to mlflow.db" }));
    if (!file) return;
    await c.update("store", file, target());
    await c.update("trackingUri", "", target());
  };
  reg("traceide.connectServer", connectServer);
  reg("traceide.openStore", openStore);
  reg("traceide.connect", async () => {
    const c = config();
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(globe) MLflow tracking server…", description: c.get<string>("trackingUri") || "", run: connectServer },
        { label: "$(database) Local store (mlflow.db)…", description: c.get<string>("store") || "", run: openStore },
        { label: "$(key) Password or token…", description: "kept in SecretStorage", run: () => vscode.commands.executeCommand("traceide.setToken") },
      ],
      { placeHolder: "Where are the traces?" },
    );
    await pick?.run();
  });
  reg("traceide.setToken", async () => {
    const kind = await vscode.window.showQuickPick(["Token (MLFLOW_TRACKING_TOKEN)", "Username and password", "Forget stored credentials"], {
      placeHolder: "Tracking server credentials (SecretStorage)",
    });
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
    const list = await lists.experiments();
    const pinned = config().get<string>("experiment");
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(list-unordered) Any (choose in the panel)", id: "" },
        ...[...list]
          .sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name))
          .map((x) => ({
            label: x.name,
            description: `${x.experimentId}${x.isGenAi ? "" : " · not GenAI"}${x.experimentId === pinned ? " · current" : ""}`,
            id: x.experimentId,
          })),
      ],
      { placeHolder: "Experiment" },
    );
    if (!pick) return;
    lists.lastSearch = undefined;
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
      const typed = await vscode.window.showInputBox({
        prompt: "Trace ID",
        placeHolder: "tr-…",
        validateInput: (v) => (findTraceId(v) ? undefined : "A trace ID looks like tr-0123abcd…"),
      });
      id = findTraceId(typed);
    }
    if (id) webviews().openTrace(id, !!editor);
  });
  /** A pick list of traces; the one picked opens. From a CodeLens (`spanName`), beside the code with that span selected. */
  const pickTrace = async (traces: readonly TraceSummary[], title?: string, spanName?: string) => {
    if (!traces.length) return vscode.window.showInformationMessage("TraceIde: no traces match.");
    const pick = await vscode.window.showQuickPick(
      traces.map((t) => ({
        label: `${t.state === "ERROR" ? "$(error)" : "$(pass)"} ${t.name ?? t.traceId}`,
        description: t.traceId,
        detail: t.requestPreview ?? undefined,
        id: t.traceId,
      })),
      { placeHolder: `${title ? `${title}: ` : ""}${traces.length} trace(s)`, matchOnDescription: true, matchOnDetail: true },
    );
    if (!pick) return;
    if (!spanName) return void webviews().openTrace(pick.id);
    const spans = await h.request<TracesGetResult>("traces/get", { traceId: pick.id, includePayloads: false }).then(
      (r) => r.spans,
      () => [],
    );
    webviews().openTrace(pick.id, true, false, spans.find((x) => x.name === spanName)?.spanId);
  };
  const traceList = async (experimentIds: string[], filter: string | null) => {
    const r = await h.request<TracesSearchResult>("traces/search", { experimentIds, filter, filters: null, pageSize: 100 });
    await pickTrace(r.traces);
  };
  reg("traceide.searchTraces", async () => {
    const filter = await vscode.window.showInputBox({
      prompt: "MLflow trace filter (empty: newest traces)",
      placeHolder: "e.g. trace.status = 'ERROR'  or  span.name = 'get_weather'",
    });
    if (filter === undefined) return;
    await traceList(await lists.currentExperimentIds(), filter.trim() || null);
  });
  // A CodeLens click: the traces the lens counted, newest first.
  reg("traceide.showSpanTraces", async (args?: Partial<ShowSpanTracesArgs>) => {
    if (!args?.spanName) return;
    const experimentIds = args.experimentIds?.length ? args.experimentIds : await lists.currentExperimentIds();
    const { traces, title } = await spanTraces(h, { ...args, spanName: args.spanName, experimentIds });
    await pickTrace(traces, title, args.spanName);
  });
  reg("traceide.refresh", async () => {
    deps.tree().model.reset();
    webviews().reloadAll("Refresh");
  });
  reg("traceide.openOverview", async () => webviews().openOverview());
  reg("traceide.openTraceListTab", async () => webviews().openListTab());
  // Live mode of what the user looks at: the trace list tab's own when it is active, else the Traces tree's.
  reg("traceide.toggleLive", async () => {
    if (webviews().toggleListTabLive()) return;
    const tree = deps.tree();
    await tree.model.setLive(!tree.model.isLive);
    output.appendLine(`live mode ${tree.model.isLive ? "on" : "off"} in the Traces tree`);
    await vscode.commands.executeCommand(`${TRACE_TREE_ID}.focus`);
  });
  reg("traceide.restartHost", async () => h.restart());
  reg("traceide.showLog", async () => output.show(true));
  reg("traceide.goToSource", async (args?: { traceId?: string; spanId?: string; name?: string }) => deps.goToSource(args));
  reg("traceide.fix", async () => {
    const pick = await vscode.window.showQuickPick(
      [
        { label: "$(plug) Connect / choose tracking server…", cmd: "traceide.connect" },
        { label: "$(key) Set password or token…", cmd: "traceide.setToken" },
        // A platform package's host brings its own .NET: no dotnet to point at.
        ...(h.usesDotnet
          ? [{ label: "$(gear) Set the dotnet path (needs the .NET 10 runtime)…", cmd: "workbench.action.openSettings", arg: "traceide.dotnetPath" }]
          : []),
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
        lists.lastSearch = undefined;
        if (e.affectsConfiguration("traceide.dotnetPath")) {
          void vscode.window.showInformationMessage("TraceIde: reload the window to use the new dotnet path.");
        }
        void h.restart();
      } else if (e.affectsConfiguration("traceide.experiment") || e.affectsConfiguration("traceide.pageSize")) {
        deps.tree().model.reset();
        webviews().reloadAll("the experiment or page size setting changed");
      }
    }),
  );
}
