// Comparing two traces, the pure part: their span trees aligned by span path, the differences of each aligned
// pair (status, duration, tokens, inputs/outputs), and a bounded line diff of two values. No DOM here: the view is
// compare-view.ts. Every walk is iterative and every cost is bounded, so a cycle, a 100,000-deep chain, a trace
// much bigger than the other or a 5 MiB value never blocks the page or overflows the stack.
import type { JsonValue, Span, SpanPayload, TraceSummary } from "./protocol.generated";
import { resolveParents } from "./span-tree";

/** Which side a row's span is on: both, only the left trace (removed in the right), only the right (added). */
export type RowKind = "both" | "removed" | "added";

/** One row of the merged tree: a span path and the span at that path in each trace (null where it has none). */
export interface AlignedRow {
  /** Position in `Alignment.rows` (pre-order). */
  index: number;
  /** The chain of span names from the root, a sibling occurrence index after the first: `agent/llm#2`. */
  path: string;
  /** The last segment's name (the span name, both sides share it). */
  name: string;
  /** 1 for the first span of this name among its siblings, 2 for the second… */
  occurrence: number;
  depth: number;
  parent: number | null;
  children: number[];
  left: Span | null;
  right: Span | null;
  kind: RowKind;
}

export interface Alignment {
  rows: AlignedRow[];
  roots: number[];
  counts: Record<RowKind, number>;
}

/** Start time then span ID, a broken (NaN, infinite) start last: a total order whatever the host sent. */
function earlier(a: Span, b: Span): number {
  const sa = Number.isFinite(a.startMs) ? a.startMs : Infinity;
  const sb = Number.isFinite(b.startMs) ? b.startMs : Infinity;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

interface Side {
  roots: Span[];
  children: Map<string, Span[]>;
}

/** A trace's tree as the viewer shows it: under the host's resolved parents (cycles broken, orphans under the root). */
function sideOf(spans: readonly Span[]): Side {
  const resolved = resolveParents(spans);
  const byId = new Map<string, Span>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of byId.values()) {
    const p = resolved.parent.get(s.spanId) ?? null;
    if (p === null) roots.push(s);
    else {
      let list = children.get(p);
      if (!list) children.set(p, (list = []));
      list.push(s);
    }
  }
  return { roots, children };
}

interface Keyed {
  key: string;
  name: string;
  occurrence: number;
  span: Span;
}

/** Siblings in start order, each keyed by its name and which occurrence of that name it is. */
function keyed(spans: readonly Span[]): Keyed[] {
  const sorted = [...spans].sort(earlier);
  const seen = new Map<string, number>();
  return sorted.map((span) => {
    const occurrence = (seen.get(span.name) ?? 0) + 1;
    seen.set(span.name, occurrence);
    return { key: `${span.name}\u0000${occurrence}`, name: span.name, occurrence, span };
  });
}

interface Pair {
  name: string;
  occurrence: number;
  left: Span | null;
  right: Span | null;
}

/**
 * Two sibling lists merged by key: the left's order, each right-only span placed after the matched span it
 * followed in the right trace (or before the first match). Linear in the siblings however many are only on one side.
 */
export function mergeSiblings(left: readonly Span[], right: readonly Span[]): Pair[] {
  const l = keyed(left);
  const r = keyed(right);
  const leftKeys = new Set(l.map((x) => x.key));
  const rightByKey = new Map(r.map((x) => [x.key, x]));
  const after = new Map<string | null, Keyed[]>();
  let lastMatched: string | null = null;
  for (const x of r) {
    if (leftKeys.has(x.key)) lastMatched = x.key;
    else {
      let list = after.get(lastMatched);
      if (!list) after.set(lastMatched, (list = []));
      list.push(x);
    }
  }
  const out: Pair[] = [];
  const added = (key: string | null) => {
    for (const x of after.get(key) ?? []) out.push({ name: x.name, occurrence: x.occurrence, left: null, right: x.span });
  };
  // Right-only spans before any match go just before the first matched span: after the left-only spans before it,
  // so that a renamed span reads as removed, then added.
  let headDone = false;
  for (const x of l) {
    const match = rightByKey.get(x.key)?.span ?? null;
    if (match && !headDone) {
      added(null);
      headDone = true;
    }
    out.push({ name: x.name, occurrence: x.occurrence, left: x.span, right: match });
    added(x.key);
  }
  if (!headDone) added(null);
  return out;
}

/** A path segment: the name, `#n` after it from the second occurrence on. */
export function segment(name: string, occurrence: number): string {
  return occurrence > 1 ? `${name}#${occurrence}` : name;
}

