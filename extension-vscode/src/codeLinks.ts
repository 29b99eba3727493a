// Code ↔ spans on the VS Code side, over the host's source/* methods (the host does the ranking, so
// Visual Studio gets the same answers): jump from a span to its code with `source/locate` (a pick list
// when the host reports ambiguity), tell the host about file changes (`workspace/didChangeFiles`), and
// put "N calls · p50 X ms · E errors" above traced functions (CodeLens + hover, from `source/spanStats`,
// asked for the document's path so that the numbers are this file's function's, not every namesake's).
import * as path from "node:path";
import * as vscode from "vscode";
import type { HostProcess } from "./hostProcess";
import { config } from "./hostSetup";
import {
  SpanStatsLimits,
  SpanStatsMatches,
  type SourceLocateResult,
  type SourceLocation,
  type SourceSpanStatsResult,
  type SpanNameStats,
  type TracesGetResult,
  type TracesSearchResult,
  type TraceSummary,
  type WorkspaceDidChangeFilesParams,
} from "../../webview/src/protocol.generated";

export interface HostRequester {
  request<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R>;
}

// ---------------------------------------------------------------- span → source

/** The host's locations for a span; empty when it found nothing (the caller falls back to its own resolver). */
export async function locateSpan(host: HostRequester, traceId: string, spanId: string, token?: vscode.CancellationToken): Promise<SourceLocation[]> {
  const r = await host.request<SourceLocateResult>("source/locate", { traceId, spanId }, token);
  return r.locations ?? [];
}

// ---------------------------------------------------------------- file changes → host

