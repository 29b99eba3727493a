// The IDE methods of the contract (`ide/*`, server/TraceIde.Protocol/Ide.cs) as the relay answers them: the
// logic here, every IDE action behind `IdeSurface` (VS Code's in vscodeIde.ts; a recorder in the tests). Visual
// Studio's relay (WebviewRelay.cs) implements the same rules, and both run tests/fixtures/relay/*.json.
import {
  IDE_METHODS,
  IdeMethods,
  IdeTextLanguages,
  RpcErrorCodes,
  SourceChoice,
  type IdeOpenedResult,
  type IdeRequests,
  type SourceLocateResult,
  type SourceLocation,
} from "../../webview/src/protocol.generated";

/** What an IDE does for the UI; the rules (validation, the host's ranking, when to ask) are not here. */
export interface IdeSurface {
  /** True when `path` names a file on this machine (absolute, or relative to a workspace folder). */
  fileExists(path: string): Promise<boolean>;
  /** Opens the file with the 1-based line (and column) selected; rejects when it cannot. Returns what opened. */
  openFile(path: string, line?: number, column?: number): Promise<{ path: string; line: number }>;
  /** Lets the user choose among locations, best first; undefined when dismissed. */
  choose(locations: readonly SourceLocation[], placeholder: string): Promise<SourceLocation | undefined>;
  /** The IDE's own search for a function's definition (symbols, a scan), best first: used when the host finds nothing. */
  findDefinitions(name: string): Promise<SourceLocation[]>;
  copy(text: string): Promise<void>;
  openTrace(traceId: string, spanId?: string): Promise<void>;
  openOverview(experimentIds?: string[]): Promise<void>;
  revealPanel(): Promise<void>;
  /** Opens text where the user can read and save it (VS Code: a read-only editor named `fileName`). */
  openText(text: string, fileName: string, language: string): Promise<void>;
}

/** The host methods the IDE handlers ask (not through the UI's allow-list: the relay's own calls). */
export interface IdeHost {
  request<R>(method: "source/locate" | "source/mapPath", params: unknown): Promise<R>;
}

export type IdeHandler = (params: unknown) => Promise<unknown>;
export type IdeHandlers = { [M in keyof IdeRequests]: IdeHandler };

/** The location to open without asking: the only one, or one that leads the next by `SourceChoice.clearWinnerGap`. */
export function clearWinner(locations: readonly SourceLocation[]): SourceLocation | undefined {
  if (locations.length === 0) return undefined;
  if (locations.length === 1) return locations[0];
  return locations[0]!.confidence - locations[1]!.confidence >= SourceChoice.clearWinnerGap ? locations[0] : undefined;
}

function invalid(message: string): { code: number; message: string } {
  return { code: RpcErrorCodes.invalidParams, message };
}

function notFound(message: string): { code: number; message: string } {
  return { code: RpcErrorCodes.notFound, message };
}

function record(params: unknown): Record<string, unknown> {
  return params && typeof params === "object" && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
}

const TEXT_LANGUAGES: readonly string[] = Object.values(IdeTextLanguages);

/** A file name the page may suggest: no folder, no parent, nothing a file system reads as a path. */
export function isPlainFileName(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= 200 && !/[\\/:\0]/.test(v) && v !== "." && v !== "..";
}

/** `name`, or `name-2.ext`, `name-3.ext`…: the first not already open (two values never share a name). */
export function uniqueUntitledName(name: string, open: ReadonlySet<string>): string {
  if (!open.has(name)) return name;
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let n = 2; ; n++) if (!open.has(`${stem}-${n}${ext}`)) return `${stem}-${n}${ext}`;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const positive = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : undefined);

/** The function name a span stands for, for the IDE's own search: the UI's hint, else the span name's last part. */
export function functionNameOf(p: { functionName?: string; spanName?: string }): string | undefined {
  const raw = p.functionName ?? p.spanName;
  const last = raw?.split(/[.:/]/).filter(Boolean).pop() ?? raw;
  const name = last?.replace(/[^\w$]/g, "");
  return name || undefined;
}

