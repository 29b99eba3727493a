using System.Globalization;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;

namespace TraceIde.Testing;

/// <summary>A recorded traces/search exchange read back: the search it made, and MLflow's answer.</summary>
public static class RecordedSearch
{
    /// <summary>
    /// The recorded search as a backend query: the v3 JSON body, or the deprecated v2 query string; max_results as sent
    /// (100 when none was). The filter is not parsed (<see cref="TraceQuery.Clauses"/> empty): a backend that needs
    /// the clauses gets them from <see cref="WithClauses"/>, and a refused filter must reach the backend that refuses it.
    /// </summary>
    public static TraceQuery Query(ReplayRecording rec)
    {
        if (rec.RequestBody is { } body)
        {
            var ids = body.TryGetProperty("locations", out var locs)
                ? locs.EnumerateArray().Select(l => l.GetProperty("mlflow_experiment").GetProperty("experiment_id").GetString()!).ToList()
                : [];
            return new TraceQuery
            {
                ExperimentIds = ids,
                Filter = body.TryGetProperty("filter", out var f) ? f.GetString() : null,
                OrderBy = body.TryGetProperty("order_by", out var o) ? o.EnumerateArray().Select(x => x.GetString()!).ToList() : [],
                PageSize = body.TryGetProperty("max_results", out var m) ? m.GetInt32() : 100,
                PageToken = body.TryGetProperty("page_token", out var p) ? p.GetString() : null,
            };
        }
        var q = rec.Query;
        return new TraceQuery
        {
            ExperimentIds = q.GetValueOrDefault("experiment_ids") ?? [],
            Filter = q.GetValueOrDefault("filter")?.Single(),
            OrderBy = q.GetValueOrDefault("order_by") ?? [],
            PageSize = q.TryGetValue("max_results", out var max) ? int.Parse(max.Single(), CultureInfo.InvariantCulture) : 100,
            PageToken = q.GetValueOrDefault("page_token")?.Single(),
        };
    }

    /// <summary>MLflow's recorded refusals of an order_by (http/error__traces_search_*_order_*.json), by file name.</summary>
    public static IEnumerable<string> RefusedOrderByFiles() =>
        ReplayRecording.All
            .Where(r => r.FileName.StartsWith("error__traces_search_", StringComparison.Ordinal) && r.FileName.Contains("_order", StringComparison.Ordinal))
            .Select(r => r.FileName);

    /// <summary>The query with its filter parsed, as the host hands it to a backend (TraceService.BuildQuery).</summary>
    public static TraceQuery WithClauses(this TraceQuery query) => query with { Clauses = TraceFilterParser.Parse(query.Filter) };

    /// <summary>The IDs of the traces MLflow answered, in its order (none when it answered <c>{}</c>).</summary>
    public static IReadOnlyList<string> TraceIds(ReplayRecording rec, string idField = "trace_id")
    {
        var body = rec.ResponseBody!.Value;
        return body.TryGetProperty("traces", out var arr)
            ? arr.EnumerateArray().Select(t => t.GetProperty(idField).GetString()!).ToList()
            : [];
    }

    /// <summary>MLflow's next_page_token, or null.</summary>
    public static string? NextPageToken(ReplayRecording rec) =>
        rec.ResponseBody!.Value.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
}
