using System.Buffers;

namespace TraceIde.Core.Spans;

/// <summary>
/// Builds the span tree the trace viewer shows: pre-order, children by start time, depth, self time,
/// critical path; orphans (missing parent) hang under the root and are flagged; cycles are broken;
/// iterative, so depth 100,000 does not overflow the stack.
/// </summary>
/// <remarks>
/// Rules: duplicate span IDs keep the first span. A span whose parent is not in the trace, or whose parent
/// chain is a cycle (the cycle is broken at its earliest span), is placed under the primary root (the
/// earliest parentless span) and flagged <see cref="SpanNode.Orphaned"/>. With no parentless span at all,
/// the earliest of the detached spans becomes the root (still flagged). Other parentless spans stay roots.
/// Siblings are ordered by start time, then span ID. All passes are loops over arrays: O(n log n) for the
/// one global sort, O(n) otherwise. The nodes are made when read (<see cref="SpanTree.Nodes"/>).
/// </remarks>
public static class SpanTreeBuilder
{
    public static SpanTree Build(IReadOnlyList<RawSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var warnings = new List<string>();

        // 1. Unique spans (first wins). The index and the working copy hold references and, for a big trace, are
        // large objects, which only a full collection frees: until then they would keep every span (ID) alive
        // after the trace is done with (see BlockList). So the copy is rented, and both are cleared at the end.
        var index = new Dictionary<string, int>(spans.Count, StringComparer.Ordinal);
        var list = ArrayPool<RawSpan>.Shared.Rent(spans.Count);
        try
        {
            var n = 0;
            foreach (var s in spans)
            {
                if (s is null) continue;
                if (index.TryAdd(s.SpanId, n)) list[n++] = s;
                else warnings.Add($"Duplicate span ID {s.SpanId}: kept the first span '{list[index[s.SpanId]].Name}', ignored '{s.Name}'.");
            }
            if (n == 0) return new SpanTree([], warnings);
            // The nodes keep the spans: the decoder's list (no one can change it) when every span was kept, else a
            // copy of the kept ones.
            IReadOnlyList<RawSpan> kept = spans;
            if (n < spans.Count || spans is not BlockList<RawSpan>)
            {
                var copy = new BlockList<RawSpan>();
                for (var i = 0; i < n; i++) copy.Add(list[i]);
                kept = copy;
            }
            return Build(list, n, index, kept, warnings);
        }
        finally
        {
            index.Clear();
            ArrayPool<RawSpan>.Shared.Return(list, clearArray: true);
        }
    }

