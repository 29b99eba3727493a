// Which host to start and how: a platform package's self-contained host (no .NET on the machine needed), else the
// universal package's portable one (run by `dotnet`), the backend from the settings, and the credentials from SecretStorage into the host's environment only.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { InitializeParams } from "../../webview/src/protocol.generated";
import { HostProcess } from "./hostProcess";

export const SECRET_PASSWORD = "traceide.trackingPassword";
export const SECRET_USERNAME = "traceide.trackingUsername";
export const SECRET_TOKEN = "traceide.trackingToken";

export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("traceide");
}

export function resolveStore(store: string): string {
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
 * The host to start: a platform package's own (host/<platform>/traceide, `traceide.exe` on Windows: self-contained
 * and ReadyToRun, started as an executable, its .NET inside; scripts/package.sh TARGET), else the universal
 * package's portable host/traceide.dll, which `dotnet` runs on any OS with .NET 10. When a .vsix holds both, the
 * portable one is the fallback of a platform host that does not start.
 */
export function hostPaths(extensionRoot: string, platform = hostPlatform()): { host: string; fallbackHost?: string } {
  const portable = path.join(extensionRoot, "host", "traceide.dll");
  const native = path.join(extensionRoot, "host", platform, platform.startsWith("win32-") ? "traceide.exe" : "traceide");
  if (!fs.existsSync(native)) return { host: portable };
  return fs.existsSync(portable) ? { host: native, fallbackHost: portable } : { host: native };
}

/** What `hostConfiguration` reads: the `traceide.*` settings and the stored credentials. */
export interface HostInputs {
  setting(key: "trackingUri" | "store" | "userName"): string | undefined;
  secret(key: typeof SECRET_USERNAME | typeof SECRET_PASSWORD | typeof SECRET_TOKEN): Thenable<string | undefined>;
}

/**
 * The host's `initialize` and environment from the settings: a tracking server wins over a local store (a store
 * path is `~`-expanded and taken from the first workspace folder when relative); the credentials go into the
 * host's environment only, never into `initialize` (which the log and the UI see).
 */
export async function hostConfiguration(inputs: HostInputs): Promise<{ init: InitializeParams; env: Record<string, string | undefined> }> {
  const trackingUri = inputs.setting("trackingUri")?.trim() || undefined;
  const store = trackingUri ? undefined : resolveStore(inputs.setting("store")?.trim() ?? "") || undefined;
  const init: InitializeParams = {
    trackingUri: trackingUri ?? null,
    store: store ?? null,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    clientName: `vscode ${vscode.version}`,
    // Who the assessments written from the trace tabs are by; empty: the host's TRACEIDE_USER, MLflow user or OS account.
    userName: inputs.setting("userName")?.trim() || null,
  };
  const env: Record<string, string | undefined> = {};
  const [user, password, token] = await Promise.all([inputs.secret(SECRET_USERNAME), inputs.secret(SECRET_PASSWORD), inputs.secret(SECRET_TOKEN)]);
  if (user) env.MLFLOW_TRACKING_USERNAME = user;
  if (password) env.MLFLOW_TRACKING_PASSWORD = password;
  if (token) env.MLFLOW_TRACKING_TOKEN = token;
  return { init, env };
}

/** The extension's host process: started by `activate`, supervised by HostProcess (HostSupervision). */
export function createHost(context: vscode.ExtensionContext, log: (line: string) => void): HostProcess {
  const { host, fallbackHost } = hostPaths(context.extensionUri.fsPath);
  return new HostProcess({
    dotnet: config().get<string>("dotnetPath")?.trim() || "dotnet",
    host,
    fallbackHost,
    log,
    configure: async () => {
      if (!fs.existsSync(host)) throw new Error(`the host is missing from the extension (${host})`);
      return hostConfiguration({ setting: (key) => config().get<string>(key), secret: (key) => context.secrets.get(key) });
    },
  });
}