/** Collects file events for a short while and sends them as one `workspace/didChangeFiles` notification. */
export class FileChangeBatcher {
  private pending: { changed: Set<string>; created: Set<string>; deleted: Set<string> } = { changed: new Set(), created: new Set(), deleted: new Set() };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (params: WorkspaceDidChangeFilesParams) => void,
    private readonly delayMs = 300,
  ) {}

  add(kind: "changed" | "created" | "deleted", path: string): void {
    // The last event for a path wins: created-then-deleted is deleted, deleted-then-created is created.
    for (const set of Object.values(this.pending)) set.delete(path);
    this.pending[kind].add(path);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { changed, created, deleted } = this.pending;
    if (changed.size + created.size + deleted.size === 0) return;
    this.pending = { changed: new Set(), created: new Set(), deleted: new Set() };
    this.send({ changed: [...changed], created: [...created], deleted: [...deleted] });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// ---------------------------------------------------------------- CodeLens + hover

/** A function in an editor that may make spans: the span name it makes and the (0-based) line of its name. */
export interface LensTarget {
  spanName: string;
  line: number;
  character: number;
  /** Decorated with `@mlflow.trace`: it makes spans for sure, so it gets a lens even without calls. */
  traced: boolean;
}

const PY_DEF = /^([ \t]*)(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/;
const PY_TRACE = /^@[ \t]*(?:mlflow\.(?:tracing\.)?)?trace[ \t]*(?:\(|$)/;
const PY_NAME_ARG = /\bname[ \t]*=[ \t]*(?:"([^"\\]*)"|'([^'\\]*)')/;
const JS_DEF = [
  /^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/,
  new RegExp(
    /^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?/.source +
      /(?:function\b|(?:<[^>]*>\s*)?\([^)]*\)\s*(?::\s*[^=]+?)?\s*=>|[A-Za-z_$][\w$]*\s*=>)/.source,
  ),
  /^\s+(?:(?:public|private|protected|static|async|override)\s+)*([A-Za-z_$][\w$]*)\s*\([^;]*\)\s*(?::\s*[^{;]+)?\{\s*$/,
];
const CS_DEF = new RegExp(
  /^\s*(?:\[[^\]]*\]\s*)*(?:(?:public|private|protected|internal|static|async|override|virtual|sealed|abstract)\s+)+/.source +
    /[\w.<>,[\]? ]+?\s+([A-Za-z_]\w*)\s*(?:<[^()]*>)?\s*\((?!.*;\s*$)/.source,
);
const NOT_NAMES = new Set(["if", "for", "while", "switch", "catch", "return", "function", "constructor"]);

/**
 * Where lenses go. Python: every `def`, with the span name its `@mlflow.trace(name=…)` gives (else the
 * function's name); TypeScript/JavaScript/C#: functions and methods by name (they get a lens only when
 * spans of that name exist, since nothing in the code says they are traced).
 */
export function lensTargets(languageId: string, text: string): LensTarget[] {
  const lines = text.split(/\r?\n/);
  const out: LensTarget[] = [];
  if (languageId === "python") {
    let decorators: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const t = line.trim();
      if (t.startsWith("@")) {
        // A decorator may span lines until its parentheses close.
        let text = t;
        let depth = (t.match(/\(/g) ?? []).length - (t.match(/\)/g) ?? []).length;
        while (depth > 0 && i + 1 < lines.length) {
          const next = lines[++i]!.trim();
          text += " " + next;
          depth += (next.match(/\(/g) ?? []).length - (next.match(/\)/g) ?? []).length;
        }
        decorators.push(text);
        continue;
      }
      const m = PY_DEF.exec(line);
      if (m) {
        const trace = decorators.find((d) => PY_TRACE.test(d));
        const named = trace ? PY_NAME_ARG.exec(trace) : null;
        out.push({ spanName: named ? (named[1] ?? named[2])! : m[2]!, line: i, character: line.indexOf(m[2]!, m[1]!.length), traced: !!trace });
      }
      if (t && !t.startsWith("#")) decorators = [];
    }
    return out;
  }
  const rules = languageId === "csharp" ? [CS_DEF] : ["typescript", "javascript", "typescriptreact", "javascriptreact"].includes(languageId) ? JS_DEF : [];
  for (let i = 0; i < lines.length && rules.length; i++) {
    const line = lines[i]!;
    for (const re of rules) {
      const m = re.exec(line);
      if (m && !NOT_NAMES.has(m[1]!)) {
        out.push({ spanName: m[1]!, line: i, character: line.indexOf(m[1]!), traced: false });
        break;
      }
    }
  }
  return out;
}

/** The look-back windows a "no calls" lens steps through, for this session. */
export const LENS_WINDOW_STEPS_DAYS = [7, 30, 90, 365] as const;

/** The next wider window after `days`, or undefined at the widest. */
export function widerWindow(days: number): number | undefined {
  return LENS_WINDOW_STEPS_DAYS.find((d) => d > days);
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/**
 * "12 calls · p50 340 ms · 2 errors" for this function's spans; "≈ 12 calls by name · …" when the host could
 * only count by span name; "12+ calls · …" when it counted in the newest traces only; "no calls in the last 7 days".
 */
export function lensText(s: SpanNameStats | undefined, days: number): string {
  if (!s || s.calls === 0) return `no calls in the last ${plural(days, "day", "days")}`;
  const p50 = s.p50LatencyMs == null ? "n/a" : `${Math.round(s.p50LatencyMs).toLocaleString("en-US")} ms`;
  const calls = isByName(s)
    ? `≈ ${plural(s.calls, "call", "calls")} by name`
    : s.sampled
      ? `${s.calls.toLocaleString("en-US")}+ calls`
      : plural(s.calls, "call", "calls");
  return `${calls} · p50 ${p50} · ${plural(s.errors, "error", "errors")}`;
}

/** Counted by span name, wherever the code is (a host before protocol 1.5 sends no `match`: by name too). */
function isByName(s: SpanNameStats): boolean {
  return s.match !== SpanStatsMatches.located;
}

/** What a lens's numbers are, for its tooltip and hover. */
export function lensTooltip(spanName: string, s: SpanNameStats | undefined, days: number, fileName: string): string {
  const span = `'${spanName}'`;
  if (!s || s.calls === 0) {
    const wider = widerWindow(days);
    return `No spans of ${span} from ${fileName} in the last ${plural(days, "day", "days")}${wider ? ` — click to look back ${wider} days` : ""}`;
  }
  if (isByName(s)) {
    return (
      `Every span named ${span} in the last ${plural(days, "day", "days")}, wherever its code is: the host has no definition of ${span} in ${fileName} ` +
      "(unsaved or not indexed yet), so namesakes in other files may be counted too — click for their traces"
    );
  }
  const sampled = s.sampled ? ` (counted in the newest ${SpanStatsLimits.maxLocatedTraces} traces holding ${span}: there are more)` : "";
  return `Spans of ${span} whose code is in ${fileName}, in the last ${plural(days, "day", "days")}${sampled} — click for their traces`;
}

/** A short, single-line preview of a span input or output for the hover (hostile text stays text: it goes in a code block). */
export function brief(value: unknown, max = 160): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The trace-time range the numbers cover (ms since epoch). */
export interface LensRange {
  startTimeMs: number;
  endTimeMs: number;
}

export interface SpanLensOptions {
  experimentIds: () => Promise<string[]>;
  /** How far back the numbers go (`traceide.codeLens.days`); a "no calls" lens's click widens it for the session. */
  days: () => number;
  /** `traceide.codeLens.enabled`, read on every request so that the setting applies without a reload. */
  enabled?: () => boolean;
  now?: () => number;
  /** After a failed request, the lenses are asked for again after this delay, doubled per failure up to 5 min. */
  retryDelayMs?: number;
}

/** CodeLens and hover with the host's numbers per span name; one `source/spanStats` per document and set of names. */
export class SpanLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** By document URI: the numbers hold while the span names in it stay the same (edits elsewhere do not ask again). */
  private cache = new Map<string, { names: string; at: number; stats: Promise<Map<string, SpanNameStats>>; experimentIds: string[]; range: LensRange }>();
  static readonly TTL_MS = 30_000;
  static readonly MAX_NAMES = 50;
  static readonly MAX_RETRY_DELAY_MS = 300_000;
  static readonly WIDEN_COMMAND = "traceide.widenCodeLensWindow";
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The window a "no calls" lens's click chose, for this session; the setting's own when wider. */
  private widenedDays = 0;

  constructor(
    private readonly host: HostRequester,
    private readonly options: SpanLensOptions,
  ) {}

  /** How far back the numbers go now. */
  days(): number {
    return Math.max(this.options.days(), this.widenedDays);
  }

  /** Looks further back (7 → 30 → 90 → 365 days) and asks for the lenses again; false when already at the widest. */
  widen(): boolean {
    const next = widerWindow(this.days());
    if (next === undefined) return false;
    this.widenedDays = next;
    this.refresh();
    return true;
  }

  /** Forget the numbers (new host, new experiment, live mode tick) and ask the editor to re-render. */
  refresh(): void {
    this.cache.clear();
    this.changed.fire();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * The numbers for a document's span names, shared by every lens and hover request on it while the names
   * stay the same: typing in a function's body does not ask the host again (with namesakes in other files,
   * an answer reads up to `maxLocatedTraces` traces per name). The shared request carries no caller's
   * cancellation token: the editor cancels a lens request whenever it asks again, and a cancelled shared
   * request would have failed the newer caller too, leaving the editor without lenses.
   */
  private async stats(
    doc: vscode.TextDocument,
    targets: LensTarget[],
  ): Promise<{ stats: Map<string, SpanNameStats>; experimentIds: string[]; range: LensRange }> {
    const key = doc.uri.toString();
    const spanNames = [...new Set(targets.map((t) => t.spanName))].slice(0, SpanLensProvider.MAX_NAMES);
    const names = spanNames.join("\n");
    const hit = this.cache.get(key);
    if (hit && hit.names === names && this.now() - hit.at < SpanLensProvider.TTL_MS)
      return { stats: await hit.stats, experimentIds: hit.experimentIds, range: hit.range };
    const experimentIds = await this.options.experimentIds();
    const end = this.now();
    const range = { startTimeMs: end - this.days() * 86_400_000, endTimeMs: end };
    const stats =
      experimentIds.length === 0
        ? Promise.resolve(new Map<string, SpanNameStats>())
        : this.host
            .request<SourceSpanStatsResult>("source/spanStats", { experimentIds, spanNames, path: doc.uri.fsPath, ...range })
            .then((r) => new Map(r.spans.map((s) => [s.spanName, s])));
    const entry = { names, at: this.now(), stats, experimentIds, range };
    this.cache.set(key, entry);
    stats.then(
      () => (this.failures = 0),
      () => {
        if (this.cache.get(key) === entry) this.cache.delete(key); // a failed request is asked again next time…
        this.retryLater(); // …and "next time" comes without the user editing the file
      },
    );
    return { stats: await stats, experimentIds, range };
  }

  /** One pending re-render after a failure (a host still starting, a busy store), with backoff. */
  private retryLater(): void {
    if (this.retryTimer) return;
    const delay = Math.min((this.options.retryDelayMs ?? 5_000) * 2 ** this.failures++, SpanLensProvider.MAX_RETRY_DELAY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.changed.fire();
    }, delay);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  async provideCodeLenses(doc: vscode.TextDocument, _token?: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (this.options.enabled?.() === false) return [];
    const targets = lensTargets(doc.languageId, doc.getText());
    if (targets.length === 0) return [];
    let stats: Map<string, SpanNameStats>;
    let experimentIds: string[];
    let range: LensRange;
    try {
      ({ stats, experimentIds, range } = await this.stats(doc, targets));
    } catch {
      return []; // no host, no numbers: the status bar says why
    }
    const days = Math.round((range.endTimeMs - range.startTimeMs) / 86_400_000);
    const fileName = path.basename(doc.uri.fsPath);
    return targets
      .filter((t) => t.traced || (stats.get(t.spanName)?.calls ?? 0) > 0)
      .map((t) => {
        const s = stats.get(t.spanName);
        const where = new vscode.Range(new vscode.Position(t.line, t.character), new vscode.Position(t.line, t.character + t.spanName.length));
        const title = lensText(s, days);
        const tooltip = lensTooltip(t.spanName, s, days, fileName);
        if (!s || s.calls === 0) {
          // An empty command id makes the lens plain text: at the widest window there is nothing to click for.
          const command = widerWindow(days) === undefined ? "" : SpanLensProvider.WIDEN_COMMAND;
          return new vscode.CodeLens(where, { title, tooltip, command });
        }
        // The list covers the lens's range and, when the host located each span, only the traces it counted.
        const args: ShowSpanTracesArgs = { spanName: t.spanName, experimentIds, ...range };
        if (s.traceIds) Object.assign(args, { traceIds: s.traceIds, fileName });
        return new vscode.CodeLens(where, { title, tooltip, command: "traceide.showSpanTraces", arguments: [args] });
      });
  }

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token?: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (this.options.enabled?.() === false) return undefined;
    const targets = lensTargets(doc.languageId, doc.getText());
    const target = targets.find((t) => t.line === position.line);
    if (!target) return undefined;
    let s: SpanNameStats | undefined;
    try {
      s = (await this.stats(doc, targets)).stats.get(target.spanName);
    } catch {
      return undefined;
    }
    if (!s && !target.traced) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(
      `**TraceIde** · span \`${target.spanName.replace(/`/g, "")}\`: ${lensText(s, this.days())}` +
        `${s && s.calls > 0 ? ` (last ${plural(this.days(), "day", "days")})` : ""}\n\n`,
    );
    if (s && s.calls > 0 && isByName(s)) md.appendMarkdown("Counted by span name: namesakes in other files may be included.\n\n");
    if (s?.latestTraceId) {
      try {
        const trace = await this.host.request<TracesGetResult>("traces/get", { traceId: s.latestTraceId, includePayloads: true }, token);
        const span = [...trace.spans].reverse().find((x) => x.name === target.spanName);
        if (span) {
          md.appendMarkdown(`Latest call (${span.status}, ${span.durationMs == null ? "running" : `${Math.round(span.durationMs)} ms`}):\n\n`);
          md.appendCodeblock(`in:  ${brief(span.payload?.inputs)}\nout: ${brief(span.payload?.outputs)}`, "text");
        }
      } catch {
        /* the numbers alone are still worth showing */
      }
    }
    return new vscode.Hover(md);
  }

  dispose(): void {
    clearTimeout(this.retryTimer);
    this.changed.dispose();
  }
}