/**
 * The two traces' span trees aligned by span path: pre-order rows of the merged tree, each with the span at its
 * path on each side. Roots align like siblings (two traces whose root names differ give two rows: one removed,
 * one added). Iterative: a chain 100,000 deep does not overflow the stack.
 */
export function alignTraces(left: readonly Span[], right: readonly Span[]): Alignment {
  const a = sideOf(left);
  const b = sideOf(right);
  const rows: AlignedRow[] = [];
  const roots: number[] = [];
  const counts: Record<RowKind, number> = { both: 0, removed: 0, added: 0 };
  type Item = { pair: Pair; parent: number | null; depth: number; prefix: string };
  const stack: Item[] = mergeSiblings(a.roots, b.roots)
    .map((pair) => ({ pair, parent: null, depth: 0, prefix: "" }))
    .reverse();
  while (stack.length) {
    const { pair, parent, depth, prefix } = stack.pop()!;
    const kind: RowKind = pair.left && pair.right ? "both" : pair.left ? "removed" : "added";
    const path = `${prefix}${segment(pair.name, pair.occurrence)}`;
    const row: AlignedRow = {
      index: rows.length,
      path,
      name: pair.name,
      occurrence: pair.occurrence,
      depth,
      parent,
      children: [],
      left: pair.left,
      right: pair.right,
      kind,
    };
    rows.push(row);
    counts[kind]++;
    if (parent === null) roots.push(row.index);
    else rows[parent]!.children.push(row.index);
    const kids = mergeSiblings(pair.left ? (a.children.get(pair.left.spanId) ?? []) : [], pair.right ? (b.children.get(pair.right.spanId) ?? []) : []);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ pair: kids[i]!, parent: row.index, depth: depth + 1, prefix: `${path}/` });
  }
  return { rows, roots, counts };
}

/** Rows shown: pre-order, skipping collapsed rows' subtrees; `only` keeps rows it accepts and their ancestors. */
export function visibleRows(al: Alignment, collapsed: ReadonlySet<number>, only?: (row: AlignedRow) => boolean): AlignedRow[] {
  let keep: Set<number> | null = null;
  if (only) {
    keep = new Set();
    for (const row of al.rows) {
      if (!only(row)) continue;
      for (let i: number | null = row.index; i !== null && !keep.has(i); i = al.rows[i]!.parent) keep.add(i);
    }
  }
  const out: AlignedRow[] = [];
  const stack = [...al.roots].reverse();
  while (stack.length) {
    const row = al.rows[stack.pop()!]!;
    if (keep && !keep.has(row.index)) continue;
    out.push(row);
    if (collapsed.has(row.index)) continue;
    for (let i = row.children.length - 1; i >= 0; i--) stack.push(row.children[i]!);
  }
  return out;
}

// ---------------------------------------------------------------- differences of an aligned pair

export function isErrorStatus(status: string | null | undefined): boolean {
  return (status ?? "").toUpperCase().includes("ERROR");
}

/** A duration that can be compared: a finite number, not negative. */
function usable(ms: number | null | undefined): ms is number {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0;
}

export interface DurationDelta {
  left: number | null;
  right: number | null;
  /** right − left, when both are usable. */
  delta: number | null;
  /** right ÷ left, when both are usable and left is not 0. */
  ratio: number | null;
  /** Either side is negative or not a number (clock skew, broken times): no delta is made of it. */
  suspect: boolean;
  /** "slower" / "faster" when the change is worth a look (over 20 % and over 1 ms), else "same"; null when unknown. */
  change: "slower" | "faster" | "same" | null;
}

/** Past this ratio (or under its inverse) a duration counts as changed; so does any change where one side is 0. */
export const DURATION_CHANGE_RATIO = 1.2;
/** Changes under this are noise whatever the ratio (a 0.2 ms span taking 0.4 ms). */
export const DURATION_CHANGE_MIN_MS = 1;

export function durationDelta(left: number | null | undefined, right: number | null | undefined): DurationDelta {
  const l = left ?? null;
  const r = right ?? null;
  const suspect = (l !== null && !usable(l)) || (r !== null && !usable(r));
  if (!usable(l) || !usable(r)) return { left: l, right: r, delta: null, ratio: null, suspect, change: null };
  const delta = r - l;
  const ratio = l > 0 ? r / l : null;
  const big = Math.abs(delta) >= DURATION_CHANGE_MIN_MS && (ratio === null || ratio >= DURATION_CHANGE_RATIO || ratio <= 1 / DURATION_CHANGE_RATIO);
  return { left: l, right: r, delta, ratio, suspect, change: big ? (delta > 0 ? "slower" : "faster") : "same" };
}

