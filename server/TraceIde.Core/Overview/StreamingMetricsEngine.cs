using System.Globalization;
using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Core.Overview;

/// <summary>
/// The host engine for backends that cannot aggregate (tracking servers &lt; 3.9 or on a file store):
/// pages through <see cref="ITraceBackend.SearchTracesAsync"/> newest first (stopping below the range),
/// fetching spans only for the SPANS view, and aggregates with MLflow's SQL semantics (docs/mlflow-notes.md#trace-metrics).
/// Memory: one page of traces and one trace's spans at a time, plus one accumulator per group
/// (percentile groups keep their values). Percentiles: linear interpolation between closest ranks
/// (rank = p/100·(n−1)), the same definition as MLflow's SQLite aggregate and PERCENTILE_CONT.
/// </summary>
/// Progress (traces read) goes to the constructor's sink, else to <see cref="MetricsProgress.Current"/>.
public sealed class StreamingMetricsEngine(ITraceBackend backend, IProgress<long>? progress = null) : ITraceMetricsSource
{
    private const int PageSize = 500;

    public string MetricsEngine => "host";

    private sealed class Acc
    {
        public long Rows;
        public long Count;
        public double Sum;
        public double ScaledSum; // for a mean whose Sum overflowed (FiniteMean)
        public List<double>? Values;
    }

