// The webview ⇄ host relay. The web UI's PostMessageTransport sends `{type:"rpc", id, method, params, gen}`
// and `{type:"rpc-cancel", id, gen}`; we answer `{type:"rpc-result", id, result | error, gen}` — for host methods and
// the contract's IDE methods alike (one envelope). `gen` is the page's load (its body's data-generation): a page
// numbers its ids from 1 on each load and takes only answers of its own load.
// Architecture invariant: only UI_CALLABLE_METHODS reach the host (imported from the generated contract,
// never copied); `session/info` and `ide/*` (ideHandlers.ts) are answered here; nothing secret is ever posted.
import { CancellationTokenSource, type CancellationToken } from "vscode-jsonrpc/node";
import { IDE_METHODS, RpcErrorCodes, UI_CALLABLE_METHODS, type InitializeResult } from "../../webview/src/protocol.generated";
import type { IdeHandler } from "./ideHandlers";

export const METHOD_NOT_FOUND = -32601;
export const INTERNAL_ERROR = -32603;

const HOST_METHODS: ReadonlySet<string> = new Set<string>(UI_CALLABLE_METHODS.filter((m) => m !== "session/info"));
const IDE_METHOD_NAMES: ReadonlySet<string> = new Set<string>(IDE_METHODS);

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

/** Per-view adjustments (a trace panel narrows the list to its trace; settings fill in the page size). */
export interface RelayHooks {
  params?(method: string, params: unknown): Promise<unknown> | unknown;
  result?(method: string, params: unknown, result: unknown): Promise<unknown> | unknown;
  /** Seen after forwarding (live mode remembers the last search). */
  forwarded?(method: string, params: unknown): void;
  /** Answers a host method here instead of forwarding it (undefined: forward as usual). */
  intercept?(method: string, params: unknown, token: CancellationToken): Promise<unknown> | undefined;
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
  /** In-flight requests by page and id: a reloaded page numbers its requests from 1 again. */
  private readonly inflight = new Map<string, CancellationTokenSource>();
  /**
   * Which page is loaded (one more at each reload). An answer is posted only to the page that asked: the old
   * page's cancelled requests finish after the new page has sent its own with the same ids, and their
   * "cancelled" answers would otherwise settle the new page's requests (a panel stuck on "Connecting…").
   */
  private page = 0;
  private readonly subscription: { dispose(): unknown };
  /** Notifications for the page, held until it has spoken once (before that its listener may not exist yet). */
  private pendingNotifications: unknown[] | null = [];

  constructor(
    private readonly target: RelayTarget,
    private readonly host: RelayHost,
    private readonly ide: Record<string, IdeHandler> = {},
    private readonly hooks: RelayHooks = {},
    /** Called when a load of the page sends its first message (the panel's log says so). */
    private readonly onPageSpoke: () => void = () => {},
  ) {
    this.subscription = target.onDidReceiveMessage((m) => void this.handle(m));
  }

  /** Tells the page something (the contract's UiMethods): `{type:"rpc", method, params}`, no id, no answer. */
  notify(method: string, params: unknown = null): void {
    const message = { type: "rpc", method, params };
    if (this.pendingNotifications) this.pendingNotifications.push(message);
    else void this.post(message);
  }

  /** The page has sent a message since it was (re)loaded. */
  get pageHasSpoken(): boolean {
    return this.pendingNotifications === null;
  }

  /** The page was reloaded: hold notifications again until the new page speaks; answers for the old page are dropped. */
  pageReloading(): void {
    this.page++;
    this.pendingNotifications ??= [];
  }

  /** Handles one message from the webview; resolves when the answer was posted. */
  async handle(message: unknown): Promise<void> {
    if (!isRecord(message)) return;
    // A page that says which load it is gets its answers tagged with it and takes only those, so each is answered
    // even when the reload meant to replace it has not come (yet, or at all). An untagged page (an older bundle) is
    // the current load, and an answer that outlived a reload is dropped.
    const gen = typeof message.gen === "number" ? message.gen : undefined;
    // The current load is up once it speaks; a late word from the load it replaced says nothing about it.
    if (this.pendingNotifications && (gen === undefined || gen === this.page)) {
      const held = this.pendingNotifications;
      this.pendingNotifications = null;
      for (const m of held) void this.post(m);
      this.onPageSpoke();
    }
    const keyOf = (id: unknown) => (gen !== undefined ? `gen${gen}:${String(id)}` : `${this.page}:${String(id)}`);
    if (message.type === "rpc-cancel") {
      this.inflight.get(keyOf(message.id))?.cancel();
      return;
    }
    if (message.type !== "rpc") return;
    const { id, method } = message;
    if (typeof method !== "string" || (typeof id !== "number" && typeof id !== "string")) return;
    const page = this.page;
    const key = keyOf(id);
    const cts = new CancellationTokenSource();
    this.inflight.set(key, cts);
    const answer = (m: Record<string, unknown>) => (gen !== undefined ? this.post({ ...m, gen }) : page === this.page ? this.post(m) : Promise.resolve());
    try {
      const result = await this.dispatch(method, message.params, cts.token);
      await answer({ type: "rpc-result", id, result: result ?? null });
    } catch (err) {
      const error =
        cts.token.isCancellationRequested && !(isRecord(err) && typeof err.code === "number")
          ? { code: RpcErrorCodes.cancelled, message: "The request was cancelled" }
          : toRpcError(err);
      await answer({ type: "rpc-result", id, error });
    } finally {
      this.inflight.delete(key);
      cts.dispose();
    }
  }

  private async dispatch(method: string, params: unknown, token: CancellationToken): Promise<unknown> {
    if (method === "session/info") return this.host.sessionInfo();
    if (IDE_METHOD_NAMES.has(method)) {
      const ide = Object.hasOwn(this.ide, method) ? this.ide[method] : undefined;
      if (!ide) throw { code: METHOD_NOT_FOUND, message: `'${method}' is not available in this view.` };
      return ide(params);
    }
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
