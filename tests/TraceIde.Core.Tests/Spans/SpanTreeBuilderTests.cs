using System.Text.Json;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

public class SpanTreeBuilderTests
{
    private static string Id(int n) => n.ToString("x16");

    /// <summary>A span with times in milliseconds (end null = running).</summary>
    private static RawSpan S(int id, int? parent, double startMs, double? endMs, string? name = null) => new()
    {
        SpanId = Id(id),
        ParentSpanId = parent is null ? null : Id(parent.Value),
        Name = name ?? $"s{id}",
        StartTimeNs = (long)(startMs * 1_000_000),
        EndTimeNs = endMs is null ? null : (long)(endMs.Value * 1_000_000),
    };

    private static SpanNode Node(SpanTree t, int id) => t.Nodes.Single(n => n.Span.SpanId == Id(id));

    /// <summary>Every node's parent comes before it in pre-order and is the nearest preceding node one level up.</summary>
    private static void AssertPreOrderConsistent(SpanTree t)
    {
        var stack = new List<SpanNode>();
        foreach (var n in t.Nodes)
        {
            Assert.True(n.Depth <= stack.Count, $"{n.Span.Name} jumps from depth {stack.Count - 1} to {n.Depth}");
            stack.RemoveRange(n.Depth, stack.Count - n.Depth);
            if (n.Depth > 0 && !n.Orphaned) Assert.Equal(stack[^1].Span.SpanId, n.Span.ParentSpanId);
            stack.Add(n);
        }
    }

    // ---------------------------------------------------------------- real traces

    [Theory]
    [InlineData("get_trace_artifact_v3__s1-paris-t1", false, 8, 5)]
    [InlineData("traces_get__s1-paris-t1", true, 8, 5)]
    [InlineData("traces_get__agent-deep-nesting", true, 13, 6)]
    [InlineData("get_trace_artifact_v3__batch-digest-500", false, 500, 3)]
    [InlineData("traces_get__batch-digest-500", true, 500, 3)]
    [InlineData("traces_get__s2-order-t1", true, 7, 4)]
    public void RealTraces_SpanCountAndLevelsMatchTheFixtureTable(string recording, bool otel, int spans, int levels)
    {
        var raw = otel ? SpanFixtures.TracesGet(recording) : SpanFixtures.Artifact(recording);
        var tree = SpanTreeBuilder.Build(raw);

        Assert.Equal(spans, tree.Nodes.Count);
        Assert.Equal(levels, tree.MaxDepth + 1);
        Assert.Single(tree.Nodes, n => n.Depth == 0);
        Assert.Equal(0, tree.Nodes[0].Depth);
        Assert.Empty(tree.Warnings);
        Assert.DoesNotContain(tree.Nodes, n => n.Orphaned);
        AssertPreOrderConsistent(tree);
        Assert.Equal(tree.Nodes.Count - 1, tree.Nodes.Sum(n => n.ChildCount));
        Assert.True(tree.Nodes[0].OnCriticalPath);
        Assert.All(tree.Nodes, n => Assert.InRange(n.SelfTimeMs, 0, n.DurationMs!.Value + 1e-9));
    }

    [Fact]
    public void S1ParisT1_RootTimes()
    {
        var tree = SpanTreeBuilder.Build(SpanFixtures.Artifact("get_trace_artifact_v3__s1-paris-t1"));
        var root = tree.Nodes[0];
        Assert.Equal("support_agent", root.Span.Name);
        Assert.Equal(1794890884528.0, root.StartMs, 3);
        Assert.Equal(2210.979795, root.DurationMs!.Value, 6); // README: dur 2210 ms
    }

