// The span tree the viewer shows: every span the host sent, under the parent the host placed it under.
// `traces/get` sends each span's recorded parent (Span.parentSpanId) and whether the host detached it
// (Span.orphaned), but not where it put it; linking by the recorded IDs hid every span of a parent cycle (and
// their subtrees) under no root at all. So the host's rules are applied here once more, in one pure function.
import type { Span } from "./protocol.generated";

/** Where each span hangs, by span ID. */
export interface ResolvedTree {
  /** The parent each span is shown under (null for a root). */
  parent: Map<string, string | null>;
  /** Why a span is not under its recorded parent, as the row's warning says it. */
  detached: Map<string, string>;
  /** Depth under the displayed roots (a root is 0). */
  depth: Map<string, number>;
  /** Roots, in the order the spans came. */
  roots: string[];
}

const earlier = (a: Span, b: Span) => (a.startMs !== b.startMs ? (a.startMs < b.startMs ? -1 : 1) : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

/**
 * The host's rules (SpanTreeBuilder): duplicate IDs keep the first span; a span whose recorded parent is not in the
 * trace, or whose parent chain is a cycle (broken at the cycle's earliest span by start time, then ID), is placed under
 * the primary root, the earliest parentless span; with no parentless span, the earliest detached span is the root.
 * Iterative, so a chain 100,000 deep does not overflow the stack; O(n) but for picking the earliest spans.
 */
export function resolveParents(spans: readonly Span[]): ResolvedTree {
  const byId = new Map<string, Span>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const parent = new Map<string, string | null>();
  const detached = new Map<string, string>();
  for (const s of byId.values()) {
    const p = s.parentSpanId;
    if (!p) parent.set(s.spanId, null);
    else if (byId.has(p)) parent.set(s.spanId, p);
    else {
      parent.set(s.spanId, null);
      detached.set(s.spanId, `its parent ${p} is not in the trace`);
    }
  }

  // Cycles: walk up from each span; meeting the current walk again closes a cycle (0 = new, 1 = on this walk, 2 = done).
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const position = new Map<string, number>();
  for (const start of byId.keys()) {
    if (state.has(start)) continue;
    path.length = 0;
    position.clear();
    let id: string | null = start;
    while (id !== null && !state.has(id)) {
      state.set(id, 1);
      position.set(id, path.length);
      path.push(id);
      id = parent.get(id) ?? null;
    }
    if (id !== null && state.get(id) === 1) {
      const cycle = path.slice(position.get(id)!);
      let victim = cycle[0]!;
      for (const c of cycle) if (earlier(byId.get(c)!, byId.get(victim)!) < 0) victim = c;
      parent.set(victim, null);
      detached.set(victim, cycle.length === 1 ? "it is its own parent" : `its parent chain is a cycle (${[...cycle, id].join(" → ")})`);
    }
    for (const p of path) state.set(p, 2);
  }

  let primary: Span | null = null;
  for (const s of byId.values()) if (parent.get(s.spanId) === null && !detached.has(s.spanId) && (!primary || earlier(s, primary) < 0)) primary = s;
  if (!primary) {
    for (const s of byId.values()) if (parent.get(s.spanId) === null && (!primary || earlier(s, primary) < 0)) primary = s;
    if (primary) detached.set(primary.spanId, `the trace has no root span (${detached.get(primary.spanId)})`);
  }
  for (const id of detached.keys()) if (primary && id !== primary.spanId) parent.set(id, primary.spanId);

  // Depth, in pre-order from the roots with an explicit stack.
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const s of byId.values()) {
    const p = parent.get(s.spanId)!;
    if (p === null) roots.push(s.spanId);
    else {
      let list = children.get(p);
      if (!list) children.set(p, (list = []));
      list.push(s.spanId);
    }
  }
  const depth = new Map<string, number>();
  const stack: [string, number][] = roots.map((id) => [id, 0]);
  while (stack.length) {
    const [id, d] = stack.pop()!;
    depth.set(id, d);
    for (const c of children.get(id) ?? []) stack.push([c, d + 1]);
  }
  return { parent, detached, depth, roots };
}