    public async Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery q, CancellationToken cancellationToken)
    {
        var filters = MetricsQueryValidator.Validate(q);
        var wantsValues = q.Aggregations.Any(a => a.AggregationType == MetricsAggregationTypes.Percentile);
        var groups = new Dictionary<string, (long? Bucket, string[] Dims, Acc Acc)>(StringComparer.Ordinal);
        var intervalMs = q.TimeIntervalSeconds * 1000;
        var report = progress ?? MetricsProgress.Current;
        long seen = 0;

        void Add(long timeMs, Func<string, string?> dim, double? value, bool isCountMetric)
        {
            var dims = new string[q.Dimensions.Count];
            for (var i = 0; i < dims.Length; i++)
            {
                var d = dim(q.Dimensions[i]);
                if (d == null) return; // MLflow drops rows with any null dimension
                dims[i] = d;
            }
            long? bucket = intervalMs is { } iv ? Math.DivRem(timeMs, iv).Quotient * iv : null;
            var key = (bucket?.ToString(CultureInfo.InvariantCulture) ?? "") + "\u0001" + string.Join("\u0001", dims);
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = (bucket, dims, new Acc());
            g.Acc.Rows++;
            if (isCountMetric) return;
            if (value is not { } v) return;
            g.Acc.Count++;
            g.Acc.Sum += v;
            g.Acc.ScaledSum += v / FiniteMean.Scale;
            if (wantsValues) (g.Acc.Values ??= []).Add(v);
        }

        string? pageToken = null;
        var done = false;
        do
        {
            var page = await backend.SearchTracesAsync(
                new TraceQuery { ExperimentIds = q.ExperimentIds, PageSize = PageSize, PageToken = pageToken },
                cancellationToken).ConfigureAwait(false);
            foreach (var t in page.Traces)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (q.EndTimeMs is { } end && t.RequestTimeMs > end) continue;
                if (q.StartTimeMs is { } start && t.RequestTimeMs < start)
                {
                    done = true; // newest first: everything after is older
                    break;
                }
                if (!TraceMatches(t, filters)) continue;
                switch (q.ViewType)
                {
                    case MetricsViewTypes.Traces:
                        AddTrace(t);
                        break;
                    case MetricsViewTypes.Spans:
                        foreach (var s in await backend.GetSpansAsync(t, cancellationToken).ConfigureAwait(false))
                            AddSpan(s);
                        break;
                    default:
                        foreach (var a in t.Assessments) AddAssessment(a);
                        break;
                }
                report?.Report(++seen);
            }
            pageToken = page.NextPageToken;
        }
        while (!done && pageToken != null);

        void AddTrace(TraceSummary t)
        {
            string? Dim(string d) => d switch
            {
                "trace_name" => t.Tags.TryGetValue("mlflow.traceName", out var n) ? n : null,
                "trace_status" => t.State,
                _ => null,
            };
            switch (q.MetricName)
            {
                case "trace_count":
                    Add(t.RequestTimeMs, Dim, null, true);
                    break;
                case "latency":
                    Add(t.RequestTimeMs, Dim, t.DurationMs, false);
                    break;
                default:
                    if (TokenValue(t, q.MetricName) is { } tokens) Add(t.RequestTimeMs, Dim, tokens, false); // no trace_metrics row → no join row
                    break;
            }
        }

        void AddSpan(RawSpan s)
        {
            if (!filters.Where(f => f.Entity == "span")
                .All(f => f.Value == (f.Field switch { "name" => s.Name, "status" => s.Status, _ => s.SpanType }))) return;
            string? Dim(string d) => d switch
            {
                "span_name" => s.Name,
                "span_type" => s.SpanType,
                "span_status" => s.Status,
                "span_model_name" => AttrString(s, "mlflow.llm.model"),
                "span_model_provider" => AttrString(s, "mlflow.llm.provider"),
                _ => null,
            };
            var timeMs = s.StartTimeNs / 1_000_000;
            switch (q.MetricName)
            {
                case "span_count":
                    Add(timeMs, Dim, null, true);
                    break;
                case "latency":
                    Add(timeMs, Dim, s.EndTimeNs is { } e ? (e - s.StartTimeNs) / 1_000_000 : null, false);
                    break;
                default:
                    if (s.Attributes.TryGetValue("mlflow.llm.cost", out var cost) && cost.ValueKind == JsonValueKind.Object &&
                        cost.TryGetProperty(q.MetricName, out var c) && c.ValueKind == JsonValueKind.Number)
                        Add(timeMs, Dim, c.GetDouble(), false);
                    break;
            }
        }

        void AddAssessment(Assessment a)
        {
            if (!filters.Where(f => f.Entity == "assessment").All(f => f.Value == (f.Field == "name" ? a.Name : a.Kind))) return;
            var raw = a.Value is { } v ? v.GetRawText() : "null";
            string? Dim(string d) => d switch
            {
                "assessment_name" => a.Name,
                "assessment_value" => raw,
                _ => null,
            };
            var time = a.CreateTimeMs ?? 0;
            if (q.MetricName == "assessment_count") Add(time, Dim, null, true);
            else Add(time, Dim, NumericAssessmentValue(a.Value), false);
        }

        // SQL without GROUP BY answers one row even over no rows (COUNT 0, others NULL).
        if (groups.Count == 0 && q.Dimensions.Count == 0 && intervalMs == null)
            groups[""] = (null, [], new Acc());

        var result = new List<MetricsDataPoint>();
        foreach (var (_, (bucket, dims, acc)) in groups.OrderBy(g => g.Value.Bucket ?? 0)
            .ThenBy(g => string.Join("\u0001", g.Value.Dims), StringComparer.Ordinal))
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var agg in q.Aggregations)
            {
                double? v = agg.AggregationType switch
                {
                    MetricsAggregationTypes.Count => q.MetricName is "trace_count" or "span_count" or "assessment_count" ? acc.Rows : acc.Count,
                    MetricsAggregationTypes.Sum => acc.Count == 0 ? null : acc.Sum,
                    MetricsAggregationTypes.Avg => acc.Count == 0 ? null : FiniteMean.Of(acc.Sum, acc.ScaledSum, acc.Count),
                    _ => acc.Values is { Count: > 0 } list ? LinearPercentile(list, agg.PercentileValue!.Value) : null,
                };
                if (v is { } x) values[agg.ValueKey] = x;
            }
            if (values.Count == 0) continue;
            var dimMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < dims.Length; i++) dimMap[q.Dimensions[i]] = dims[i];
            result.Add(new MetricsDataPoint { MetricName = q.MetricName, TimeBucketMs = bucket, Dimensions = dimMap, Values = values });
            if (result.Count >= (q.MaxResults ?? MetricsQueryValidator.DefaultMaxResults)) break;
        }
        return result;
    }

    private static bool TraceMatches(TraceSummary t, IReadOnlyList<MetricsFilter> filters)
    {
        foreach (var f in filters)
        {
            if (f.Entity != "trace") continue;
            var ok = f.Field switch
            {
                "status" => t.State == f.Value,
                "tag" => t.Tags.TryGetValue(f.Key!, out var tag) && tag == f.Value,
                _ => t.Metadata.TryGetValue(f.Key!, out var m) && m == f.Value,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>The token count MLflow stores in trace_metrics: from trace metadata mlflow.trace.tokenUsage.</summary>
    private static double? TokenValue(TraceSummary t, string key)
    {
        if (!t.Metadata.TryGetValue("mlflow.trace.tokenUsage", out var json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number
                ? v.GetDouble() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? AttrString(RawSpan s, string key) =>
        s.Attributes.TryGetValue(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    /// <summary>MLflow's numeric mapping: true/"yes" → 1, false/"no" → 0, numbers → float, else null.</summary>
    public static double? NumericAssessmentValue(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.True } => 1.0,
        { ValueKind: JsonValueKind.False } => 0.0,
        { ValueKind: JsonValueKind.String } s when s.GetString() == "yes" => 1.0,
        { ValueKind: JsonValueKind.String } s when s.GetString() == "no" => 0.0,
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        _ => null,
    };

    /// <summary>p-th percentile (0..100), linear interpolation between closest ranks.</summary>
    public static double LinearPercentile(List<double> values, double p)
    {
        values.Sort();
        var rank = p / 100 * (values.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, values.Count - 1);
        return values[lo] + (values[hi] - values[lo]) * (rank - lo);
    }
}

/// <summary>
/// Asks the primary source (a tracking server's metrics endpoint) and, once it says Unsupported (server &lt; 3.9,
/// file store), answers this and every later query with the fallback (the host's streaming engine).
/// </summary>
public sealed class FallbackMetricsSource(ITraceMetricsSource primary, ITraceMetricsSource fallback) : ITraceMetricsSource
{
    private volatile bool _usePrimary = true;

    public string MetricsEngine => _usePrimary ? primary.MetricsEngine : fallback.MetricsEngine;

    public async Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        if (_usePrimary)
        {
            try
            {
                return await primary.QueryTraceMetricsAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
            {
                _usePrimary = false;
            }
        }
        return await fallback.QueryTraceMetricsAsync(query, cancellationToken).ConfigureAwait(false);
    }
}
