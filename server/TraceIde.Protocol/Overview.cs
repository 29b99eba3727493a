using System.Text.Json.Serialization;

namespace TraceIde.Protocol;

// ---------------------------------------------------------------- overview/* (docs/mlflow-notes.md#overview-tab)

/// <summary>Time units of the Overview tab (docs/mlflow-notes.md#overview-tab): UTC, epoch-aligned; month = 30 days, year = 365 days.</summary>
public static class OverviewTimeUnits
{
    public const string Second = "second";
    public const string Minute = "minute";
    public const string Hour = "hour";
    public const string Day = "day";
    public const string Month = "month";
    public const string Year = "year";
    /// <summary>A unit is valid for a range only while it gives at most this many buckets.</summary>
    public const int MaxBuckets = 1000;
}

/// <summary>
/// How a metric value that is not a finite number travels: as the JSON string "NaN", "Infinity" or
/// "-Infinity" — the form MLflow's own metrics answers use — where a finite value is a JSON number.
/// Numbers: only the records marked so carry them — every Overview metric (usage, quality, tool calls):
/// aggregates over whatever was logged, so a token SUM past double's range is +∞ (MLflow answers it as
/// "Infinity") and a server may answer "NaN"; null keeps meaning "no value". JSON values (span attributes,
/// assessment values) hold them as these strings too. Anything else that cannot be written reaches the client as InternalError (-32603), never as a
/// result or under another code.
/// </summary>
public static class NonFiniteNumbers
{
    public const string NotANumber = "NaN";
    public const string PositiveInfinity = "Infinity";
    public const string NegativeInfinity = "-Infinity";
}

/// <summary>Parameters shared by overview/usage, overview/quality and overview/toolCalls.</summary>
public sealed record OverviewParams
{
    public IReadOnlyList<string> ExperimentIds { get; init; } = [];
    /// <summary>Inclusive range on the trace timestamp, ms since epoch. Default: the 7 days before now.</summary>
    public long? StartTimeMs { get; init; }
    public long? EndTimeMs { get; init; }
    /// <summary><see cref="OverviewTimeUnits"/>; default follows the range (≤1 h minute, ≤24 h hour, ≤30 d day, ≤365 d month, else year).</summary>
    public string? TimeUnit { get; init; }
    /// <summary>Only traces with this name (tag mlflow.traceName).</summary>
    public string? TraceName { get; init; }
    /// <summary>Only traces with all these tags (exact values).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    /// <summary>Only traces of this user (metadata mlflow.trace.user).</summary>
    public string? User { get; init; }
    /// <summary>Only traces of this session (metadata mlflow.trace.session).</summary>
    public string? Session { get; init; }
    /// <summary>
    /// When set, a slow computation (the host streaming a server's traces) reports through
    /// `$/progress` notifications carrying this token.
    /// </summary>
    public string? ProgressToken { get; init; }
}

