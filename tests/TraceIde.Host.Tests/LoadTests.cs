using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;
using Xunit.Abstractions;

namespace TraceIde.Host.Tests;

/// <summary>
/// Many concurrent requests against one real host process: 16 workers, each looping over
/// traces/search, traces/get and overview/usage (experiments/list over HTTP) (what 16 panels refreshing at once ask), for
/// TRACEIDE_LOAD_SECONDS (default 10; docs/RELIABILITY.md has the 60 s command). Every answer is
/// checked against the fixtures; no error is allowed; the host's RSS (/proc) must stay under
/// <see cref="RssBoundBytes"/> and must not keep growing (the last quarter's peak within
/// <see cref="RssGrowthBoundBytes"/> of the first quarter's).
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    public const int Workers = 16;
    public const long RssBoundBytes = 400L * 1024 * 1024;
    public const long RssGrowthBoundBytes = 64L * 1024 * 1024;

    private const long OverviewEnd = 1795478400000; // 2026-11-24T00:00Z, the fixtures' week
    private const long OverviewStart = OverviewEnd - 7 * 86_400_000L;

    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("TRACEIDE_LOAD_SECONDS"), CultureInfo.InvariantCulture, out var s)
            && s > 0
            ? s
            : 10);

    [Theory]
    [InlineData("store")]
    [InlineData("http")]
    public async Task Sixteen_concurrent_workers_get_only_correct_answers_and_memory_stays_bounded(string backend)
    {
        await using var server = backend == "http" ? MlflowReplayServer.Start() : null;
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", server != null
            ? new { trackingUri = server.BaseUri.ToString() }
            : (object)new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));

        // Traces whose full fetch the recordings hold (the replay server answers nothing else).
        var traceIds = new[] { "s1-paris-t1", "s2-order-t1", "agent-deep-nesting", "batch-digest-500" }.Select(FixtureCases.ServerTraceId).ToArray();
        var search = new { experimentIds = new[] { "1" }, pageSize = 100 };
        var overview = new { experimentIds = new[] { "1" }, startTimeMs = OverviewStart, endTimeMs = OverviewEnd, timeUnit = "day" };

        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var errors = new ConcurrentQueue<string>();
        var rss = new ConcurrentQueue<(TimeSpan At, long Bytes)>();
        var clock = Stopwatch.StartNew();
        var duration = Duration;

        async Task<JsonObject> Timed(string method, object parameters)
        {
            var t = Stopwatch.StartNew();
            var response = await host.RequestAsync(method, parameters);
            latencies.GetOrAdd(method, _ => []).Add(t.Elapsed.TotalMilliseconds);
            if (response.ContainsKey("error")) errors.Enqueue($"{method}: {response["error"]}");
            return response;
        }

        async Task Worker(int n)
        {
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var page = await Timed(RpcMethods.TracesSearch, search);
                if (page["result"]?["traces"]?.AsArray().Count != 43) errors.Enqueue("search: " +
                    $"{page.ToJsonString()[..Math.Min(200, page.ToJsonString().Length)]}");
                var id = traceIds[(n + i) % traceIds.Length];
                var trace = await Timed(RpcMethods.TracesGet, new { traceId = id });
                if ((string?)trace["result"]?["info"]?["traceId"] != id
                    || trace["result"]?["spans"]?.AsArray().Count is not > 0) errors.Enqueue($"get {id}: wrong answer");
                if (i % 4 == n % 4 && server != null)
                {
                    // The replay server holds only the metrics queries MLflow's UI made, so over HTTP the
                    // third request is the experiment list (overview over HTTP: OverviewThroughServeTests).
                    var experiments = await Timed(RpcMethods.ExperimentsList, new { });
                    if (experiments["result"]?["experiments"]?.AsArray().Count != 2) errors.Enqueue("experiments: wrong answer");
                }
                else if (i % 4 == n % 4)
                {
                    var usage = await Timed(RpcMethods.OverviewUsage, overview);
                    if ((long?)usage["result"]?["totals"]?["requests"] != 43) errors.Enqueue("overview: wrong totals");
                }
            }
        }

        var sampler = Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                if (host.ResidentBytes() is { } b) rss.Enqueue((clock.Elapsed, b));
                await Task.Delay(200);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(n => Task.Run(() => Worker(n))));
        await sampler;

        var all = latencies.SelectMany(kv => kv.Value).ToList();
        output.WriteLine($"{backend}: {all.Count} requests in {clock.Elapsed.TotalSeconds:0.0} s by {Workers} workers " +
            $"({all.Count / clock.Elapsed.TotalSeconds:0} req/s), {errors.Count} errors");
        foreach (var (method, values) in latencies.OrderBy(kv => kv.Key))
        {
            var sorted = values.Order().ToArray();
            output.WriteLine($"  {method,-16} n={sorted.Length,6}  p50 {sorted[sorted.Length / 2],7:0.0} ms  p95 {sorted[(int)(sorted.Length * 0.95)],7:0.0} " +
                $"ms  max {sorted[^1],7:0.0} ms");
        }
        var samples = rss.ToArray();
        Assert.NotEmpty(samples);
        var quarter = Math.Max(1, samples.Length / 4);
        var early = samples.Take(quarter).Max(s => s.Bytes);
        var late = samples.TakeLast(quarter).Max(s => s.Bytes);
        var peak = samples.Max(s => s.Bytes);
        output.WriteLine($"  host RSS: first quarter peak {early / 1048576.0:0} MB, last quarter peak {late / 1048576.0:0} MB, peak {peak / 1048576.0:0} MB");

        Assert.Empty(errors.Take(5));
        Assert.False(host.HasExited);
        Assert.True(all.Count > Workers * 4, $"only {all.Count} requests completed");
        Assert.True(peak < RssBoundBytes, $"host RSS peaked at {peak / 1048576.0:0} MB (bound {RssBoundBytes / 1048576} MB)");
        Assert.True(late - early < RssGrowthBoundBytes, $"host RSS grew from {early / 1048576.0:0} MB to {late / 1048576.0:0} MB");
    }
}
