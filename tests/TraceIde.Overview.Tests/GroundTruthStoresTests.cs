using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;
using Xunit.Abstractions;

namespace TraceIde.Overview.Tests;

/// <summary>store-full (gunzipped to a temp folder once) for the large experiment.</summary>
public sealed class FullStoreFixture : IDisposable
{
    public FullStoreFixture()
    {
        // store-full is kept gzipped in tests/fixtures (7.4 MB; 58 MB unpacked).
        var gzPath = Path.Combine(Fixtures.Root, "store-full", "mlflow.db.gz");
        Dir = Directory.CreateTempSubdirectory("traceide-overview-full-").FullName;
        DbPath = Path.Combine(Dir, "mlflow.db");
        using var input = File.OpenRead(gzPath);
        using var gz = new GZipStream(input, CompressionMode.Decompress);
        using var output = File.Create(DbPath);
        gz.CopyTo(output);
    }

    public string Dir { get; }
    public string DbPath { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The Overview numbers of every store equal the ground truth MLflow computed for it.</summary>
public sealed class GroundTruthStoresTests(FullStoreFixture full, ITestOutputHelper output) : IClassFixture<FullStoreFixture>
{
    private static JsonElement Load(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    [Fact]
    public Task LocalStoreWrittenWithoutAServer() =>
        CheckAsync(new LocalStoreBackend(Fixtures.LocalStore), "1", Load(Path.Combine(Fixtures.LocalStore, "ground_truth.json")));

    [Fact]
    public Task ServerStore() =>
        CheckAsync(new LocalStoreBackend(Fixtures.ServerStore), "1", Load(Fixtures.GroundTruthSmall));

    [Fact]
    public Task FullStoreLargeExperiment()
    {
        return CheckAsync(new LocalStoreBackend(full.DbPath), "2", Load(Path.Combine(Fixtures.Root, "ground_truth_large.json")));
    }

    private async Task CheckAsync(LocalStoreBackend store, string experimentId, JsonElement truth)
    {
        await using var _ = store;
        var first = truth.GetProperty("first_request_time_ms").GetInt64();
        var last = truth.GetProperty("last_request_time_ms").GetInt64();
        var p = new OverviewParams { ExperimentIds = [experimentId], StartTimeMs = first - 86_400_000L, EndTimeMs = last + 86_400_000L, TimeUnit = "day" };
        var service = new OverviewService(store);

        var sw = Stopwatch.StartNew();
        var usage = await service.UsageAsync(p, default);
        var tUsage = sw.ElapsedMilliseconds;
        var tools = await service.ToolCallsAsync(p, default);
        var tTools = sw.ElapsedMilliseconds - tUsage;
        var quality = await service.QualityAsync(p, default);
        var tQuality = sw.ElapsedMilliseconds - tUsage - tTools;
        output.WriteLine($"{store.DisplayLocation} exp {experimentId}: usage {tUsage} ms, toolCalls {tTools} ms, quality {tQuality} ms");

        Assert.Equal(truth.GetProperty("trace_count").GetInt64(), usage.Totals.Requests);
        Assert.Equal(truth.GetProperty("traces_by_state").GetProperty("ERROR").GetInt64(), usage.Totals.Errors);
        var tokens = truth.GetProperty("token_usage_total");
        Assert.Equal(tokens.GetProperty("input_tokens").GetDouble(), usage.Totals.InputTokens);
        Assert.Equal(tokens.GetProperty("output_tokens").GetDouble(), usage.Totals.OutputTokens);
        Assert.Equal(tokens.GetProperty("total_tokens").GetDouble(), usage.Totals.TotalTokens);
        Assert.Equal(tokens.GetProperty("cache_read_input_tokens").GetDouble(), usage.Totals.CacheReadInputTokens);
        Assert.Equal(usage.Totals.Requests, usage.Series.Sum(b => b.Requests));

        var expectedTools = truth.GetProperty("tool_calls").EnumerateObject()
            .Select(t => (t.Name, t.Value.GetProperty("total").GetInt64(), t.Value.TryGetProperty("ERROR", out var e) ? e.GetInt64() : 0))
            .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedTools, tools.Tools.Select(t => (t.Name, t.Calls, t.Failures)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList());

        var expectedFeedback = truth.GetProperty("assessments_by_name").EnumerateObject()
            .Select(n => (
                n.Name,
                (long)n.Value.EnumerateObject().Where(k => k.Name.StartsWith("feedback:", StringComparison.Ordinal)).Sum(k => k.Value.GetInt32())))
            .Where(x => x.Item2 > 0).OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedFeedback, quality.Assessments.Select(a => (a.Name, a.Count)).ToList());
        var values = truth.GetProperty("assessment_values_by_name");
        foreach (var a in quality.Assessments)
        {
            if (!values.TryGetProperty(a.Name, out var dist) || a.ValueKind == "string") continue;
            // ground truth lists the valid values; MLflow's metrics also count invalidated (overridden) ones
            foreach (var v in dist.EnumerateObject())
            {
                var got = v.Name == "<error>" ? a.NullValues : a.Distribution.Where(d => d.RawValue == v.Name || d.Label == v.Name).Sum(d => d.Count);
                Assert.True(got >= v.Value.GetInt64(), $"{a.Name} = {v.Name}: {got} < {v.Value.GetInt64()} valid ones");
            }
        }

        // Span-level cost, summed in SQL, equals MLflow's sum of span costs.
        var cost = await store.QueryTraceMetricsAsync(new MetricsQuery
        {
            ExperimentIds = [experimentId], ViewType = "SPANS", MetricName = "total_cost", Aggregations = [MetricsAggregation.Sum],
        }, default);
        Assert.Equal(truth.GetProperty("cost_total_usd_from_spans").GetProperty("total_cost").GetDouble(), Assert.Single(cost).Values["SUM"], 8);
    }
}
