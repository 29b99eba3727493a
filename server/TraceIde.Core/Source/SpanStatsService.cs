using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Core.Overview;
using TraceIde.Protocol;

namespace TraceIde.Core.Source;

/// <summary>
/// The numbers above a traced function (`source/spanStats`): calls, errors and p50 latency per span name,
/// asked of the same metrics engine as the Overview tab (a tracking server's `traces/metrics`, SPANS view
/// grouped by span name; the host's SQL over a local store; streaming when a server cannot aggregate),
/// and the newest trace per asked name through an ordinary `span.name` search.
/// </summary>
public sealed class SpanStatsService(ITraceMetricsSource metrics, ITraceBackend backend, TimeProvider? clock = null)
{
    /// <summary>At most this many names get a <see cref="SpanNameStats.LatestTraceId"/> (one search each).</summary>
    public const int MaxLatestLookups = 50;

    public async Task<SourceSpanStatsResult> GetAsync(SourceSpanStatsParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.ExperimentIds is not { Count: > 0 }) throw Invalid("experimentIds must name at least one experiment.");
        var end = p.EndTimeMs ?? (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        var start = p.StartTimeMs ?? end - 7 * 86_400_000L;
        if (start < 0 || end < start) throw Invalid($"Invalid time range: startTimeMs ({start}) must be ≥ 0 and ≤ endTimeMs ({end}).");
        if (p.SpanNames is { Count: > MaxLatestLookups }) throw Invalid($"spanNames may list at most {MaxLatestLookups} names.");

        MetricsQuery Query(string metric, MetricsAggregation aggregation, string[] dimensions) => new()
        {
            ExperimentIds = p.ExperimentIds, ViewType = MetricsViewTypes.Spans, MetricName = metric,
            Aggregations = [aggregation], Dimensions = dimensions, StartTimeMs = start, EndTimeMs = end,
        };
        var counts = metrics.QueryTraceMetricsAsync(Query("span_count", MetricsAggregation.Count, ["span_name", "span_status"]), ct);
        var latency = metrics.QueryTraceMetricsAsync(Query("latency", MetricsAggregation.P(50), ["span_name"]), ct);
        await Task.WhenAll(counts, latency).ConfigureAwait(false);

        var wanted = p.SpanNames?.ToHashSet(StringComparer.Ordinal);
        var p50 = (await latency.ConfigureAwait(false))
            .Where(x => x.Dim("span_name") != null)
            .GroupBy(x => x.Dim("span_name")!)
            .ToDictionary(g => g.Key, g => g.First().Value("P50.0"), StringComparer.Ordinal);
        var stats = (await counts.ConfigureAwait(false))
            .Where(x => x.Dim("span_name") is { } n && (wanted == null || wanted.Contains(n)))
            .GroupBy(x => x.Dim("span_name")!)
            .Select(g => new SpanNameStats
            {
                SpanName = g.Key,
                Calls = (long)g.Sum(x => x.Value("COUNT") ?? 0),
                Errors = (long)g.Where(x => x.Dim("span_status") == "ERROR").Sum(x => x.Value("COUNT") ?? 0),
                P50LatencyMs = p50.GetValueOrDefault(g.Key),
            })
            .OrderBy(s => s.SpanName, StringComparer.Ordinal)
            .ToList();

        if (wanted != null)
        {
            var latest = await Task.WhenAll(stats.Select(s => LatestTraceIdAsync(p.ExperimentIds, s.SpanName, start, end, ct))).ConfigureAwait(false);
            stats = stats.Select((s, i) => s with { LatestTraceId = latest[i] }).ToList();
        }
        return new SourceSpanStatsResult { Spans = stats, StartTimeMs = start, EndTimeMs = end, Engine = metrics.MetricsEngine };
    }

    /// <summary>The newest trace in the range with a span of this name, or null when the backend cannot search by span name.</summary>
    private async Task<string?> LatestTraceIdAsync(IReadOnlyList<string> experimentIds, string spanName, long start, long end, CancellationToken ct)
    {
        if (!TraceFilterBuilder.CanQuote(spanName)) return null; // a name MLflow's grammar cannot express
        var filter = TraceFilterBuilder.Combine("span.name = " + TraceFilterBuilder.Quote(spanName),
            new TraceFilters { StartTimeMs = start, EndTimeMs = end })!;
        try
        {
            var page = await backend.SearchTracesAsync(new TraceQuery
            {
                ExperimentIds = experimentIds,
                Filter = filter,
                Clauses = TraceFilterParser.Parse(filter),
                OrderBy = ["timestamp_ms DESC"], // newest first
                PageSize = 1,
            }, ct).ConfigureAwait(false);
            return page.Traces.FirstOrDefault()?.TraceId;
        }
        catch (BackendException e) when (e.Code == RpcErrorCodes.Unsupported)
        {
            return null; // e.g. a tracking server without span filters
        }
    }

    private static BackendException Invalid(string message) => new(RpcErrorCodes.InvalidParams, message);
}
