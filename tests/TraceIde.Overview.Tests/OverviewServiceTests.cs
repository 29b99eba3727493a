using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>
/// The Overview tab. The host's engines (SQL over store/mlflow.db, and the streaming engine over the same store) are
/// checked against the ground truth MLflow computed for the fixture. The server engine (the REST backend against the
/// replay server) is checked against MLflow per request in MetricsEngineParityTests (every recorded answer, minute to
/// year); here it meets requests MLflow's answers were not recorded for, so its test is named a self-comparison.
/// </summary>
public sealed class OverviewServiceTests : IAsyncLifetime
{
    // 7 days ending 2026-11-24T00:00Z (covers the whole fixture: first trace 11-17 04:48, last 11-23 22:51).
    private const long End = 1795478400000;
    private const long Start = End - 7 * 86_400_000L;
    // The window the fixture recordings were made with (anchor − 7 d … anchor + 3 h).
    private const long RecStart = 1794866400000;
    private const long RecEnd = 1795482000000;

    private readonly LocalStoreBackend _store = ServerStore();
    private MlflowReplayServer _server = null!;
    private TraceIde.Backends.Mlflow.MlflowRestBackend _rest = null!;

    public Task InitializeAsync()
    {
        _server = MlflowReplayServer.Start();
        AnswerUnrecordedMetricsWithTheHostEngine(_server, _store);
        _rest = RestBackend(_server);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
    }

    /// <summary>The host's two engines; the expected values below come from MLflow's ground truth, not from either.</summary>
    private IEnumerable<OverviewService> Engines() => [new OverviewService(_store), new OverviewService(new StreamingMetricsEngine(_store))];

    private static OverviewParams Week(string? unit = "day") => new() { ExperimentIds = ["1"], StartTimeMs = Start, EndTimeMs = End, TimeUnit = unit };

    private static JsonElement GroundTruth() => JsonDocument.Parse(File.ReadAllText(Fixtures.GroundTruthSmall)).RootElement.Clone();

    [Fact]
    public async Task ToolCallsMatchGroundTruthOnBothHostEngines()
    {
        foreach (var engine in Engines())
        {
            var r = await engine.ToolCallsAsync(Week(), default);
            var tools = r.Tools.ToDictionary(t => t.Name);
            Assert.Equal(["get_weather", "lookup_order", "search_flights", "calculator"], r.Tools.Select(t => t.Name));
            Assert.Equal((12, 2), (tools["get_weather"].Calls, tools["get_weather"].Failures));
            Assert.Equal((6, 1), (tools["search_flights"].Calls, tools["search_flights"].Failures));
            Assert.Equal((7, 3), (tools["lookup_order"].Calls, tools["lookup_order"].Failures));
            Assert.Equal((5, 1), (tools["calculator"].Calls, tools["calculator"].Failures));
            Assert.Equal(30, r.Totals.Calls);
            Assert.Equal(7, r.Totals.FailedCalls);
            Assert.Equal(23 * 100.0 / 30, r.Totals.SuccessRate!.Value, 9);
            Assert.Equal(3 * 100.0 / 7, tools["lookup_order"].ErrorRate, 9);
            Assert.NotNull(r.Totals.AvgLatencyMs);
            Assert.All(r.Tools, t => Assert.True(t.P50LatencyMs <= t.P90LatencyMs && t.P90LatencyMs <= t.P99LatencyMs));
            Assert.Equal(8, r.Axis.BucketsMs.Count);
            foreach (var s in r.Series)
            {
                Assert.Equal(8, s.Points.Count);
                Assert.Equal(tools[s.Name].Calls, s.Points.Sum(p => p.Calls));
                Assert.Equal(tools[s.Name].Failures, s.Points.Sum(p => p.Failures));
            }
        }
    }

