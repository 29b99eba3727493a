using CsCheck;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Properties;

/// <summary>
/// The span-tree builder over generated forests: duplicate IDs, missing parents, cycles (parents drawn
/// from the same small ID pool make them common), clock skew (children before their parent, ends
/// before starts) and running spans. Each property is derived from the input, not from the builder.
/// </summary>
public sealed class SpanTreeProperties
{
    private static string Id(int n) => n.ToString("x16");

    private static readonly Gen<RawSpan[]> Forest =
        Gen.Int[1, 60].SelectMany(n =>
        {
            var pool = Math.Max(1, n * 5 / 4); // ~20% duplicate IDs
            var parent = Gen.Frequency(
                (1, Gen.Const((string?)null)),
                (1, Gen.Const((string?)"")),
                (7, Gen.Int[1, pool].Select(p => (string?)Id(p))),
                (1, Gen.Int[900_000, 900_100].Select(p => (string?)Id(p)))); // not in the trace
            var span = Gen.Select(Gen.Int[1, pool], parent, Gen.Long[0, 10_000_000_000], Gen.Long[-50_000_000, 5_000_000_000], Gen.Int[0, 9],
                (id, p, start, length, running) => new RawSpan
                {
                    SpanId = Id(id),
                    ParentSpanId = p,
                    Name = $"s{id}",
                    StartTimeNs = start,
                    EndTimeNs = running == 0 ? null : start + length, // skew: a negative length ends before it starts
                });
            return span.Array[n, n];
        });

    [Fact]
    public void Every_distinct_span_appears_exactly_once_in_a_consistent_pre_order()
    {
        Forest.Sample(spans =>
        {
            var tree = SpanTreeBuilder.Build(spans);
            var firsts = spans.GroupBy(s => s.SpanId).Select(g => g.First()).ToList();

            // Exactly once, and it is the first span with that ID.
            Assert.Equal(firsts.Count, tree.Nodes.Count);
            Assert.Equal(firsts.Select(s => s.SpanId).Order(), tree.Nodes.Select(n => n.Span.SpanId).Order());
            Assert.All(tree.Nodes, n => Assert.Same(firsts.First(s => s.SpanId == n.Span.SpanId), n.Span));

            // Pre-order: a node's parent is the nearest earlier node one level up; depth starts at 0.
            var stack = new List<SpanNode>();
            var kept = firsts.Select(s => s.SpanId).ToHashSet();
            foreach (var node in tree.Nodes)
            {
                Assert.InRange(node.Depth, 0, stack.Count);
                stack.RemoveRange(node.Depth, stack.Count - node.Depth);
                if (node.Depth > 0 && !node.Orphaned) Assert.Equal(stack[^1].Span.SpanId, node.Span.ParentSpanId);
                if (node.Depth > 0 && node.Orphaned) Assert.Equal(1, node.Depth); // orphans go under the root
                stack.Add(node);
            }
            Assert.Equal(0, tree.Nodes[0].Depth);
            Assert.Equal(tree.Nodes.Count - tree.Nodes.Count(n => n.Depth == 0), tree.Nodes.Sum(n => n.ChildCount));

            // Missing parents: orphaned and named in a warning. Duplicates: a warning each.
            foreach (var s in firsts.Where(s => !string.IsNullOrEmpty(s.ParentSpanId) && !kept.Contains(s.ParentSpanId!)))
            {
                var node = tree.Nodes.Single(n => n.Span.SpanId == s.SpanId);
                Assert.True(node.Orphaned, $"{s.SpanId} has a missing parent but is not flagged");
                Assert.Contains(tree.Warnings, w => w.Contains(s.SpanId, StringComparison.Ordinal)
                    && w.Contains($"its parent {s.ParentSpanId} is not in the trace", StringComparison.Ordinal));
            }
            foreach (var dup in spans.GroupBy(s => s.SpanId).Where(g => g.Count() > 1))
                Assert.Equal(dup.Count() - 1, tree.Warnings.Count(w => w.StartsWith($"Duplicate span ID {dup.Key}:", StringComparison.Ordinal)));

            // Times: self time never negative nor above the duration; siblings by start time.
            foreach (var node in tree.Nodes)
            {
                Assert.True(node.SelfTimeMs >= 0, $"negative self time {node.SelfTimeMs}");
                if (node.DurationMs is { } d) Assert.True(node.SelfTimeMs <= Math.Max(0, d) + 1e-6, $"self {node.SelfTimeMs} > duration {d}");
                // The duration is the recorded one, a negative one too (a span that ends before it starts).
                Assert.Equal(node.Span.EndTimeNs is long end ? (end - node.Span.StartTimeNs) / 1e6 : null, node.DurationMs);
            }
            for (var i = 0; i < tree.Nodes.Count; i++)
            {
                var depth = tree.Nodes[i].Depth;
                var children = new List<SpanNode>();
                for (var j = i + 1; j < tree.Nodes.Count && tree.Nodes[j].Depth > depth; j++)
                    if (tree.Nodes[j].Depth == depth + 1) children.Add(tree.Nodes[j]);
                Assert.Equal(tree.Nodes[i].ChildCount, children.Count);
                for (var c = 1; c < children.Count; c++) Assert.True(children[c - 1].StartMs <= children[c].StartMs);
            }
        }, iter: 2000);
    }

    [Fact]
    public void A_shuffled_100000_deep_chain_with_duplicates_and_a_missing_link_builds_without_overflow()
    {
        Gen.Select(Gen.Int[1, 99_998], Gen.Int[0, 50]).Sample((cut, duplicates) =>
        {
            const int n = 100_000;
            var chain = Enumerable.Range(1, n).Select(i => new RawSpan
            {
                SpanId = Id(i),
                ParentSpanId = i == 1 ? null : i == cut + 1 ? Id(999_999) : Id(i - 1), // the link above cut+1 is missing
                Name = $"s{i}",
                StartTimeNs = i,
                EndTimeNs = 2L * n - i,
            }).ToList();
            var rng = new Random(cut);
            var shuffled = chain.OrderBy(_ => rng.Next()).ToList();
            for (var k = 0; k < duplicates; k++) shuffled.Add(chain[rng.Next(n)] with { Name = "dup" }); // later copies lose

            var tree = SpanTreeBuilder.Build(shuffled);
            Assert.Equal(n, tree.Nodes.Count);
            Assert.Equal(n, tree.Nodes.Select(x => x.Span.SpanId).Distinct().Count());
            Assert.False(tree.Nodes.Any(x => x.Span.Name == "dup"), "a later duplicate replaced the first span");
            // The root's chain is `cut` deep; the orphan's chain hangs under the root at depth 1.
            Assert.Equal(Math.Max(cut - 1, n - cut), tree.MaxDepth);
            Assert.Single(tree.Nodes, x => x.Orphaned);
            Assert.Equal(Id(cut + 1), tree.Nodes.Single(x => x.Orphaned).Span.SpanId);
            Assert.Equal(duplicates + 1, tree.Warnings.Count);
        }, iter: 3, threads: 1);
    }
}
