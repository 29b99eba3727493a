// Comparing two traces: alignment by span path, pair differences, the bounded line diff — odd shapes included.
import { describe, expect, it } from "vitest";
import {
  alignTraces,
  alignmentSummary,
  durationDelta,
  foldUnchanged,
  formatDelta,
  formatRatio,
  lineDiff,
  mergeSiblings,
  pairDifferences,
  prettyText,
  spanTokens,
  traceTotalTokens,
  valueDiff,
  valuesEqual,
  visibleRows,
} from "../src/compare-logic";
import type { JsonValue, Span, SpanPayload } from "../src/protocol.generated";
import { span, summary } from "./fixtures";

/** A span named `name` (the fixtures name spans by ID). */
const s = (id: string, parent: string | null, name: string, startMs = 0, durationMs: number | null = 10, extra: Partial<Span> = {}) =>
  span(id, parent, 0, startMs, durationMs as number, { name, ...extra });
const paths = (left: Span[], right: Span[]) => alignTraces(left, right).rows.map((r) => `${"  ".repeat(r.depth)}${r.path} ${r.kind}`);
const payload = (inputs: JsonValue, outputs: JsonValue, attributes: Record<string, JsonValue> = {}): SpanPayload => ({
  inputs,
  outputs,
  attributes,
  events: [],
});

