// One transport interface, two implementations: a WebSocket (browser mode, `traceide ui`) and
// postMessage through an IDE relay (VS Code / Visual Studio webviews). Both speak JSON-RPC 2.0
// semantics; the UI only sees request(method, params, signal) → Promise<result> and RpcError.
import { RpcErrorCodes, type IdeRequests, type InitializeResult, type RpcErrorData, type RpcRequests } from "./protocol.generated";
import { takeToken } from "./browser-url";

/**
 * Methods the UI calls: the host's (the generated contract, plus `session/info`: browser mode's already-initialised
 * session) and its IDE's (`ide/*`, answered by the relay or, in browser mode, by the page: ide.ts). One envelope for both.
 */
export type UiRequests = RpcRequests &
  IdeRequests & {
    "session/info": { params: null | undefined; result: InitializeResult };
  };
export type Method = keyof UiRequests;
export type ParamsOf<M extends Method> = UiRequests[M]["params"];
export type ResultOf<M extends Method> = UiRequests[M]["result"];

/** JSON-RPC method not found (standard code, not in the generated contract). */
export const METHOD_NOT_FOUND = -32601;
/** The connection dropped or could not be opened (client-side code). */
export const CONNECTION_LOST = -32099;

export class RpcError extends Error {
  readonly code: number;
  readonly data: RpcErrorData | unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }
  get isCancelled(): boolean {
    return this.code === RpcErrorCodes.cancelled;
  }
  /** Builds an RpcError from a JSON-RPC error object (or anything that looks like one). */
  static from(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    if (error && typeof error === "object") {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof e.code === "number" ? e.code : -32603;
      const message = typeof e.message === "string" && e.message ? e.message : "Unknown error from the TraceIde host";
      return new RpcError(code, message, e.data);
    }
    return new RpcError(-32603, String(error));
  }
}

export interface Transport {
  request<M extends Method>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<ResultOf<M>>;
  dispose(): void;
}

function cancelledError(): RpcError {
  return new RpcError(RpcErrorCodes.cancelled, "The request was cancelled");
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  cleanup(): void;
}

/** Shared bookkeeping: ids, pending map, abort wiring. Subclasses send and cancel. */
abstract class PendingTransport implements Transport {
  private nextId = 1;
  protected readonly pending = new Map<number, Pending>();

  protected abstract send(id: number, method: string, params: unknown): void;
  protected abstract sendCancel(id: number): void;
  abstract dispose(): void;

  request<M extends Method>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<ResultOf<M>> {
    if (signal?.aborted) return Promise.reject(cancelledError());
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.sendCancel(id);
        reject(cancelledError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      try {
        this.send(id, method, params ?? undefined);
      } catch (err) {
        this.settle(id, undefined, { code: CONNECTION_LOST, message: `Could not send the request: ${String(err)}` });
      }
    });
  }

  /** Resolves or rejects the request with this id; unknown ids (late answers to cancelled requests) are ignored. */
  protected settle(id: unknown, result: unknown, error: unknown): void {
    if (typeof id !== "number") return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (error !== undefined && error !== null) p.reject(RpcError.from(error));
    else p.resolve(result);
  }

  protected failAll(error: RpcError): void {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(error);
    }
  }
}

/** Minimal WebSocket surface, so tests can pass a fake. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (ev: any) => void): void;
}

/** Browser mode: JSON-RPC 2.0, one message per WebSocket text message. Cancel = `$/cancelRequest` notification. */
export class WebSocketTransport extends PendingTransport {
  private readonly queue: string[] = [];
  private closed = false;
  onClose: ((reason: string) => void) | null = null;

  constructor(private readonly socket: WebSocketLike) {
    super();
    socket.addEventListener("open", () => {
      this.opened = true;
      for (const text of this.queue.splice(0)) socket.send(text);
    });
    socket.addEventListener("message", (ev: { data: unknown }) => this.receive(ev.data));
    // A socket refused before it opened fires "error" then "close": both ask why, once (`failed`).
    socket.addEventListener("close", () =>
      this.opened ? this.lost("The connection to the TraceIde host closed. Restart `traceide ui` and reload this page.") : void this.failed(),
    );
    socket.addEventListener("error", () => void this.failed());
  }

  /** Why the connection failed, when the page can tell better than "could not reach" (browser mode's token check). */
  explainFailure: (() => Promise<string | null>) | null = null;
  private opened = false;

  private failing = false;

  private async failed(): Promise<void> {
    if (this.failing) return;
    this.failing = true;
    const why = !this.opened && this.explainFailure ? await this.explainFailure().catch(() => null) : null;
    this.lost(why ?? "Could not reach the TraceIde host. Is `traceide ui` still running?");
  }

  static connect(url: string): WebSocketTransport {
    return new WebSocketTransport(new WebSocket(url));
  }

