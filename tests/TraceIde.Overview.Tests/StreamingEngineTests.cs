using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>The streaming fallback (traces/search pages + spans) gives MLflow's recorded answers too.</summary>
public sealed class StreamingEngineTests
{
    public static TheoryData<string> Recorded() => new(MetricRecordings(errors: false).Select(r => r.FileName));

    [Theory]
    [MemberData(nameof(Recorded))]
    public async Task StreamingOverTheStoreEqualsRecordedServerAnswer(string file)
    {
        var r = ReplayRecording.Get(file);
        await using var store = ServerStore();
        var actual = await new StreamingMetricsEngine(store).QueryTraceMetricsAsync(ToQuery(r.RequestBody!.Value), CancellationToken.None);
        AssertSamePoints(Expected(r), actual, file);
    }

    [Fact]
    public async Task OverviewOverTheStreamingEngineEqualsTheSqlEngine_a_self_comparison()
    {
        await using var store = ServerStore();
        var p = new OverviewParams { ExperimentIds = ["1"], StartTimeMs = 1795478400000 - 7 * 86_400_000L, EndTimeMs = 1795478400000, TimeUnit = "day" };
        var sql = new OverviewService(store);
        var streaming = new OverviewService(new StreamingMetricsEngine(store));
        var a = await sql.ToolCallsAsync(p, default);
        var b = await streaming.ToolCallsAsync(p, default);
        Assert.Equal(a.Tools.Select(t => (t.Name, t.Calls, t.Failures)), b.Tools.Select(t => (t.Name, t.Calls, t.Failures)));
        var u1 = await sql.UsageAsync(p, default);
        var u2 = await streaming.UsageAsync(p, default);
        Assert.Equal(
            (u1.Totals.Requests, u1.Totals.Errors, u1.Totals.InputTokens, u1.Totals.TotalTokens),
            (u2.Totals.Requests, u2.Totals.Errors, u2.Totals.InputTokens, u2.Totals.TotalTokens));
        Assert.Equal(u1.Totals.P99LatencyMs, u2.Totals.P99LatencyMs);
        var q1 = await sql.QualityAsync(p, default);
        var q2 = await streaming.QualityAsync(p, default);
        Assert.Equal(q1.Assessments.Select(x => (x.Name, x.Count, x.NullValues)), q2.Assessments.Select(x => (x.Name, x.Count, x.NullValues)));
    }

    [Fact]
    public async Task FallbackSwitchesToStreamingWhenTheServerCannotAggregate()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(MetricsPath, ReplayFaults.Respond(500, "application/json", "{\"error_code\": \"FEATURE_DISABLED\", \"message\": \"FileStore\"}"));
        await using var rest = RestBackend(server);
        await using var store = ServerStore();
        var source = new FallbackMetricsSource(rest, new StreamingMetricsEngine(store));
        var points = await source.QueryTraceMetricsAsync(
            new MetricsQuery { ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [MetricsAggregation.Count] },
            default);
        Assert.Equal(43, Assert.Single(points).Values["COUNT"]);
        Assert.Equal("host", source.MetricsEngine);
        // invalid queries are still rejected, by the same validation
        var ex = await Assert.ThrowsAsync<BackendException>(() => source.QueryTraceMetricsAsync(
            new MetricsQuery { ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "nope", Aggregations = [MetricsAggregation.Count] }, default));
        Assert.Equal(RpcErrorCodes.InvalidParams, ex.Code);
    }
}
