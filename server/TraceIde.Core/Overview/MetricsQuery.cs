using System.Globalization;

namespace TraceIde.Core.Overview;

/// <summary>MLflow's QueryTraceMetrics view types (docs/mlflow-notes.md#trace-metrics).</summary>
public static class MetricsViewTypes
{
    public const string Traces = "TRACES";
    public const string Spans = "SPANS";
    public const string Assessments = "ASSESSMENTS";
}

/// <summary>MLflow's aggregation types. MIN/MAX exist in MLflow's enum but its validation rejects them.</summary>
public static class MetricsAggregationTypes
{
    public const string Count = "COUNT";
    public const string Sum = "SUM";
    public const string Avg = "AVG";
    public const string Percentile = "PERCENTILE";
}

/// <summary>One aggregation; <see cref="PercentileValue"/> (0..100) only for PERCENTILE.</summary>
public sealed record MetricsAggregation(string AggregationType, double? PercentileValue = null)
{
    public static MetricsAggregation Count { get; } = new(MetricsAggregationTypes.Count);
    public static MetricsAggregation Sum { get; } = new(MetricsAggregationTypes.Sum);
    public static MetricsAggregation Avg { get; } = new(MetricsAggregationTypes.Avg);
    public static MetricsAggregation P(double value) => new(MetricsAggregationTypes.Percentile, value);

    /// <summary>The key of this aggregation in a data point's values, as MLflow writes it: COUNT, SUM, AVG, P50.0, P99.9.</summary>
    public string ValueKey => AggregationType == MetricsAggregationTypes.Percentile
        ? "P" + FormatPythonFloat(PercentileValue ?? 0)
        : AggregationType;

    /// <summary>Python's str(float): 50 → "50.0", 99.9 → "99.9".</summary>
    internal static string FormatPythonFloat(double v)
    {
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }
}

/// <summary>
/// One QueryTraceMetrics request, mirroring MLflow's (docs/mlflow-notes.md#trace-metrics): the same shape is sent to a
/// tracking server (<c>POST /api/3.0/mlflow/traces/metrics</c>) or answered by the host over a local store.
/// </summary>
public sealed record MetricsQuery
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    public required string ViewType { get; init; }
    public required string MetricName { get; init; }
    public required IReadOnlyList<MetricsAggregation> Aggregations { get; init; }
    public IReadOnlyList<string> Dimensions { get; init; } = [];
    /// <summary>MLflow metric filters, ANDed (e.g. <c>span.type = "TOOL"</c>).</summary>
    public IReadOnlyList<string> Filters { get; init; } = [];
    public long? TimeIntervalSeconds { get; init; }
    /// <summary>Inclusive bounds on the trace timestamp (ms since epoch).</summary>
    public long? StartTimeMs { get; init; }
    public long? EndTimeMs { get; init; }
    public int? MaxResults { get; init; }
}

/// <summary>One row of a metrics answer: dimensions (incl. <see cref="TimeBucketMs"/>) and values keyed like MLflow.</summary>
public sealed record MetricsDataPoint
{
    public required string MetricName { get; init; }
    /// <summary>Start of the time bucket (ms since epoch, UTC), when the query was bucketed.</summary>
    public long? TimeBucketMs { get; init; }
    /// <summary>Non-time dimensions by name (trace_status, span_name, assessment_value …).</summary>
    public required IReadOnlyDictionary<string, string> Dimensions { get; init; }
    /// <summary>COUNT, SUM, AVG, P50.0 … → value.</summary>
    public required IReadOnlyDictionary<string, double> Values { get; init; }

    public string? Dim(string name) => Dimensions.TryGetValue(name, out var v) ? v : null;
    public double? Value(string key) => Values.TryGetValue(key, out var v) ? v : null;
}

/// <summary>Something that answers MLflow QueryTraceMetrics requests (a tracking server, or the host over a store).</summary>
public interface ITraceMetricsSource
{
    /// <summary>"server" (the tracking server computes) or "host" (TraceIde computes).</summary>
    string MetricsEngine { get; }

    /// <summary>
    /// Answers one query. Invalid queries throw <see cref="Backends.BackendException"/> with
    /// <c>InvalidParams</c>; backends without the feature throw <c>Unsupported</c>.
    /// </summary>
    Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery query, CancellationToken cancellationToken);
}
