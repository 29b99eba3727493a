using System.Globalization;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;

namespace TraceIde.Core.Live;

/// <summary>Reads every trace in a request-time window, page by page, oldest first, up to a bound.</summary>
public static class TraceWindow
{
    private const int PageSize = TraceLimits.MaxPageSize;

    public static async Task<TracesWindowResult> ReadAsync(ITraceBackend backend, TracesWindowParams p, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(p);
        RequireExperiments(p.ExperimentIds);
        if (p.EndTimeMs < p.StartTimeMs)
            throw new BackendException(RpcErrorCodes.InvalidParams, $"endTimeMs ({p.EndTimeMs}) is before startTimeMs ({p.StartTimeMs}).");

        var query = Query(p.ExperimentIds, p.Filter, p.StartTimeMs, p.EndTimeMs);
        var (traces, truncated) = await ReadAllAsync(backend, query, LiveLimits.MaxWindowTraces, cancellationToken).ConfigureAwait(false);
        return new TracesWindowResult
        {
            Traces = traces,
            ErrorCount = traces.Count(t => t.State == "ERROR"),
            InProgressCount = traces.Count(t => t.State == "IN_PROGRESS"),
            Truncated = truncated,
        };
    }

    /// <summary>
    /// A validated query for traces with <paramref name="fromMs"/> ≤ request time (≤ <paramref name="toMs"/>),
    /// oldest first. The user's filter is parsed here, so a bad filter fails before anything runs.
    /// </summary>
    public static TraceQuery Query(IReadOnlyList<string> experimentIds, string? userFilter, long fromMs, long? toMs)
    {
        var filter = TraceFilterBuilder.Combine(userFilter, new TraceFilters { StartTimeMs = fromMs, EndTimeMs = toMs });
        return new TraceQuery
        {
            ExperimentIds = experimentIds,
            Filter = filter,
            Clauses = TraceFilterParser.Parse(filter),
            // request_id breaks ties so that offset paging is stable between pages.
            OrderBy = ["timestamp_ms ASC", "request_id ASC"],
            PageSize = PageSize,
        };
    }

    /// <summary>All pages of <paramref name="query"/>, stopping after <paramref name="max"/> traces (then Truncated).</summary>
    public static async Task<(IReadOnlyList<TraceSummary> Traces, bool Truncated)> ReadAllAsync(
        ITraceBackend backend, TraceQuery query, int max, CancellationToken cancellationToken)
    {
        var traces = new List<TraceSummary>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await backend.SearchTracesAsync(query with { PageToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var t in page.Traces)
            {
                // Offset paging over a table being written to can show a row twice; keep the first.
                if (!ids.Add(t.TraceId)) continue;
                if (traces.Count == max) return (traces, true);
                traces.Add(t);
            }
            token = page.NextPageToken;
        } while (!string.IsNullOrEmpty(token));
        return (traces, false);
    }

    public static void RequireExperiments(IReadOnlyList<string>? experimentIds)
    {
        if (experimentIds is null || experimentIds.Count == 0 || experimentIds.Any(string.IsNullOrWhiteSpace))
            throw new BackendException(RpcErrorCodes.InvalidParams, "experimentIds must name at least one experiment.");
    }

    internal static string Ms(long value) => value.ToString(CultureInfo.InvariantCulture);
}