    /// <summary>
    /// Every traces.json artifact in the server store against MLflow's own ground truth (span count and depth).
    /// </summary>
    [Fact]
    public void StoreArtifacts_MatchGroundTruth()
    {
        using var gt = JsonDocument.Parse(File.ReadAllBytes(SpanFixtures.GroundTruthSmall));
        var truth = gt.RootElement.GetProperty("traces").EnumerateArray()
            .ToDictionary(
                t => t.GetProperty("trace_id").GetString()!,
                t => (spans: t.GetProperty("span_count").GetInt32(), depth: t.GetProperty("max_depth").GetInt32()));
        var files = Directory.GetFiles(Path.Combine(SpanFixtures.ServerStore, "artifacts"), "traces.json", SearchOption.AllDirectories);
        Assert.Equal(11, files.Length);
        foreach (var file in files)
        {
            var traceId = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(file)))!;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var tree = SpanTreeBuilder.Build(SpanDecoder.DecodeTraceData(doc.RootElement));
            Assert.True(truth.TryGetValue(traceId, out var expected), traceId);
            Assert.Equal(expected.spans, tree.Nodes.Count);
            Assert.Equal(expected.depth, tree.MaxDepth + 1);
            Assert.Empty(tree.Warnings);
        }
    }

    // ---------------------------------------------------------------- known answers

    [Fact]
    public void SelfTimeAndCriticalPath_KnownAnswers()
    {
        var tree = SpanTreeBuilder.Build([
            S(6, 1, 95, 120),  // runs past the root's end: clipped for the root's self time
            S(5, 4, 75, 95),   // runs past its parent's end
            S(1, null, 0, 100),
            S(3, 1, 30, 60),   // overlaps s2
            S(2, 1, 10, 40),
            S(4, 1, 70, 90),
        ]);
        Assert.Equal(["s1", "s2", "s3", "s4", "s5", "s6"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal([0, 1, 1, 1, 2, 1], tree.Nodes.Select(n => n.Depth));
        // root: 100 - |[10,60] ∪ [70,90] ∪ [95,100]| = 100 - 75
        Assert.Equal(25, Node(tree, 1).SelfTimeMs, 9);
        Assert.Equal(30, Node(tree, 2).SelfTimeMs, 9);
        Assert.Equal(30, Node(tree, 3).SelfTimeMs, 9);
        Assert.Equal(5, Node(tree, 4).SelfTimeMs, 9); // 20 - |[75,90]|
        Assert.Equal(20, Node(tree, 5).SelfTimeMs, 9);
        Assert.Equal(25, Node(tree, 6).SelfTimeMs, 9);
        Assert.Equal(4, Node(tree, 1).ChildCount);
        Assert.Equal(1, Node(tree, 4).ChildCount);
        Assert.Equal(100, Node(tree, 1).DurationMs);
        // s6 ends last
        Assert.Equal([1, 6], tree.Nodes.Where(n => n.OnCriticalPath).Select(n => int.Parse(n.Span.SpanId, System.Globalization.NumberStyles.HexNumber)));
        Assert.Empty(tree.Warnings);
    }

    [Fact]
    public void CriticalPath_EqualEnds_LongerChildWins_AndChainContinues()
    {
        var tree = SpanTreeBuilder.Build([
            S(1, null, 0, 100),
            S(2, 1, 50, 80),
            S(3, 1, 10, 80),  // same end as s2, longer
            S(4, 3, 20, 30),
            S(5, 3, 15, 25),
            S(6, 1, 0, 60),
        ]);
        Assert.Equal(["s1", "s6", "s3", "s5", "s4", "s2"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal(["s1", "s3", "s4"], tree.Nodes.Where(n => n.OnCriticalPath).Select(n => n.Span.Name));
        // s3: 70 - |[15,30]|
        Assert.Equal(55, Node(tree, 3).SelfTimeMs, 9);
        // s1: 100 - |[0,80]|
        Assert.Equal(20, Node(tree, 1).SelfTimeMs, 9);
    }

    [Fact]
    public void SiblingsWithEqualStart_OrderedBySpanId()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 10), S(0x30, 1, 1, 2), S(0x10, 1, 1, 2), S(0x20, 1, 1, 2)]);
        Assert.Equal([Id(1), Id(0x10), Id(0x20), Id(0x30)], tree.Nodes.Select(n => n.Span.SpanId));
    }

    [Fact]
    public void RunningSpans_HaveNoDuration_AndRunningChildCoversRestOfParent()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 100), S(2, 1, 40, null), S(3, null, 0, null, "open-root"), S(4, 3, 1, 2)]);
        Assert.Null(Node(tree, 2).DurationMs);
        Assert.Equal(40, Node(tree, 1).SelfTimeMs, 9);
        Assert.Null(Node(tree, 3).DurationMs);
        Assert.Equal(0, Node(tree, 3).SelfTimeMs);
        Assert.True(Node(tree, 2).OnCriticalPath); // a running child ends last
        Assert.Equal(2, tree.Nodes.Count(n => n.Depth == 0)); // two real roots both stay roots
    }

    [Fact]
    public void ClockSkew_ChildStartsBeforeParent_StaysUnderParent()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 100, 200), S(2, 1, 50, 150)]);
        Assert.Equal(["s1", "s2"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal(1, Node(tree, 2).Depth);
        Assert.False(Node(tree, 2).Orphaned);
        Assert.Equal(50, Node(tree, 2).StartMs, 9);
        Assert.Equal(100, Node(tree, 2).DurationMs);
        Assert.Equal(50, Node(tree, 1).SelfTimeMs, 9); // child clipped to [100,150]
        Assert.True(Node(tree, 2).OnCriticalPath);
        Assert.Empty(tree.Warnings);
    }

    [Fact]
    public void ClockSkew_SpanEndingBeforeItStarts_KeepsItsNegativeDuration_AndNoSelfTime()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 300), S(2, 1, 200, 100)]);
        Assert.Equal(-100, Node(tree, 2).DurationMs!.Value, 9);
        Assert.Equal(0, Node(tree, 2).SelfTimeMs);
        Assert.Equal(300, Node(tree, 1).SelfTimeMs, 9); // the skewed child covers none of its parent
    }

    // ---------------------------------------------------------------- broken traces

    [Fact]
    public void Orphan_AttachedUnderRoot_FlaggedAndWarned()
    {
        var missing = "00000000deadbeef";
        var orphan = S(3, null, 5, 6) with { ParentSpanId = missing };
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 10), S(2, 1, 1, 2), orphan]);
        var o = Node(tree, 3);
        Assert.True(o.Orphaned);
        Assert.Equal(1, o.Depth);
        Assert.Equal(2, Node(tree, 1).ChildCount);
        Assert.False(Node(tree, 2).Orphaned);
        var w = Assert.Single(tree.Warnings);
        Assert.Contains(Id(3), w);
        Assert.Contains(missing, w);
        Assert.Equal(["s1", "s2", "s3"], tree.Nodes.Select(n => n.Span.Name));
    }

    [Fact]
    public void Orphan_AttachedUnderFirstRootByStartTime()
    {
        var orphan = S(9, null, 50, 60) with { ParentSpanId = "0000000000000bad" };
        var tree = SpanTreeBuilder.Build([S(2, null, 20, 100, "late-root"), S(1, null, 10, 100, "early-root"), orphan]);
        Assert.Equal(["early-root", "s9", "late-root"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal(1, Node(tree, 9).Depth);
    }

    [Fact]
    public void Cycle_IsBroken_AndHangsUnderRoot()
    {
        // 2 -> 3 -> 2, plus a child of the cycle
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 100), S(2, 3, 10, 50), S(3, 2, 20, 40), S(4, 3, 25, 30)]);
        Assert.Equal(4, tree.Nodes.Count);
        Assert.Equal(["s1", "s2", "s3", "s4"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal([0, 1, 2, 3], tree.Nodes.Select(n => n.Depth));
        Assert.True(Node(tree, 2).Orphaned); // the earliest span of the cycle is detached
        Assert.False(Node(tree, 3).Orphaned);
        var w = Assert.Single(tree.Warnings);
        Assert.Contains("cycle", w);
        Assert.Contains(Id(2), w);
    }

    [Fact]
    public void SelfParent_IsBroken()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 100), S(2, 2, 10, 20)]);
        Assert.Equal(2, tree.Nodes.Count);
        Assert.True(Node(tree, 2).Orphaned);
        Assert.Equal(1, Node(tree, 2).Depth);
        Assert.Contains("own parent", Assert.Single(tree.Warnings));
    }

    [Fact]
    public void DuplicateSpanId_KeepsFirst()
    {
        var tree = SpanTreeBuilder.Build([S(1, null, 0, 100), S(2, 1, 10, 20, "first"), S(2, 1, 30, 40, "second")]);
        Assert.Equal(2, tree.Nodes.Count);
        Assert.Equal("first", Node(tree, 2).Span.Name);
        var w = Assert.Single(tree.Warnings);
        Assert.Contains(Id(2), w);
        Assert.Contains("second", w);
    }

    [Fact]
    public void NoRoot_EarliestSpanBecomesRoot()
    {
        var a = S(1, null, 20, 30) with { ParentSpanId = "00000000000000aa" };
        var b = S(2, null, 10, 40) with { ParentSpanId = "00000000000000bb" };
        var c = S(3, 1, 21, 22);
        var tree = SpanTreeBuilder.Build([a, b, c]);
        Assert.Equal(["s2", "s1", "s3"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal([0, 1, 2], tree.Nodes.Select(n => n.Depth));
        Assert.Single(tree.Nodes, n => n.Depth == 0);
        Assert.True(Node(tree, 1).Orphaned);
        Assert.Equal(2, tree.Warnings.Count);
        Assert.Contains(tree.Warnings, w => w.Contains("no root"));
    }

    [Fact]
    public void NoRoot_OnlyACycle()
    {
        var tree = SpanTreeBuilder.Build([S(1, 2, 10, 20), S(2, 1, 5, 30)]);
        Assert.Equal(["s2", "s1"], tree.Nodes.Select(n => n.Span.Name));
        Assert.Equal([0, 1], tree.Nodes.Select(n => n.Depth));
        Assert.NotEmpty(tree.Warnings);
    }

    [Fact]
    public void Empty() => Assert.Empty(SpanTreeBuilder.Build([]).Nodes);

    // ---------------------------------------------------------------- scale

    [Fact]
    public void Chain100000Deep_IsIterative()
    {
        const int n = 100_000;
        var spans = new RawSpan[n];
        for (var i = 0; i < n; i++)
            spans[n - 1 - i] = S(i + 1, i == 0 ? null : i, i, 2L * n - i); // given in reverse order
        var tree = SpanTreeBuilder.Build(spans);
        Assert.Equal(n, tree.Nodes.Count);
        Assert.Equal(n - 1, tree.Nodes[^1].Depth);
        Assert.Equal(Id(n), tree.Nodes[^1].Span.SpanId);
        Assert.Equal(n - 1, tree.MaxDepth);
        Assert.All(tree.Nodes, x => Assert.True(x.OnCriticalPath));
        Assert.Equal(2, tree.Nodes[0].SelfTimeMs, 9); // [0, 2n] minus child [1, 2n-1]
        Assert.Empty(tree.Warnings);
    }

    [Fact]
    public void CycleOf100000_IsBrokenIteratively()
    {
        const int n = 100_000;
        var spans = new RawSpan[n + 1];
        spans[0] = S(0x7fffffff, null, -1, 1e9, "root");
        for (var i = 0; i < n; i++)
            spans[i + 1] = S(i + 1, i == 0 ? n : i, i, 1e9); // 1 -> n -> n-1 ... cycle
        var tree = SpanTreeBuilder.Build(spans);
        Assert.Equal(n + 1, tree.Nodes.Count);
        Assert.Equal(n, tree.MaxDepth);
        Assert.Single(tree.Warnings);
    }
}
