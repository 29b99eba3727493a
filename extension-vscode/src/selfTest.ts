// Test-only: what the end-to-end test asks the extension from inside VS Code (scripts/e2e.mjs sets
// TRACEIDE_SELFTEST_OUT in code-server's environment; without it nothing here is registered).
import * as fs from "node:fs";
import * as vscode from "vscode";
import type { TracesGetResult, TracesSearchResult } from "../../webview/src/protocol.generated";
import { errorMessage, type HostProcess } from "./hostProcess";
import type { RunHistory } from "./runHistory";
import type { RunTraces } from "./runTraces";
import type { TraceTree } from "./traceTree";
import { TEST_CONTROLLER_ID, registerTestNotebookController } from "./testNotebookController";
import type { TraceLists } from "./traceLists";
import type { Webviews } from "./webviews";

export interface SelfTestDeps {
  h: HostProcess;
  lists: TraceLists;
  webviews: () => Webviews;
  runTraces: RunTraces;
  tree: TraceTree;
  history: RunHistory;
  goToSource(args: { traceId: string; spanId: string }): Promise<unknown>;
}

export function registerSelfTest(context: vscode.ExtensionContext, deps: SelfTestDeps): void {
  const { h, lists, webviews, runTraces, goToSource, tree, history } = deps;
  const selfTestOut = process.env.TRACEIDE_SELFTEST_OUT;
  if (selfTestOut) {
    registerTestNotebookController(context);
    context.subscriptions.push(
      // Selects the test kernel for the active notebook (what a user does in the kernel picker).
      vscode.commands.registerCommand("traceide._selectTestKernel", () =>
        vscode.commands.executeCommand("notebook.selectKernel", { id: TEST_CONTROLLER_ID, extension: context.extension.id }),
      ),
    );
    context.subscriptions.push(
      // The agent tools as agent mode calls them: vscode.lm.invokeTool (no chat model needed), then the
      // "Add MCP Server to Workspace" command. Its own command and file: the main self-test stays as it was.
      vscode.commands.registerCommand("traceide._selfTestAgent", async () => {
        const result: Record<string, unknown> = {
          lmTools: vscode.lm.tools
            .filter((t) => t.name.startsWith("traceide_"))
            .map((t) => t.name)
            .sort(),
        };
        const text = (r: vscode.LanguageModelToolResult) => r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : "")).join("");
        const [traceId = ""] = (process.env.TRACEIDE_SELFTEST_SPAN ?? "").split("/");
        try {
          result.getTrace = text(await vscode.lm.invokeTool("traceide_get_trace", { input: { traceId, maxTokens: 1000 }, toolInvocationToken: undefined }));
        } catch (err) {
          result.getTraceError = errorMessage(err);
        }
        try {
          result.badCall = text(await vscode.lm.invokeTool("traceide_get_trace", { input: { traceId, maxTokens: 5 }, toolInvocationToken: undefined }));
        } catch (err) {
          result.badCallError = errorMessage(err);
        }
        try {
          const file = await vscode.commands.executeCommand<string | undefined>("traceide.addMcpServer");
          result.mcpJson = file ? JSON.parse(await fs.promises.readFile(file, "utf8")) : null;
        } catch (err) {
          result.mcpJsonError = errorMessage(err);
        }
        await fs.promises.writeFile(`${selfTestOut}.agent.json`, JSON.stringify(result, null, 2));
      }),
    );
    context.subscriptions.push(
      vscode.commands.registerCommand("traceide._selfTest", async () => {
        const result: Record<string, unknown> = { vscodeVersion: vscode.version, at: Date.now() };
        try {
          const list = await lists.experiments();
          result.experiments = list.length;
          const ids = await lists.currentExperimentIds();
          const traces = await h.request<TracesSearchResult>("traces/search", { experimentIds: ids, pageSize: 100 });
          result.traces = traces.traces.length;
          const target = process.env.TRACEIDE_SELFTEST_SPAN; // "<traceId>/<spanName>"
          if (target) {
            const [traceId = "", spanName] = target.split("/");
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
        result.host = {
          state: s.state,
          pid: s.pid,
          restarts: s.restarts,
          backendKind: s.info?.backendKind,
          backendLocation: s.info?.backendLocation,
          mlflowVersion: s.info?.mlflowVersion,
        };
        result.openTraces = webviews().openTraceIds;
        result.runListTraces = webviews().runListTraceIds;
        result.notebookDisplay = runTraces.notebookDisplay;
        const primary = tree.model.primaryExperimentId;
        result.tree = {
          primary,
          loaded: primary ? tree.model.loaded(primary).map((t) => t.traceId) : [],
          filter: tree.model.filterSummary,
          live: tree.model.isLive,
          error: tree.model.error,
        };
        result.runs = history.list().map((r) => ({ label: r.label, kind: r.kind, traces: r.traces.map((t) => t.traceId) }));
        // Not the active editor: a cell's trace panel may have taken the focus.
        const nb = vscode.window.activeNotebookEditor?.notebook ?? vscode.workspace.notebookDocuments.find((d) => d.notebookType === "jupyter-notebook");
        if (nb) {
          result.cellTraces = nb.getCells().map((c) => (runTraces.cellTraces(c.document.uri.toString()) ?? []).map((t) => t.traceId));
          result.cellExecutionOrders = nb.getCells().map((c) => c.executionSummary?.executionOrder ?? null);
        }
        result.activeEditor = vscode.window.activeTextEditor?.document.uri.fsPath;
        // What VS Code has registered under traceide.*: the e2e compares it with package.json's commands.
        result.registeredCommands = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith("traceide."));
        await fs.promises.writeFile(selfTestOut, JSON.stringify(result, null, 2));
      }),
    );
  }
}