  private write(message: object): void {
    if (this.closed) throw new Error("connection closed");
    const text = JSON.stringify(message);
    if (this.socket.readyState === 1) this.socket.send(text);
    else this.queue.push(text);
  }

  protected send(id: number, method: string, params: unknown): void {
    this.write({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
  }

  protected sendCancel(id: number): void {
    try {
      this.write({ jsonrpc: "2.0", method: "$/cancelRequest", params: { id } });
    } catch {
      /* closed: nothing to cancel */
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let msg: any;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m && typeof m === "object" && "id" in m && ("result" in m || "error" in m)) {
        this.settle(m.id, m.result, m.error);
      }
    }
  }

  private lost(message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new RpcError(CONNECTION_LOST, message));
    this.onClose?.(message);
  }

  dispose(): void {
    this.closed = true;
    this.failAll(cancelledError());
    this.socket.close();
  }
}

export interface VsCodeApiLike {
  postMessage(message: unknown): void;
  getState?(): unknown;
  setState?(state: unknown): void;
}

/**
 * IDE webview: `{type:"rpc", id, method, params, gen}` out, `{type:"rpc-result", id, result|error, gen}` in — for the
 * host's methods and the IDE's alike (the relay tells them apart by name). `gen` is which load of the page this is (the
 * IDE's `data-generation` on the body, one more at each reload): ids start from 1 again on each load, so an answer
 * carries the load it is for and a page takes only its own; the VS Code relay can then answer a page that is still
 * shown while its reload never came, instead of dropping what it says (a panel stuck on "Connecting…").
 */
export class PostMessageTransport extends PendingTransport {
  /** What the IDE tells the page (`{type:"rpc", method, params}` without an id: the contract's UiMethods). */
  onNotification: ((method: string, params: unknown) => void) | null = null;

  private readonly listener = (ev: Event) => {
    const data = (ev as MessageEvent).data;
    if (!data || typeof data !== "object") return;
    if (data.type === "rpc-result") {
      // An answer for another load of this page (a relay that tags answers) is not ours, whatever its id.
      if (this.generation !== undefined && typeof data.gen === "number" && data.gen !== this.generation) return;
      this.settle(data.id, data.result, data.error);
    } else if (data.type === "rpc" && typeof data.method === "string" && data.id === undefined) this.onNotification?.(data.method, data.params);
  };

  /** @param generation this load of the page (the body's `data-generation`); undefined: untagged messages. */
  constructor(
    private readonly api: VsCodeApiLike,
    private readonly target: EventTarget = window,
    private readonly generation?: number,
  ) {
    super();
    target.addEventListener("message", this.listener);
  }

  protected send(id: number, method: string, params: unknown): void {
    this.api.postMessage(this.tagged({ type: "rpc", id, method, params }));
  }

  protected sendCancel(id: number): void {
    this.api.postMessage(this.tagged({ type: "rpc-cancel", id }));
  }

  private tagged<T extends object>(message: T): T & { gen?: number } {
    return this.generation === undefined ? message : { ...message, gen: this.generation };
  }

  dispose(): void {
    this.target.removeEventListener("message", this.listener);
    this.failAll(cancelledError());
  }
}

declare global {
  // Provided by VS Code's (and our Visual Studio relay's) webview host; absent in a browser.
  // eslint-disable-next-line no-var
  var acquireVsCodeApi: (() => VsCodeApiLike) | undefined;
}

export interface StartedTransport {
  transport: Transport;
  mode: "ide" | "browser";
  vscode?: VsCodeApiLike;
}

/** acquireVsCodeApi present → postMessage; otherwise the WebSocket at this page's origin with the URL's token. */
export function startTransport(win: Window & typeof globalThis = window): StartedTransport {
  if (typeof win.acquireVsCodeApi === "function") {
    const vscode = win.acquireVsCodeApi();
    const generation = Number(win.document?.body?.dataset.generation);
    return { transport: new PostMessageTransport(vscode, win, Number.isInteger(generation) ? generation : undefined), mode: "ide", vscode };
  }
  const token = takeToken(win);
  const url = `ws://${win.location.host}/rpc?token=${encodeURIComponent(token)}`;
  const transport = WebSocketTransport.connect(url);
  // A WebSocket that fails says nothing of why: ask the same address over HTTP to tell a refused token from a
  // host that is gone.
  transport.explainFailure = async () => {
    try {
      const r = await win.fetch(`/rpc?token=${encodeURIComponent(token)}`, { cache: "no-store" });
      if (r.status === 401) {
        return token
          ? "This page's token was refused: `traceide ui` was restarted since. Open the address it printed last."
          : "This page has no token. Open the address `traceide ui` printed (it ends with ?token=…).";
      }
    } catch {
      /* unreachable: the default message says so */
    }
    return null;
  };
  return { transport, mode: "browser" };
}
