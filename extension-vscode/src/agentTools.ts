// TraceIde's agent tools in VS Code: the language-model tools that package.json declares under
// `languageModelTools` (traceide_search_traces, traceide_get_trace, …), each run on the extension's own host
// through `agent/callTool` — the same tools, answers and errors as `traceide mcp`, with no second process and
// no configuration. And "TraceIde: Add MCP Server to Workspace", for MCP clients other than VS Code's agent.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { AgentCallToolResult } from "../../webview/src/protocol.generated";
import { hostCommand } from "./hostProcess";

/** package.json's tool names are the MCP names with this prefix (tool names are global in VS Code). */
export const TOOL_PREFIX = "traceide_";

export interface AgentToolHost {
  request<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R>;
}

/** Registers every tool package.json declares: package.json is the list, the host is the implementation. */
export function registerAgentTools(context: vscode.ExtensionContext, host: AgentToolHost): void {
  const declared = (context.extension.packageJSON?.contributes?.languageModelTools ?? []) as { name: string; displayName?: string }[];
  for (const tool of declared) {
    if (!tool.name.startsWith(TOOL_PREFIX)) continue;
    context.subscriptions.push(vscode.lm.registerTool(tool.name, agentTool(host, tool.name.slice(TOOL_PREFIX.length), tool.displayName ?? tool.name)));
  }
}

export function agentTool(host: AgentToolHost, mcpName: string, displayName: string): vscode.LanguageModelTool<object> {
  return {
    prepareInvocation: () => ({ invocationMessage: `TraceIde: ${displayName}` }),
    async invoke(options, token) {
      const r = await host.request<AgentCallToolResult>("agent/callTool", { name: mcpName, arguments: options.input ?? {} }, token);
      // A tool error goes back to the model as an error, whose text says what to change (as MCP's isError does).
      if (r.isError) throw new Error(r.text);
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(r.text)]);
    },
  };
}

/** A tracking URI as written into a shared file: any user:password@ in it removed (credentials come from inputs). */
export function withoutUserInfo(uri: string): string {
  try {
    const u = new URL(uri);
    if (!u.username && !u.password) return uri;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return uri;
  }
}

/** What the `.vscode/mcp.json` entry is made of: the packaged host and the current backend, never a secret. */
export interface McpEntryInput {
  dotnet: string;
  /** The packaged host: a platform package's self-contained `traceide[.exe]`, or the portable `traceide.dll`. */
  host: string;
  trackingUri?: string;
  store?: string;
  /** Which credentials SecretStorage holds: VS Code then asks for them when it starts the server (inputs), nothing is written. */
  credentials: { username: boolean; password: boolean; token: boolean };
}

type McpJson = { inputs?: { id?: string }[]; servers?: Record<string, unknown>; [k: string]: unknown };

/** `.vscode/mcp.json` with the `traceide` server added (or replaced); other servers and inputs are kept. */
export function withTraceIdeServer(existing: McpJson, e: McpEntryInput): McpJson {
  // The same start as the extension's own host (hostCommand): an executable as it is, a .dll through dotnet.
  const { command, args } = hostCommand(e.host, e.dotnet, ["mcp"]);
  if (e.trackingUri) args.push("--tracking-uri", withoutUserInfo(e.trackingUri));
  else if (e.store) args.push("--store", e.store);
  args.push("--workspace", "${workspaceFolder}");
  const inputs: { type: string; id: string; description: string; password: boolean }[] = [];
  const env: Record<string, string> = {};
  const ask = (variable: string, id: string, description: string, password: boolean) => {
    inputs.push({ type: "promptString", id, description, password });
    env[variable] = `\${input:${id}}`;
  };
  if (e.trackingUri && e.credentials.username) ask("MLFLOW_TRACKING_USERNAME", "traceide-mlflow-username", "MLflow tracking server user name", false);
  if (e.trackingUri && e.credentials.password) ask("MLFLOW_TRACKING_PASSWORD", "traceide-mlflow-password", "MLflow tracking server password", true);
  if (e.trackingUri && e.credentials.token) ask("MLFLOW_TRACKING_TOKEN", "traceide-mlflow-token", "MLflow tracking server token", true);
  const server: Record<string, unknown> = { type: "stdio", command, args };
  if (Object.keys(env).length) server.env = env;
  const keptInputs = (existing.inputs ?? []).filter((i) => !inputs.some((n) => n.id === i.id));
  return { ...existing, inputs: [...keptInputs, ...inputs], servers: { ...(existing.servers ?? {}), traceide: server } };
}

/**
 * Writes the entry into the first workspace folder's `.vscode/mcp.json` and opens it. A file that is not plain
 * JSON (comments) is not rewritten: the entry is shown to paste instead, so nothing of the user's is lost.
 */
export async function addMcpServerToWorkspace(input: McpEntryInput): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage("TraceIde: open a folder first: the MCP server entry goes into its .vscode/mcp.json.");
    return undefined;
  }
  const file = path.join(folder.uri.fsPath, ".vscode", "mcp.json");
  let existing: McpJson = {};
  if (fs.existsSync(file)) {
    try {
      existing = JSON.parse(await fs.promises.readFile(file, "utf8")) as McpJson;
    } catch {
      const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(withTraceIdeServer({}, input), null, 2) });
      await vscode.window.showTextDocument(doc);
      void vscode.window.showWarningMessage(
        "TraceIde: .vscode/mcp.json is not plain JSON (comments?), so it was left as it is: copy the `traceide` server from this entry into it.",
      );
      return undefined;
    }
  }
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, JSON.stringify(withTraceIdeServer(existing, input), null, 2) + "\n");
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  void vscode.window.showInformationMessage(
    "TraceIde: added the `traceide` MCP server to .vscode/mcp.json. It points at this machine's TraceIde host; credentials are asked for when " +
      "it starts, never written.",
  );
  return file;
}