    [Fact]
    public async Task UsageMatchesGroundTruthOnBothHostEngines()
    {
        var gt = GroundTruth();
        var tokens = gt.GetProperty("token_usage_total");
        var traces = gt.GetProperty("traces").EnumerateArray().ToList();
        foreach (var engine in Engines())
        {
            var r = await engine.UsageAsync(Week(), default);
            Assert.Equal(43, r.Totals.Requests);
            Assert.Equal(5, r.Totals.Errors);
            Assert.Equal(5 * 100.0 / 43, r.Totals.ErrorRate, 9);
            Assert.Equal(43_170, r.Totals.InputTokens);
            Assert.Equal(2_880, r.Totals.OutputTokens);
            Assert.Equal(46_050, r.Totals.TotalTokens);
            Assert.Equal(tokens.GetProperty("cache_read_input_tokens").GetDouble(), r.Totals.CacheReadInputTokens);
            Assert.Equal(0, r.Totals.CacheCreationInputTokens);
            Assert.Equal(traces.Average(t => t.GetProperty("execution_duration_ms").GetDouble()), r.Totals.AvgLatencyMs!.Value, 6);
            var sorted = traces.Select(t => t.GetProperty("execution_duration_ms").GetDouble()).Order().ToList();
            Assert.Equal(sorted[21], r.Totals.P50LatencyMs); // n = 43: the median is the 22nd value
            Assert.Equal(46_050.0 / 41, r.Totals.AvgTokensPerTrace!.Value, 6); // 41 traces carry token usage

            Assert.Equal(8, r.Series.Count);
            Assert.Equal(43.0 / 8, r.Totals.AvgRequestsPerBucket, 9);
            Assert.Equal(r.Series.Average(b => b.ErrorRate), r.Totals.AvgBucketErrorRate, 9);
            // per-day requests from the ground-truth trace table
            foreach (var b in r.Series)
            {
                var day = traces.Where(t => t.GetProperty("request_time_ms").GetInt64() is var ts && ts >= b.TimeMs && ts < b.TimeMs + 86_400_000L).ToList();
                Assert.Equal(day.Count, b.Requests);
                Assert.Equal(day.Count(t => t.GetProperty("state").GetString() == "ERROR"), b.Errors);
                if (day.Count == 0) Assert.Null(b.P50LatencyMs);
            }
            Assert.Equal(43_170, r.Series.Sum(b => b.InputTokens));
        }
    }

    [Fact]
    public async Task QualityMatchesGroundTruthOnBothHostEngines()
    {
        var gt = GroundTruth();
        var feedbackCounts = gt.GetProperty("assessments_by_name").EnumerateObject()
            .Select(n => (
                n.Name,
                Count: n.Value.EnumerateObject().Where(k => k.Name.StartsWith("feedback:", StringComparison.Ordinal)).Sum(k => k.Value.GetInt32())))
            .Where(x => x.Count > 0).OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(9, feedbackCounts.Count); // expected_* are expectations, not feedback
        foreach (var engine in Engines())
        {
            var r = await engine.QualityAsync(Week(), default);
            Assert.Equal(feedbackCounts, r.Assessments.Select(a => (a.Name, (int)a.Count)).ToList());
            var by = r.Assessments.ToDictionary(a => a.Name);

            var helpfulness = by["helpfulness"];
            Assert.Equal("numeric", helpfulness.ValueKind);
            Assert.Equal((5 * 26 + 3 + 2 * 3) / 30.0, helpfulness.AverageValue!.Value, 9);
            Assert.Equal(helpfulness.AverageValue!.Value, helpfulness.NumericMean!.Value, 9);
            Assert.Equal(5.0, helpfulness.P50Value);

            var relevance = by["relevance_to_query"];
            Assert.Equal("boolean", relevance.ValueKind);
            Assert.Equal(1, relevance.NullValues); // the judge that failed with TIMEOUT
            Assert.Equal(29 * 100.0 / 30, relevance.PassRate!.Value, 9);
            Assert.Null(relevance.AverageValue); // "yes"/"no" are not numbers in the UI's table
            Assert.Equal([("no", 1L), ("null", 1L), ("yes", 29L)], relevance.Distribution.Select(d => (d.Label, d.Count)));

            // MLflow's metrics count every stored feedback, the invalidated (overridden) judge included.
            var correctness = by["correctness"];
            Assert.Equal("boolean", correctness.ValueKind);
            Assert.Equal([("false", 3L), ("true", 28L)], correctness.Distribution.Select(d => (d.Label, d.Count)));

            Assert.Equal("string", by["reviewer_comment"].ValueKind);
            Assert.Equal("numeric", by["groundedness"].ValueKind);
            Assert.Equal((0.95 * 10 + 1.0 + 0.8 + 0.55) / 13, by["groundedness"].AverageValue!.Value, 9);
            Assert.All(r.Assessments, a => Assert.Equal(8, a.Series.Count));
            Assert.False(r.HasAssessmentsOutsideRange);
        }
    }

