using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Core.Overview;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Core.Source;

/// <summary>
/// The numbers above a traced function (`source/spanStats`): calls, errors and p50 latency per span name,
/// asked of the same metrics engine as the Overview tab (a tracking server's `traces/metrics`, SPANS view
/// grouped by span name; the host's SQL over a local store; streaming when a server cannot aggregate),
/// and the newest trace per asked name through an ordinary `span.name` search.
/// With a file path asked, the numbers are those of the file's function: a name defined only in this file
/// keeps the by-name numbers; a name with namesakes in other files is counted span by span, each located
/// as `source/locate` would (<see cref="SourceLocator"/>); a name this file does not define stays by name.
/// </summary>
public sealed class SpanStatsService(ITraceMetricsSource metrics, ITraceBackend backend, TimeProvider? clock = null, WorkspaceIndex? workspace = null)
{
    /// <summary>At most this many names get a <see cref="SpanNameStats.LatestTraceId"/> (one search each).</summary>
    public const int MaxLatestLookups = 50;

    /// <summary>How many of a name's newest traces are read to locate its spans (the contract's limit; lower in tests).</summary>
    public int MaxLocatedTraces { get; init; } = SpanStatsLimits.MaxLocatedTraces;

    public async Task<SourceSpanStatsResult> GetAsync(SourceSpanStatsParams p, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.ExperimentIds is not { Count: > 0 }) throw Invalid("experimentIds must name at least one experiment.");
        var end = p.EndTimeMs ?? (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        var start = p.StartTimeMs ?? end - 7 * 86_400_000L;
        if (start < 0 || end < start) throw Invalid($"Invalid time range: startTimeMs ({start}) must be ≥ 0 and ≤ endTimeMs ({end}).");
        if (p.SpanNames is { Count: > MaxLatestLookups }) throw Invalid($"spanNames may list at most {MaxLatestLookups} names.");
        string? file = null;
        if (p.Path != null)
        {
            if (!System.IO.Path.IsPathFullyQualified(p.Path)) throw Invalid($"path must be an absolute file path (was '{p.Path}').");
            if (p.SpanNames is not { Count: > 0 }) throw Invalid("path needs spanNames: the functions of a file are asked for by their span names.");
            if (workspace == null) throw new BackendException(RpcErrorCodes.Unsupported, "This host has no workspace index to locate spans in files with.");
            file = System.IO.Path.GetFullPath(p.Path);
        }

        MetricsQuery Query(string metric, MetricsAggregation aggregation, string[] dimensions) => new()
        {
            ExperimentIds = p.ExperimentIds,
            ViewType = MetricsViewTypes.Spans,
            MetricName = metric,
            Aggregations = [aggregation],
            Dimensions = dimensions,
            StartTimeMs = start,
            EndTimeMs = end,
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
        if (file != null) stats = await ForFileAsync(stats, file, p.ExperimentIds, start, end, ct).ConfigureAwait(false);
        return new SourceSpanStatsResult { Spans = stats, StartTimeMs = start, EndTimeMs = end, Engine = metrics.MetricsEngine };
    }

    /// <summary>The by-name numbers narrowed, name by name, to the spans whose code is in <paramref name="file"/>.</summary>
    private async Task<List<SpanNameStats>> ForFileAsync(IReadOnlyList<SpanNameStats> byName, string file,
        IReadOnlyList<string> experimentIds, long start, long end, CancellationToken ct)
    {
        var view = await workspace!.GetViewAsync(ct).ConfigureAwait(false);
        var narrowed = byName.ToList();
        var toLocate = new List<int>();
        for (var i = 0; i < byName.Count; i++)
        {
            var candidates = SourceLocator.CandidateDefinitions(view, byName[i].SpanName);
            if (!candidates.Any(d => WorkspaceIndex.PathComparer.Equals(d.Path, file)))
                continue; // unsaved, new or unindexed: by name is all there is, and the lens says so
            // Definitions are the only evidence that names a file without a span in hand: with no namesake
            // elsewhere, every span of the name is this function's. (Code attributes and stack frames could
            // still point elsewhere, but only per-span locating sees them, at the cost of reading every trace.)
            if (candidates.All(d => WorkspaceIndex.PathComparer.Equals(d.Path, file)))
                narrowed[i] = byName[i] with { Match = SpanStatsMatches.Located };
            else
                toLocate.Add(i);
        }
        if (toLocate.Count == 0) return narrowed;

        var pages = await Task.WhenAll(toLocate.Select(i => NewestTracesAsync(experimentIds, byName[i].SpanName, start, end, MaxLocatedTraces, ct)))
            .ConfigureAwait(false);
        var counts = new Dictionary<string, LocatedCount>(StringComparer.Ordinal);
        for (var k = 0; k < toLocate.Count; k++)
            if (pages[k] is { } page) counts[byName[toLocate[k]].SpanName] = new LocatedCount(page);

        // Each trace is read once for all the names it was found for, and dropped before the next one is read:
        // the lens is not urgent, and the store or server serves the editor's other requests meanwhile.
        var namesByTrace = counts.SelectMany(c => c.Value.Page.Traces.Select(t => (t.TraceId, SpanName: c.Key)))
            .GroupBy(x => x.TraceId, x => x.SpanName, StringComparer.Ordinal);
        foreach (var names in namesByTrace)
        {
            TraceData trace;
            try
            {
                trace = await backend.GetTraceAsync(names.Key, ct).ConfigureAwait(false);
            }
            catch (BackendException e) when (e.Code == RpcErrorCodes.NotFound)
            {
                continue; // deleted since the search
            }
            var wanted = names.ToHashSet(StringComparer.Ordinal);
            foreach (var span in trace.Spans)
            {
                if (!wanted.Contains(span.Name)) continue;
                var owner = SourceLocator.OwningFile(SourceLocator.Locate(trace.Info, span, view, workspace.Roots));
                if (owner != null && WorkspaceIndex.PathComparer.Equals(owner, file)) counts[span.Name].Add(names.Key, span);
            }
        }

        foreach (var i in toLocate)
            if (counts.TryGetValue(byName[i].SpanName, out var c)) narrowed[i] = c.Narrow(byName[i]);
        return narrowed;
    }

    /// <summary>The newest traces in the range holding a span of this name, or null when the backend cannot search by span name.</summary>
    private async Task<TracePage?> NewestTracesAsync(
        IReadOnlyList<string> experimentIds,
        string spanName,
        long start,
        long end,
        int pageSize,
        CancellationToken ct)
    {
        if (!TraceFilterBuilder.CanQuote(spanName)) return null; // a name MLflow's grammar cannot express
        var filter = TraceFilterBuilder.Combine("span.name = " + TraceFilterBuilder.Quote(spanName),
            new TraceFilters { StartTimeMs = start, EndTimeMs = end })!;
        try
        {
            return await backend.SearchTracesAsync(new TraceQuery
            {
                ExperimentIds = experimentIds,
                Filter = filter,
                Clauses = TraceFilterParser.Parse(filter),
                OrderBy = ["timestamp_ms DESC"],
                PageSize = pageSize,
            }, ct).ConfigureAwait(false);
        }
        catch (BackendException e) when (e.Code == RpcErrorCodes.Unsupported)
        {
            return null; // e.g. a tracking server without span filters
        }
    }

    /// <summary>One name's spans located in the file, over the traces of <see cref="Page"/>.</summary>
    private sealed class LocatedCount(TracePage page)
    {
        private readonly List<double> _latenciesMs = [];
        private readonly HashSet<string> _traceIds = new(StringComparer.Ordinal);
        private long _calls, _errors;

        public TracePage Page => page;

        public void Add(string traceId, RawSpan span)
        {
            _calls++;
            if (span.Status == "ERROR") _errors++;
            // MLflow's span latency: whole milliseconds.
            if (span.EndTimeNs is { } endNs) _latenciesMs.Add((endNs - span.StartTimeNs) / 1_000_000);
            _traceIds.Add(traceId);
        }

        public SpanNameStats Narrow(SpanNameStats byName)
        {
            var newestFirst = page.Traces.Select(t => t.TraceId).Where(_traceIds.Contains).ToList();
            return byName with
            {
                Match = SpanStatsMatches.Located,
                Calls = _calls,
                Errors = _errors,
                P50LatencyMs = Median(_latenciesMs),
                LatestTraceId = newestFirst.FirstOrDefault(),
                TraceIds = newestFirst,
                Sampled = page.NextPageToken != null,
            };
        }
    }

    /// <summary>Linear interpolation between closest ranks, as MLflow's stores compute P50.</summary>
    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var rank = 0.5 * (values.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return values[lo] + (values[hi] - values[lo]) * (rank - lo);
    }

    /// <summary>The newest trace in the range with a span of this name, or null when the backend cannot search by span name.</summary>
    private async Task<string?> LatestTraceIdAsync(IReadOnlyList<string> experimentIds, string spanName, long start, long end, CancellationToken ct) =>
        (await NewestTracesAsync(experimentIds, spanName, start, end, pageSize: 1, ct).ConfigureAwait(false))?.Traces.FirstOrDefault()?.TraceId;

    private static BackendException Invalid(string message) => new(RpcErrorCodes.InvalidParams, message);
}
