// The webview ⇄ host relay. The web UI's PostMessageTransport sends `{type:"rpc", id, method, params}`
// and `{type:"rpc-cancel", id}`; we answer `{type:"rpc-result", id, result | error}`.
// Architecture invariant: only UI_CALLABLE_METHODS reach the host (imported from the generated contract,
// never copied); `session/info` and `ide/*` are answered here; nothing secret is ever posted.
import * as vscode from "vscode";
import { CancellationTokenSource, type CancellationToken } from "vscode-jsonrpc/node";
import { RpcErrorCodes, UI_CALLABLE_METHODS, type InitializeResult } from "../../webview/src/protocol.generated";
import { CONNECTION_LOST } from "./hostProcess";

export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

const HOST_METHODS: ReadonlySet<string> = new Set<string>(UI_CALLABLE_METHODS.filter((m) => m !== "session/info"));

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** What the relay needs from the host. */
export interface RelayHost {
  request(method: string, params: unknown, token: CancellationToken): Promise<unknown>;
  /** The InitializeResult the extension got (waits for a starting host). */
  sessionInfo(): Promise<InitializeResult>;
}

/** A webview (panel or view) as the relay sees it. */
export interface RelayTarget {
  postMessage(message: unknown): Thenable<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => unknown): { dispose(): unknown };
}

export type IdeHandler = (params: any) => Promise<unknown>;

/** Per-view adjustments (a trace panel narrows the list to its trace; settings fill in the page size). */
export interface RelayHooks {
  params?(method: string, params: unknown): Promise<unknown> | unknown;
  result?(method: string, params: unknown, result: unknown): Promise<unknown> | unknown;
  /** Seen after forwarding (live mode remembers the last search). */
  forwarded?(method: string, params: unknown): void;
  /** Answers a host method here instead of forwarding it (undefined: forward as usual). */
  intercept?(method: string, params: unknown, token: CancellationToken): Promise<unknown> | undefined;
  /** A fire-and-forget `{type:"ide"}` request failed (nobody waits for an answer: tell the user). */
  ideError?(method: string, error: RpcErrorObject): void;
}

/** Removes `user:password@` from URLs so no credential reaches a webview. */
export function redact(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1***@");
}

/** Maps anything thrown (vscode-jsonrpc ResponseError, Error, string) to a JSON-RPC error object. */
export function toRpcError(err: unknown): RpcErrorObject {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === "number" ? e.code : INTERNAL_ERROR;
    const message = typeof e.message === "string" && e.message ? redact(e.message) : "Unknown error from the TraceIde host";
    const out: RpcErrorObject = { code, message };
    if (e.data !== undefined && e.data !== null) {
      try {
        out.data = JSON.parse(redact(JSON.stringify(e.data)));
      } catch {
        /* not serialisable: drop */
      }
    }
    return out;
  }
  return { code: INTERNAL_ERROR, message: redact(String(err)) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export class Relay {
  private readonly inflight = new Map<unknown, CancellationTokenSource>();
  private readonly subscription: { dispose(): unknown };

  constructor(
    private readonly target: RelayTarget,
    private readonly host: RelayHost,
    private readonly ide: Record<string, IdeHandler> = {},
    private readonly hooks: RelayHooks = {},
  ) {
    this.subscription = target.onDidReceiveMessage((m) => void this.handle(m));
  }

  /** Handles one message from the webview; resolves when the answer was posted. */
  async handle(message: unknown): Promise<void> {
    if (!isRecord(message)) return;
    if (message.type === "rpc-cancel") {
      this.inflight.get(message.id)?.cancel();
      return;
    }
    if (message.type === "ide") {
      // Fire-and-forget IDE request from the UI (`transport.postToIde`): only ide/* handlers, no answer.
      const method = message.method;
      const handler = typeof method === "string" && Object.prototype.hasOwnProperty.call(this.ide, method) ? this.ide[method] : undefined;
      if (!handler) return;
      try {
        await handler(message.params);
      } catch (err) {
        this.hooks.ideError?.(method as string, toRpcError(err));
      }
      return;
    }
    if (message.type !== "rpc") return;
    const { id, method } = message;
    if (typeof method !== "string" || (typeof id !== "number" && typeof id !== "string")) return;
    const cts = new CancellationTokenSource();
    this.inflight.set(id, cts);
    try {
      const result = await this.dispatch(method, message.params, cts.token);
      await this.post({ type: "rpc-result", id, result: result ?? null });
    } catch (err) {
      const error = cts.token.isCancellationRequested && !(isRecord(err) && typeof err.code === "number")
        ? { code: RpcErrorCodes.cancelled, message: "The request was cancelled" }
        : toRpcError(err);
      await this.post({ type: "rpc-result", id, error });
    } finally {
      this.inflight.delete(id);
      cts.dispose();
    }
  }

  private async dispatch(method: string, params: unknown, token: CancellationToken): Promise<unknown> {
    if (method === "session/info") return this.host.sessionInfo();
    const ide = Object.prototype.hasOwnProperty.call(this.ide, method) ? this.ide[method] : undefined;
    if (ide) return ide(params);
    if (!HOST_METHODS.has(method)) {
      throw { code: METHOD_NOT_FOUND, message: `'${method}' is not available to the TraceIde UI.` };
    }
    const answered = this.hooks.intercept?.(method, params, token);
    if (answered !== undefined) return answered;
    const p = this.hooks.params ? await this.hooks.params(method, params) : params;
    const result = await this.host.request(method, p, token);
    this.hooks.forwarded?.(method, p);
    return this.hooks.result ? this.hooks.result(method, p, result) : result;
  }

  private async post(message: unknown): Promise<void> {
    try {
      await this.target.postMessage(message);
    } catch {
      /* the webview went away */
    }
  }

  /** Cancels everything in flight (view disposed or reloaded). */
  cancelAll(): void {
    for (const cts of this.inflight.values()) cts.cancel();
  }

  dispose(): void {
    this.cancelAll();
    this.subscription.dispose();
  }
}

// ---- IDE-only requests -----------------------------------------------------------------------

/** Resolves a path from the UI or the host: absolute, file URI, or relative to a workspace folder. */
export async function resolveWorkspacePath(path: string): Promise<vscode.Uri | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return vscode.Uri.parse(path);
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (path.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(path)) return vscode.Uri.file(path);
  for (const f of folders) {
    const candidate = vscode.Uri.joinPath(f.uri, path);
    try {
      await vscode.workspace.fs.stat(candidate);
      return candidate;
    } catch {
      /* try the next folder */
    }
  }
  return folders[0] ? vscode.Uri.joinPath(folders[0].uri, path) : undefined;
}

