using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Host.Tests;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>
/// overview/usage and overview/toolCalls over numbers that are not finite: a token SUM past double's range on
/// the local store (a temp copy of the fixture store where two traces of one day logged 1e308 input and total
/// tokens: SQLite's SUM is +∞, as MLflow's own answer on that store would be), and a tracking server answering
/// "NaN" / "Infinity" / "-Infinity", the strings MLflow writes for non-finite floats (quality:
/// <see cref="NonFiniteQualityTests"/>). They reach the client as the NonFiniteNumbers strings, never as −32603.
/// </summary>
public sealed class NonFiniteUsageToolCallsTests : IAsyncLifetime
{
    private const long End = 1795478400000; // 2026-11-24T00:00Z
    private const long Start = End - 7 * 86_400_000L;
    private static readonly OverviewParams Week = new() { ExperimentIds = ["1"], StartTimeMs = Start, EndTimeMs = End, TimeUnit = OverviewTimeUnits.Day };

    private DirectoryInfo _dir = null!;
    private string _db = null!;
    private long _bucket;

    public Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("traceide-nonfinite-usage-");
        _db = Path.Combine(_dir.FullName, "mlflow.db");
        File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), _db);
        using var c = new SqliteConnection($"Data Source={_db};Pooling=False");
        c.Open();
        // The first two traces of experiment 1 that logged tokens, both on one day (the fixture's 2026-11-17).
        var traces = new List<(string Id, long Ms)>();
        using (var q = c.CreateCommand())
        {
            q.CommandText = """
                SELECT t.request_id, t.timestamp_ms FROM trace_info t JOIN trace_metrics m ON m.request_id = t.request_id AND m."key" = 'input_tokens'
                WHERE t.experiment_id = 1 AND t.timestamp_ms >= $s AND t.timestamp_ms <= $e ORDER BY t.timestamp_ms LIMIT 2
                """;
            q.Parameters.AddWithValue("$s", Start);
            q.Parameters.AddWithValue("$e", End);
            using var r = q.ExecuteReader();
            while (r.Read()) traces.Add((r.GetString(0), r.GetInt64(1)));
        }
        Assert.Equal(2, traces.Count);
        Assert.Equal(traces[0].Ms / 86_400_000, traces[1].Ms / 86_400_000);
        _bucket = traces[0].Ms / 86_400_000 * 86_400_000;
        foreach (var (id, _) in traces)
        {
            using var u = c.CreateCommand();
            u.CommandText = "UPDATE trace_metrics SET value = 1e308 WHERE request_id = $t AND \"key\" IN ('input_tokens', 'total_tokens')";
            u.Parameters.AddWithValue("$t", id);
            Assert.Equal(2, u.ExecuteNonQuery());
        }
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private static JsonSerializerOptions WireJson()
    {
        var o = new JsonSerializerOptions();
        ProtocolJson.Configure(o);
        return o;
    }

    [Fact]
    public async Task The_local_store_sums_tokens_past_doubles_range_to_infinity_and_the_answer_goes_on_the_wire()
    {
        await using var store = new LocalStoreBackend(_db);
        var usage = await new OverviewService(store).UsageAsync(Week, default);
        var day = usage.Series.Single(b => b.TimeMs == _bucket);
        Assert.Equal(double.PositiveInfinity, day.InputTokens);
        Assert.Equal(double.PositiveInfinity, usage.Totals.InputTokens);
        Assert.Equal(double.PositiveInfinity, usage.Totals.TotalTokens);
        // The mean of the same values does not overflow (FiniteMean), so it stays a number.
        Assert.True(double.IsFinite(usage.Totals.AvgTokensPerTrace!.Value));
        Assert.True(usage.Series.Where(b => b.TimeMs != _bucket).All(b => double.IsFinite(b.InputTokens)));

        var json = JsonSerializer.Serialize(usage, WireJson());
        Assert.Contains($"\"inputTokens\":\"{NonFiniteNumbers.PositiveInfinity}\"", json);
        Assert.Contains($"\"totalTokens\":\"{NonFiniteNumbers.PositiveInfinity}\"", json);
        Assert.Contains("\"outputTokens\":", json);
        var back = JsonSerializer.Deserialize<OverviewUsageResult>(json, WireJson())!;
        Assert.Equal(double.PositiveInfinity, back.Totals.InputTokens);
        Assert.Equal(usage.Totals.OutputTokens, back.Totals.OutputTokens);
    }

    [Fact]
    public async Task Through_serve_the_local_store_answers_usage_with_Infinity_as_a_string()
    {
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = _db }));
        var usage = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewUsage,
            new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "day" }));
        Assert.Equal(NonFiniteNumbers.PositiveInfinity, (string)usage["totals"]!["totalTokens"]!);
        var day = usage["series"]!.AsArray().Single(b => (long)b!["timeMs"]! == _bucket)!;
        Assert.Equal(NonFiniteNumbers.PositiveInfinity, (string)day["inputTokens"]!);
        Assert.True((double)day["outputTokens"]! > 0); // finite values stay JSON numbers
    }

    [Fact]
    public void Every_usage_and_tool_call_number_travels_non_finite_as_a_string_and_reads_back()
    {
        var tools = new OverviewToolCallsResult
        {
            Axis = new OverviewTimeAxis { StartTimeMs = 0, EndTimeMs = 1, TimeUnit = "day", IntervalSeconds = 86400, BucketsMs = [0], Engine = "server" },
            Totals = new ToolCallTotals { Calls = 1, SuccessRate = double.NaN, AvgLatencyMs = double.PositiveInfinity },
            Tools = [new ToolSummary { Name = "NaN", Calls = 1, ErrorRate = double.NaN, AvgLatencyMs = double.NegativeInfinity, P99LatencyMs = 2.5 }],
            Series = [new ToolSeries { Name = "t", Points = [new ToolBucket { TimeMs = 0, ErrorRate = double.PositiveInfinity, AvgLatencyMs = double.NaN }] }],
        };
        var json = JsonSerializer.Serialize(tools, WireJson());
        Assert.Contains("\"successRate\":\"NaN\"", json);
        Assert.Contains("\"avgLatencyMs\":\"Infinity\"", json);
        Assert.Contains("\"avgLatencyMs\":\"-Infinity\"", json);
        Assert.Contains("\"p99LatencyMs\":2.5", json);
        Assert.Contains("\"name\":\"NaN\"", json); // a name is a string, not a number
        var back = JsonSerializer.Deserialize<OverviewToolCallsResult>(json, WireJson())!;
        Assert.True(double.IsNaN(back.Tools[0].ErrorRate));
        Assert.Equal(double.PositiveInfinity, back.Series[0].Points[0].ErrorRate);

        var usage = new UsageTotals { ErrorRate = double.NaN, AvgLatencyMs = double.NegativeInfinity, P99TokensPerTrace = double.PositiveInfinity };
        var usageJson = JsonSerializer.Serialize(new UsageBucket { TimeMs = 0, CacheReadInputTokens = double.PositiveInfinity }, WireJson())
            + JsonSerializer.Serialize(usage, WireJson());
        Assert.Contains("\"cacheReadInputTokens\":\"Infinity\"", usageJson);
        Assert.Contains("\"errorRate\":\"NaN\"", usageJson);
        Assert.Contains("\"avgLatencyMs\":\"-Infinity\"", usageJson);
        Assert.Contains("\"p99TokensPerTrace\":\"Infinity\"", usageJson);
    }

    /// <summary>
    /// A server whose answers hold non-finite values, in the recorded answers' shape (one day, one tool): token
    /// sums "Infinity", the trace latency mean "NaN", the tool's latency mean "NaN" and its trend "-Infinity".
    /// </summary>
    private MlflowReplayServer ServerWithNonFiniteValues()
    {
        var server = MlflowReplayServer.Start();
        var day = DateTimeOffset.FromUnixTimeMilliseconds(_bucket).ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'");
        server.Override(MetricsPath, async ctx =>
        {
            using var doc = JsonDocument.Parse(ctx.Request.Body);
            var root = doc.RootElement;
            var metric = root.GetProperty("metric_name").GetString();
            var spans = root.GetProperty("view_type").GetString() == "SPANS";
            var bucketed = root.TryGetProperty("time_interval_seconds", out _);
            var aggregations = root.GetProperty("aggregations").EnumerateArray()
                .Select(a => a.GetProperty("aggregation_type").GetString() == "PERCENTILE"
                    ? $"P{a.GetProperty("percentile_value").GetDouble():0.0}" : a.GetProperty("aggregation_type").GetString()!).ToList();
            var dims = new JsonObject();
            if (bucketed) dims["time_bucket"] = day;
            foreach (var d in root.TryGetProperty("dimensions", out var ds) ? ds.EnumerateArray().Select(x => x.GetString()!) : [])
                dims[d] = d switch { "trace_status" or "span_status" => "OK", "span_name" => "get_weather", _ => "x" };
            var values = new JsonObject();
            foreach (var a in aggregations)
            {
                values[a] = (spans, metric, a) switch
                {
                    (_, _, "COUNT") => 2.0,
                    (false, "latency", "AVG") => "NaN",
                    (false, "latency", _) => 1200.0,
                    (false, _, "SUM" or "AVG") => "Infinity",
                    (false, _, _) => 1e308,
                    (true, "latency", "AVG") => bucketed ? "-Infinity" : "NaN",
                    _ => 250.0,
                };
            }
            var point = new JsonObject { ["metric_name"] = metric, ["dimensions"] = dims, ["values"] = values };
            await ReplayFaults.Respond(200, "application/json", new JsonObject { ["data_points"] = new JsonArray(point) }.ToJsonString())(ctx);
        });
        return server;
    }

    [Fact]
    public async Task A_server_answering_NaN_and_Infinity_gives_usage_and_tool_answers_that_say_so()
    {
        await using var server = ServerWithNonFiniteValues();
        await using var rest = RestBackend(server);
        var usage = await new OverviewService(rest).UsageAsync(Week, default);
        Assert.Equal(2, usage.Totals.Requests);
        Assert.True(double.IsNaN(usage.Totals.AvgLatencyMs!.Value));
        Assert.Equal(double.PositiveInfinity, usage.Totals.TotalTokens);
        Assert.Equal(double.PositiveInfinity, usage.Series.Single(b => b.TimeMs == _bucket).InputTokens);

        var tools = await new OverviewService(rest).ToolCallsAsync(Week, default);
        var tool = Assert.Single(tools.Tools);
        Assert.Equal(("get_weather", 2L), (tool.Name, tool.Calls));
        Assert.True(double.IsNaN(tool.AvgLatencyMs!.Value));
        Assert.True(double.IsNaN(tools.Totals.AvgLatencyMs!.Value));
        Assert.Equal(double.NegativeInfinity, tools.Series.Single().Points.Single(p => p.TimeMs == _bucket).AvgLatencyMs);
    }

    [Fact]
    public async Task Through_serve_usage_and_tool_calls_carry_NaN_and_Infinity_as_strings_instead_of_failing()
    {
        await using var server = ServerWithNonFiniteValues();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var range = new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "day" };
        var usage = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewUsage, range));
        Assert.Equal(NonFiniteNumbers.NotANumber, (string)usage["totals"]!["avgLatencyMs"]!);
        Assert.Equal(NonFiniteNumbers.PositiveInfinity, (string)usage["totals"]!["inputTokens"]!);
        Assert.Equal(1200.0, (double)usage["totals"]!["p50LatencyMs"]!);

        var tools = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewToolCalls, range));
        Assert.Equal(NonFiniteNumbers.NotANumber, (string)tools["tools"]![0]!["avgLatencyMs"]!);
        Assert.Equal("get_weather", (string)tools["tools"]![0]!["name"]!);
        Assert.Contains(
            tools["series"]![0]!["points"]!.AsArray(),
            p => p!["avgLatencyMs"] is JsonValue v && v.TryGetValue<string>(out var s) && s == NonFiniteNumbers.NegativeInfinity);
    }
}
