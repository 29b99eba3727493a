// Contract: jumping between code and spans (`source/*`, `workspace/didChangeFiles`). Kept in its own
// file so that it merges cleanly with other additions to Contract.cs.
namespace TraceIde.Protocol;

// ---------------------------------------------------------------- source/locate

/// <summary>`source/locate`: where in the workspace a span's code is.</summary>
public sealed record SourceLocateParams
{
    public required string TraceId { get; init; }
    /// <summary>16 hex chars, as in <see cref="Span.SpanId"/>.</summary>
    public required string SpanId { get; init; }
}

/// <summary>Candidate locations, best first. Several when the evidence is ambiguous (the IDE offers a pick list); empty when nothing matched.</summary>
public sealed record SourceLocateResult
{
    public required IReadOnlyList<SourceLocation> Locations { get; init; }
}

/// <summary>One candidate place in the workspace.</summary>
public sealed record SourceLocation
{
    /// <summary>Absolute path of a workspace file.</summary>
    public required string Path { get; init; }
    /// <summary>1-based.</summary>
    public required int Line { get; init; }
    /// <summary>1-based, when known (the definition's name, a JavaScript frame's column).</summary>
    public int? Column { get; init; }
    /// <summary>0..1: how sure the host is that this is the span's code.</summary>
    public required double Confidence { get; init; }
    /// <summary>Why, for a human: "@mlflow.trace(name=\"get_weather\") def get_weather in the trace's entry script gen_traces.py".</summary>
    public required string Reason { get; init; }
    /// <summary>A <see cref="SourceLocationKinds"/> value: which evidence found it.</summary>
    public required string Kind { get; init; }
}

public static class SourceLocationKinds
{
    /// <summary>OpenTelemetry `code.*` attributes of the span.</summary>
    public const string CodeAttribute = "codeAttribute";
    /// <summary>A frame of an exception stack trace in the span's events.</summary>
    public const string StackFrame = "stackFrame";
    /// <summary>A function definition matched by name.</summary>
    public const string Definition = "definition";
    /// <summary>The trace's entry script (`mlflow.source.name`), for a root span.</summary>
    public const string EntryScript = "entryScript";
    /// <summary>A path given to `source/mapPath`.</summary>
    public const string MappedPath = "mappedPath";
}

// ---------------------------------------------------------------- source/mapPath

/// <summary>`source/mapPath`: a deployed path (a stack frame's) → workspace files, by the longest matching path suffix.</summary>
public sealed record SourceMapPathParams
{
    public required string Path { get; init; }
    /// <summary>1-based; 1 when absent.</summary>
    public int? Line { get; init; }
}

// ---------------------------------------------------------------- source/spanStats

/// <summary>`source/spanStats`: per span name, the numbers a CodeLens shows (calls, p50 latency, errors) over a time range.</summary>
public sealed record SourceSpanStatsParams
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    /// <summary>Inclusive trace-time range (ms since epoch); default the last 7 days up to now.</summary>
    public long? StartTimeMs { get; init; }
    public long? EndTimeMs { get; init; }
    /// <summary>Only these span names (also: only these get <see cref="SpanNameStats.LatestTraceId"/>). All names when absent.</summary>
    public IReadOnlyList<string>? SpanNames { get; init; }
    /// <summary>
    /// Absolute path of the file whose functions the lenses sit over (protocol 1.5): the numbers then count
    /// only the spans whose code `source/locate` would put in this file (<see cref="SpanNameStats.Match"/>).
    /// Needs <see cref="SpanNames"/>.
    /// </summary>
    public string? Path { get; init; }
}

public sealed record SourceSpanStatsResult
{
    /// <summary>
    /// By span name (ordinal). Names asked for but never seen in the range are absent; with a path, a name whose
    /// spans all belong to other files' namesakes is present with 0 calls.
    /// </summary>
    public required IReadOnlyList<SpanNameStats> Spans { get; init; }
    public long StartTimeMs { get; init; }
    public long EndTimeMs { get; init; }
    /// <summary>"server" (the tracking server aggregated) or "host".</summary>
    public required string Engine { get; init; }
}

public sealed record SpanNameStats
{
    public required string SpanName { get; init; }
    public long Calls { get; init; }
    /// <summary>Spans with status ERROR.</summary>
    public long Errors { get; init; }
    /// <summary>Median span latency (linear interpolation between closest ranks, like MLflow).</summary>
    public double? P50LatencyMs { get; init; }
    /// <summary>The newest trace holding a counted span; only for names listed in <see cref="SourceSpanStatsParams.SpanNames"/>.</summary>
    public string? LatestTraceId { get; init; }
    /// <summary>A <see cref="SpanStatsMatches"/> value: whether these are the spans of the asked file's function or of every span of the name.</summary>
    public string Match { get; init; } = SpanStatsMatches.Name;
    /// <summary>
    /// The numbers come from only the newest <see cref="SpanStatsLimits.MaxLocatedTraces"/> traces of the range
    /// holding a span of this name (namesakes in other files made the host locate each span): more calls may exist.
    /// </summary>
    public bool Sampled { get; init; }
    /// <summary>
    /// When the host located each span (namesakes in other files): the traces of the counted spans, newest
    /// first. A search by span name would also list the namesakes' traces. Null when that search lists exactly
    /// the counted traces.
    /// </summary>
    public IReadOnlyList<string>? TraceIds { get; init; }
}

public static class SpanStatsMatches
{
    /// <summary>The spans whose code is in the asked file (<see cref="SourceSpanStatsParams.Path"/>), by `source/locate`'s evidence.</summary>
    public const string Located = "located";
    /// <summary>Every span of the name, wherever its code is (no path asked, or the file has no definition for the name).</summary>
    public const string Name = "name";
}

public static class SpanStatsLimits
{
    /// <summary>At most this many traces are read to locate the spans of one name.</summary>
    public const int MaxLocatedTraces = 200;
}

// ---------------------------------------------------------------- workspace/didChangeFiles (client → host notification)

/// <summary>Files the IDE saw change on disk, so the host's workspace index stays current without rescanning.</summary>
public sealed record WorkspaceDidChangeFilesParams
{
    public IReadOnlyList<string>? Changed { get; init; }
    public IReadOnlyList<string>? Created { get; init; }
    /// <summary>A deleted folder drops everything under it.</summary>
    public IReadOnlyList<string>? Deleted { get; init; }
}
