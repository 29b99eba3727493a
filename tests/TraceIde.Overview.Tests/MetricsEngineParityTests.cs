using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>Every recorded QueryTraceMetrics exchange, answered by both engines.</summary>
public sealed class MetricsEngineParityTests
{
    public static TheoryData<string> Recorded() => new(MetricRecordings(errors: false).Select(r => r.FileName));
    public static TheoryData<string> RecordedErrors() => new(MetricRecordings(errors: true).Select(r => r.FileName));

    [Fact]
    public void AllRecordingsAreCovered()
    {
        Assert.Equal(66, MetricRecordings(false).Count());
        Assert.Equal(4, MetricRecordings(true).Count());
    }

    [Theory]
    [MemberData(nameof(Recorded))]
    public async Task HostEngineOverStoreEqualsRecordedServerAnswer(string file)
    {
        var r = ReplayRecording.Get(file);
        await using var store = ServerStore();
        var actual = await store.QueryTraceMetricsAsync(ToQuery(r.RequestBody!.Value), CancellationToken.None);
        AssertSamePoints(Expected(r), actual, file);
    }

    [Theory]
    [MemberData(nameof(Recorded))]
    public async Task ServerEngineThroughReplayParsesRecordedAnswer(string file)
    {
        var r = ReplayRecording.Get(file);
        await using var server = MlflowReplayServer.Start();
        await using var backend = RestBackend(server);
        var actual = await backend.QueryTraceMetricsAsync(ToQuery(r.RequestBody!.Value), CancellationToken.None);
        Assert.Equal(file, Assert.Single(server.Requests).MatchedRecording); // the body we send is the recorded one
        AssertSamePoints(Expected(r), actual, file);
        Assert.Equal(Expected(r).Count, actual.Count);
    }

    [Theory]
    [MemberData(nameof(RecordedErrors))]
    public async Task BothEnginesRejectWhatTheServerRejected(string file)
    {
        var r = ReplayRecording.Get(file);
        var query = ToQuery(r.RequestBody!.Value);
        var serverMessage = r.ResponseBody!.Value.GetProperty("message").GetString();

        await using var store = ServerStore();
        var host = await Assert.ThrowsAsync<BackendException>(() => store.QueryTraceMetricsAsync(query, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, host.Code);
        Assert.Equal(serverMessage, host.Message);

        await using var server = MlflowReplayServer.Start();
        await using var backend = RestBackend(server);
        var remote = await Assert.ThrowsAsync<BackendException>(() => backend.QueryTraceMetricsAsync(query, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, remote.Code);
        Assert.Equal(serverMessage, remote.Message);
        Assert.Equal("INVALID_PARAMETER_VALUE", remote.MlflowErrorCode);
    }

    [Fact]
    public async Task FileStoreFeatureDisabledIsUnsupported()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(MetricsPath, ReplayFaults.Respond(500, "application/json",
            "{\"error_code\": \"FEATURE_DISABLED\", \"message\": \"Trace metrics are not supported by FileStore\"}"));
        await using var backend = RestBackend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.QueryTraceMetricsAsync(
            new MetricsQuery { ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [MetricsAggregation.Count] },
            CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("FEATURE_DISABLED", ex.Message);
    }

    [Fact]
    public async Task OldServerWithoutEndpointIsUnsupported()
    {
        await using var server = MlflowReplayServer.Start(); // an unrecorded body → Flask's 404, as a < 3.9 server answers
        await using var backend = RestBackend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.QueryTraceMetricsAsync(
            new MetricsQuery
            {
                ExperimentIds = ["1"],
                ViewType = "TRACES",
                MetricName = "trace_count",
                Aggregations = [MetricsAggregation.Count],
                Dimensions = ["trace_status"]
            },
            CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("3.9.0", ex.Message);
    }

    [Theory]
    [InlineData("trace.status === \"OK\"")]
    [InlineData("span.type = \"TOOL\"")] // span filter on the TRACES view
    [InlineData("trace.status = OK")]
    public async Task HostEngineRejectsBadFilters(string filter)
    {
        await using var store = ServerStore();
        var ex = await Assert.ThrowsAsync<BackendException>(() => store.QueryTraceMetricsAsync(
            new MetricsQuery
            {
                ExperimentIds = ["1"],
                ViewType = "TRACES",
                MetricName = "trace_count",
                Aggregations = [MetricsAggregation.Count],
                Filters = [filter]
            },
            CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, ex.Code);
        Assert.Contains(filter, ex.Message);
    }

    [Fact]
    public async Task HostEngineHonoursFiltersAndNameJoin()
    {
        await using var store = ServerStore();
        MetricsQuery Q(params string[] filters) => new()
        {
            ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [MetricsAggregation.Count], Filters = filters,
        };
        double Count(IReadOnlyList<MetricsDataPoint> p) => Assert.Single(p).Values["COUNT"];
        Assert.Equal(43, Count(await store.QueryTraceMetricsAsync(Q(), default)));
        Assert.Equal(1, Count(await store.QueryTraceMetricsAsync(Q("trace.tag.environment = 'staging'"), default)));
        Assert.Equal(3, Count(await store.QueryTraceMetricsAsync(Q("trace.metadata.`mlflow.trace.session` = \"sess-budget\""), default)));
        Assert.Equal(
            1,
            Count(await store.QueryTraceMetricsAsync(Q("trace.metadata.`mlflow.trace.session` = \"sess-budget\"", "trace.status = \"ERROR\""), default)));
        // No GROUP BY: SQL's COUNT over no rows is one row with 0 (not null, so kept, as MLflow's SQL does).
        Assert.Equal(0, Count(await store.QueryTraceMetricsAsync(Q("trace.tag.environment = \"nowhere\""), default)));
        Assert.Equal(0, Count(await store.QueryTraceMetricsAsync(Q() with { ExperimentIds = ["999"] }, default)));
        // Grouped: no rows at all.
        Assert.Empty(await store.QueryTraceMetricsAsync(Q("trace.tag.environment = \"nowhere\"") with { Dimensions = ["trace_status"] }, default));
    }

    [Fact]
    public async Task HostEngineHonoursCancellation()
    {
        await using var store = ServerStore();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.QueryTraceMetricsAsync(
            new MetricsQuery { ExperimentIds = ["1"], ViewType = "SPANS", MetricName = "span_count", Aggregations = [MetricsAggregation.Count] }, cts.Token));
    }
}
