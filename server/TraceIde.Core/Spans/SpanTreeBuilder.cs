namespace TraceIde.Core.Spans;

/// <summary>
/// Builds the span tree the trace viewer shows: pre-order, children by start time, depth, self time,
/// critical path; orphans (missing parent) hang under the root and are flagged; cycles are broken;
/// iterative, so depth 100,000 does not overflow the stack.
/// </summary>
public static class SpanTreeBuilder
{
    public static SpanTree Build(IReadOnlyList<RawSpan> spans) => throw new NotImplementedException();
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
    public double? DurationMs { get; init; }
    public double SelfTimeMs { get; init; }
    public bool OnCriticalPath { get; init; }
    public int ChildCount { get; init; }
    /// <summary>The recorded parent is missing or made a cycle; placed under the root instead.</summary>
    public bool Orphaned { get; init; }
}