/** "+304 ms", "−1.20 s", "±0 ms" (a real minus sign, so that it reads as one). */
export function formatDelta(ms: number | null, format: (ms: number) => string): string {
  if (ms === null) return "—";
  if (ms === 0) return `±${format(0)}`;
  return `${ms > 0 ? "+" : "−"}${format(Math.abs(ms))}`;
}

/** "×1.78", "×0.50", "×12", "×1,000+": how many times the left the right took. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return "";
  if (ratio >= 1000) return "×1,000+";
  if (ratio >= 10) return `×${Math.round(ratio)}`;
  return `×${ratio.toFixed(2)}`;
}

function parsedJson(v: JsonValue | string | undefined | null): JsonValue | null {
  if (typeof v !== "string") return v ?? null;
  try {
    return JSON.parse(v) as JsonValue;
  } catch {
    return null;
  }
}

function field(o: JsonValue | null, key: string): number | null {
  if (!o || typeof o !== "object" || Array.isArray(o)) return null;
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * A span's total tokens, as the viewer reads them (trace-viewer.ts usageInfo): `mlflow.chat.tokenUsage`'s
 * total_tokens, else input + output; null when the span has none or its payload is not loaded.
 */
export function spanTokens(payload: SpanPayload | null | undefined): number | null {
  if (!payload) return null;
  const usage = parsedJson(payload.attributes["mlflow.chat.tokenUsage"]);
  const total = field(usage, "total_tokens");
  if (total !== null) return total;
  const input = field(usage, "input_tokens");
  const output = field(usage, "output_tokens");
  return input === null && output === null ? null : (input ?? 0) + (output ?? 0);
}

/** A trace's total tokens: its summary's, else its metadata's `mlflow.trace.tokenUsage`. */
export function traceTotalTokens(info: TraceSummary): number | null {
  const t = info.tokens;
  if (t?.totalTokens != null && Number.isFinite(t.totalTokens)) return t.totalTokens;
  if (t && (t.inputTokens != null || t.outputTokens != null)) return (t.inputTokens ?? 0) + (t.outputTokens ?? 0);
  const usage = parsedJson(info.metadata["mlflow.trace.tokenUsage"]);
  const total = field(usage, "total_tokens");
  if (total !== null) return total;
  const input = field(usage, "input_tokens");
  const output = field(usage, "output_tokens");
  return input === null && output === null ? null : (input ?? 0) + (output ?? 0);
}

/** Nodes an equality walk visits before it answers "unknown" (null). */
export const EQUAL_WALK_NODES = 200_000;

/**
 * Whether two JSON values are the same (object key order ignored): true / false, or null when they are too big
 * to tell within `budget` nodes. Iterative, so a deeply nested value does not overflow the stack.
 */
