// Trace viewer: virtualized span tree with timeline bars (left) and the selected span's details (right).
import {
  IdeTextLanguages,
  type Assessment,
  type IdeOpenedResult,
  type IdeOpenSpanSourceParams,
  type JsonValue,
  type Span,
  type SpanEvent,
  type SpanPayload,
  type TraceSummary,
  type TracesGetResult,
} from "./protocol.generated";
import { RpcError, type ParamsOf, type Transport } from "./transport";
import { clear, h, isTextInput } from "./dom";
import "./controls";
import { durationProblem, durationWithWarning, formatDuration, formatTime } from "./format";
import { renderJson, jsonText, LEAF_PREVIEW_CHARS } from "./json-tree";
import { BIG_VALUE_CHARS, fileNameFor, isLongerThan, textPreview, valueBar, type ValueActions } from "./big-value";
import { detectChat, type ChatMessage } from "./chat";
import { barGeometry, isFiltering, spanMatches, traceWindow, NO_FILTER, type SpanFilter, type TraceWindow } from "./timeline";
import { TimelineControls, TIMELINE_HEAD_HEIGHT } from "./timeline-view";
import { spanTypeLabel, typeColour } from "./span-types";
import { VirtualList } from "./virtual";
import { resolveParents, type ResolvedTree } from "./span-tree";
import { stateBadge } from "./traces-view";
import { openTagEditor, userTags } from "./tag-editor";
import { markdownRenderer, type MarkdownRenderer } from "./markdown";
import { formatNumber } from "./format";
import { Splitter } from "./splitter";
import type { SettingsStore } from "./traces-logic";
import { assessmentDialog, canEdit, canOverride, withCreated, withDeleted, withUpdated, type AssessmentKind } from "./assessments";
import { confirmDialog } from "./dialog";

export const SPAN_ROW_HEIGHT = 24;

/**
 * Levels of the span tree that are indented (--indent-step each, styles.css: less in a narrow tree). Deeper rows
 * stay at this indent with their depth on a badge: at depth 300 one indent per level pushed names out of the row
 * (cut from level ~23, blank from ~29); capped, a depth-300 name reads whole in a 700 px tab.
 */
export const INDENTED_LEVELS = 8;
/** The indent levels a depth badge stands in for: the badge sits in their room, so deep names line up with level 8's. */
const BADGE_LEVELS = 2;

/** How many indent steps a row's label gets at `depth`, and the depth badge's text when the indent no longer shows it. */
export function indentOf(depth: number): { levels: number; badge: string | null } {
  return depth > INDENTED_LEVELS ? { levels: INDENTED_LEVELS - BADGE_LEVELS, badge: String(depth) } : { levels: Math.max(0, depth), badge: null };
}

/** The warnings banner: the host's sentences one after another, each ending once (not "….; …"). */
export function warningsText(warnings: readonly string[]): string {
  return warnings
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => (/[.!?]$/.test(w) ? w : `${w}.`))
    .join(" ");
}

/**
 * How many spans the first `traces/get` of a trace asks for. A bigger trace is painted from its head (the first
 * spans in tree order, more than a screenful) while the rest is fetched: the 20,000-span trace's first paint then
 * waits for the host to read it, but not for 4 MB of JSON to be written, sent, parsed and laid out (docs/PERFORMANCE.md).
 */
export const FIRST_SCREEN_SPANS = 1000;

/**
 * Span tree model: parent/children links over the host's pre-ordered list, each span under the parent the host
 * placed it under (resolveParents: a cycle's or an orphan's spans under the root), with collapse state.
 */
export class SpanTree {
  readonly byId = new Map<string, Span>();
  readonly children = new Map<string, Span[]>();
  readonly roots: Span[] = [];
  readonly collapsed = new Set<string>();
  private readonly resolved: ResolvedTree;

  constructor(readonly spans: readonly Span[]) {
    for (const s of spans) if (!this.byId.has(s.spanId)) this.byId.set(s.spanId, s);
    this.resolved = resolveParents(spans);
    for (const s of this.byId.values()) {
      const parent = this.resolved.parent.get(s.spanId) ?? null;
      if (parent === null) this.roots.push(s);
      else {
        let list = this.children.get(parent);
        if (!list) this.children.set(parent, (list = []));
        list.push(s);
      }
    }
  }

  hasChildren(id: string): boolean {
    return (this.children.get(id)?.length ?? 0) > 0;
  }

  parentOf(id: string): Span | null {
    const p = this.resolved.parent.get(id);
    return p ? (this.byId.get(p) ?? null) : null;
  }

  /** Why the span is not under its recorded parent (a cycle, a missing parent), or null. */
  detachedReason(id: string): string | null {
    return this.resolved.detached.get(id) ?? null;
  }

