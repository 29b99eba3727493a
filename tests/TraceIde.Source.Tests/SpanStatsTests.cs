using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Backends;
using TraceIde.Core.Source;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Source.Tests;

/// <summary>
/// The CodeLens numbers against the fixtures' ground truth (computed by MLflow) and, where the ground
/// truth has no figure (errors of non-tool spans, p50, newest trace), against plain SQL over the same store.
/// </summary>
public sealed class SpanStatsTests
{
    /// <summary>The whole small experiment: the ground truth's first to last request.</summary>
    public static (long Start, long End) WholeRange()
    {
        using var truth = JsonDocument.Parse(File.ReadAllText(Fixtures.GroundTruthSmall));
        return (truth.RootElement.GetProperty("first_request_time_ms").GetInt64(), truth.RootElement.GetProperty("last_request_time_ms").GetInt64());
    }

    public static Dictionary<string, int> TruthSpanNames()
    {
        using var truth = JsonDocument.Parse(File.ReadAllText(Fixtures.GroundTruthSmall));
        return truth.RootElement.GetProperty("span_names").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    /// <summary>Per span name from the store's own tables: errors, latencies (ms), newest trace.</summary>
    public static Dictionary<string, (int Errors, List<double> LatenciesMs, string LatestTraceId)> FromSql(string db)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.name, s.status, s.end_time_unix_nano - s.start_time_unix_nano, t.request_id, t.timestamp_ms
            FROM spans s JOIN trace_info t ON t.request_id = s.trace_id WHERE t.experiment_id = 1
            """;
        var rows = new List<(string Name, string Status, long DurationNs, string TraceId, long Ts)>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4)));
        return rows.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => (
            g.Count(r => r.Status == "ERROR"),
            g.Select(r => (double)(r.DurationNs / 1_000_000)).ToList(), // MLflow's span latency: integer ms (SQL integer division)
            g.OrderByDescending(r => r.Ts).First().TraceId));
    }

    /// <summary>Linear interpolation between closest ranks (what MLflow's stores compute).</summary>
    public static double Median(List<double> values)
    {
        var v = values.Order().ToList();
        var rank = 0.5 * (v.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return v[lo] + (v[hi] - v[lo]) * (rank - lo);
    }

    [Fact]
    public async Task Lens_numbers_equal_the_ground_truth_for_every_span_name_of_a_local_store()
    {
        var (start, end) = WholeRange();
        await using var store = Evidence.Store();
        var result = await new SpanStatsService(store, store).GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end }, CancellationToken.None);
        Assert.Equal("host", result.Engine);

        var truth = TruthSpanNames();
        Assert.Equal(truth.Keys.Order(StringComparer.Ordinal), result.Spans.Select(s => s.SpanName));
        var sql = FromSql(Path.Combine(Fixtures.ServerStore, "mlflow.db"));
        using var gt = JsonDocument.Parse(File.ReadAllText(Fixtures.GroundTruthSmall));
        var toolErrors = gt.RootElement.GetProperty("tool_calls").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.TryGetProperty("ERROR", out var e) ? e.GetInt32() : 0);
        foreach (var s in result.Spans)
        {
            Assert.Equal(truth[s.SpanName], s.Calls);
            Assert.Equal(sql[s.SpanName].Errors, s.Errors);
            if (toolErrors.TryGetValue(s.SpanName, out var e)) Assert.Equal(e, s.Errors);
            Assert.Equal(Median(sql[s.SpanName].LatenciesMs), s.P50LatencyMs!.Value, 6);
            Assert.Null(s.LatestTraceId); // only for names asked for
        }
        Assert.Equal(gt.RootElement.GetProperty("spans_by_status").GetProperty("ERROR").GetInt32(), result.Spans.Sum(s => s.Errors));
    }

    [Fact]
    public async Task Asked_names_get_their_newest_trace_and_unknown_names_are_absent()
    {
        var (start, end) = WholeRange();
        await using var store = Evidence.Store();
        string[] names = ["get_weather", "support_agent", "lookup_order", "no_such_span"];
        var result = await new SpanStatsService(store, store).GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end, SpanNames = names }, CancellationToken.None);
        var sql = FromSql(Path.Combine(Fixtures.ServerStore, "mlflow.db"));
        Assert.Equal(["get_weather", "lookup_order", "support_agent"], result.Spans.Select(s => s.SpanName));
        foreach (var s in result.Spans) Assert.Equal(sql[s.SpanName].LatestTraceId, s.LatestTraceId);
    }

    [Fact]
    public async Task A_time_range_narrows_the_numbers_and_a_bad_one_is_refused()
    {
        // The six live traces were recorded last, within a minute: from the first live trace on, only their spans count.
        await using var store = Evidence.Store();
        var live = await Task.WhenAll(Evidence.LiveCases().Select(c => store.GetTraceAsync(FixtureCases.ServerTraceId(c), CancellationToken.None)));
        var liveStart = live.Min(t => t.Info.RequestTimeMs);
        var result = await new SpanStatsService(store, store).GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], StartTimeMs = liveStart, EndTimeMs = WholeRange().End }, CancellationToken.None);
        var liveSpans = live.SelectMany(t => t.Spans).ToList();
        Assert.Equal(liveSpans.Select(s => s.Name).Distinct().Order(StringComparer.Ordinal), result.Spans.Select(s => s.SpanName));
        foreach (var s in result.Spans)
        {
            Assert.Equal(liveSpans.Count(x => x.Name == s.SpanName), s.Calls);
            Assert.Equal(liveSpans.Count(x => x.Name == s.SpanName && x.Status == "ERROR"), s.Errors);
        }
        Assert.True(result.Spans.Single(s => s.SpanName == "lookup_order").Errors > 0);

        var e = await Assert.ThrowsAsync<BackendException>(() => new SpanStatsService(store, store).GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], StartTimeMs = 10, EndTimeMs = 5 }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, e.Code);
    }
}