    /// <summary>
    /// MLflow selects assessments by their trace's time but buckets their values by the assessment's creation
    /// time: over the minute of one trace, its judges' feedback (2 min later) and the reviewers' (6 days later)
    /// lie past the axis. The expected buckets come from MLflow's own record of that trace's assessments
    /// (the recorded trace info: create_time and value of each feedback), with MLflow's numeric mapping.
    /// </summary>
    [Fact]
    public async Task QualityTrendKeepsTheBucketsOfFeedbackCreatedAfterTheRangeLabelled()
    {
        var info = ReplayRecording.Get("traces_get_info_v3__s1-paris-t1").ResponseBody!.Value.GetProperty("trace").GetProperty("trace_info");
        var ts = DateTimeOffset.Parse(info.GetProperty("request_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            .ToUnixTimeMilliseconds();
        var expected = info.GetProperty("assessments").EnumerateArray()
            .Where(a => a.TryGetProperty("feedback", out _))
            .ToDictionary(
                a => a.GetProperty("assessment_name").GetString()!,
                a =>
                {
                    var created = DateTimeOffset.Parse(a.GetProperty("create_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                        .ToUnixTimeMilliseconds();
                    var v = a.GetProperty("feedback").GetProperty("value");
                    var value = v.ValueKind switch
                    {
                        JsonValueKind.True => 1.0,
                        JsonValueKind.False => 0.0,
                        JsonValueKind.String => v.GetString() == "yes" ? 1.0 : 0.0,
                        _ => v.GetDouble(),
                    };
                    return (Bucket: created / 60_000 * 60_000, Value: value);
                });
        Assert.Equal(5, expected.Count);
        var p = new OverviewParams { ExperimentIds = ["1"], StartTimeMs = ts, EndTimeMs = ts, TimeUnit = "minute" };
        foreach (var engine in Engines())
        {
            var r = await engine.QualityAsync(p, default);
            var axisBucket = Assert.Single(r.Axis.BucketsMs);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), r.Assessments.Select(a => a.Name));
            foreach (var a in r.Assessments)
            {
                var (bucket, value) = expected[a.Name];
                Assert.NotEqual(axisBucket, bucket);
                Assert.Equal([axisBucket, bucket], a.Series.Select(b => b.TimeMs));
                Assert.Equal((false, (double?)null), (a.Series[0].OutsideRange, a.Series[0].AverageValue));
                Assert.Equal((true, (double?)value), (a.Series[1].OutsideRange, a.Series[1].AverageValue));
            }
        }
    }

    public static TheoryData<string, long, long, string> Windows() => new()
    {
        { "week-daily", Start, End, "day" },
        { "day-hourly", End - 86_400_000L, End, "hour" },
        { "recorded-window-daily", RecStart, RecEnd, "day" },
        { "recorded-window-default", RecStart, RecEnd, "" },
        { "recorded-window-monthly", RecStart, RecEnd, "month" },
        { "recorded-window-yearly", RecStart, RecEnd, "year" },
    };

    /// <summary>
    /// A self-comparison: the Overview through the REST path equals the host engine's. MLflow's recorded answers serve
    /// the requests they cover; the others are answered by the host engine over the same store, so this checks the REST
    /// path's requests and parsing, not MLflow's numbers (MetricsEngineParityTests does that, for each recorded answer).
    /// In the recorded window it names the requests MLflow's answers were not recorded for, so the gap stays in sight.
    /// </summary>
    [Theory]
    [MemberData(nameof(Windows))]
    public async Task ServerEngineEqualsTheHostEngine_a_self_comparison_where_MLflow_was_not_recorded(
        string name,
        long start,
        long end,
        string unit)
    {
        var p = new OverviewParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end, TimeUnit = unit == "" ? null : unit };
        var host = new OverviewService(_store);
        var server = new OverviewService(_rest);
        _server.ClearRequests();
        AssertJsonClose(await host.UsageAsync(p, default), await server.UsageAsync(p, default), name + " usage");
        AssertJsonClose(await host.QualityAsync(p, default), await server.QualityAsync(p, default), name + " quality");
        AssertJsonClose(await host.ToolCallsAsync(p, default), await server.ToolCallsAsync(p, default), name + " toolCalls");
        if (name == "recorded-window-daily")
        {
            var recorded = _server.Requests.Select(r => r.MatchedRecording).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(
                [
                    "traces_metrics__assessment_count_by_name_value.json",
                    "traces_metrics__assessment_value_avg_by_name_daily.json",
                    "traces_metrics__cache_read_input_tokens_sum_daily.json",
                    "traces_metrics__input_tokens_sum_daily.json",
                    "traces_metrics__latency_avg.json",
                    "traces_metrics__latency_percentiles_daily.json",
                    "traces_metrics__output_tokens_sum_daily.json",
                    "traces_metrics__tool_calls_by_name_status.json",
                    "traces_metrics__tool_latency_avg_by_name_daily.json",
                    "traces_metrics__total_tokens_percentiles_daily.json",
                    "traces_metrics__total_tokens_sum_avg.json",
                    "traces_metrics__trace_count_by_status_daily.json",
                ],
                recorded);
            Assert.Equal(
                [
                    "ASSESSMENTS.assessment_value(AVG,P50.0,P90.0,P99.0)[assessment_name]/total",
                    "SPANS.latency(AVG)/total",
                    "SPANS.latency(AVG,P50.0,P90.0,P99.0)[span_name]/total",
                    "SPANS.span_count(COUNT)[span_name,span_status]/86400",
                    "TRACES.cache_creation_input_tokens(SUM)/86400",
                    "TRACES.latency(P50.0,P90.0,P99.0)/total",
                    "TRACES.total_tokens(P50.0,P90.0,P99.0)/total",
                ],
                UnrecordedMetricsRequests(_server).Distinct().ToList());
        }
    }

    [Fact]
    public async Task HourlyDayWindowHasTwentyFiveBucketsAndTheLastDaysTraces()
    {
        var traces = GroundTruth().GetProperty("traces").EnumerateArray()
            .Count(t => t.GetProperty("request_time_ms").GetInt64() is var ts && ts >= End - 86_400_000L && ts <= End);
        foreach (var engine in Engines())
        {
            var r = await engine.UsageAsync(new OverviewParams { ExperimentIds = ["1"], StartTimeMs = End - 86_400_000L, EndTimeMs = End }, default);
            Assert.Equal("hour", r.Axis.TimeUnit); // default unit for 24 h
            Assert.Equal(25, r.Series.Count);
            Assert.Equal(traces, r.Totals.Requests);
            Assert.Equal(9, traces); // 3 daytime traces + the 6 live ones
            Assert.Equal(6, r.Series.Single(b => b.TimeMs == End - 2 * 3_600_000L).Requests); // 22:51–22:52Z fall in the 22:00 bucket
        }
    }

    [Fact]
    public async Task EmptyRangeIsAllZerosWithZeroFilledBuckets()
    {
        var p = new OverviewParams { ExperimentIds = ["1"], StartTimeMs = 1577836800000, EndTimeMs = 1577836800000 + 7 * 86_400_000L }; // 2020-01-01 + 7 d
        foreach (var engine in Engines())
        {
            var u = await engine.UsageAsync(p, default);
            Assert.Equal("day", u.Axis.TimeUnit);
            Assert.Equal(8, u.Series.Count);
            Assert.All(u.Series, b => Assert.Equal((0L, 0L, 0.0, 0.0), (b.Requests, b.Errors, b.ErrorRate, b.InputTokens)));
            Assert.Equal((0L, 0L, 0.0, 0.0), (u.Totals.Requests, u.Totals.Errors, u.Totals.ErrorRate, u.Totals.TotalTokens));
            Assert.Null(u.Totals.AvgLatencyMs);
            Assert.Null(u.Totals.P50LatencyMs);

            var t = await engine.ToolCallsAsync(p, default);
            Assert.Empty(t.Tools);
            Assert.Equal(0, t.Totals.Calls);
            Assert.Null(t.Totals.SuccessRate);

            var q = await engine.QualityAsync(p, default);
            Assert.Empty(q.Assessments);
            Assert.True(q.HasAssessmentsOutsideRange);
        }
    }

    [Fact]
    public async Task RangeCrossingABucketEdge()
    {
        // 2026-11-17T12:00Z … 2026-11-18T12:00Z by day: buckets 11-17 and 11-18 (aligned to midnight UTC).
        var start = 1794916800000L;
        var p = new OverviewParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = start + 86_400_000L, TimeUnit = "day" };
        foreach (var engine in Engines())
        {
            var r = await engine.UsageAsync(p, default);
            Assert.Equal([1794873600000L, 1794960000000L], r.Axis.BucketsMs);
            Assert.Equal([2L, 5L], r.Series.Select(b => b.Requests)); // 14:27, 18:46 | 00:28, 00:29, 00:32, 04:13, 09:08
        }
    }