/** What a lens's click hands `traceide.showSpanTraces`. */
export interface ShowSpanTracesArgs {
  spanName: string;
  experimentIds: string[];
  startTimeMs: number;
  endTimeMs: number;
  /** The traces the lens counted, when the host located each span (namesakes elsewhere): the list shows only these. */
  traceIds?: string[];
  /** The lens's file, for the list's title. */
  fileName?: string;
}

/**
 * The traces a lens's click lists, newest first: those holding a span of its name in its range and, when the
 * host located each span among namesakes, only the ones it counted. They are among the newest
 * `maxLocatedTraces` of that same search, which is what the host read.
 */
export async function spanTraces(
  host: HostRequester,
  args: Omit<ShowSpanTracesArgs, "startTimeMs" | "endTimeMs"> & { startTimeMs?: number; endTimeMs?: number },
): Promise<{ traces: TraceSummary[]; title: string }> {
  const name = args.spanName;
  const filter = `span.name = ${name.includes("'") ? `"${name}"` : `'${name}'`}`;
  const filters = typeof args.startTimeMs === "number" ? { startTimeMs: args.startTimeMs, endTimeMs: args.endTimeMs } : null;
  if (!args.traceIds) {
    const r = await host.request<TracesSearchResult>("traces/search", { experimentIds: args.experimentIds, filter, filters, pageSize: 100 });
    return { traces: r.traces, title: `spans named ${name}` };
  }
  const counted = new Set(args.traceIds);
  const r = await host.request<TracesSearchResult>("traces/search", {
    experimentIds: args.experimentIds,
    filter,
    filters,
    pageSize: SpanStatsLimits.maxLocatedTraces,
  });
  return { traces: r.traces.filter((t) => counted.has(t.traceId)), title: `${name} in ${args.fileName ?? "this file"}` };
}