  /**
   * Rows currently visible: pre-order, skipping collapsed subtrees. A filter that hides (a name, by default) keeps
   * its matches and their ancestors, unfolded; one that dims keeps every row (timeline.ts spanMatches says which).
   */
  visible(filter: string | SpanFilter = ""): Span[] {
    const f = typeof filter === "string" ? { ...NO_FILTER, name: filter } : filter;
    let keep: Set<string> | null = null;
    if (isFiltering(f) && f.mode === "hide") {
      keep = new Set();
      for (const s of this.spans) {
        if (spanMatches(s, f)) {
          for (let cur: Span | null = s; cur && !keep.has(cur.spanId); cur = this.parentOf(cur.spanId)) keep.add(cur.spanId);
        }
      }
    }
    const out: Span[] = [];
    const stack: Span[] = [...this.roots].reverse();
    while (stack.length) {
      const s = stack.pop()!;
      if (keep && !keep.has(s.spanId)) continue;
      out.push(s);
      if (!keep && this.collapsed.has(s.spanId)) continue;
      const kids = this.children.get(s.spanId);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
    return out;
  }

  /** Depth under the displayed roots (a re-attached span is one below the root). */
  depth(s: Span): number {
    return this.resolved.depth.get(s.spanId) ?? 0;
  }
}

function isError(status: string | null | undefined): boolean {
  return (status ?? "").toUpperCase().includes("ERROR");
}

/** A chat transcript: one block per message, text only. */
export function renderChat(messages: ChatMessage[], md?: MarkdownRenderer): HTMLElement {
  return h(
    "div",
    { class: "chat" },
    messages.map((m) =>
      h(
        "div",
        { class: `chat-msg chat-${m.role.replace(/[^a-z_-]/gi, "")}` },
        h("div", { class: "chat-role" }, m.role),
        m.content ? h("div", { class: "chat-content" }, longText(m.content, md)) : null,
        m.toolCalls.map((c) =>
          h("div", { class: "chat-tool" }, h("span", { class: "chat-tool-name" }, `→ ${c.name}`), textPreview(c.arguments, { className: "" })),
        ),
      ),
    ),
  );
}

/** Past this many characters a text is shown as plain text: the host's Markdown of a huge text is itself huge. */
export const MARKDOWN_MAX_CHARS = 20_000;

/** Text that may be Markdown: rendered when it is short enough, else a plain preview with "Show more". */
function longText(text: string, md?: MarkdownRenderer): HTMLElement {
  if (md && text.length <= MARKDOWN_MAX_CHARS) return md(text);
  return textPreview(text);
}

/**
 * Inputs/outputs: a transcript when it is chat-shaped (with the raw JSON collapsed below), else JSON; a big value
 * opens its top level only. Over it, its size with Copy / Save for the whole value (`part` names it: "outputs").
 */
export function renderValue(
  value: JsonValue | null | undefined,
  md?: MarkdownRenderer,
  bar?: { part: string; spanName: string; actions?: ValueActions },
): HTMLElement {
  if (value === undefined || value === null) return h("div", { class: "muted" }, "(none)");
  const head = bar ? valueBar(value, bar.part, fileNameFor(bar.spanName, bar.part, value), bar.actions) : null;
  if (typeof value === "string") return h("div", { class: "string-value" }, head, longText(value, md));
  const big = isLongerThan(value, BIG_VALUE_CHARS);
  const chat = detectChat(value);
  if (chat) {
    const raw = h("details", { class: "raw-json" }, h("summary", {}, "JSON"), renderJson(value, { openDepth: 1 }));
    return h("div", {}, head, renderChat(chat, md), raw);
  }
  return h("div", {}, head, renderJson(value, big ? { openDepth: 1, pageSize: 100 } : {}));
}

function section(title: string, ...content: (HTMLElement | null)[]): HTMLElement {
  return h("details", { class: "section", open: true }, h("summary", { class: "section-title" }, title), ...content);
}

export function renderAttributes(attributes: Record<string, JsonValue>): HTMLElement {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return h("div", { class: "muted" }, "No attributes.");
  return h(
    "table",
    { class: "kv" },
    h(
      "tbody",
      {},
      keys.map((k) => {
        const v = attributes[k]!;
        const cell =
          typeof v === "object" && v !== null
            ? renderJson(v, { openDepth: 0 })
            : textPreview(jsonText(v), { tag: "span", className: "", initial: LEAF_PREVIEW_CHARS });
        return h("tr", {}, h("th", {}, k), h("td", {}, cell));
      }),
    ),
  );
}

/** Metadata the summary leaves out: the request and response (shown as previews) and MLflow's bookkeeping. */
const SUMMARY_SKIPPED_METADATA = new Set([
  "mlflow.traceInputs",
  "mlflow.traceOutputs",
  "mlflow.trace.sizeStats",
  "mlflow.trace_schema.version",
  "mlflow.trace.tokenUsage",
  "mlflow.trace.session",
  "mlflow.trace.user",
]);
/** Characters of a preview, tag or metadata value shown before "Show more". */
const SUMMARY_VALUE_CHARS = 300;

/** Tokens of a trace from its summary, else from its metadata (as the title shows them). */
function traceTokens(info: TraceSummary): string | null {
  const t = info.tokens;
  if (t && (t.totalTokens != null || t.inputTokens != null)) {
    const parts = [
      t.inputTokens != null ? `${formatNumber(t.inputTokens)} in` : null,
      t.outputTokens != null ? `${formatNumber(t.outputTokens)} out` : null,
      t.totalTokens != null ? `${formatNumber(t.totalTokens)} total` : null,
    ];
    return parts.filter(Boolean).join(" · ");
  }
  const usage = usageInfo(info.metadata, true);
  return usage ? usageText(usage) : null;
}

/**
 * The trace at a glance, over its spans: a collapsible section whose one-line summary says when, how long, how many
 * tokens, and whose body lists name, state, time, duration, tokens, session, user, tags, metadata and the request
 * and response previews. Values are text (previews cut, with Show more).
 */
export interface SummaryExtras {
  /** Opens the tag editor; null when the backend cannot store tags (then `tagsBlocked` says why). */
  editTags?: (() => void) | null;
  tagsBlocked?: string | null;
  /** The whole conversation of a chat trace (its last chat call's messages and answer), shown on request. */
  conversation?: HTMLElement | null;
}

export function renderTraceSummary(info: TraceSummary, open: boolean, extras: SummaryExtras = {}): HTMLDetailsElement {
  const tokens = traceTokens(info);
  const totalTokens = info.tokens?.totalTokens ?? usageInfo(info.metadata, true)?.totalTokens ?? null;
  const line = [
    formatTime(info.requestTimeMs),
    formatDuration(info.durationMs),
    totalTokens !== null ? `${formatNumber(totalTokens)} tokens` : null,
    info.session ? `session ${info.session}` : null,
  ]
    .filter(Boolean)
    .join(" · ");
  const rows: [string, HTMLElement | string][] = [
    ["Name", info.name || "(unnamed)"],
    ["State", stateBadge(info.state)],
    ["Started", formatTime(info.requestTimeMs)],
    ["Duration", durationWithWarning(info.durationMs)],
  ];
  if (tokens) rows.push(["Tokens", tokens]);
  if (info.session) rows.push(["Session", info.session]);
  if (info.user) rows.push(["User", info.user]);
  const clip = (text: string) => textPreview(text, { tag: "span", className: "summary-text", initial: SUMMARY_VALUE_CHARS });
  if (info.requestPreview) rows.push(["Request", clip(info.requestPreview)]);
  if (info.responsePreview) rows.push(["Response", clip(info.responsePreview)]);
  const tags = userTags(info);
  const tagPairs = tags.map(([k, v]) => h("span", { class: "summary-pair" }, h("span", { class: "muted" }, `${k} = `), clip(v)));
  if (extras.editTags !== undefined || extras.tagsBlocked) {
    const edit = h(
      "button",
      {
        class: "link summary-edit-tags",
        type: "button",
        disabled: !extras.editTags,
        title: extras.editTags ? "Add, change or remove this trace's tags" : (extras.tagsBlocked ?? ""),
      },
      tags.length ? "Edit tags…" : "Add a tag…",
    );
    if (extras.editTags) edit.addEventListener("click", extras.editTags);
    rows.push(["Tags", h("span", { class: "summary-pairs" }, tagPairs, tags.length ? null : h("span", { class: "muted" }, "None. "), edit)]);
  } else if (tags.length) rows.push(["Tags", h("span", { class: "summary-pairs" }, tagPairs)]);
  const metadata = Object.entries(info.metadata)
    .filter(([k]) => !SUMMARY_SKIPPED_METADATA.has(k))
    .sort(([a], [b]) => a.localeCompare(b));
  if (metadata.length)
    rows.push([
      "Metadata",
      h(
        "span",
        { class: "summary-pairs" },
        metadata.map(([k, v]) => h("span", { class: "summary-pair" }, h("span", { class: "muted" }, `${k} = `), clip(v))),
      ),
    ]);
  if (extras.conversation) rows.push(["Conversation", extras.conversation]);
  const details = h(
    "details",
    { class: "trace-summary" },
    h("summary", {}, h("span", { class: "summary-heading" }, "Summary"), h("span", { class: "muted summary-line" }, line)),
    h(
      "dl",
      { class: "summary-grid" },
      rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
  );
  details.open = open;
  return details;
}

/** Opens a stack frame's file in the IDE (which maps the deployed path to the workspace). */
export type FrameOpener = (path: string, line: number) => void;

const FRAME_PATTERNS = [
  /^\s*File "(?<path>[^"]+)", line (?<line>\d+)/, // Python
  /^\s*at (?:[^\s(]+ \()?(?<path>[^()\s]+?):(?<line>\d+):\d+\)?\s*$/, // JavaScript
  /^\s*at [^\s(]+\(.*\) in (?<path>.+):line (?<line>\d+)\s*$/, // .NET
];
const LIBRARY_PATH = /(?:^|[\\/])(?:site-packages|dist-packages|node_modules)[\\/]|^<|^node:|[\\/]lib[\\/]python\d/;

/** The file and line a stack-trace line names, unless it is library code (which is not the workspace's). */
export function stackFrameOf(line: string): { path: string; line: number } | null {
  for (const re of FRAME_PATTERNS) {
    const m = re.exec(line);
    if (m?.groups) return LIBRARY_PATH.test(m.groups.path!) ? null : { path: m.groups.path!, line: Number(m.groups.line) };
  }
  return null;
}

/** A stack trace as text, its app frames as links when an IDE can open them; a huge one is a preview. */
function renderStack(stack: string, openFrame?: FrameOpener): HTMLElement {
  if (!openFrame || stack.length > BIG_VALUE_CHARS) return textPreview(stack, { className: "stacktrace", initial: 16 * 1024 });
  return h(
    "pre",
    { class: "stacktrace" },
    stack.split("\n").flatMap((text, i): Array<string | HTMLElement> => {
      const frame = stackFrameOf(text);
      const nl = i > 0 ? "\n" : "";
      if (!frame) return [nl + text];
      const open = (e: Event) => {
        e.preventDefault();
        openFrame(frame.path, frame.line);
      };
      return [nl, h("a", { class: "frame-link", href: "#", title: `Open ${frame.path}:${frame.line} in the IDE`, onclick: open }, text)];
    }),
  );
}

export function renderEvents(events: SpanEvent[], openFrame?: FrameOpener): HTMLElement {
  if (events.length === 0) return h("div", { class: "muted" }, "No events.");
  return h(
    "div",
    { class: "events" },
    events.map((ev) => {
      const attrs = { ...ev.attributes };
      const isException = ev.name === "exception";
      const type = isException ? jsonText(attrs["exception.type"]) : "";
      const message = isException ? jsonText(attrs["exception.message"]) : "";
      const stack = isException ? jsonText(attrs["exception.stacktrace"]) : "";
      if (isException) {
        delete attrs["exception.type"];
        delete attrs["exception.message"];
        delete attrs["exception.stacktrace"];
      }
      return h(
        "div",
        { class: `event${isException ? " event-exception" : ""}` },
        h("div", { class: "event-head" }, h("span", { class: "event-name" }, ev.name), h("span", { class: "muted" }, formatTime(ev.timeMs))),
        isException && (type || message)
          ? textPreview(type && message ? `${type}: ${message}` : type || message, { tag: "div", className: "exception-message" })
          : null,
        stack ? renderStack(stack, openFrame) : null,
        Object.keys(attrs).length ? renderAttributes(attrs) : null,
      );
    }),
  );
}

/** Whether an assessment judges the whole trace: logged without a span, or on a span this trace does not have. */
export function isTraceLevel(a: Assessment, hasSpan: (id: string) => boolean): boolean {
  return !a.spanId || !hasSpan(a.spanId);
}

/**
 * The assessments a span's detail shows: those on that span, and on a root span the trace's own, so that a
 * trace-level judgement is not repeated under every span.
 */
export function assessmentsOfSpan(assessments: readonly Assessment[], spanId: string, isRoot: boolean, hasSpan: (id: string) => boolean): Assessment[] {
  return assessments.filter((a) => (isTraceLevel(a, hasSpan) ? isRoot : a.spanId === spanId));
}

/** Text kept to one line and cut with an ellipsis (styles.css), the whole of it in the tooltip. */
function oneLine(cls: string, ...content: (HTMLElement | string)[]): HTMLElement {
  const el = h("span", { class: `one-line ${cls}` }, ...content);
  el.title = el.textContent ?? "";
  return el;
}

/** The write actions of an assessments section (null: none offered, e.g. the list's preview). */
export interface AssessmentActions {
  /** Why assessments cannot be written here (a local store, a server before 3.2), or null when they can. */
  disabledReason: string | null;
  add(kind: AssessmentKind): void;
  edit(a: Assessment): void;
  remove(a: Assessment): void;
  override(a: Assessment): void;
}

export function renderAssessments(assessments: Assessment[], md?: MarkdownRenderer, emptyText?: string, actions?: AssessmentActions | null): HTMLElement {
  const off = actions?.disabledReason ?? null;
  const button = (label: string, cls: string, title: string, run: () => void, ariaLabel?: string) => {
    const b = h("vscode-button", { secondary: true, class: cls, title: off ?? title, "aria-label": ariaLabel ?? null, disabled: off !== null }, label);
    b.addEventListener("click", run);
    return b;
  };
  // A row's actions are links, not buttons: three buttons a row would squeeze the rationale to a word a line.
  const link = (label: string, cls: string, title: string, run: () => void, ariaLabel: string) => {
    const b = h("button", { type: "button", class: `link ${cls}`, title, "aria-label": ariaLabel }, label);
    b.addEventListener("click", run);
    return b;
  };
  const toolbar = actions
    ? h(
        "div",
        { class: "assessment-toolbar" },
        button("Add feedback", "add-feedback", "Add a judgement of this span or trace: yes/no, a number, a text or a category", () => actions.add("feedback")),
        button("Add expectation", "add-expectation", "Add the expected answer (ground truth) for this span or trace", () => actions.add("expectation")),
        off ? h("span", { class: "muted assessment-readonly" }, off) : null,
      )
    : null;
  if (assessments.length === 0)
    return h(
      "div",
      {},
      toolbar,
      h("div", { class: "muted" }, emptyText ?? "No assessments. Log feedback or expectations with mlflow.log_feedback / mlflow.log_expectation."),
    );
  // Read-only: the toolbar says why once; rows carry no dead links.
  const editable = actions && off === null ? actions : null;
  const rowActions = (a: Assessment) =>
    editable
      ? h(
          "td",
          { class: "assessment-actions" },
          canOverride(a)
            ? link(
                "Override",
                "assessment-override",
                "Replace this feedback with yours; MLflow keeps it, marked overridden",
                () => editable.override(a),
                `Override ${a.name}`,
              )
            : null,
          canEdit(a) ? link("Edit", "assessment-edit", "Change the value or the rationale", () => editable.edit(a), `Edit ${a.name}`) : null,
          link("Delete", "assessment-delete", "Delete this assessment", () => editable.remove(a), `Delete ${a.name}`),
        )
      : null;
  const table = h(
    "table",
    { class: "assessments" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Name", "Value", "Rationale", "Source", editable ? "" : null].filter((t) => t !== null).map((t) => h("th", {}, t)),
      ),
    ),
    h(
      "tbody",
      {},
      assessments.map((a) =>
        h(
          "tr",
          { class: a.valid ? null : "overridden", "data-assessment-id": a.assessmentId },
          h(
            "td",
            { class: "assessment-name" },
            oneLine("", a.name, h("span", { class: "muted kind" }, ` ${a.kind}`), a.valid ? "" : h("span", { class: "badge overridden-badge" }, "overridden")),
          ),
          h("td", { class: "assessment-value" }, a.error ? `error: ${a.error.message ?? a.error.code ?? ""}` : jsonText(a.value ?? null)),
          h("td", { class: "rationale" }, a.rationale ? (md ? md(a.rationale) : a.rationale) : ""),
          h("td", { class: "assessment-source" }, oneLine("muted", [a.sourceType, a.sourceId].filter(Boolean).join(" · "))),
          rowActions(a),
        ),
      ),
    ),
  );
  return toolbar ? h("div", {}, toolbar, table) : table;
}

function parsed(v: JsonValue | string | undefined | null): JsonValue | null {
  if (typeof v !== "string") return v ?? null;
  try {
    return JSON.parse(v) as JsonValue;
  } catch {
    return v;
  }
}

function num(o: JsonValue | null, key: string): number | null {
  if (!o || typeof o !== "object" || Array.isArray(o)) return null;
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export interface UsageInfo {
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
  cacheReadTokens: number | null;
  inputCost: number | null;
  outputCost: number | null;
  totalCost: number | null;
  model: string | null;
  provider: string | null;
}

/**
 * Tokens, cost and model of a span (mlflow.chat.tokenUsage, mlflow.llm.cost, mlflow.llm.model/provider) or a trace's metadata
 * (mlflow.trace.tokenUsage/cost).
 */
export function usageInfo(source: Record<string, JsonValue | string>, trace = false): UsageInfo | null {
  const tokens = parsed(source[trace ? "mlflow.trace.tokenUsage" : "mlflow.chat.tokenUsage"]);
  const cost = parsed(source[trace ? "mlflow.trace.cost" : "mlflow.llm.cost"]);
  const str = (k: string) => {
    const v = parsed(source[k]);
    return typeof v === "string" && v ? v : null;
  };
  const info: UsageInfo = {
    inputTokens: num(tokens, "input_tokens"),
    outputTokens: num(tokens, "output_tokens"),
    totalTokens: num(tokens, "total_tokens"),
    cacheReadTokens: num(tokens, "cache_read_input_tokens"),
    inputCost: num(cost, "input_cost"),
    outputCost: num(cost, "output_cost"),
    totalCost: num(cost, "total_cost"),
    model: trace ? null : str("mlflow.llm.model"),
    provider: trace ? null : str("mlflow.llm.provider"),
  };
  return Object.values(info).some((v) => v !== null) ? info : null;
}

/** USD with enough digits for sub-cent LLM costs. */
export function formatCost(usd: number | null): string {
  if (usd === null) return "-";
  if (usd === 0) return "$0";
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toPrecision(3)}`;
}

export function usageText(u: UsageInfo): string {
  const parts: string[] = [];
  const tok = [
    u.inputTokens !== null ? `${formatNumber(u.inputTokens)} in` : null,
    u.outputTokens !== null ? `${formatNumber(u.outputTokens)} out` : null,
    u.cacheReadTokens ? `${formatNumber(u.cacheReadTokens)} cache read` : null,
    u.totalTokens !== null ? `${formatNumber(u.totalTokens)} total` : null,
  ].filter(Boolean);
  if (tok.length) parts.push(`Tokens ${tok.join(" · ")}`);
  if (u.totalCost !== null || u.inputCost !== null)
    parts.push(
      `Cost ${formatCost(u.totalCost)}` +
        `${u.inputCost !== null && u.outputCost !== null ? ` (${formatCost(u.inputCost)} in, ${formatCost(u.outputCost)} out)` : ""}`,
    );
  if (u.model || u.provider) parts.push(`Model ${[u.model, u.provider ? `(${u.provider})` : null].filter(Boolean).join(" ")}`);
  return parts.join("  ·  ");
}

/** Detail pane body for one span; `assessments` are this span's (assessmentsOfSpan), `noAssessments` says why there are none. */
export function renderSpanDetail(
  span: Span,
  payload: SpanPayload | null,
  assessments: Assessment[],
  window: TraceWindow,
  loadingPayload: string | null,
  options: {
    md?: MarkdownRenderer;
    openFrame?: FrameOpener;
    noAssessments?: string;
    actions?: ValueActions;
    detached?: string | null;
    assessmentActions?: AssessmentActions | null;
  } = {},
): HTMLElement {
  const { md, openFrame, actions } = options;
  const head = h(
    "div",
    { class: "detail-head" },
    h("div", { class: "detail-title" }, h("span", { class: `type-label type-${span.spanType.toLowerCase()}` }, spanTypeLabel(span.spanType)), " ", span.name),
    h(
      "div",
      { class: "detail-meta muted" },
      h("span", { class: isError(span.status) ? "badge badge-error" : "badge badge-ok" }, span.status || "UNSET"),
      " ",
      durationWithWarning(span.durationMs),
      ` · starts at +${formatDuration(span.startMs - window.startMs)} · self ${formatDuration(span.selfTimeMs)} · span ${span.spanId}`,
      span.onCriticalPath ? " · critical path" : "",
    ),
    options.detached ? h("div", { class: "detail-warning" }, h("span", { class: "warning-mark", "aria-hidden": "true" }, "⚠"), ` ${options.detached}`) : null,
    span.statusMessage ? textPreview(span.statusMessage, { tag: "div", className: "status-message" }) : null,
  );
  const body: HTMLElement[] = [head];
  if (loadingPayload !== null) {
    body.push(h("div", { class: loadingPayload ? "error-text" : "muted" }, loadingPayload || "Loading inputs and outputs…"));
  } else if (payload) {
    const usage = usageInfo(payload.attributes);
    if (usage) body.push(h("div", { class: "usage-info" }, usageText(usage)));
    body.push(section("Inputs", renderValue(payload.inputs, md, { part: "inputs", spanName: span.name, actions })));
    body.push(section("Outputs", renderValue(payload.outputs, md, { part: "outputs", spanName: span.name, actions })));
    const attributesBar = Object.keys(payload.attributes).length
      ? valueBar(payload.attributes, "attributes", fileNameFor(span.name, "attributes", payload.attributes), actions)
      : null;
    body.push(section("Attributes", attributesBar, renderAttributes(payload.attributes)));
    body.push(section(`Events (${payload.events.length})`, renderEvents(payload.events, openFrame)));
  }
  body.push(section(`Assessments (${assessments.length})`, renderAssessments(assessments, md, options.noAssessments, options.assessmentActions)));
  return h("div", { class: "span-detail" }, body);
}

/** Where the name a user writes assessments by is kept (SettingsStore). */
const SOURCE_KEY = "assessments.source";

export class TraceViewer {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly findInput: HTMLInputElement;
  private readonly treeScroller: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly message: HTMLElement;
  private readonly summary: HTMLElement;
  /** Whether the summary is open: kept from one trace to the next (the reader chose it). */
  private summaryOpen = false;
  private readonly list: VirtualList;
  /** The timeline's view (zoom, pan) and the spans' filter, with their controls. */
  private readonly timeline = new TimelineControls();

  private trace: TracesGetResult | null = null;
  private tree: SpanTree | null = null;
  private rows: Span[] = [];
  private selected: string | null = null;
  private readonly payloads = new Map<string, SpanPayload>();
  private payloadAbort: AbortController | null = null;
  private loadAbort: AbortController | null = null;
  private payloadState: string | null = null;
  onClose: (() => void) | null = null;
  /** A span was selected (the trace tab keeps it across reloads). */
  onSelect: ((spanId: string) => void) | null = null;
  /** `n` / `p`: open the next / previous trace of the list. */
  onNavigate: ((delta: 1 | -1) => void) | null = null;
  /** A trace's assessments changed here (the list shows them in its rows). */
  onAssessmentsChanged: ((traceId: string, assessments: Assessment[]) => void) | null = null;
  /** Why assessments cannot be written (session/info decides), or null when they can. */
  private writeBlocked: string | null = "Checking whether this backend can store assessments…";
  private userName: string | null = null;
  /** Why tags cannot be written here (session/info decides), or null when they can. */
  private tagsBlocked: string | null = null;
  /** A trace's tags changed here (the list shows them in its rows). */
  onTagsChanged: ((traceId: string, tags: Record<string, string>) => void) | null = null;
  private readonly settings: SettingsStore | undefined;
  private readonly md: MarkdownRenderer;
  private readonly mode: "ide" | "browser";
  private flashTimer: ReturnType<typeof setTimeout> | null = null;

  /** A trace tab of its own: nothing to close back to, no list to step through. */
  private readonly standalone: boolean;

  constructor(
    private readonly transport: Transport,
    options: { mode?: "ide" | "browser"; markdown?: MarkdownRenderer; standalone?: boolean; openInTab?: boolean; settings?: SettingsStore } = {},
  ) {
    this.md = options.markdown ?? markdownRenderer(transport);
    this.settings = options.settings;
    this.mode = options.mode ?? "browser";
    this.standalone = options.standalone ?? false;
    this.title = h("div", { class: "viewer-title" });
    // A trace tab has nothing to close back to (the tab's own ✕ closes it).
    const close = this.standalone ? null : h("vscode-button", { secondary: true, class: "close", title: "Close (Escape)", "aria-label": "Close trace" }, "✕");
    close?.addEventListener("click", () => this.close());
    const copy = h("vscode-button", { secondary: true, class: "copy-id", title: "Copy the trace ID" }, "Copy ID");
    copy.addEventListener("click", () => void this.copyTraceId());
    // In an IDE's side panel: the trace in an editor tab of its own, beside the code.
    const inTab = options.openInTab
      ? h("vscode-button", { secondary: true, class: "open-in-tab", title: "Open this trace in an editor tab" }, "Open in Tab")
      : null;
    inTab?.addEventListener("click", () => void this.openInTab());
    // Shown when the page can compare (app.ts sets onCompareWith): compare-view.ts.
    this.compareWithButton = h(
      "vscode-button",
      { secondary: true, class: "compare-with", title: "Compare this trace with another of the list (c)", hidden: true },
      "Compare with…",
    );
    this.compareWithButton.addEventListener("click", () => this.compareWithHandler?.());
    this.findInput = h("input", { class: "span-find", type: "search", placeholder: "Find span  ( / )", "aria-label": "Find span" });
    this.findInput.addEventListener("input", () => {
      this.timeline.setName(this.findInput.value);
      this.refreshRows(true);
    });
    this.findInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === "ArrowDown") {
        e.preventDefault();
        this.treeScroller.focus();
      }
    });
    this.treeScroller = h("div", { class: "span-scroller", role: "tree", tabindex: "0", "aria-label": "Spans" });
    this.list = new VirtualList(this.treeScroller, {
      rowHeight: SPAN_ROW_HEIGHT,
      overscan: 10,
      headerHeight: TIMELINE_HEAD_HEIGHT,
      renderRow: (i) => this.renderSpanRow(i),
    });
    this.treeScroller.insertBefore(this.timeline.head, this.list.body);
    this.treeScroller.insertBefore(this.timeline.empty, this.list.body);
    this.timeline.onClearName = () => (this.findInput.value = "");
    this.timeline.onViewChange = () => this.list.render();
    this.timeline.onFilterChange = () => this.refreshRows(false);
    this.treeScroller.addEventListener("keydown", (e) => this.onTreeKey(e));
    // Ctrl + wheel over the rows' bars zooms there; the header has its own (a plain wheel zooms on it).
    this.treeScroller.addEventListener(
      "wheel",
      (e) => {
        const target = e.target as Element | null;
        if (target?.closest(".timeline") && !target.closest(".span-head")) this.timeline.onWheel(e);
      },
      { passive: false },
    );
    this.detail = h("div", { class: "detail-pane", tabindex: "-1" });
    this.message = h("div", { class: "viewer-message", hidden: true });
    this.summary = h("div", { class: "trace-summary-slot" });
    const split = h(
      "div",
      { class: "viewer-split" },
      h("div", { class: "tree-pane" }, this.timeline.tools, h("div", { class: "span-scroll-box" }, this.treeScroller)),
    );
    split.append(new Splitter(split, options.settings).element, this.detail);

    this.element = h(
      "section",
      { class: "trace-viewer", hidden: true, "aria-label": "Trace viewer" },
      h("div", { class: "viewer-bar" }, this.title, this.findInput, copy, this.compareWithButton, inTab, close),
      this.summary,
      this.message,
      split,
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        if (this.standalone && !(e.target === this.findInput && this.findInput.value)) return;
        e.preventDefault();
        if (e.target === this.findInput && this.findInput.value) {
          this.findInput.value = "";
          this.refreshRows(false);
          return;
        }
        this.close();
      } else if (e.key === "/" && e.target !== this.findInput) {
        e.preventDefault();
        this.findInput.focus();
      } else if ((e.key === "n" || e.key === "p") && !this.standalone && !isTextInput(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        this.onNavigate?.(e.key === "n" ? 1 : -1);
      } else if (e.key === "Enter" && e.target === this.treeScroller) {
        e.preventDefault();
        void this.jumpToSource();
      } else if (!isTextInput(e.target) && this.tree && this.timeline.handleKey(e)) {
        e.preventDefault();
      } else if (e.key === "z" && !isTextInput(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey && this.selected && this.tree) {
        e.preventDefault();
        this.timeline.zoomToSpan(this.tree.byId.get(this.selected)!);
      }
    });
  }

  get traceId(): string | null {
    return this.trace?.info.traceId ?? this.loadingId;
  }

  private readonly compareWithButton: HTMLElement;
  private compareWithHandler: (() => void) | null = null;
  /** "Compare with…": shown when set. */
  set onCompareWith(handler: (() => void) | null) {
    this.compareWithHandler = handler;
    this.compareWithButton.hidden = handler === null;
  }

  /** The selected span (the address bar and a trace tab keep it). */
  get selectedSpanId(): string | null {
    return this.selected;
  }
  private loadingId: string | null = null;

  /** A short message under the viewer bar that goes away by itself. */
  flash(text: string): void {
    this.setMessage(text);
    if (this.flashTimer) clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      if (this.message.textContent === text) this.setMessage(null);
    }, 4000);
  }

  /**
   * Enter on a span: `ide/openSpanSource` — the IDE asks the host's `source/locate` and opens the clear winner or
   * lets the user choose; browser mode answers that it needs an IDE. The answer, or the error, is shown here.
   */
  jumpToSource(): Promise<void> {
    if (!this.trace || !this.selected) return Promise.resolve();
    const span = this.tree!.byId.get(this.selected)!;
    return this.askIde("ide/openSpanSource", sourceHint(span, this.payloads.get(span.spanId) ?? null, this.trace.info), `the source of ${span.name}`);
  }

  /** Stack frames are links in an IDE: it maps the deployed path to the workspace (host `source/mapPath`). */
  private frameOpener(): FrameOpener | undefined {
    if (this.mode !== "ide") return undefined;
    return (path, line) => void this.askIde("ide/openFile", { path, line, mapToWorkspace: true }, `${path}:${line}`);
  }

  /** Sends an open request to the IDE and says what came of it under the viewer bar. */
  private async askIde<M extends "ide/openSpanSource" | "ide/openFile">(method: M, params: ParamsOf<M>, what: string): Promise<void> {
    this.flash(`Opening ${what}…`);
    try {
      const r: IdeOpenedResult = await this.transport.request(method, params);
      this.flash(r.opened ? `Opened ${r.path ? `${r.path}${r.line ? `:${r.line}` : ""}` : what}.` : `Did not open ${what}.`);
    } catch (err) {
      this.flash(RpcError.from(err).message);
    }
  }

  /** The open trace in an editor tab of its own (`ide/openTrace`), with the selected span. */
  async openInTab(): Promise<void> {
    const id = this.traceId;
    if (!id) return;
    try {
      await this.transport.request("ide/openTrace", { traceId: id, spanId: this.selected });
    } catch (err) {
      this.flash(`Could not open the trace in a tab: ${RpcError.from(err).message}`);
    }
  }

  /**
   * Copy and Open of a whole span value, both through the IDE contract: `ide/copy` (the IDE's clipboard, or the
   * browser's) and `ide/openText` (a read-only editor in VS Code, a file opened in Visual Studio, a download in a
   * browser, where a page cannot open an editor).
   */
  private get valueActions(): ValueActions {
    const inIde = this.mode === "ide";
    return {
      copy: (text, what) => {
        this.transport.request("ide/copy", { text }).then(
          () => this.flash(`Copied the ${what}.`),
          (err) => this.flash(`Could not copy the ${what}: ${RpcError.from(err).message}`),
        );
      },
      open: {
        label: inIde ? "Open in Editor" : "Save",
        run: (text, fileName) => {
          const language = fileName.endsWith(".json") ? IdeTextLanguages.json : IdeTextLanguages.plainText;
          this.transport.request("ide/openText", { text, fileName, language }).then(
            () => this.flash(inIde ? `Opened ${fileName} in an editor.` : `Saved ${fileName} to your downloads.`),
            (err) => this.flash(`Could not open ${fileName}: ${RpcError.from(err).message}`),
          );
        },
      },
    };
  }

  /** Copy ID: the trace's ID on the clipboard, through the IDE (or the browser). */
  async copyTraceId(): Promise<void> {
    const id = this.traceId;
    if (!id) return;
    try {
      await this.transport.request("ide/copy", { text: id });
      this.flash(`Copied ${id}.`);
    } catch (err) {
      this.flash(`Could not copy: ${RpcError.from(err).message}`);
    }
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  close(): void {
    this.loadAbort?.abort();
    this.payloadAbort?.abort();
    this.element.hidden = true;
    this.trace = null;
    this.onClose?.();
  }

  /**
   * Opens a trace: fetch, then paint the tree. Resolves once the tree is in the DOM. Given only an ID (a trace
   * tab), the title comes with the trace; `spanId` is selected when the trace has it.
   */
  async open(summary: TraceSummary | { traceId: string }, options: { spanId?: string | null } = {}): Promise<void> {
    this.loadAbort?.abort();
    this.payloadAbort?.abort();
    const abort = (this.loadAbort = new AbortController());
    this.element.hidden = false;
    this.trace = null;
    this.loadingId = summary.traceId;
    this.payloads.clear();
    this.selected = null;
    this.findInput.value = "";
    this.timeline.setName("");
    clear(this.title);
    this.summary.replaceChildren();
    if ("state" in summary) this.paintTitle(summary);
    else this.title.append(h("span", { class: "viewer-name" }, summary.traceId));
    this.setMessage("Loading trace…");
    this.rows = [];
    this.list.setRowCount(0);
    clear(this.detail);
    try {
      // Marks for the benchmarks' breakdown of "click → painted" (fetch vs. building the rows).
      const fetchStart = performance.now();
      const first = await this.transport.request("traces/get", { traceId: summary.traceId, maxSpans: FIRST_SCREEN_SPANS }, abort.signal);
      if (abort.signal.aborted) return;
      const showStart = performance.now();
      if (!("state" in summary)) this.paintTitle(first.info);
      this.show(first, options.spanId);
      performance.clearMeasures(); // only the last open's: a long-lived panel must not pile them up
      performance.measure("traceide:traces/get", { start: fetchStart, end: showStart });
      performance.measure("traceide:show-trace", { start: showStart });
      if (!(first.totalSpans > first.spans.length)) return; // also a host before protocol 1.3 (no totalSpans)
      // A big trace: its head is painted; the rest comes from what the host has just read.
      const restStart = performance.now();
      const headSelection = this.selected;
      try {
        const all = await this.transport.request("traces/get", { traceId: summary.traceId }, abort.signal);
        if (abort.signal.aborted) return;
        this.showRest(all);
        // The span asked for was beyond the head: select it now, unless the user has chosen another meanwhile.
        if (options.spanId && this.selected === headSelection && this.selected !== options.spanId && this.tree!.byId.has(options.spanId))
          this.select(options.spanId);
        performance.measure("traceide:rest-of-trace", { start: restStart });
      } catch (err) {
        const e = RpcError.from(err);
        if (e.isCancelled) return;
        this.setMessage(
          `Showing the first ${first.spans.length} of ${first.totalSpans} spans: the rest could not be loaded (${e.message}). ` +
            "Close and open the trace to retry.",
          true,
        );
      }
    } catch (err) {
      const e = RpcError.from(err);
      if (e.isCancelled) return;
      this.setMessage(`Could not open the trace: ${e.message}`, true);
    }
  }

  private paintTitle(summary: TraceSummary): void {
    clear(this.title);
    const usage = usageInfo(summary.metadata, true);
    // An unnamed trace (OTLP without a root name) is called by its ID: then the ID is not repeated after it.
    this.title.append(
      h("span", { class: "viewer-name" }, summary.name || summary.traceId),
      " ",
      stateBadge(summary.state),
      h("span", { class: "muted" }, summary.name ? ` ${summary.traceId} · ` : " "),
      h("span", { class: "muted" }, durationWithWarning(summary.durationMs)),
    );
    if (usage) this.title.append(h("span", { class: "muted trace-usage" }, ` · ${usageText(usage)}`));
    this.paintSummary(summary);
  }

  /**
   * The summary over the tree: the trace at a glance, its tags with the editor, and once the spans are here, the
   * conversation of a chat trace. Painted again when the trace or its tags change; kept open or closed as it was.
   */
  private paintSummary(info: TraceSummary): void {
    const editTags = this.tagsBlocked === null ? () => openTagEditor(this.element, this.transport, info, () => this.tagsEdited(info)) : null;
    const details = renderTraceSummary(info, this.summaryOpen, { editTags, tagsBlocked: this.tagsBlocked, conversation: this.conversationSlot() });
    details.addEventListener("toggle", () => (this.summaryOpen = details.open));
    this.summary.replaceChildren(details);
  }

  private tagsEdited(info: TraceSummary): void {
    this.onTagsChanged?.(info.traceId, info.tags);
    if (this.trace?.info === info) this.paintSummary(info);
  }

  /**
   * A chat trace's conversation: its last chat call (LLM or CHAT_MODEL span) holds what was said before it, and
   * its answer ends it. Read on request: that span's payload is one `spans/get` when the trace came without them.
   */
  private conversationSlot(): HTMLElement | null {
    const spans = this.trace?.spans ?? [];
    let last: Span | null = null;
    for (const s of spans) {
      if (!/^(LLM|CHAT_MODEL)$/i.test(s.spanType ?? "") || !Number.isFinite(s.startMs)) continue;
      const end = s.startMs + Math.max(0, Number.isFinite(s.durationMs) ? (s.durationMs ?? 0) : 0);
      if (!last || end >= last.startMs + Math.max(0, last.durationMs ?? 0)) last = s;
    }
    if (!last) return null;
    const span = last;
    const slot = h("div", { class: "summary-conversation" });
    const show = h(
      "button",
      { class: "link", type: "button", title: `The messages of ${span.name}, the trace's last chat call, and its answer` },
      "Show the conversation",
    );
    show.addEventListener("click", () => void this.showConversation(span, slot));
    slot.append(show);
    return slot;
  }

  private async showConversation(span: Span, slot: HTMLElement): Promise<void> {
    const traceId = this.trace?.info.traceId;
    if (!traceId) return;
    slot.replaceChildren(h("span", { class: "muted" }, "Loading the conversation…"));
    try {
      let payload = this.payloads.get(span.spanId) ?? null;
      if (!payload && !this.trace!.payloadsIncluded) {
        payload = (await this.transport.request("spans/get", { traceId, spanIds: [span.spanId] })).payloads[span.spanId] ?? null;
        if (payload) this.payloads.set(span.spanId, payload);
      }
      if (this.trace?.info.traceId !== traceId) return;
      const messages = [...(detectChat(payload?.inputs) ?? []), ...(detectChat(payload?.outputs) ?? [])];
      slot.replaceChildren(
        messages.length ? renderChat(messages, this.md) : h("span", { class: "muted" }, `${span.name}, the trace's last chat call, holds no chat messages.`),
      );
    } catch (err) {
      slot.replaceChildren(h("span", { class: "error-text" }, `Could not read the conversation: ${RpcError.from(err).message}`));
    }
  }

  /** Shows an already-fetched trace (also used by tests), with `spanId` selected when it has it (else the first span). */
  show(result: TracesGetResult, spanId?: string | null): void {
    this.element.hidden = false;
    this.useTrace(result, false);
    this.refreshRows(false);
    const wanted = spanId ? this.tree!.byId.get(spanId) : undefined;
    if (wanted) {
      for (let p = this.tree!.parentOf(wanted.spanId); p; p = this.tree!.parentOf(p.spanId)) this.tree!.collapsed.delete(p.spanId);
      this.refreshRows(false);
    }
    const first = wanted ?? this.rows[0];
    if (first) this.select(first.spanId);
    else this.paintDetail(); // no spans: the trace's own assessments
    // Take the keyboard only when this page has it: a trace panel restored in the background (a window
    // reload) must not pull the focus, and the next Enter, out of the editor the user is typing in.
    if (this.element.ownerDocument.hasFocus()) this.treeScroller.focus({ preventScroll: true });
  }

  /**
   * The rest of a big trace after its head (the same trace, every span): the view keeps its selection, collapsed
   * spans, filter and scroll position, and the detail pane is left as it is.
   */
  private showRest(result: TracesGetResult): void {
    const collapsed = this.tree?.collapsed ?? new Set<string>();
    this.useTrace(result, true);
    for (const id of collapsed) this.tree!.collapsed.add(id);
    this.refreshRows(false);
  }

  /**
   * The model of a fetched trace (its tree, time window and inline payloads) and the status line over it.
   * `sameTrace`: the rest of a big trace after its head, which keeps the zoom and the filter.
   */
  private useTrace(result: TracesGetResult, sameTrace: boolean): void {
    this.trace = result;
    this.tree = new SpanTree(result.spans);
    if (!sameTrace) this.paintSummary(result.info);
    this.timeline.setTrace(result.spans, traceWindow(result.spans, result.info.durationMs), sameTrace);
    for (const s of result.spans) if (s.payload) this.payloads.set(s.spanId, s.payload);
    this.setMessage(this.statusText(result));
    this.treeScroller.setAttribute("data-span-count", String(result.spans.length));
    this.element.classList.toggle("no-spans", result.spans.length === 0); // the trace's own assessments take the width
  }

  private statusText(result: TracesGetResult): string | null {
    if (result.spans.length === 0) {
      return result.warnings.length
        ? `Warnings: ${warningsText(result.warnings)}`
        : "This trace has no spans (it may still be running). Close and refresh the list later.";
    }
    const parts = [];
    if (result.totalSpans > result.spans.length) parts.push(`Showing the first ${result.spans.length} of ${result.totalSpans} spans; loading the rest…`);
    if (result.warnings.length) parts.push(`Warnings: ${warningsText(result.warnings)}`);
    return parts.length ? parts.join(" ") : null;
  }

  private setMessage(text: string | null, error = false): void {
    this.message.textContent = text ?? "";
    this.message.hidden = text === null;
    this.message.classList.toggle("error-text", error);
  }

  private refreshRows(fromFind: boolean): void {
    if (!this.tree) return;
    this.rows = this.tree.visible(this.timeline.filter);
    this.list.setRowCount(this.rows.length);
    this.timeline.setRows(this.rows, this.tree.byId.size);
    if (fromFind && this.findInput.value.trim()) {
      const q = this.findInput.value.trim().toLowerCase();
      const match = this.rows.find((s) => s.name.toLowerCase().includes(q));
      if (match) this.select(match.spanId, false);
    }
  }

  private renderSpanRow(i: number): HTMLElement {
    const s = this.rows[i]!;
    const tree = this.tree!;
    const hasKids = tree.hasChildren(s.spanId);
    const collapsed = tree.collapsed.has(s.spanId);
    const toggle = h("span", { class: "twisty" }, hasKids ? (collapsed ? "▸" : "▾") : "");
    toggle.addEventListener("click", (e) => {
      e.stopPropagation();
      if (hasKids) this.toggle(s.spanId);
    });
    const bar = barGeometry(s.startMs, s.durationMs, this.timeline.view);
    const barEl = h("div", {
      class: `bar type-colour-${typeColour(s.spanType)}${s.onCriticalPath ? " critical" : ""}${isError(s.status) ? " bar-error" : ""}`,
      hidden: !!bar.offscreen,
    });
    barEl.style.left = `${bar.leftPct}%`;
    barEl.style.width = `${bar.widthPct}%`;
    // Zoomed in, a span wholly outside the view leaves a mark on the edge it lies beyond.
    const edge = bar.offscreen
      ? h("span", { class: `offscreen offscreen-${bar.offscreen}`, "aria-hidden": "true" }, bar.offscreen === "left" ? "‹" : "›")
      : null;
    const depth = tree.depth(s);
    const indent = indentOf(depth);
    const detached = tree.detachedReason(s.spanId);
    const detachedText = detached ? detachedWarning(tree, s, detached) : null;
    const label = h(
      "div",
      { class: "span-label" },
      indent.badge ? h("span", { class: "depth-badge", title: `Depth ${depth}` }, indent.badge) : null,
      toggle,
      h("span", { class: `type-label type-${s.spanType.toLowerCase()}` }, spanTypeLabel(s.spanType)),
      h("span", { class: "span-name" }, s.name),
      detachedText ? h("span", { class: "warning-mark", title: detachedText, "aria-label": detachedText, role: "img" }, "⚠") : null,
      isError(s.status) ? h("span", { class: "badge badge-error" }, "ERROR") : null,
    );
    label.style.setProperty("--indent", String(indent.levels));
    const row = h(
      "div",
      {
        class: `span-row${s.spanId === this.selected ? " selected" : ""}${s.onCriticalPath ? " on-critical" : ""}${this.isDimmed(s) ? " dimmed" : ""}`,
        role: "treeitem",
        "data-span-id": s.spanId,
        "data-status": s.status,
        "aria-level": depth + 1,
        "aria-expanded": hasKids ? String(!collapsed) : null,
        "aria-selected": String(s.spanId === this.selected),
      },
      label,
      // Most rows' durations are fine: plain text, one element fewer per row while scrolling.
      h("div", { class: "span-duration" }, durationProblem(s.durationMs) ? durationWithWarning(s.durationMs) : formatDuration(s.durationMs)),
      h("div", { class: "timeline" }, barEl, edge),
    );
    const problems = [detachedText, durationProblem(s.durationMs)].filter(Boolean).join(" ");
    row.title =
      `${s.name} · ${s.spanType} · ${formatDuration(s.durationMs)}${depth > INDENTED_LEVELS ? ` · depth ${depth}` : ""}` +
      `${s.onCriticalPath ? " · critical path" : ""}${problems ? `\n${problems}` : ""}`;
    row.addEventListener("click", () => this.select(s.spanId));
    return row;
  }

  /** A row the filter does not keep but shows all the same: dimmed in place, or an ancestor that holds a match. */
  private isDimmed(s: Span): boolean {
    return isFiltering(this.timeline.filter) && !spanMatches(s, this.timeline.filter);
  }

  private toggle(id: string, expand?: boolean): void {
    const tree = this.tree!;
    const collapse = expand === undefined ? !tree.collapsed.has(id) : !expand;
    if (collapse) tree.collapsed.add(id);
    else tree.collapsed.delete(id);
    this.refreshRows(false);
  }

  private onTreeKey(e: KeyboardEvent): void {
    if (!this.tree || this.rows.length === 0) return;
    if (e.shiftKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) return; // pans the timeline (TimelineControls.handleKey)
    const index = Math.max(
      0,
      this.rows.findIndex((s) => s.spanId === this.selected),
    );
    const cur = this.rows[index]!;
    switch (e.key) {
      case "ArrowDown":
        this.select(this.rows[Math.min(this.rows.length - 1, index + 1)]!.spanId);
        break;
      case "ArrowUp":
        this.select(this.rows[Math.max(0, index - 1)]!.spanId);
        break;
      case "ArrowLeft":
        if (this.tree.hasChildren(cur.spanId) && !this.tree.collapsed.has(cur.spanId)) this.toggle(cur.spanId, false);
        else {
          const parent = this.tree.parentOf(cur.spanId);
          if (parent) this.select(parent.spanId);
        }
        break;
      case "ArrowRight":
        if (this.tree.hasChildren(cur.spanId)) {
          if (this.tree.collapsed.has(cur.spanId)) this.toggle(cur.spanId, true);
          else this.select(this.rows[Math.min(this.rows.length - 1, index + 1)]!.spanId);
        }
        break;
      case "Home":
        this.select(this.rows[0]!.spanId);
        break;
      case "End":
        this.select(this.rows[this.rows.length - 1]!.spanId);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  select(spanId: string, reveal = true): void {
    if (!this.trace || !this.tree) return;
    const span = this.tree.byId.get(spanId);
    if (!span) return;
    this.selected = spanId;
    this.onSelect?.(spanId);
    const index = this.rows.findIndex((s) => s.spanId === spanId);
    if (reveal && index >= 0) this.list.reveal(index);
    else this.list.render();
    this.payloadAbort?.abort();
    this.payloadState = null;
    const payload = this.payloads.get(spanId) ?? null;
    if (!payload && !this.trace.payloadsIncluded) {
      this.payloadState = "";
      void this.fetchPayload(spanId);
    }
    this.paintDetail();
  }

  private async fetchPayload(spanId: string): Promise<void> {
    const abort = (this.payloadAbort = new AbortController());
    const traceId = this.trace!.info.traceId;
    try {
      const result = await this.transport.request("spans/get", { traceId, spanIds: [spanId] }, abort.signal);
      if (abort.signal.aborted || this.selected !== spanId) return;
      const p = result.payloads[spanId];
      if (p) this.payloads.set(spanId, p);
      this.payloadState = p ? null : "The host returned no inputs or outputs for this span.";
    } catch (err) {
      const e = RpcError.from(err);
      if (e.isCancelled || this.selected !== spanId) return;
      this.payloadState = `Could not load this span's inputs and outputs: ${e.message}`;
    }
    this.paintDetail();
  }

  // ---------------------------------------------------------------- writing assessments

  /**
   * What session/info says this backend lets the user write: a local store and a server before 3.2 keep the
   * Add / Edit / Delete buttons off, with the reason beside them, instead of failing after the dialog.
   */
  setWritable(info: { backendKind: string; capabilities?: { editAssessments?: boolean; editTags?: boolean } | null; userName?: string | null }): void {
    this.userName = info.userName ?? null;
    this.tagsBlocked =
      info.capabilities?.editTags !== false
        ? null
        : info.backendKind === "localStore"
          ? "Read-only: a local store cannot be changed here. Connect to a tracking server to edit tags."
          : "This tracking server cannot store trace tags.";
    if (this.trace) this.paintSummary(this.trace.info);
    this.writeBlocked = info.capabilities?.editAssessments
      ? null
      : info.backendKind === "localStore"
        ? "Read-only: a local store cannot be changed here. Connect to a tracking server to add assessments."
        : "This tracking server cannot store assessments (MLflow 3.2 or later can).";
    if (this.trace) this.paintDetail();
  }

  private assessmentActions(spanId: string | null, spanName: string | null): AssessmentActions {
    return {
      disabledReason: this.writeBlocked,
      add: (kind) => void this.addAssessment(kind, spanId, spanName),
      edit: (a) => void this.editAssessment(a),
      remove: (a) => void this.deleteAssessment(a),
      override: (a) => void this.overrideAssessment(a),
    };
  }

  /** The name a new assessment is written by: the one last used here, else the host's user (session/info). */
  private get sourceName(): string {
    return this.settings?.get<string>(SOURCE_KEY) ?? this.userName ?? "";
  }

  private async addAssessment(kind: AssessmentKind, spanId: string | null, spanName: string | null): Promise<void> {
    const traceId = this.trace?.info.traceId;
    if (!traceId) return;
    await assessmentDialog(this.element, {
      title: `Add ${kind} to ${spanName ? `span ${spanName}` : "this trace"}`,
      confirm: "Add",
      kind,
      askSource: true,
      sourceId: this.sourceName,
      submit: async (d) => {
        const r = await this.transport.request("assessments/create", {
          traceId,
          spanId,
          name: d.name,
          kind: d.kind,
          value: d.value,
          rationale: d.rationale || null,
          sourceId: d.sourceId,
        });
        this.settings?.set(SOURCE_KEY, d.sourceId);
        this.applyAssessments(traceId, (list) => withCreated(list, r.assessment), `Added ${d.kind} ${d.name}.`);
      },
    });
  }

  private async overrideAssessment(judged: Assessment): Promise<void> {
    const traceId = this.trace?.info.traceId;
    if (!traceId || !canOverride(judged)) return;
    await assessmentDialog(this.element, {
      title: `Override ${judged.name} (${[judged.sourceType, judged.sourceId].filter(Boolean).join(" · ")}: ${jsonText(judged.value ?? null)})`,
      confirm: "Override",
      name: judged.name,
      kind: "feedback",
      fixedNameAndKind: true,
      value: judged.value,
      askSource: true,
      sourceId: this.sourceName,
      submit: async (d) => {
        const r = await this.transport.request("assessments/create", {
          traceId,
          spanId: judged.spanId ?? null,
          name: judged.name,
          kind: "feedback",
          value: d.value,
          rationale: d.rationale || null,
          overrides: judged.assessmentId,
          sourceId: d.sourceId,
        });
        this.settings?.set(SOURCE_KEY, d.sourceId);
        this.applyAssessments(traceId, (list) => withCreated(list, r.assessment), `Overrode ${judged.name}; the earlier value is kept, marked overridden.`);
      },
    });
  }

  private async editAssessment(a: Assessment): Promise<void> {
    const traceId = this.trace?.info.traceId;
    if (!traceId) return;
    await assessmentDialog(this.element, {
      title: `Edit ${a.name}`,
      confirm: "Save",
      name: a.name,
      kind: a.kind === "expectation" ? "expectation" : "feedback",
      fixedNameAndKind: true,
      value: a.value,
      rationale: a.rationale,
      submit: async (d) => {
        // Only what changed goes in MLflow's update mask; an unchanged dialog sends nothing.
        const valueChanged = JSON.stringify(d.value) !== JSON.stringify(a.value ?? null);
        const rationaleChanged = d.rationale !== (a.rationale ?? "");
        if (!valueChanged && !rationaleChanged) return;
        const r = await this.transport.request("assessments/update", {
          traceId,
          assessmentId: a.assessmentId,
          kind: d.kind,
          value: valueChanged ? d.value : null,
          rationale: rationaleChanged ? d.rationale : null,
        });
        this.applyAssessments(traceId, (list) => withUpdated(list, r.assessment), `Saved ${a.name}.`);
      },
    });
  }

  private async deleteAssessment(a: Assessment): Promise<void> {
    const traceId = this.trace?.info.traceId;
    if (!traceId) return;
    const restores = a.overrides ? " The assessment it overrides becomes valid again." : "";
    const ok = await confirmDialog(
      this.element,
      `Delete ${a.name}?`,
      `This deletes the ${a.kind} "${a.name}"${a.sourceId ? ` by ${a.sourceId}` : ""} from the tracking server.${restores} It cannot be undone.`,
      "Delete",
    );
    if (!ok) return;
    try {
      await this.transport.request("assessments/delete", { traceId, assessmentId: a.assessmentId });
    } catch (err) {
      this.flash(`Could not delete ${a.name}: ${RpcError.from(err).message}`);
      return;
    }
    this.applyAssessments(traceId, (list) => withDeleted(list, a.assessmentId), `Deleted ${a.name}.`);
  }

  /** The trace's assessments after a write, as MLflow now holds them: painted, and told to the list. */
  private applyAssessments(traceId: string, change: (list: Assessment[]) => Assessment[], done: string): void {
    if (!this.trace || this.trace.info.traceId !== traceId) return;
    const assessments = change(this.trace.assessments);
    this.trace = { ...this.trace, assessments, info: { ...this.trace.info, assessments } };
    this.paintDetail();
    this.detail.focus({ preventScroll: true }); // the button that was pressed is gone with the repaint
    this.flash(done);
    this.onAssessmentsChanged?.(traceId, assessments);
  }

  /** A trace without spans (unreadable, or none yet): its own assessments, which can still be read and added to. */
  private paintTraceOnly(): void {
    const assessments = this.trace!.assessments;
    clear(this.detail);
    this.detail.appendChild(
      h(
        "div",
        { class: "span-detail" },
        section(
          `Assessments of the trace (${assessments.length})`,
          renderAssessments(assessments, this.md, "No assessments of this trace yet.", this.assessmentActions(null, null)),
        ),
      ),
    );
  }

  private paintDetail(): void {
    if (this.trace && this.tree && this.tree.byId.size === 0) return this.paintTraceOnly();
    if (!this.trace || !this.tree || !this.selected) return;
    const span = this.tree.byId.get(this.selected)!;
    const tree = this.tree;
    const hasSpan = (id: string) => tree.byId.has(id);
    const isRoot = tree.parentOf(span.spanId) === null;
    const assessments = assessmentsOfSpan(this.trace.assessments, span.spanId, isRoot, hasSpan);
    const traceLevel = isRoot ? 0 : this.trace.assessments.filter((a) => isTraceLevel(a, hasSpan)).length;
    const noAssessments = traceLevel
      ? `No assessments of this span. The trace's own (${traceLevel}) show on its root span${tree.roots[0] ? `, ${tree.roots[0].name}` : ""}.`
      : undefined;
    clear(this.detail);
    // On the root span the section holds the trace's own assessments, so what is added there judges the trace.
    const actions = this.assessmentActions(isRoot ? null : span.spanId, isRoot ? null : span.name);
    this.detail.appendChild(
      renderSpanDetail(span, this.payloads.get(span.spanId) ?? null, assessments, this.timeline.full, this.payloadState, {
        md: this.md,
        openFrame: this.frameOpener(),
        noAssessments,
        actions: this.valueActions,
        detached: detachedFor(tree, span),
        assessmentActions: actions,
      }),
    );
    this.detail.scrollTop = 0;
  }
}

/** A re-attached span's warning: where it is shown, and why it is not under its recorded parent. */
function detachedWarning(tree: SpanTree, span: Span, reason: string): string {
  const parent = tree.parentOf(span.spanId);
  return parent ? `Shown under the root '${parent.name}': ${reason}.` : `Shown as a root: ${reason}.`;
}

function detachedFor(tree: SpanTree, span: Span): string | null {
  const reason = tree.detachedReason(span.spanId);
  return reason ? detachedWarning(tree, span, reason) : null;
}

/**
 * What the IDE needs to open a span's code (`ide/openSpanSource`): the span, for the host's `source/locate` (which
 * weighs OTel `code.*` attributes, stack frames, definitions and the entry script itself), and the function name the
 * span stands for — OTel `code.function.name`, the older `code.function`, or the decorator's
 * `mlflow.spanFunctionName` — for an IDE's own search when the host finds nothing.
 */
export function sourceHint(span: Span, payload: SpanPayload | null, info: TraceSummary): IdeOpenSpanSourceParams {
  const a = payload?.attributes ?? {};
  const str = (...keys: string[]) => {
    for (const k of keys) {
      const v = parsed(a[k]);
      if (typeof v === "string" && v) return v;
    }
    return null;
  };
  return {
    traceId: info.traceId,
    spanId: span.spanId,
    spanName: span.name,
    functionName: str("code.function.name", "code.function", "mlflow.spanFunctionName"),
  };
}