/// <summary>The resolved time axis of an answer: every bucket start, empty ones included.</summary>
public sealed record OverviewTimeAxis
{
    public required long StartTimeMs { get; init; }
    public required long EndTimeMs { get; init; }
    public required string TimeUnit { get; init; }
    public required long IntervalSeconds { get; init; }
    /// <summary>aligned = floor(start/interval)·interval, then every interval while ≤ end.</summary>
    public required IReadOnlyList<long> BucketsMs { get; init; }
    /// <summary>"server" (the tracking server computed the aggregates) or "host" (TraceIde did).</summary>
    public required string Engine { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record UsageTotals
{
    public long Requests { get; init; }
    public long Errors { get; init; }
    /// <summary>Errors ÷ requests × 100 (0 without requests).</summary>
    public double ErrorRate { get; init; }
    /// <summary>Mean of the per-bucket error rates over all buckets (empty = 0): the chart's reference line.</summary>
    public double AvgBucketErrorRate { get; init; }
    /// <summary>Requests ÷ number of buckets (empty ones included): the "AVG (n)" line.</summary>
    public double AvgRequestsPerBucket { get; init; }
    public double? AvgLatencyMs { get; init; }
    public double? P50LatencyMs { get; init; }
    public double? P90LatencyMs { get; init; }
    public double? P99LatencyMs { get; init; }
    public double InputTokens { get; init; }
    public double OutputTokens { get; init; }
    public double TotalTokens { get; init; }
    public double CacheReadInputTokens { get; init; }
    public double CacheCreationInputTokens { get; init; }
    public double? AvgTokensPerTrace { get; init; }
    public double? P50TokensPerTrace { get; init; }
    public double? P90TokensPerTrace { get; init; }
    public double? P99TokensPerTrace { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record UsageBucket
{
    public required long TimeMs { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    /// <summary>Errors ÷ requests × 100 in this bucket (0 when empty).</summary>
    public double ErrorRate { get; init; }
    public double? P50LatencyMs { get; init; }
    public double? P90LatencyMs { get; init; }
    public double? P99LatencyMs { get; init; }
    public double InputTokens { get; init; }
    public double OutputTokens { get; init; }
    public double CacheReadInputTokens { get; init; }
    public double CacheCreationInputTokens { get; init; }
    public double? P50TokensPerTrace { get; init; }
    public double? P90TokensPerTrace { get; init; }
    public double? P99TokensPerTrace { get; init; }
}

public sealed record OverviewUsageResult
{
    public required OverviewTimeAxis Axis { get; init; }
    public required UsageTotals Totals { get; init; }
    public required IReadOnlyList<UsageBucket> Series { get; init; }
}

public sealed record AssessmentValueCount
{
    /// <summary>The stored JSON value as text (true, 4.0, "\"yes\"", null).</summary>
    public required string RawValue { get; init; }
    /// <summary>Decoded for display (yes, 4.0, true).</summary>
    public required string Label { get; init; }
    public long Count { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record QualityBucket
{
    public required long TimeMs { get; init; }
    /// <summary>Server-side numeric mean (true/yes = 1, false/no = 0), null when no value in the bucket.</summary>
    public double? AverageValue { get; init; }
    /// <summary>
    /// True for a bucket that is not on the axis: MLflow selects assessments by their trace's time but
    /// buckets them by the assessment's creation time, so feedback logged after the range (a reviewer a day
    /// later) lands in buckets past its end. Kept as MLflow answers them; absent (false) for axis buckets.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool OutsideRange { get; init; }
}

/// <remarks>
/// Feedback values are whatever a scorer logged, so a mean or percentile may be NaN or ±Infinity (MLflow
/// itself answers the AVG of two 1e308 values as "Infinity"): every number of this record may be one of
/// the <see cref="NonFiniteNumbers"/> strings instead of a JSON number.
/// </remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record AssessmentQuality
{
    public required string Name { get; init; }
    public long Count { get; init; }
    /// <summary>numeric | boolean | string | mixed (values without a value — errors — are not considered).</summary>
    public required string ValueKind { get; init; }
    /// <summary>Assessments whose value is null (an assessment that carries an error), counted apart.</summary>
    public long NullValues { get; init; }
    /// <summary>The UI's "Avg Value": count-weighted mean, only when every value is numeric.</summary>
    public double? AverageValue { get; init; }
    /// <summary>Numeric mean with MLflow's mapping (true/yes = 1, false/no = 0).</summary>
    public double? NumericMean { get; init; }
    public double? P50Value { get; init; }
    public double? P90Value { get; init; }
    public double? P99Value { get; init; }
    /// <summary>true/yes share × 100 for boolean / yes-no values.</summary>
    public double? PassRate { get; init; }
    public required IReadOnlyList<AssessmentValueCount> Distribution { get; init; }
    public required IReadOnlyList<QualityBucket> Series { get; init; }
}

public sealed record OverviewQualityResult
{
    public required OverviewTimeAxis Axis { get; init; }
    /// <summary>Feedback assessments by name (sorted by name); `_issue_discovery_judge` ignored.</summary>
    public required IReadOnlyList<AssessmentQuality> Assessments { get; init; }
    /// <summary>True when nothing is in range but feedback exists outside it.</summary>
    public bool HasAssessmentsOutsideRange { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record ToolCallTotals
{
    public long Calls { get; init; }
    public long FailedCalls { get; init; }
    /// <summary>OK ÷ all × 100; null without calls.</summary>
    public double? SuccessRate { get; init; }
    public double? AvgLatencyMs { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record ToolSummary
{
    public required string Name { get; init; }
    public long Calls { get; init; }
    public long Failures { get; init; }
    public double ErrorRate { get; init; }
    public double? AvgLatencyMs { get; init; }
    public double? P50LatencyMs { get; init; }
    public double? P90LatencyMs { get; init; }
    public double? P99LatencyMs { get; init; }
}

/// <remarks>Non-finite numbers travel as <see cref="NonFiniteNumbers"/> strings.</remarks>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record ToolBucket
{
    public required long TimeMs { get; init; }
    public long Calls { get; init; }
    public long Failures { get; init; }
    public double ErrorRate { get; init; }
    public double? AvgLatencyMs { get; init; }
}

public sealed record ToolSeries
{
    public required string Name { get; init; }
    public required IReadOnlyList<ToolBucket> Points { get; init; }
}

public sealed record OverviewToolCallsResult
{
    public required OverviewTimeAxis Axis { get; init; }
    public required ToolCallTotals Totals { get; init; }
    /// <summary>By calls, descending, then name.</summary>
    public required IReadOnlyList<ToolSummary> Tools { get; init; }
    /// <summary>One series per tool, sorted by name.</summary>
    public required IReadOnlyList<ToolSeries> Series { get; init; }
}