export function valuesEqual(a: JsonValue | null | undefined, b: JsonValue | null | undefined, budget = EQUAL_WALK_NODES): boolean | null {
  const stack: [JsonValue | null | undefined, JsonValue | null | undefined][] = [[a, b]];
  let visited = 0;
  while (stack.length) {
    if (++visited > budget) return null;
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x === null || y === null || x === undefined || y === undefined) {
      if ((x ?? null) !== (y ?? null)) return false;
      continue;
    }
    if (typeof x !== "object" || typeof y !== "object") {
      if (typeof x === "number" && typeof y === "number" && Number.isNaN(x) && Number.isNaN(y)) continue;
      return false;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ya = y as JsonValue[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], ya[i]]);
      continue;
    }
    const xo = x as Record<string, JsonValue>;
    const yo = y as Record<string, JsonValue>;
    const keys = Object.keys(xo);
    if (keys.length !== Object.keys(yo).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(yo, k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}

export interface PairDifferences {
  status: { left: string | null; right: string | null; changed: boolean };
  duration: DurationDelta;
  tokens: { left: number | null; right: number | null; delta: number | null };
  /** Whether the inputs / outputs differ: null when a payload is not loaded yet or too big to tell. */
  inputs: boolean | null;
  outputs: boolean | null;
  /** Anything above that differs (a one-sided row always does). */
  any: boolean;
}

/** What differs between an aligned pair; payloads as far as they are loaded. */
export function pairDifferences(
  row: Pick<AlignedRow, "left" | "right" | "kind">,
  leftPayload?: SpanPayload | null,
  rightPayload?: SpanPayload | null,
): PairDifferences {
  const { left, right } = row;
  const status = {
    left: left?.status ?? null,
    right: right?.status ?? null,
    changed: !!left && !!right && (isErrorStatus(left.status) !== isErrorStatus(right.status) || (left.status || "UNSET") !== (right.status || "UNSET")),
  };
  const duration = durationDelta(left?.durationMs, right?.durationMs);
  const tl = left ? spanTokens(leftPayload ?? left.payload) : null;
  const tr = right ? spanTokens(rightPayload ?? right.payload) : null;
  const tokens = { left: tl, right: tr, delta: tl !== null && tr !== null ? tr - tl : null };
  const lp = leftPayload ?? left?.payload ?? null;
  const rp = rightPayload ?? right?.payload ?? null;
  const both = row.kind === "both" && lp && rp;
  const inputs = both ? flip(valuesEqual(lp.inputs, rp.inputs)) : null;
  const outputs = both ? flip(valuesEqual(lp.outputs, rp.outputs)) : null;
  const any =
    row.kind !== "both" ||
    status.changed ||
    (duration.change !== null && duration.change !== "same") ||
    (tokens.delta !== null && tokens.delta !== 0) ||
    inputs === true ||
    outputs === true;
  return { status, duration, tokens, inputs, outputs, any };
}

function flip(equal: boolean | null): boolean | null {
  return equal === null ? null : !equal;
}

// ---------------------------------------------------------------- a bounded line diff of two values

/** Characters of each side's pretty-printed text that are diffed; the rest is left out, and the view says so. */
export const DIFF_MAX_CHARS = 100_000;
/** Edits the diff looks for before it gives the middle as one replaced block (exact: false). */
export const DIFF_MAX_EDITS = 1000;
/** Nesting levels pretty-printed; deeper levels print as "…" (a hostile value 100,000 deep). */
const PRETTY_MAX_DEPTH = 200;

const STOP = Symbol("stop");

/**
 * A value as the diff reads it: a string as it is, anything else as JSON indented by 2 (as JSON.stringify(v, null,
 * 2) writes it), cut at `maxChars` without writing the rest — a 5 MiB value costs no more than its first 100 K.
 */
export function prettyText(value: JsonValue | null | undefined, maxChars = DIFF_MAX_CHARS): { text: string; truncated: boolean } {
  if (value === undefined) return { text: "", truncated: false };
  if (typeof value === "string") return value.length > maxChars ? { text: value.slice(0, maxChars), truncated: true } : { text: value, truncated: false };
  const parts: string[] = [];
  let length = 0;
  const write = (s: string) => {
    if (length + s.length > maxChars) {
      parts.push(s.slice(0, maxChars - length));
      length = maxChars;
      throw STOP;
    }
    parts.push(s);
    length += s.length;
  };
  const walk = (v: JsonValue, indent: string, depth: number): void => {
    if (v === null || typeof v !== "object") {
      write(typeof v === "number" && !Number.isFinite(v) ? "null" : JSON.stringify(v));
      return;
    }
    if (depth >= PRETTY_MAX_DEPTH) {
      write('"…"');
      return;
    }
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return write("[]");
      write("[");
      v.forEach((item, i) => {
        write(`${i ? "," : ""}\n${inner}`);
        walk(item ?? null, inner, depth + 1);
      });
      write(`\n${indent}]`);
      return;
    }
    const keys = Object.keys(v);
    if (keys.length === 0) return write("{}");
    write("{");
    keys.forEach((k, i) => {
      write(`${i ? "," : ""}\n${inner}${JSON.stringify(k)}: `);
      walk(v[k] ?? null, inner, depth + 1);
    });
    write(`\n${indent}}`);
  };
  try {
    walk(value, "", 0);
    return { text: parts.join(""), truncated: false };
  } catch (e) {
    if (e !== STOP) throw e;
    return { text: parts.join(""), truncated: true };
  }
}

export type DiffOp = { op: "same" | "add" | "del"; text: string; a: number | null; b: number | null };

/**
 * The lines of `a` and `b` as a shortest edit script (Myers), common head and tail first. Past `maxEdits` edits the
 * differing middle is given as one removed block and one added block (exact: false): bounded time and memory.
 */