    /// <summary>The tree of <paramref name="list"/>[..<paramref name="n"/>] (unique IDs: their positions in <paramref name="index"/>), which are
    /// <paramref name="kept"/>.</summary>
    private static SpanTree Build(RawSpan[] list, int n, Dictionary<string, int> index, IReadOnlyList<RawSpan> kept, List<string> warnings)
    {
        // The tree's own arrays (kept by its nodes) are sized once; the rest is rented and returned at the end,
        // so a big trace makes no large-object garbage but these.
        var depth = new int[n];
        var selfNs = new long[n];
        var critical = new bool[n];
        var orphaned = new bool[n];
        var childStart = new int[n + 1];
        var preorder = new int[n];
        var parent = ArrayPool<int>.Shared.Rent(n);
        var scratch = ArrayPool<int>.Shared.Rent(n);   // cycle walk: position in the path; then the pre-order stack
        var order = ArrayPool<int>.Shared.Rent(n);
        var children = ArrayPool<int>.Shared.Rent(n);
        var starts = ArrayPool<long>.Shared.Rent(n);
        var state = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            Dictionary<int, string>? orphanReason = null; // few spans have one

            // 2. Parent indices; -1 = none. Missing parents are detached (orphaned).
            for (var i = 0; i < n; i++)
            {
                var pid = list[i].ParentSpanId;
                if (string.IsNullOrEmpty(pid)) parent[i] = -1;
                else if (index.TryGetValue(pid, out var p)) parent[i] = p;
                else
                {
                    parent[i] = -1;
                    orphaned[i] = true;
                    (orphanReason ??= [])[i] = $"its parent {pid} is not in the trace";
                }
            }

            // 3. Break cycles (iterative walk up the parent chains; 0 = new, 1 = on current path, 2 = done).
            Array.Clear(state, 0, n);
            var posInPath = scratch;
            var path = new List<int>();
            for (var i = 0; i < n; i++)
            {
                if (state[i] != 0) continue;
                path.Clear();
                var j = i;
                while (j != -1 && state[j] == 0)
                {
                    state[j] = 1;
                    posInPath[j] = path.Count;
                    path.Add(j);
                    j = parent[j];
                }
                if (j != -1 && state[j] == 1)
                {
                    // path[posInPath[j]..] is a cycle; detach its earliest span.
                    var from = posInPath[j];
                    var victim = path[from];
                    for (var k = from + 1; k < path.Count; k++)
                        if (Compare(list[path[k]], list[victim]) < 0) victim = path[k];
                    var desc = path.Count - from == 1
                        ? "it is its own parent"
                        : "its parent chain is a cycle (" + string.Join(" → ", path.Skip(from).Select(x => list[x].SpanId).Append(list[j].SpanId)) + ")";
                    parent[victim] = -1;
                    orphaned[victim] = true;
                    (orphanReason ??= [])[victim] = desc;
                }
                foreach (var k in path) state[k] = 2;
            }

            // 4. Global order by (start, id): gives sorted roots and sorted children in one sort. Sorting the
            // start times as numbers, then only runs of equal starts by ID, is the same order and far cheaper.
            for (var i = 0; i < n; i++) { order[i] = i; starts[i] = list[i].StartTimeNs; }
            Array.Sort(starts, order, 0, n);
            for (var i = 0; i < n;)
            {
                var j = i + 1;
                while (j < n && starts[j] == starts[i]) j++;
                if (j - i > 1) Array.Sort(order, i, j - i, Comparer<int>.Create((a, b) => string.CompareOrdinal(list[a].SpanId, list[b].SpanId)));
                i = j;
            }

            var primary = -1;
            for (var k = 0; k < n; k++)
                if (parent[order[k]] == -1 && !orphaned[order[k]]) { primary = order[k]; break; }
            if (primary == -1)
            {
                for (var k = 0; k < n; k++)
                    if (parent[order[k]] == -1) { primary = order[k]; break; }
                warnings.Add(
                    $"The trace has no root span; showing span '{list[primary].Name}' ({list[primary].SpanId}) as the root ({orphanReason![primary]}).");
            }
            for (var i = 0; i < n; i++)
            {
                if (!orphaned[i] || i == primary) continue;
                parent[i] = primary;
                warnings.Add($"Span '{list[i].Name}' ({list[i].SpanId}) is shown under the root '{list[primary].Name}' ({list[primary].SpanId}): " +
                    $"{orphanReason![i]}.");
            }

            // 5. Children in CSR form, filled in global order (so already sorted).
            for (var i = 0; i < n; i++) if (parent[i] >= 0) childStart[parent[i] + 1]++;
            for (var i = 0; i < n; i++) childStart[i + 1] += childStart[i];
            var fill = scratch;
            Array.Clear(fill, 0, n);
            var roots = new List<int>();
            for (var k = 0; k < n; k++)
            {
                var i = order[k];
                var p = parent[i];
                if (p < 0) roots.Add(i);
                else children[childStart[p] + fill[p]++] = i;
            }

            // 6. Self time (ns): duration minus the union of the children's intervals clipped to the parent's.
            for (var i = 0; i < n; i++)
            {
                var s = list[i];
                if (s.EndTimeNs is not long pe) continue;
                var ps = s.StartTimeNs;
                if (pe <= ps) continue;
                long covered = 0, curS = 0, curE = 0;
                var open = false;
                for (var c = childStart[i]; c < childStart[i + 1]; c++)
                {
                    var ch = list[children[c]];
                    var cs = Math.Max(ch.StartTimeNs, ps);
                    var ce = Math.Min(ch.EndTimeNs ?? pe, pe); // a running child covers the rest of the parent
                    if (ce <= cs) continue;
                    if (!open) { curS = cs; curE = ce; open = true; }
                    else if (cs <= curE) curE = Math.Max(curE, ce);
                    else { covered += curE - curS; curS = cs; curE = ce; }
                }
                if (open) covered += curE - curS;
                selfNs[i] = Math.Max(0, pe - ps - covered);
            }

            // 7. Critical path: from each root follow the child that ends last (ties: longer, i.e. earlier start).
            foreach (var r in roots)
            {
                var cur = r;
                critical[cur] = true;
                while (childStart[cur + 1] > childStart[cur])
                {
                    var best = -1;
                    long bestEnd = 0, bestStart = 0;
                    for (var c = childStart[cur]; c < childStart[cur + 1]; c++)
                    {
                        var ch = list[children[c]];
                        var end = ch.EndTimeNs ?? long.MaxValue;
                        if (best == -1 || end > bestEnd || (end == bestEnd && ch.StartTimeNs < bestStart))
                        {
                            best = children[c];
                            bestEnd = end;
                            bestStart = ch.StartTimeNs;
                        }
                    }
                    cur = best;
                    critical[cur] = true;
                }
            }

            // 8. Pre-order with an explicit stack.
            var stack = scratch;
            var top = 0;
            var count = 0;
            for (var r = roots.Count - 1; r >= 0; r--) stack[top++] = roots[r];
            while (top > 0)
            {
                var i = stack[--top];
                preorder[count++] = i;
                for (var c = childStart[i + 1] - 1; c >= childStart[i]; c--)
                {
                    depth[children[c]] = depth[i] + 1;
                    stack[top++] = children[c];
                }
            }
            if (count != n) throw new InvalidOperationException($"Span tree lost spans ({count} of {n}); this is a bug.");
            return new SpanTree(new SpanNodes(kept, preorder, depth, selfNs, critical, orphaned, childStart), warnings);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(parent);
            ArrayPool<int>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(children);
            ArrayPool<long>.Shared.Return(starts);
            ArrayPool<byte>.Shared.Return(state);
        }
    }

    private static int Compare(RawSpan a, RawSpan b)
    {
        var c = a.StartTimeNs.CompareTo(b.StartTimeNs);
        return c != 0 ? c : string.CompareOrdinal(a.SpanId, b.SpanId);
    }

    /// <summary>
    /// The nodes in pre-order, each made when read from the tree's arrays: a big trace's tree is read once
    /// (into the answer), and 100,000 node objects alive at once only made the garbage collector copy them.
    /// </summary>
    private sealed class SpanNodes(IReadOnlyList<RawSpan> spans, int[] preorder, int[] depth, long[] selfNs, bool[] critical, bool[] orphaned, int[] childStart)
        : IReadOnlyList<SpanNode>
    {
        public int Count => preorder.Length;

        public SpanNode this[int index]
        {
            get
            {
                var i = preorder[index];
                var s = spans[i];
                return new SpanNode
                {
                    Span = s,
                    Depth = depth[i],
                    StartMs = s.StartTimeNs / 1e6,
                    // As recorded, also when negative (the span ends before it starts: clock skew, a bad timestamp): a
                    // 0 hid the fault, while the Overview's tool latencies showed the same span's negative time.
                    DurationMs = s.EndTimeNs is long e ? (e - s.StartTimeNs) / 1e6 : null,
                    SelfTimeMs = selfNs[i] / 1e6,
                    OnCriticalPath = critical[i],
                    ChildCount = childStart[i + 1] - childStart[i],
                    Orphaned = orphaned[i],
                };
            }
        }

        public IEnumerator<SpanNode> GetEnumerator()
        {
            for (var k = 0; k < preorder.Length; k++) yield return this[k];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>The built tree: nodes in pre-order plus what went wrong while building it.</summary>
public sealed record SpanTree(IReadOnlyList<SpanNode> Nodes, IReadOnlyList<string> Warnings)
{
    public int MaxDepth => Nodes.Count == 0 ? 0 : Nodes.Max(n => n.Depth);
}

/// <summary>One span placed in the tree. Depth of a root is 0.</summary>
public sealed record SpanNode
{
    public required RawSpan Span { get; init; }
    public int Depth { get; init; }
    public double StartMs { get; init; }
    /// <summary>Null while the span runs; negative when it ends before it starts (as recorded).</summary>
    public double? DurationMs { get; init; }
    public double SelfTimeMs { get; init; }
    public bool OnCriticalPath { get; init; }
    public int ChildCount { get; init; }
    /// <summary>The recorded parent is missing or made a cycle; placed under the root instead.</summary>
    public bool Orphaned { get; init; }
}
