// The TraceIde host as a child process: `<ext>/host/<platform>/traceide serve --parent-pid <pid>` (a platform
// package's self-contained host, its own .NET inside) or `dotnet <ext>/host/traceide.dll serve …` (the portable
// host of the universal package, which needs a .NET 10 runtime on the machine); JSON-RPC over stdio (vscode-jsonrpc ⇄
// StreamJsonRpc), `initialize` first, restarted with exponential backoff when it dies, stopped on dispose. No `vscode` import: unit-tested with a real host.
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
  /** `dotnet` executable (setting `traceide.dotnetPath` or plain `dotnet` from PATH): runs a `.dll` host only. */
  dotnet: string;
  /**
   * The host: a `traceide.dll` (framework-dependent, started with `dotnet`) or a self-contained executable
   * (`traceide`, `traceide.exe`: started as it is, no `dotnet` involved). See hostCommand.
   */
  host: string;
  /**
   * The host to start instead of `host`, from then on, when `host` exits (or cannot be spawned) before it ever
   * answered `initialize`: a host this machine refuses (another architecture, a home mounted noexec) gives way to
   * one that runs elsewhere.
   */
  fallbackHost?: string;
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
  /** The host started: `options.host` until it fails to start and `options.fallbackHost` takes over. */
  private host: string;

  /** Whether the current host runs on a machine-wide .NET (the universal package's .dll), which `dotnetPath` chooses. */
  get usesDotnet(): boolean {
    return this.host.toLowerCase().endsWith(".dll");
  }
  /** `host` answered `initialize` once: from then on its exits are crashes, not a host this machine refuses. */
  private hostStarted = false;
  /** The current host's stderr until it answers `initialize`: what a `dotnet` that lacks .NET 10 said. */
  private startupStderr = "";
  private readonly changed = new Emitter<HostStatus>();
  /** The host's clock (InitializeResult.nowMs), from which CodeLens windows and the UI's "recent" are measured. */
  readonly clock = new HostClock();
  /** Fires on every state change; `restarted` runs carry restarts > 0. */
  readonly onDidChange: Event<HostStatus> = this.changed.event;
  private readonly notified = new Emitter<{ method: string; params: unknown }>();
  /** Host → client notifications (`traces/changed`, `$/progress`) from whichever host process is current. */
  readonly onNotification: Event<{ method: string; params: unknown }> = this.notified.event;

  constructor(private readonly options: HostOptions) {
    this.host = options.host;
  }

  get current(): HostStatus {
    return this.status;
  }

  /**
   * Nothing runs and nothing is scheduled: no host process (its exit handled) and no restart or reconnect timer.
   * From here the status changes only when someone calls start() or restart(); tests wait for it instead of sleeping.
   */
  get settled(): boolean {
    return this.child === undefined && this.retryTimer === undefined;
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
    const host = this.host;
    const { command, args } = hostCommand(host, this.options.dotnet, ["serve", "--parent-pid", String(process.pid)]);
    this.options.log(`starting: ${command} ${args.join(" ")}`);
    this.startupStderr = "";
    let child: cp.ChildProcess;
    try {
      child = cp.spawn(command, args, {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, ...config.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" },
        windowsHide: true,
      });
    } catch (err) {
      this.set({ state: "failed", error: spawnError(command, host, err) });
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
      if (!this.hostStarted && gen === this.generation && this.startupStderr.length < 16_384) this.startupStderr += chunk;
    });
    const exited = new Promise<void>((resolve) => {
      child.once("error", (err) => {
        // Could not spawn (dotnet missing, the host not executable): the fallback host if there is one (the pending
        // `start` starts it), else a configuration problem, no restart loop.
        if (gen === this.generation) {
          this.connection?.dispose();
          this.connection = undefined;
          this.child = undefined;
          const message = spawnError(command, host, err);
          this.options.log(message);
          if (this.useFallback()) {
            resolve();
            return;
          }
          this.set({ state: "failed", error: message, pid: undefined });
        }
        resolve();
      });
      child.once("exit", (code, signal) => {
        let handled = false;
        const handle = () => {
          if (handled) return;
          handled = true;
          if (gen === this.generation) this.onExit(gen, `The TraceIde host exited (${signal ?? `code ${code}`}).`);
          resolve();
        };
        // Before `initialize` its stderr may say why (`dotnet` without .NET 10), and Node can see the exit before
        // the pipe's last bytes: read them first (bounded), so onExit decides on the whole message.
        const stderr = child.stderr;
        if (this.hostStarted || !stderr || stderr.readableEnded) return handle();
        stderr.once("end", handle);
        setTimeout(handle, 500);
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
      // Writing `initialize` to a host that is exiting fails (EPIPE) before its exit is seen, or before its exit is
      // handled (its last stderr still being read): let the exit decide (the fallback host, a restart, or what to
      // install) rather than calling it a configuration problem.
      if (!answeredByHost(err)) {
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        if (gen !== this.generation) return this.status;
      }
      if (this.host !== host) return this.start(); // `onExit` (or a failed spawn) gave this host up for the fallback
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
    this.hostStarted = true;
    this.startupStderr = "";
    this.options.log(`${what}: ${info.backendKind} ${info.backendLocation}${info.mlflowVersion ? ` (MLflow ${info.mlflowVersion})` : ""}`);
    this.clock.sync(info.nowMs);
    this.set({ state: "running", info, error: undefined, nextRetryMs: undefined });
  }

  /**
   * Sends `initialize` again to the same host after a delay (HostSupervision's, doubling), while the tracking
   * server stays unreachable; the host replaces its backend on each `initialize`, so no process restarts.
   */
  private reconnect(gen: number, connection: MessageConnection, init: InitializeParams, attempt: number): void {
    const delay = Math.min(
      (this.options.initialBackoffMs ?? HostSupervision.firstRestartDelayMs) * 2 ** (attempt + 2),
      this.options.maxBackoffMs ?? HostSupervision.maxRestartDelayMs,
    );
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
    if (this.status.state === "starting" && this.useFallback()) return; // the pending `start` starts it, no backoff
    const missing = !this.hostStarted && this.host.endsWith(".dll") ? missingRuntime(this.startupStderr) : undefined;
    if (missing) {
      // `dotnet` is there but has no .NET 10: restarting cannot help; say what to install.
      this.options.log(missing);
      this.set({ state: "failed", error: missing, info: undefined, pid: undefined, nextRetryMs: undefined });
      return;
    }
    if (Date.now() - this.startedAt >= (this.options.stableAfterMs ?? HostSupervision.stableAfterMs)) this.crashes = 0;
    const delay = Math.min(
      (this.options.initialBackoffMs ?? HostSupervision.firstRestartDelayMs) * 2 ** this.crashes,
      this.options.maxBackoffMs ?? HostSupervision.maxRestartDelayMs,
    );
    this.crashes++;
    if (this.crashes > (this.options.maxDeathsInARow ?? HostSupervision.maxDeathsInARow)) {
      const message =
        `The TraceIde host stopped ${this.crashes} times in a row; not restarting it. ${reason} Run 'TraceIde: Restart Host' after fixing the ` +
        "cause (the log: 'TraceIde: Show Host Log').";
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

  /** Gives up a host that never answered `initialize` for the fallback one, for good; false when there is none. */
  private useFallback(): boolean {
    const fallback = this.options.fallbackHost;
    if (this.hostStarted || !fallback || this.host === fallback) return false;
    this.options.log(`the host ${this.host} did not start; using ${fallback} from now on`);
    this.host = fallback;
    return true;
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

/**
 * How a host is started: a `.dll` (the portable, framework-dependent host) by `dotnet`, anything else (a platform
 * package's self-contained `traceide` / `traceide.exe`, which carries its own runtime) as an executable.
 */
export function hostCommand(host: string, dotnet: string, args: string[]): { command: string; args: string[] } {
  return host.toLowerCase().endsWith(".dll") ? { command: dotnet, args: [host, ...args] } : { command: host, args };
}

/** The VS Code targets with a package of their own, whose host brings its own .NET (scripts/package.sh). */
export const SELF_CONTAINED_TARGETS = ["win32-x64", "darwin-x64", "darwin-arm64", "linux-x64", "linux-arm64", "alpine-x64"];

/** What to do when the portable host finds no .NET 10: the runtime to install, or the package that needs none. */
export const NEEDS_DOTNET =
  'This TraceIde package (the universal one) needs the .NET 10 runtime: install "ASP.NET Core Runtime 10.0" from ' +
  "https://dotnet.microsoft.com/download/dotnet/10.0 (it includes the .NET Runtime) and restart the host, or set " +
  `traceide.dotnetPath to its dotnet. Or install TraceIde's package for your platform (${SELF_CONTAINED_TARGETS.join(", ")}), ` +
  "which brings its own runtime: the Marketplace picks it by itself; from a file, the traceide-<platform>.vsix.";

function spawnError(command: string, host: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (command !== host) {
    // `dotnet` for the portable host.
    if (code === "ENOENT") return `Could not start '${command}': not found. ${NEEDS_DOTNET}`;
    return `Could not start the TraceIde host with '${command}': ${errorMessage(err)}`;
  }
  return `Could not start the TraceIde host ${host}: ${errorMessage(err)}`;
}

/**
 * The `dotnet` muxer's words when it has no runtime the host asks for (an older .NET only, or .NET without
 * ASP.NET Core), turned into what to install; undefined for any other death.
 */
export function missingRuntime(stderr: string): string | undefined {
  const m = /You must install or update \.NET to run this application|Framework: '(Microsoft\.[A-Za-z]+\.App)', version '([^']+)'/.exec(stderr);
  if (!m) return undefined;
  const framework = /Framework: '(Microsoft\.[A-Za-z]+\.App)', version '([^']+)'/.exec(stderr);
  const what = framework ? ` (it asked for ${framework[1]} ${framework[2]})` : "";
  return `dotnet found no .NET 10 to run the TraceIde host${what}. ${NEEDS_DOTNET}`;
}

/** The tracking server could not be reached (refused, DNS, TLS, timeout): worth asking again later. */
function isUnreachable(err: unknown): boolean {
  return !!err && typeof err === "object" && (err as { code?: unknown }).code === RpcErrorCodes.unreachable;
}

/** The host's own error answer, not the client's word that the connection failed (vscode-jsonrpc's codes). */
function answeredByHost(err: unknown): boolean {
  const code = err && typeof err === "object" ? (err as { code?: unknown }).code : undefined;
  const connectionFailed: unknown[] = [
    ErrorCodes.MessageWriteError,
    ErrorCodes.MessageReadError,
    ErrorCodes.PendingResponseRejected,
    ErrorCodes.ConnectionInactive,
  ];
  return typeof code === "number" && !connectionFailed.includes(code);
}