    [Fact]
    public void TooManyBucketsAndUnknownUnitsAreRejected()
    {
        var service = new OverviewService(_store);
        var ex = Assert.Throws<BackendException>(() => service.ResolveAxis(Week("second")));
        Assert.Equal(RpcErrorCodes.InvalidParams, ex.Code);
        Assert.Contains("604800 buckets", ex.Message);
        Assert.Contains("at most 1000", ex.Message);
        Assert.Throws<BackendException>(() => service.ResolveAxis(Week("minute"))); // 10,080
        Assert.Equal(169, service.ResolveAxis(Week("hour")).BucketsMs.Count); // 168 h → 169 aligned buckets incl. the end
        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<BackendException>(() => service.ResolveAxis(Week("fortnight"))).Code);
        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<BackendException>(() => service.ResolveAxis(Week() with { StartTimeMs = End + 1 })).Code);
        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<BackendException>(() => service.ResolveAxis(Week() with { ExperimentIds = [] })).Code);
    }

    [Theory]
    [InlineData(3_600_000L, "minute")]
    [InlineData(86_400_000L, "hour")]
    [InlineData(7 * 86_400_000L, "day")]
    [InlineData(30 * 86_400_000L, "day")]
    [InlineData(60 * 86_400_000L, "month")]
    [InlineData(365 * 86_400_000L, "month")]
    [InlineData(800 * 86_400_000L, "year")]
    public void DefaultUnitFollowsTheRange(long rangeMs, string unit)
    {
        Assert.Equal(unit, OverviewService.DefaultUnit(rangeMs));
        var axis = new OverviewService(_store, new ManualClock(End))
            .ResolveAxis(new OverviewParams { ExperimentIds = ["1"], StartTimeMs = End - rangeMs });
        Assert.Equal(unit, axis.TimeUnit);
        Assert.True(axis.BucketsMs.Count <= 1001);
    }

    [Fact]
    public void DefaultRangeIsTheLastSevenDays()
    {
        var axis = new OverviewService(_store, new ManualClock(End)).ResolveAxis(new OverviewParams { ExperimentIds = ["1"] });
        Assert.Equal((Start, End, "day", 8), (axis.StartTimeMs, axis.EndTimeMs, axis.TimeUnit, axis.BucketsMs.Count));
        Assert.Equal("host", axis.Engine);
    }

    [Fact]
    public async Task FiltersNarrowEveryTab()
    {
        foreach (var engine in Engines())
        {
            Assert.Equal(14, (await engine.UsageAsync(Week() with { TraceName = "rag_answer" }, default)).Totals.Requests);
            Assert.Equal(5, (await engine.UsageAsync(Week() with { User = "alice@example.com" }, default)).Totals.Requests);
            var budget = Week() with { Session = "sess-budget" };
            Assert.Equal((3L, 1L), ((await engine.UsageAsync(budget, default)).Totals.Requests, (await engine.UsageAsync(budget, default)).Totals.Errors));
            Assert.Equal(
                1,
                (await engine.UsageAsync(Week() with { Tags = new Dictionary<string, string> { ["environment"] = "staging" } }, default)).Totals.Requests);
            var ragTools = await engine.ToolCallsAsync(Week() with { TraceName = "rag_answer" }, default);
            Assert.Equal(0, ragTools.Totals.Calls);
        }
    }

    [Fact]
    public async Task TracesWithoutANameTagCountInTotalsButNotByName()
    {
        var dir = Directory.CreateTempSubdirectory("traceide-overview-");
        try
        {
            var db = Path.Combine(dir.FullName, "mlflow.db");
            File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), db);
            var id = FixtureCases.ServerTraceId("live-healthcheck");
            using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM trace_tags WHERE request_id = $id AND key = 'mlflow.traceName'";
                cmd.Parameters.AddWithValue("$id", id);
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
            await using var store = new LocalStoreBackend(db);
            var byName = await store.QueryTraceMetricsAsync(new MetricsQuery
            {
                ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [MetricsAggregation.Count], Dimensions = ["trace_name"],
            }, default);
            Assert.Equal(42, byName.Sum(p => p.Values["COUNT"])); // inner join on the tag, as MLflow
            Assert.DoesNotContain(byName, p => p.Dimensions["trace_name"] == "health_check");
            var usage = await new OverviewService(store).UsageAsync(Week(), default);
            Assert.Equal(43, usage.Totals.Requests);
            Assert.Equal(0, (await new OverviewService(store).UsageAsync(Week() with { TraceName = "health_check" }, default)).Totals.Requests);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SingleTraceRange()
    {
        var ts = GroundTruth()
            .GetProperty("traces")
            .EnumerateArray()
            .Single(t => t.GetProperty("fixture_case").GetString() == "batch-digest-500")
            .GetProperty("request_time_ms")
            .GetInt64();
        foreach (var engine in Engines())
        {
            var u = await engine.UsageAsync(new OverviewParams { ExperimentIds = ["1"], StartTimeMs = ts, EndTimeMs = ts }, default); // inclusive bounds
            Assert.Equal("minute", u.Axis.TimeUnit);
            Assert.Equal(1, Assert.Single(u.Series).Requests);
            Assert.Equal(
                (1L, 78_608.0, 78_608.0, 78_608.0),
                (u.Totals.Requests, u.Totals.AvgLatencyMs!.Value, u.Totals.P50LatencyMs!.Value, u.Totals.P99LatencyMs!.Value));
        }
    }

    [Fact]
    public async Task InProgressTracesCountButHaveNoLatency()
    {
        var dir = Directory.CreateTempSubdirectory("traceide-overview-");
        try
        {
            var db = Path.Combine(dir.FullName, "mlflow.db");
            File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), db);
            var id = FixtureCases.ServerTraceId("batch-digest-500");
            using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "UPDATE trace_info SET execution_time_ms = NULL, status = 'IN_PROGRESS' WHERE request_id = $id";
                cmd.Parameters.AddWithValue("$id", id);
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
            var durations = GroundTruth().GetProperty("traces").EnumerateArray()
                .Where(t => t.GetProperty("fixture_case").GetString() != "batch-digest-500")
                .Select(t => t.GetProperty("execution_duration_ms").GetDouble()).ToList();
            await using var store = new LocalStoreBackend(db);
            foreach (var engine in new[] { new OverviewService(store), new OverviewService(new StreamingMetricsEngine(store)) })
            {
                var u = await engine.UsageAsync(Week(), default);
                Assert.Equal(43, u.Totals.Requests);
                Assert.Equal(5, u.Totals.Errors);
                Assert.Equal(durations.Average(), u.Totals.AvgLatencyMs!.Value, 6);
                Assert.All(u.Series, b => Assert.True((b.P99LatencyMs ?? 0) <= durations.Max())); // the 78.6 s trace is out of every percentile
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CancellationPropagates()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        foreach (var engine in Engines())
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.UsageAsync(Week(), cts.Token));
    }

    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions();
        ProtocolJson.Configure(o);
        return o;
    }

    /// <summary>Equal as JSON (the contract's serialisation), numbers within 1e-9 relative, except the axis' engine name.</summary>
    private static void AssertJsonClose<T>(T expected, T actual, string what)
    {
        var e = JsonSerializer.SerializeToElement(expected, Json);
        var a = JsonSerializer.SerializeToElement(actual, Json);
        Compare(e, a, what);

        static void Compare(JsonElement e, JsonElement a, string path)
        {
            Assert.True(e.ValueKind == a.ValueKind, $"{path}: {e.ValueKind} vs {a.ValueKind}");
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var ep = e.EnumerateObject().Where(p => p.Name != "engine").ToDictionary(p => p.Name, p => p.Value);
                    var ap = a.EnumerateObject().Where(p => p.Name != "engine").ToDictionary(p => p.Name, p => p.Value);
                    Assert.True(
                        ep.Keys.Order().SequenceEqual(ap.Keys.Order()),
                        $"{path}: properties {string.Join(",", ep.Keys)} vs {string.Join(",", ap.Keys)}");
                    foreach (var (k, v) in ep) Compare(v, ap[k], path + "." + k);
                    break;
                case JsonValueKind.Array:
                    Assert.True(e.GetArrayLength() == a.GetArrayLength(), $"{path}: length {e.GetArrayLength()} vs {a.GetArrayLength()}");
                    for (var i = 0; i < e.GetArrayLength(); i++) Compare(e[i], a[i], $"{path}[{i}]");
                    break;
                case JsonValueKind.Number:
                    Assert.True(Close(e.GetDouble(), a.GetDouble()), $"{path}: {e.GetDouble():R} vs {a.GetDouble():R}");
                    break;
                default:
                    Assert.True(e.GetRawText() == a.GetRawText(), $"{path}: {e.GetRawText()} vs {a.GetRawText()}");
                    break;
            }
        }
    }
}
