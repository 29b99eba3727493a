using System.Text.RegularExpressions;
using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Core.Overview;

/// <summary>One parsed metrics filter: <c>trace.status</c>, <c>trace.tag.&lt;key&gt;</c>, <c>trace.metadata.&lt;key&gt;</c>, <c>span.name|status|type</c>,
/// <c>assessment.name|type</c>.</summary>
public sealed record MetricsFilter(string Entity, string Field, string? Key, string Value);

/// <summary>
/// MLflow's validation of QueryTraceMetrics (docs/mlflow-notes.md#trace-metrics), with MLflow's own messages, so the host
/// engine rejects exactly what a tracking server rejects. Throws <see cref="BackendException"/> (InvalidParams).
/// </summary>
public static partial class MetricsQueryValidator
{
    private sealed record MetricSpec(string[] Aggregations, string[] Dimensions);

    private static readonly string[] TraceNameDim = ["trace_name"];
    private static readonly string[] SumAvgPct = [MetricsAggregationTypes.Sum, MetricsAggregationTypes.Avg, MetricsAggregationTypes.Percentile];
    private static readonly string[] AvgPct = [MetricsAggregationTypes.Avg, MetricsAggregationTypes.Percentile];
    private static readonly string[] CountOnly = [MetricsAggregationTypes.Count];

    // Ordered as MLflow lists them in its error message.
    private static readonly Dictionary<string, List<KeyValuePair<string, MetricSpec>>> Metrics = new(StringComparer.Ordinal)
    {
        [MetricsViewTypes.Traces] =
        [
            new("trace_count", new(CountOnly, ["trace_name", "trace_status"])),
            new("latency", new(AvgPct, TraceNameDim)),
            new("input_tokens", new(SumAvgPct, TraceNameDim)),
            new("output_tokens", new(SumAvgPct, TraceNameDim)),
            new("total_tokens", new(SumAvgPct, TraceNameDim)),
            new("cache_read_input_tokens", new(SumAvgPct, TraceNameDim)),
            new("cache_creation_input_tokens", new(SumAvgPct, TraceNameDim)),
        ],
        [MetricsViewTypes.Spans] =
        [
            new("span_count", new(CountOnly, ["span_name", "span_type", "span_status", "span_model_name", "span_model_provider"])),
            new("latency", new(AvgPct, ["span_name", "span_status"])),
            new("input_cost", new(SumAvgPct, ["span_model_name", "span_model_provider"])),
            new("output_cost", new(SumAvgPct, ["span_model_name", "span_model_provider"])),
            new("total_cost", new(SumAvgPct, ["span_model_name", "span_model_provider"])),
        ],
        [MetricsViewTypes.Assessments] =
        [
            new("assessment_count", new(CountOnly, ["assessment_name", "assessment_value"])),
            new("assessment_value", new(AvgPct, ["assessment_name"])),
        ],
    };

    public const int DefaultMaxResults = 1000;

    /// <summary>Validates <paramref name="query"/> and returns its parsed filters.</summary>
    public static IReadOnlyList<MetricsFilter> Validate(MetricsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.ExperimentIds is not { Count: > 0 }) throw Invalid("experiment_ids must not be empty");
        if (string.IsNullOrEmpty(query.ViewType) || !Metrics.TryGetValue(query.ViewType, out var metrics))
            throw Invalid($"view_type must be one of ['TRACES', 'SPANS', 'ASSESSMENTS'], got '{query.ViewType}'");
        if (query.Aggregations is not { Count: > 0 }) throw Invalid("aggregations must not be empty");

        var spec = metrics.FirstOrDefault(m => m.Key == query.MetricName).Value;
        if (spec == null)
            throw Invalid($"metric_name must be one of {PyList(metrics.Select(m => m.Key))}, got '{query.MetricName}'");

        var badAggs = query.Aggregations.Select(a => a.AggregationType)
            .Where(a => !spec.Aggregations.Contains(a))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        if (badAggs.Count > 0)
            throw Invalid($"Found invalid aggregation_type(s): {PyList(badAggs)}. Supported aggregation types: " +
                $"{PyList(spec.Aggregations.Order(StringComparer.Ordinal))}");
        foreach (var a in query.Aggregations)
        {
            if (a.AggregationType == MetricsAggregationTypes.Percentile && (a.PercentileValue is not { } p || double.IsNaN(p) || p < 0 || p > 100))
                throw Invalid("percentile_value must be between 0 and 100 for PERCENTILE aggregation, got " +
                    $"{a.PercentileValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None"}");
        }

        var badDims = query.Dimensions.Where(d => !spec.Dimensions.Contains(d)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (badDims.Count > 0)
            throw Invalid($"Found invalid dimension(s): {PyList(badDims)}. Supported dimensions: {PyList(spec.Dimensions.Order(StringComparer.Ordinal))}");

        if (query.TimeIntervalSeconds != null)
        {
            if (query.StartTimeMs == null || query.EndTimeMs == null)
                throw Invalid("start_time_ms and end_time_ms are required if time_interval_seconds is set");
            if (query.TimeIntervalSeconds <= 0) throw Invalid("time_interval_seconds must be positive");
        }
        if (query.MaxResults is <= 0) throw Invalid("max_results must be positive");

        return query.Filters.Select(f => ParseFilter(f, query.ViewType)).ToList();
    }

    [GeneratedRegex(
        """^\s*(?<entity>trace|span|assessment)\.(?<field>[A-Za-z_]+)(?:\.(?:`(?<bkey>[^`]+)`|(?<key>[^\s=!<>]+)))?\s*=\s*(?:"(?<dq>[^"]*)"|""" +
        """'(?<sq>[^']*)')\s*$""")]
    private static partial Regex FilterRegex();

    /// <summary>Parses one filter; only the comparisons MLflow's metrics API applies are accepted.</summary>
    public static MetricsFilter ParseFilter(string filter, string viewType)
    {
        var m = FilterRegex().Match(filter ?? "");
        if (!m.Success)
            throw Invalid($"Invalid filter '{filter}': expected <entity>.<field> = \"value\" (trace.status, trace.tag.<key>, trace.metadata.<key>, " +
                "span.name|status|type, assessment.name|type)");
        var entity = m.Groups["entity"].Value;
        var field = m.Groups["field"].Value;
        var key = m.Groups["bkey"].Success ? m.Groups["bkey"].Value : m.Groups["key"].Success ? m.Groups["key"].Value : null;
        var value = m.Groups["dq"].Success ? m.Groups["dq"].Value : m.Groups["sq"].Value;
        var ok = (entity, field) switch
        {
            ("trace", "status") => key == null,
            ("trace", "tag" or "metadata") => key != null,
            ("span", "name" or "status" or "type") => key == null && viewType == MetricsViewTypes.Spans,
            ("assessment", "name" or "type") => key == null && viewType == MetricsViewTypes.Assessments,
            _ => false,
        };
        if (!ok)
            throw Invalid($"Invalid filter '{filter}' for view_type {viewType}: supported are trace.status, trace.tag.<key>, trace.metadata.<key>" +
                (viewType == MetricsViewTypes.Spans ? ", span.name, span.status, span.type" : "") +
                (viewType == MetricsViewTypes.Assessments ? ", assessment.name, assessment.type" : ""));
        return new MetricsFilter(entity, field, key, value);
    }

    private static string PyList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => "'" + i + "'")) + "]";

    private static BackendException Invalid(string message) => new(RpcErrorCodes.InvalidParams, message, null, null, "INVALID_PARAMETER_VALUE");
}