/** File changes for the host's workspace index, and the CodeLens + hover numbers over traced functions. */
export function registerCodeLinks(context: vscode.ExtensionContext, h: HostProcess, experimentIds: () => Promise<string[]>): void {
  const batcher = new FileChangeBatcher((params) => h.notify("workspace/didChangeFiles", params));
  const watcher = vscode.workspace.createFileSystemWatcher("**/*");
  context.subscriptions.push(
    batcher,
    watcher,
    watcher.onDidChange((u) => u.scheme === "file" && batcher.add("changed", u.fsPath)),
    watcher.onDidCreate((u) => u.scheme === "file" && batcher.add("created", u.fsPath)),
    watcher.onDidDelete((u) => u.scheme === "file" && batcher.add("deleted", u.fsPath)),
  );
  const lenses = new SpanLensProvider(h, {
    experimentIds,
    days: () => Math.max(1, config().get<number>("codeLens.days") ?? 7),
    enabled: () => config().get<boolean>("codeLens.enabled") ?? true,
    now: h.clock.now,
  });
  const lensLanguages = ["python", "typescript", "javascript", "typescriptreact", "javascriptreact", "csharp"].map((language) => ({
    language,
    scheme: "file",
  }));
  context.subscriptions.push(
    lenses,
    h.onDidChange((s) => s.state === "running" && lenses.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("traceide.codeLens") && lenses.refresh()),
    vscode.commands.registerCommand(SpanLensProvider.WIDEN_COMMAND, () => {
      if (!lenses.widen()) void vscode.window.showInformationMessage(`TraceIde: the CodeLens numbers already go back ${lenses.days()} days.`);
    }),
    vscode.languages.registerCodeLensProvider(lensLanguages, lenses),
    vscode.languages.registerHoverProvider(lensLanguages, lenses),
  );
}