describe("alignTraces: span trees aligned by span path", () => {
  it("the fixture's two support_agent traces: one lookup_order that failed, one that went on to a second Completions", () => {
    const a = [
      s("a1", null, "support_agent", 0, 388, { status: "ERROR" }),
      s("a2", "a1", "agent_loop", 1, 386, { status: "ERROR" }),
      s("a3", "a2", "Completions", 2, 301),
      s("a4", "a2", "lookup_order", 303, 84, { status: "ERROR" }),
    ];
    const b = [
      s("b1", null, "support_agent", 0, 691),
      s("b2", "b1", "agent_loop", 1, 690),
      s("b3", "b2", "Completions", 2, 301),
      s("b4", "b2", "lookup_order", 303, 86),
      s("b5", "b2", "Completions", 390, 301),
    ];
    expect(paths(a, b)).toEqual([
      "support_agent both",
      "  support_agent/agent_loop both",
      "    support_agent/agent_loop/Completions both",
      "    support_agent/agent_loop/lookup_order both",
      "    support_agent/agent_loop/Completions#2 added",
    ]);
    const al = alignTraces(a, b);
    expect(al.counts).toEqual({ both: 4, removed: 0, added: 1 });
    expect(alignmentSummary(al)).toBe("4 aligned spans · 1 only in B");
    const root = pairDifferences(al.rows[0]!);
    expect(root.status).toEqual({ left: "ERROR", right: "OK", changed: true });
    expect(root.duration).toMatchObject({ delta: 303, change: "slower" });
    expect(formatRatio(root.duration.ratio)).toBe("×1.78");
    expect(pairDifferences(al.rows[2]!).duration.change).toBe("same");
    expect(pairDifferences(al.rows[2]!).any).toBe(false);
    expect(pairDifferences(al.rows[4]!).any).toBe(true); // one-sided
  });

  it("repeated names are told apart by their occurrence in start order, whatever order the host sent them in", () => {
    const a = [s("r", null, "agent"), s("l2", "r", "llm", 20), s("l1", "r", "llm", 10), s("t", "r", "tool", 15)];
    const b = [s("R", null, "agent"), s("L1", "R", "llm", 10), s("T", "R", "tool", 12), s("L2", "R", "llm", 30), s("L3", "R", "llm", 40)];
    const al = alignTraces(a, b);
    expect(al.rows.map((r) => [r.path, r.left?.spanId ?? null, r.right?.spanId ?? null])).toEqual([
      ["agent", "r", "R"],
      ["agent/llm", "l1", "L1"],
      ["agent/tool", "t", "T"],
      ["agent/llm#2", "l2", "L2"],
      ["agent/llm#3", null, "L3"],
    ]);
  });

  it("spans only on one side keep their place among their siblings, subtrees and all", () => {
    const a = [s("r", null, "root"), s("x", "r", "x", 1), s("gone", "r", "gone", 2), s("gc", "gone", "gone-child", 3), s("z", "r", "z", 4)];
    const b = [s("R", null, "root"), s("new", "R", "new", 0), s("X", "R", "x", 1), s("Z", "R", "z", 4), s("nc", "Z", "new-child", 5)];
    expect(paths(a, b)).toEqual([
      "root both",
      "  root/new added",
      "  root/x both",
      "  root/gone removed",
      "    root/gone/gone-child removed",
      "  root/z both",
      "    root/z/new-child added",
    ]);
  });

  it("cycles and orphans: every span is aligned under the parent the host placed it under (resolveParents)", () => {
    const a = [
      s("r", null, "root", 0, 100),
      s("self", "self", "loop", 10, 5, { orphaned: true }),
      s("c1", "c2", "ping", 20),
      s("c2", "c1", "pong", 30),
      s("o", "missing", "orphan", 40),
    ];
    const b = [s("R", null, "root", 0, 100), s("O", "elsewhere", "orphan", 40)];
    const al = alignTraces(a, b);
    expect(al.rows.length).toBe(5); // root, loop, ping (its cycle broken at it), pong under ping, orphan
    expect(paths(a, b)).toEqual(["root both", "  root/loop removed", "  root/ping removed", "    root/ping/pong removed", "  root/orphan both"]);
  });

  it("no root span at all (only a cycle), empty traces, and both empty", () => {
    const cycle = [s("a", "b", "a", 0), s("b", "a", "b", 5)];
    expect(paths(cycle, [])).toEqual(["a removed", "  a/b removed"]);
    expect(paths([], cycle)).toEqual(["a added", "  a/b added"]);
    expect(alignTraces([], []).rows).toEqual([]);
    expect(alignmentSummary(alignTraces([], []))).toBe("0 aligned spans");
  });

  it("different root names give one removed and one added root; duplicate span IDs keep the first", () => {
    expect(paths([s("r", null, "chat")], [s("r", null, "agent")])).toEqual(["chat removed", "agent added"]);
    expect(alignTraces([s("r", null, "a"), s("r", null, "dup")], [s("q", null, "a")]).counts).toEqual({ both: 1, removed: 0, added: 0 });
  });

  it("one trace much bigger: 20,000 siblings and a chain 50,000 deep against a one-span trace, without recursion", () => {
    const wide = [s("r", null, "root"), ...Array.from({ length: 20_000 }, (_, i) => s(`w${i}`, "r", "call", i + 1))];
    const t0 = performance.now();
    const al = alignTraces([s("R", null, "root"), s("W", "R", "call", 1)], wide);
    expect(al.counts).toEqual({ both: 2, removed: 0, added: 19_999 });
    expect(al.rows[2]!.path).toBe("root/call#2");
    expect(al.rows.at(-1)!.path).toBe("root/call#20000");
    const deep = [s("d0", null, "n"), ...Array.from({ length: 50_000 }, (_, i) => s(`d${i + 1}`, `d${i}`, "n", i + 1))];
    const dl = alignTraces(deep, [s("x", null, "n")]);
    expect(dl.rows.length).toBe(50_001);
    expect(dl.rows.at(-1)!.depth).toBe(50_000);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("visibleRows folds collapsed rows and keeps differing rows with their ancestors", () => {
    const a = [s("r", null, "root"), s("x", "r", "x", 1), s("y", "x", "y", 2), s("z", "r", "z", 3)];
    const b = [s("R", null, "root"), s("X", "R", "x", 1), s("Y", "X", "y", 2), s("Z", "R", "z", 3), s("N", "Z", "n", 4)];
    const al = alignTraces(a, b);
    expect(visibleRows(al, new Set()).map((r) => r.path)).toEqual(["root", "root/x", "root/x/y", "root/z", "root/z/n"]);
    expect(visibleRows(al, new Set([1])).map((r) => r.path)).toEqual(["root", "root/x", "root/z", "root/z/n"]);
    expect(visibleRows(al, new Set(), (r) => r.kind !== "both").map((r) => r.path)).toEqual(["root", "root/z", "root/z/n"]);
  });

  it("mergeSiblings puts right-only spans first when nothing matched before them", () => {
    const m = mergeSiblings([s("a", null, "a", 5)], [s("n", null, "new", 1), s("A", null, "a", 5)]);
    expect(m.map((p) => [p.name, p.left?.spanId ?? null, p.right?.spanId ?? null])).toEqual([
      ["new", null, "n"],
      ["a", "a", "A"],
    ]);
  });
});

describe("differences of an aligned pair", () => {
  it("durations: delta and ratio, small changes are 'same', NaN and negative durations are suspect and give no delta", () => {
    expect(durationDelta(100, 250)).toMatchObject({ delta: 150, ratio: 2.5, change: "slower", suspect: false });
    expect(durationDelta(100, 50)).toMatchObject({ delta: -50, ratio: 0.5, change: "faster" });
    expect(durationDelta(100, 110).change).toBe("same");
    expect(durationDelta(0.2, 0.5).change).toBe("same"); // under 1 ms
    expect(durationDelta(0, 5)).toMatchObject({ delta: 5, ratio: null, change: "slower" });
    expect(durationDelta(NaN, 5)).toMatchObject({ delta: null, ratio: null, suspect: true, change: null });
    expect(durationDelta(-100, 5)).toMatchObject({ delta: null, suspect: true });
    expect(durationDelta(Infinity, 5).suspect).toBe(true);
    expect(durationDelta(null, 5)).toMatchObject({ delta: null, suspect: false, change: null }); // still running
    expect(formatDelta(150, (ms) => `${ms} ms`)).toBe("+150 ms");
    expect(formatDelta(-50, (ms) => `${ms} ms`)).toBe("−50 ms");
    expect(formatDelta(0, (ms) => `${ms} ms`)).toBe("±0 ms");
    expect(formatDelta(null, String)).toBe("—");
    expect([formatRatio(12.4), formatRatio(5000), formatRatio(null), formatRatio(NaN)]).toEqual(["×12", "×1,000+", "", ""]);
  });

  it("status: error against OK, and any other status string change", () => {
    const row = (l: string, r: string) => ({
      kind: "both" as const,
      left: s("a", null, "x", 0, 1, { status: l }),
      right: s("b", null, "x", 0, 1, { status: r }),
    });
    expect(pairDifferences(row("ERROR", "OK")).status.changed).toBe(true);
    expect(pairDifferences(row("OK", "OK")).status.changed).toBe(false);
    expect(pairDifferences(row("", "UNSET")).status.changed).toBe(false);
    expect(pairDifferences(row("UNSET", "OK")).status.changed).toBe(true);
  });

  it("tokens from mlflow.chat.tokenUsage (a JSON string or an object), inputs and outputs compared ignoring key order", () => {
    const lp = payload({ q: "hi", n: 1 }, "a", { "mlflow.chat.tokenUsage": '{"input_tokens": 51, "output_tokens": 20, "total_tokens": 71}' });
    const rp = payload({ n: 1, q: "hi" }, "b", { "mlflow.chat.tokenUsage": { input_tokens: 99, output_tokens: 20 } });
    const row = { kind: "both" as const, left: s("a", null, "x"), right: s("b", null, "x") };
    const d = pairDifferences(row, lp, rp);
    expect(d.tokens).toEqual({ left: 71, right: 119, delta: 48 });
    expect(d.inputs).toBe(false);
    expect(d.outputs).toBe(true);
    expect(d.any).toBe(true);
    expect(pairDifferences(row, null, rp)).toMatchObject({ inputs: null, outputs: null }); // not loaded yet
    expect(spanTokens(payload(null, null, { "mlflow.chat.tokenUsage": "not json" }))).toBeNull();
    expect(traceTotalTokens(summary(1, { tokens: { totalTokens: 343 } }))).toBe(343);
    expect(traceTotalTokens(summary(1, { metadata: { "mlflow.trace.tokenUsage": '{"input_tokens": 51, "output_tokens": 20, "total_tokens": 71}' } }))).toBe(71);
    expect(traceTotalTokens(summary(1))).toBeNull();
  });

  it("valuesEqual: arrays, nulls, NaN, a budget past which it says it does not know, and a value 100,000 deep", () => {
    expect(valuesEqual([1, { a: null }], [1, { a: null }])).toBe(true);
    expect(valuesEqual([1, 2], [2, 1])).toBe(false);
    expect(valuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(valuesEqual({ a: 1, c: 2 }, { a: 1, b: 2 })).toBe(false);
    expect(valuesEqual(null, undefined)).toBe(true);
    expect(valuesEqual([], {})).toBe(false);
    expect(valuesEqual(NaN, NaN)).toBe(true);
    const big = Array.from({ length: 1000 }, (_, i) => i);
    expect(valuesEqual(big, [...big], 100)).toBeNull();
    let deep: JsonValue = 0;
    let deep2: JsonValue = 0;
    for (let i = 0; i < 100_000; i++) {
      deep = [deep];
      deep2 = [deep2];
    }
    expect(valuesEqual(deep, deep2)).toBe(true);
  });
});

describe("the bounded line diff", () => {
  it("prettyText writes what JSON.stringify(v, null, 2) writes, and stops at the bound", () => {
    const v = { a: [1, { b: "x\ny" }], c: {}, d: [], e: null, f: true, g: NaN as unknown as number };
    expect(prettyText(v).text).toBe(JSON.stringify(v, null, 2));
    expect(prettyText("plain\ntext")).toEqual({ text: "plain\ntext", truncated: false });
    const huge = { blob: "x".repeat(5 * 1024 * 1024) };
    const t0 = performance.now();
    const cut = prettyText(huge, 1000);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(cut.truncated).toBe(true);
    expect(cut.text.length).toBe(1000);
    expect(prettyText(undefined)).toEqual({ text: "", truncated: false });
    let deep: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) deep = { k: deep };
    expect(prettyText(deep).text).toContain('"…"');
  });

  it("a shortest edit script with line numbers on each side", () => {
    const { ops, exact } = lineDiff(["a", "b", "c", "d"], ["a", "c", "d", "e"]);
    expect(exact).toBe(true);
    expect(ops.map((o) => `${o.op[0]}${o.a ?? "-"}:${o.b ?? "-"} ${o.text}`)).toEqual(["s1:1 a", "d2:- b", "s3:2 c", "s4:3 d", "a-:4 e"]);
    expect(lineDiff([], []).ops).toEqual([]);
    expect(lineDiff([], ["x"]).ops).toEqual([{ op: "add", text: "x", a: null, b: 1 }]);
    expect(lineDiff(["x"], []).ops).toEqual([{ op: "del", text: "x", a: 1, b: null }]);
    // Random edits are found exactly: the script rebuilds both sides.
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 30; round++) {
      const a = Array.from({ length: 40 }, () => String(Math.floor(rnd() * 6)));
      const b = Array.from({ length: 35 }, () => String(Math.floor(rnd() * 6)));
      const d = lineDiff(a, b);
      expect(d.ops.filter((o) => o.op !== "add").map((o) => o.text)).toEqual(a);
      expect(d.ops.filter((o) => o.op !== "del").map((o) => o.text)).toEqual(b);
    }
  });

  it("past the edit bound the middle is one removed and one added block, quickly", () => {
    const a = Array.from({ length: 5000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 5000 }, (_, i) => `b${i}`);
    const t0 = performance.now();
    const d = lineDiff(["same", ...a, "end"], ["same", ...b, "end"], 100);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(d.exact).toBe(false);
    expect(d.ops.length).toBe(10_002);
    expect(d.ops[0]).toEqual({ op: "same", text: "same", a: 1, b: 1 });
    expect(d.ops.at(-1)).toEqual({ op: "same", text: "end", a: 5002, b: 5002 });
  });

  it("valueDiff of two 5 MiB outputs compares their first 100 K characters only", () => {
    const big = (c: string) => ({ text: c.repeat(5 * 1024 * 1024) });
    const t0 = performance.now();
    const d = valueDiff(big("a"), big("b"));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(d.truncated).toEqual({ left: true, right: true });
    expect(d.added).toBe(1);
    expect(d.removed).toBe(1);
    expect(valueDiff({ q: 1 }, { q: 1 })).toMatchObject({ added: 0, removed: 0 });
    expect(valueDiff(null, { q: 1 })).toMatchObject({ added: 3, removed: 1 });
  });

  it("foldUnchanged keeps 3 lines of context around changes and folds the rest", () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = [...a];
    b[10] = "changed";
    const items = foldUnchanged(lineDiff(a, b).ops);
    expect(items.map((i) => (i.kind === "fold" ? `fold ${i.lines.length}` : `${i.line.op} ${i.line.text}`))).toEqual([
      "fold 7",
      "same l7",
      "same l8",
      "same l9",
      "del l10",
      "add changed",
      "same l11",
      "same l12",
      "same l13",
      "fold 6",
    ]);
    expect(foldUnchanged(lineDiff(["a", "b"], ["a", "b"]).ops).map((i) => i.kind)).toEqual(["fold"]);
  });
});