/** Opens a document with the 1-based line (and column) selected and revealed. */
export async function openFileAt(uri: vscode.Uri, line?: number, column?: number): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const l = Math.max(0, Math.min((line ?? 1) - 1, doc.lineCount - 1));
  const c = Math.max(0, (column ?? 1) - 1);
  const pos = new vscode.Position(l, c);
  return vscode.window.showTextDocument(doc, {
    viewColumn: vscode.ViewColumn.One,
    preview: true,
    selection: new vscode.Range(pos, pos),
  });
}

function invalid(message: string): RpcErrorObject {
  return { code: INVALID_PARAMS, message };
}

/** `ide/openFile {path, line?, column?}`, `ide/copy {text}`, `ide/reveal {path}`. Messages arrive as
 *  requests (`{type:"rpc"}`, answered) or fire-and-forget (`{type:"ide", method, params}`). */
export function defaultIdeHandlers(): Record<string, IdeHandler> {
  return {
    "ide/openFile": async (params) => {
      if (!isRecord(params) || typeof params.path !== "string" || !params.path) throw invalid("ide/openFile needs {path, line?}");
      const uri = await resolveWorkspacePath(params.path);
      if (!uri) throw { code: RpcErrorCodes.notFound, message: `No workspace folder to resolve '${params.path}' against.` };
      try {
        const editor = await openFileAt(uri, typeof params.line === "number" ? params.line : undefined, typeof params.column === "number" ? params.column : undefined);
        return { opened: true, path: editor.document.uri.fsPath, line: editor.selection.active.line + 1 };
      } catch (err) {
        throw { code: RpcErrorCodes.notFound, message: `Could not open ${params.path}: ${toRpcError(err).message}` };
      }
    },
    "ide/copy": async (params) => {
      if (!isRecord(params) || typeof params.text !== "string") throw invalid("ide/copy needs {text}");
      await vscode.env.clipboard.writeText(params.text);
      return { copied: true };
    },
    "ide/reveal": async (params) => {
      if (!isRecord(params) || typeof params.path !== "string") throw invalid("ide/reveal needs {path}");
      const uri = await resolveWorkspacePath(params.path);
      if (!uri) throw { code: RpcErrorCodes.notFound, message: `Cannot reveal '${params.path}'.` };
      await vscode.commands.executeCommand("revealInExplorer", uri);
      return { revealed: true };
    },
  };
}
