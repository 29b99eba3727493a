// The TraceIde host as a child process: `dotnet <ext>/host/traceide.dll serve --parent-pid <pid>`,
// JSON-RPC over stdio (vscode-jsonrpc ⇄ StreamJsonRpc), `initialize` first, restarted with
// exponential backoff when it dies, stopped on dispose. No `vscode` import: unit-tested with a real host.
import * as cp from "node:child_process";
import {
  CancellationToken,
  Emitter,
  ErrorCodes,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type Event,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { InitializeParams, InitializeResult } from "../../webview/src/protocol.generated";
import { HostSupervision, RpcErrorCodes } from "../../webview/src/protocol.generated";
import { HostClock } from "../../webview/src/clock";

export type HostState = "stopped" | "starting" | "running" | "failed";

/** Client-side code for "the host is not there" (same value as the web UI's CONNECTION_LOST). */
export const CONNECTION_LOST = -32099;

export interface HostOptions {
  /** `dotnet` executable (setting `traceide.dotnetPath` or plain `dotnet` from PATH). */
  dotnet: string;
  /** Path to traceide.dll. */
  dll: string;
  /**
   * The host to start instead of `dll`, from then on, when `dll` exits before it ever answered `initialize`:
   * a host precompiled for this platform is refused by a .NET of another architecture (an x64 editor under
   * emulation on an arm64 machine finds the arm64 `dotnet`), and the portable one runs on any .NET 10.
   */
  fallbackDll?: string;
  /** Called before every (re)start: the initialize params and the extra environment (secrets live only here). */
  configure(): Promise<{ init: InitializeParams; env: Record<string, string | undefined> }>;
  /** Host stderr and lifecycle lines. */
  log(line: string): void;
  // The restart policy defaults to the contract's HostSupervision, which Visual Studio follows too; tests shorten it.
  /** First restart delay; doubles per consecutive crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A host that ran at least this long resets the backoff. */
  stableAfterMs?: number;
  /** After this many deaths in a row, stop restarting (a `failed` state) until `restart()`. */
  maxDeathsInARow?: number;
  /** A host that has not answered `initialize` by then is killed and counted as a death. */
  initializeTimeoutMs?: number;
  /** How long a request waits for a (re)starting host. */
  readyTimeoutMs?: number;
}

export interface HostStatus {
  state: HostState;
  info?: InitializeResult;
  error?: string;
  pid?: number;
  restarts: number;
  nextRetryMs?: number;
}

export class HostProcess {
  private child: cp.ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private status: HostStatus = { state: "stopped", restarts: 0 };
  private crashes = 0;
  private startedAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private generation = 0;
  private waiters: Array<() => void> = [];
  /** The host started: `options.dll` until it fails to start and `options.fallbackDll` takes over. */
  private dll: string;
  /** `dll` answered `initialize` once: from then on its exits are crashes, not a host this machine refuses. */
  private dllStarted = false;
  private readonly changed = new Emitter<HostStatus>();
  /** The host's clock (InitializeResult.nowMs), from which CodeLens windows and the UI's "recent" are measured. */
  readonly clock = new HostClock();
  /** Fires on every state change; `restarted` runs carry restarts > 0. */
  readonly onDidChange: Event<HostStatus> = this.changed.event;
  private readonly notified = new Emitter<{ method: string; params: unknown }>();
  /** Host → client notifications (`traces/changed`, `$/progress`) from whichever host process is current. */
  readonly onNotification: Event<{ method: string; params: unknown }> = this.notified.event;

  constructor(private readonly options: HostOptions) {
    this.dll = options.dll;
  }

  get current(): HostStatus {
    return this.status;
  }

  private set(status: Partial<HostStatus>): void {
    this.status = { ...this.status, ...status };
    if (this.status.state === "running" || this.status.state === "failed") {
      for (const w of this.waiters.splice(0)) w();
    }
    this.changed.fire(this.status);
  }

  /** Starts (or restarts) the host now; resolves when `initialize` answered (or failed). */
  async start(): Promise<HostStatus> {
    if (this.disposed) throw new Error("host disposed");
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kill();
    const gen = ++this.generation;
    this.set({ state: "starting", error: undefined, info: undefined, nextRetryMs: undefined });
    let config: Awaited<ReturnType<HostOptions["configure"]>>;
    try {
      config = await this.options.configure();
    } catch (err) {
      this.set({ state: "failed", error: `Configuration error: ${errorMessage(err)}` });
      return this.status;
    }
    if (gen !== this.generation || this.disposed) return this.status;
    const dll = this.dll;
    const args = [dll, "serve", "--parent-pid", String(process.pid)];
    this.options.log(`starting: ${this.options.dotnet} ${args.join(" ")}`);
    let child: cp.ChildProcess;
    try {
      child = cp.spawn(this.options.dotnet, args, {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, ...config.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" },
        windowsHide: true,
      });
    } catch (err) {
      this.set({ state: "failed", error: spawnError(this.options.dotnet, err) });
      return this.status;
    }
    this.child = child;
    this.startedAt = Date.now();
    child.stderr?.setEncoding("utf8");
    let partial = "";
    child.stderr?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) if (line) this.options.log(line);
    });
    const exited = new Promise<void>((resolve) => {
      child.once("error", (err) => {
        // Could not spawn (dotnet missing, not executable): a configuration problem, no restart loop.
        if (gen === this.generation) {
          this.connection?.dispose();
          this.connection = undefined;
          this.child = undefined;
          const message = spawnError(this.options.dotnet, err);
          this.options.log(message);
          this.set({ state: "failed", error: message, pid: undefined });
        }
        resolve();
      });
      child.once("exit", (code, signal) => {
        if (gen === this.generation) this.onExit(gen, `The TraceIde host exited (${signal ?? `code ${code}`}).`);
        resolve();
      });
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onError(() => undefined);
    connection.onNotification((method: string, params: unknown) => {
      if (gen === this.generation) this.notified.fire({ method, params });
    });
    connection.listen();
    this.connection = connection;
    this.set({ pid: child.pid });
    const initializeTimeoutMs = this.options.initializeTimeoutMs ?? HostSupervision.initializeTimeoutMs;
    let silent: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    try {
      const info = await Promise.race([
        connection.sendRequest<InitializeResult>("initialize", config.init),
        exited.then(() => {
          throw new Error(this.status.error ?? "The TraceIde host exited during start-up.");
        }),
        new Promise<never>((_, reject) => {
          silent = setTimeout(() => {
            // A host that never answers is killed; its exit then restarts it with backoff, as a crash does.
            timedOut = true;
            this.options.log(`the host did not answer initialize within ${initializeTimeoutMs} ms; killing it`);
            child.kill("SIGKILL");
            reject(new Error(`The TraceIde host did not answer initialize within ${initializeTimeoutMs / 1000} s.`));
          }, initializeTimeoutMs);
        }),
      ]).finally(() => clearTimeout(silent));
      if (gen !== this.generation) return this.status;
      this.connected("initialized", info);
    } catch (err) {
      if (gen !== this.generation || timedOut) return this.status;
      // Writing `initialize` to a host that is exiting fails (EPIPE) before its exit is seen: let the exit decide
      // (the fallback host, or a restart) rather than calling it a configuration problem.
      if (!answeredByHost(err) && child.exitCode === null && child.signalCode === null) {
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        if (gen !== this.generation) return this.status;
      }
      if (this.dll !== dll) return this.start(); // `onExit` gave this host up for the fallback
      // The process is alive but could not connect to the backend: a configuration problem, no restart loop —
      // except a server that cannot be reached (not started yet, restarting): ask again until it answers.
      if (this.child === child && child.exitCode === null && child.signalCode === null) {
        this.set({ state: "failed", error: errorMessage(err) });
        if (isUnreachable(err)) this.reconnect(gen, connection, config.init, 0);
      }
    }
    return this.status;
  }

  /** The host answered `initialize`: it runs against its backend, and its clock is the one "recent" is measured from. */
  private connected(what: "initialized" | "reconnected", info: InitializeResult): void {
    this.dllStarted = true;
    this.options.log(`${what}: ${info.backendKind} ${info.backendLocation}${info.mlflowVersion ? ` (MLflow ${info.mlflowVersion})` : ""}`);
    this.clock.sync(info.nowMs);
    this.set({ state: "running", info, error: undefined, nextRetryMs: undefined });
  }

  /**
   * Sends `initialize` again to the same host after a delay (HostSupervision's, doubling), while the tracking
   * server stays unreachable; the host replaces its backend on each `initialize`, so no process restarts.
   */
  private reconnect(gen: number, connection: MessageConnection, init: InitializeParams, attempt: number): void {
    const delay = Math.min((this.options.initialBackoffMs ?? HostSupervision.firstRestartDelayMs) * 2 ** (attempt + 2), this.options.maxBackoffMs ?? HostSupervision.maxRestartDelayMs);
    this.set({ nextRetryMs: delay });
    // Only while this very host lives: a restart (a new generation) or its death (another connection) ends it.
    const current = () => gen === this.generation && this.connection === connection && !this.disposed;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      if (!current()) return;
      try {
        const info = await connection.sendRequest<InitializeResult>("initialize", init);
        if (!current()) return;
        this.connected("reconnected", info);
      } catch (err) {
        if (!current()) return;
        this.set({ state: "failed", error: errorMessage(err) });
        if (isUnreachable(err)) this.reconnect(gen, connection, init, attempt + 1);
        else this.set({ nextRetryMs: undefined });
      }
    }, delay);
  }

  private onExit(gen: number, reason: string): void {
    clearTimeout(this.retryTimer); // a pending reconnect to a backend belonged to the host that just died
    this.retryTimer = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    this.child = undefined;
    if (this.disposed || gen !== this.generation) return;
    this.options.log(reason);
    const fallback = this.options.fallbackDll;
    if (!this.dllStarted && fallback && this.dll !== fallback && this.status.state === "starting") {
      // Died before `initialize`: start the portable host at once (the pending `start` does), no backoff.
      this.options.log(`the host ${this.dll} did not start; using ${fallback} from now on`);
      this.dll = fallback;
      return;
    }
    if (Date.now() - this.startedAt >= (this.options.stableAfterMs ?? HostSupervision.stableAfterMs)) this.crashes = 0;
    const delay = Math.min((this.options.initialBackoffMs ?? HostSupervision.firstRestartDelayMs) * 2 ** this.crashes, this.options.maxBackoffMs ?? HostSupervision.maxRestartDelayMs);
    this.crashes++;
    if (this.crashes > (this.options.maxDeathsInARow ?? HostSupervision.maxDeathsInARow)) {
      const message = `The TraceIde host stopped ${this.crashes} times in a row; not restarting it. ${reason} Run 'TraceIde: Restart Host' after fixing the cause (the log: 'TraceIde: Show Host Log').`;
      this.options.log(message);
      this.set({ state: "failed", error: message, info: undefined, pid: undefined, nextRetryMs: undefined });
      return;
    }
    this.options.log(`restarting in ${delay} ms`);
    this.set({ state: "starting", error: reason, info: undefined, pid: undefined, nextRetryMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.set({ restarts: this.status.restarts + 1 });
      void this.start();
    }, delay);
  }

  /** Waits until the host is running (or failed / timed out). */
  private async ready(): Promise<MessageConnection> {
    if (this.status.state === "stopped" && !this.disposed) void this.start();
    if (this.status.state === "starting") {
      const timeout = this.options.readyTimeoutMs ?? 30_000;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeout);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.status.state === "running" && this.connection) return this.connection;
    throw new ResponseError(CONNECTION_LOST, this.status.error ?? "The TraceIde host is not running.", { retryable: true });
  }

  /** Sends a request to the host; a cancelled token sends `$/cancelRequest`. */
  async request<R = unknown>(method: string, params: unknown, token?: CancellationToken): Promise<R> {
    const connection = await this.ready();
    return connection.sendRequest<R>(method, params ?? null, token ?? CancellationToken.None);
  }

  /** Sends a notification when the host runs; dropped otherwise (a restarted host starts from `initialize` anyway). */
  notify(method: string, params: unknown): void {
    if (this.status.state !== "running" || !this.connection) return;
    void this.connection.sendNotification(method, params ?? null).catch(() => undefined);
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.generation++;
    this.connection?.dispose();
    this.connection = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end(); // the host exits when stdin closes
      const force = setTimeout(() => child.kill("SIGKILL"), 2000);
      force.unref?.();
      child.once("exit", () => clearTimeout(force));
      child.kill("SIGTERM");
    }
  }

  /** Restart on demand (settings changed, the user asked); resets the backoff. */
  restart(): Promise<HostStatus> {
    this.crashes = 0;
    return this.start();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.kill();
    this.set({ state: "stopped", info: undefined, pid: undefined });
  }

  dispose(): void {
    this.stop();
    this.disposed = true;
    for (const w of this.waiters.splice(0)) w();
    this.changed.dispose();
    this.notified.dispose();
  }
}

export function errorMessage(err: unknown): string {
  if (err && typeof err === "object" && "message" in err && typeof (err as { message: unknown }).message === "string") {
    return (err as { message: string }).message;
  }
  return String(err);
}

function spawnError(dotnet: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") {
    return `Could not start '${dotnet}': not found. Install the .NET 10 runtime (https://dot.net) or set traceide.dotnetPath.`;
  }
  return `Could not start the TraceIde host with '${dotnet}': ${errorMessage(err)}`;
}

/** The tracking server could not be reached (refused, DNS, TLS, timeout): worth asking again later. */
function isUnreachable(err: unknown): boolean {
  return !!err && typeof err === "object" && (err as { code?: unknown }).code === RpcErrorCodes.unreachable;
}

/** The host's own error answer, not the client's word that the connection failed (vscode-jsonrpc's codes). */
function answeredByHost(err: unknown): boolean {
  const code = err && typeof err === "object" ? (err as { code?: unknown }).code : undefined;
  const connectionFailed: unknown[] = [ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive];
  return typeof code === "number" && !connectionFailed.includes(code);
}