/** Opens the clear winner, or what the user chooses; `{opened:false}` when dismissed. */
export async function openBest(surface: IdeSurface, locations: readonly SourceLocation[], placeholder: string): Promise<IdeOpenedResult> {
  const chosen = clearWinner(locations) ?? (await surface.choose(locations, placeholder));
  if (!chosen) return { opened: false };
  const opened = await surface.openFile(chosen.path, chosen.line, chosen.column ?? undefined);
  return { opened: true, path: opened.path, line: opened.line };
}

export function ideHandlers(surface: IdeSurface, host: IdeHost): IdeHandlers {
  const handlers: IdeHandlers = {
    [IdeMethods.openFile]: async (params) => {
      const p = record(params);
      const path = text(p.path);
      const line = positive(p.line);
      const column = positive(p.column);
      // Absent or null is fine; present, a line or column must be an integer ≥ 1.
      if (!path || (p.line != null && line === undefined) || (p.column != null && column === undefined)) {
        throw invalid("ide/openFile needs {path: string, line?: number ≥ 1, column?: number ≥ 1}.");
      }
      if (p.mapToWorkspace !== true && (await surface.fileExists(path))) {
        const opened = await surface.openFile(path, line ?? 1, column);
        return { opened: true, path: opened.path, line: opened.line };
      }
      // A path recorded elsewhere (a stack frame, a deployed code.filepath): the host maps it to the workspace.
      const { locations } = await host.request<SourceLocateResult>("source/mapPath", { path, line: line ?? null });
      if (!locations?.length) throw notFound(`${path} is not in the workspace (no file with that name and path ending).`);
      return openBest(surface, locations, `Several workspace files may be ${path}`);
    },
    [IdeMethods.openSpanSource]: async (params) => {
      const p = record(params);
      const traceId = text(p.traceId);
      const spanId = text(p.spanId);
      if (!traceId || !spanId) throw invalid("ide/openSpanSource needs {traceId: string, spanId: string}.");
      // The host weighs code attributes, stack frames, definitions and the entry script.
      const { locations } = await host.request<SourceLocateResult>("source/locate", { traceId, spanId });
      if (locations?.length) return openBest(surface, locations, "Several places may be this span's code");
      const name = functionNameOf({ functionName: text(p.functionName), spanName: text(p.spanName) });
      const found = name ? await surface.findDefinitions(name) : [];
      if (!found.length)
        throw notFound(
          `No source found for span ${text(p.spanName) ?? spanId}: the host found no code ` +
            `location${name ? `, and the workspace has no definition of ${name}` : ""}.`,
        );
      return openBest(surface, found, `Several definitions of ${name}`);
    },
    [IdeMethods.openTrace]: async (params) => {
      const p = record(params);
      const traceId = text(p.traceId);
      if (!traceId) throw invalid("ide/openTrace needs {traceId: string, spanId?: string}.");
      await surface.openTrace(traceId, text(p.spanId));
      return {};
    },
    [IdeMethods.openOverview]: async (params) => {
      const ids = record(params).experimentIds;
      await surface.openOverview(Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : undefined);
      return {};
    },
    [IdeMethods.copy]: async (params) => {
      const t = record(params).text;
      if (typeof t !== "string") throw invalid("ide/copy needs {text: string}.");
      await surface.copy(t);
      return {};
    },
    [IdeMethods.revealPanel]: async () => {
      await surface.revealPanel();
      return {};
    },
    [IdeMethods.openText]: async (params) => {
      const p = record(params);
      const language = p.language ?? IdeTextLanguages.plainText;
      // The page names the file, never where it goes: a name with a folder in it is refused.
      if (typeof p.text !== "string" || !isPlainFileName(p.fileName) || !TEXT_LANGUAGES.includes(language as string)) {
        throw invalid(`ide/openText needs {text: string, fileName: a file name without folders, language?: ${TEXT_LANGUAGES.join(" | ")}}.`);
      }
      await surface.openText(p.text, p.fileName, language as string);
      return {};
    },
  };
  // Every IDE method of the contract has its handler (a new one fails here first, then in the shared relay cases).
  for (const m of IDE_METHODS) if (!handlers[m]) throw new Error(`no handler for ${m}`);
  return handlers;
}