export function lineDiff(a: readonly string[], b: readonly string[], maxEdits = DIFF_MAX_EDITS): { ops: DiffOp[]; exact: boolean } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ops: DiffOp[] = [];
  for (let i = 0; i < head; i++) ops.push({ op: "same", text: a[i]!, a: i + 1, b: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const middle = myers(am, bm, maxEdits);
  const exact = middle !== null;
  if (middle) {
    for (const m of middle)
      ops.push({ op: m.op, text: m.op === "add" ? bm[m.j]! : am[m.i]!, a: m.op === "add" ? null : head + m.i + 1, b: m.op === "del" ? null : head + m.j + 1 });
  } else {
    am.forEach((text, i) => ops.push({ op: "del", text, a: head + i + 1, b: null }));
    bm.forEach((text, j) => ops.push({ op: "add", text, a: null, b: head + j + 1 }));
  }
  for (let t = tail; t > 0; t--) ops.push({ op: "same", text: a[a.length - t]!, a: a.length - t + 1, b: b.length - t + 1 });
  return { ops, exact };
}

/** Myers' O((N+M)·D) diff over interned lines; null when it needs more than `maxEdits` edits. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): { op: "same" | "add" | "del"; i: number; j: number }[] | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) {
    const out: { op: "same" | "add" | "del"; i: number; j: number }[] = [];
    for (let i = 0; i < n; i++) out.push({ op: "del", i, j: 0 });
    for (let j = 0; j < m; j++) out.push({ op: "add", i: 0, j });
    return n + m > maxEdits ? null : out;
  }
  const ids = new Map<string, number>();
  const intern = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  const x = Int32Array.from(a, intern);
  const y = Int32Array.from(b, intern);
  const max = Math.min(n + m, maxEdits);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2)); // only the diagonals step d reads: O(D²) memory in all
    for (let k = -d; k <= d; k += 2) {
      let i = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let j = i - k;
      while (i < n && j < m && x[i] === y[j]) {
        i++;
        j++;
      }
      v[off + k] = i;
      if (i >= n && j >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return null;
  const out: { op: "same" | "add" | "del"; i: number; j: number }[] = [];
  let i = n;
  let j = m;
  for (let d = found; d >= 0; d--) {
    const snap = trace[d]!; // holds diagonals -d-1 … d+1 at index k + d + 1
    const at = (k: number) => snap[k + d + 1]!;
    const k = i - j;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevI = d === 0 ? 0 : at(prevK);
    const prevJ = prevI - prevK;
    while (i > prevI && j > prevJ) {
      i--;
      j--;
      out.push({ op: "same", i, j });
    }
    if (d > 0) {
      if (i === prevI) out.push({ op: "add", i, j: --j });
      else out.push({ op: "del", i: --i, j });
    }
  }
  return out.reverse();
}

/** A diff as shown: changed lines with `context` lines around them; longer unchanged runs folded to a count. */
export type DiffItem = { kind: "line"; line: DiffOp } | { kind: "fold"; lines: DiffOp[] };

export function foldUnchanged(ops: readonly DiffOp[], context = 3): DiffItem[] {
  const out: DiffItem[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op !== "same") {
      out.push({ kind: "line", line: ops[i]! });
      i++;
      continue;
    }
    let end = i;
    while (end < ops.length && ops[end]!.op === "same") end++;
    const run = ops.slice(i, end);
    const keepHead = i === 0 ? 0 : context;
    const keepTail = end === ops.length ? 0 : context;
    if (run.length <= keepHead + keepTail + 1) run.forEach((line) => out.push({ kind: "line", line }));
    else {
      run.slice(0, keepHead).forEach((line) => out.push({ kind: "line", line }));
      out.push({ kind: "fold", lines: run.slice(keepHead, run.length - keepTail) });
      run.slice(run.length - keepTail).forEach((line) => out.push({ kind: "line", line }));
    }
    i = end;
  }
  return out;
}

export interface ValueDiff {
  ops: DiffOp[];
  /** False when the middle was too different to diff line by line within the bound. */
  exact: boolean;
  /** Which sides were cut at DIFF_MAX_CHARS before diffing. */
  truncated: { left: boolean; right: boolean };
  added: number;
  removed: number;
}

/** The line diff of two span values (inputs or outputs), each pretty-printed and bounded. */
export function valueDiff(left: JsonValue | null | undefined, right: JsonValue | null | undefined, maxChars = DIFF_MAX_CHARS): ValueDiff {
  const l = prettyText(left, maxChars);
  const r = prettyText(right, maxChars);
  const lines = (t: string) => (t === "" ? [] : t.split("\n"));
  const { ops, exact } = lineDiff(lines(l.text), lines(r.text));
  let added = 0;
  let removed = 0;
  for (const o of ops) {
    if (o.op === "add") added++;
    else if (o.op === "del") removed++;
  }
  return { ops, exact, truncated: { left: l.truncated, right: r.truncated }, added, removed };
}

/** A one-line account of what differs over the whole comparison (the header's summary). */
export function alignmentSummary(al: Alignment): string {
  const c = al.counts;
  const parts = [`${c.both} aligned span${c.both === 1 ? "" : "s"}`];
  if (c.removed) parts.push(`${c.removed} only in A`);
  if (c.added) parts.push(`${c.added} only in B`);
  return parts.join(" · ");
}
