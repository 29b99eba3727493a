using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// One request per click on every MLflow release docs/mlflow-notes.md#versions-and-endpoints names: the replay server plays each release's
/// endpoint set (<see cref="MlflowVersionRoutes"/>), the backend connects (reads /version) and each
/// operation is counted. A request the release does not serve would be answered 404 and have no
/// recording: none may be sent.
/// </summary>
public sealed class RequestsByVersionTests
{
    public static TheoryData<string> Versions => new(MlflowVersionRoutes.Simulated);

    private static bool AtLeast(string version, string since) => MlflowVersionRoutes.Parse(version) >= MlflowVersionRoutes.Parse(since);

    private static async Task<(MlflowReplayServer Server, MlflowRestBackend Backend, BackendInfo Info)> ConnectedAsync(string version)
    {
        var server = MlflowReplayServer.Start(new MlflowReplayOptions { ServerVersion = version });
        var backend = TestSupport.Backend(server);
        var info = await backend.ConnectAsync(CancellationToken.None);
        return (server, backend, info);
    }

    /// <summary>What the operation sent after connecting: the recordings (or simulated answers) that answered, sorted.</summary>
    private static string?[] Answered(MlflowReplayServer server, int skip) =>
        server.Requests.Skip(skip).Select(r => r.MatchedRecording).Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Connect_asks_server_info_only_where_it_exists(string version)
    {
        var (server, backend, info) = await ConnectedAsync(version);
        await using var _ = server;
        await using var __ = backend;

        Assert.Equal(version, info.MlflowVersion);
        Assert.Equal(AtLeast(version, "3.10.0") ? ["simulated:server-info", "simulated:version"] : ["simulated:version"], Answered(server, 0));
        Assert.Equal(AtLeast(version, "3.10.0") ? "SqlStore" : null, info.Capabilities.StoreType);
        Assert.Equal(AtLeast(version, "3.2.0"), info.Capabilities.SearchV3);
        Assert.Equal(AtLeast(version, "3.9.0"), info.Capabilities.TraceMetrics);
        Assert.Equal(AtLeast(version, "3.2.0"), info.Capabilities.EditAssessments);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_search_is_one_request(string version)
    {
        var (server, backend, _) = await ConnectedAsync(version);
        await using var s = server;
        await using var b = backend;
        var before = server.Requests.Count;
        // Each route with a query its recording answers.
        var recording = ReplayRecording.Get(AtLeast(version, "3.2.0") ? "traces_search_v3__all" : "traces_search_v2");
        var query = AtLeast(version, "3.2.0")
            ? RecordedSearch.Query(recording)
            : new TraceQuery { ExperimentIds = ["1"], PageSize = 3, OrderBy = ["timestamp_ms DESC"] };

        var page = await backend.SearchTracesAsync(query, CancellationToken.None);

        Assert.Equal([recording.FileName], Answered(server, before));
        Assert.Equal(
            RecordedSearch.TraceIds(recording, AtLeast(version, "3.2.0") ? "trace_id" : "request_id"),
            page.Traces.Select(t => t.TraceId).ToList());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Trace_info_is_one_request(string version)
    {
        var (server, backend, _) = await ConnectedAsync(version);
        await using var s = server;
        await using var b = backend;
        var before = server.Requests.Count;

        var info = await backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None);

        Assert.Equal(TestSupport.ParisT1, info.TraceId);
        Assert.Equal([AtLeast(version, "3.2.0") ? "traces_get_info_v3__s1-paris-t1.json" : "traces_get_info_v2.json"], Answered(server, before));
    }

    /// <summary>
    /// A click on a trace: traces/get alone from 3.7 (info and spans in one answer); before, info and the
    /// artifact, sent together — never a traces/get the release would answer 404, never a v3 route before 3.2.
    /// </summary>
    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Opening_a_trace_is_one_request_from_3_7_and_info_plus_artifact_before(string version)
    {
        var (server, backend, _) = await ConnectedAsync(version);
        await using var s = server;
        await using var b = backend;
        var before = server.Requests.Count;

        var trace = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);

        Assert.Equal(8, trace.Spans.Count);
        Assert.Equal(TestSupport.ParisT1, trace.Info.TraceId);
        string?[] expected = AtLeast(version, "3.7.0") ? ["traces_get__s1-paris-t1.json"]
            : AtLeast(version, "3.2.0") ? ["get_trace_artifact_v2__s1-paris-t1.json", "traces_get_info_v3__s1-paris-t1.json"]
            : ["get_trace_artifact_v2__s1-paris-t1.json", "traces_get_info_v2.json"];
        Assert.Equal(expected, Answered(server, before));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Setting_and_deleting_a_tag_are_one_request_each_on_the_route_the_release_has(string version)
    {
        var (server, backend, _) = await ConnectedAsync(version);
        await using var s = server;
        await using var b = backend;
        const string traceId = "tr-5b459dd05cb47503871b19889a0dfb57"; // the recorded tag edits' trace
        var v3 = AtLeast(version, "3.3.2");
        // MLflow's v2 tag routes answer {} as the v3 ones do; only the v3 ones were recorded.
        if (!v3) server.Override($"/api/2.0/mlflow/traces/{traceId}/tags", ReplayFaults.Respond(200, "application/json", "{}"));
        var before = server.Requests.Count;

        await backend.SetTraceTagAsync(traceId, "reviewed_by", "kim", CancellationToken.None);
        await backend.DeleteTraceTagAsync(traceId, "reviewed_by", CancellationToken.None);

        var sent = server.Requests.Skip(before).ToList();
        Assert.Equal([("PATCH", v3), ("DELETE", v3)], sent.Select(r => (r.Method, r.Path.StartsWith("/api/3.0/", StringComparison.Ordinal))).ToArray());
        if (v3) Assert.Equal(["traces_delete_tag_v3.json", "traces_set_tag_v3.json"], Answered(server, before));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Metrics_are_one_request_from_3_9_and_none_before(string version)
    {
        var (server, backend, info) = await ConnectedAsync(version);
        await using var s = server;
        await using var b = backend;
        var before = server.Requests.Count;
        var query = new MetricsQuery
        {
            ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [MetricsAggregation.Count],
            StartTimeMs = 1794866400000, EndTimeMs = 1795482000000,
        };

        if (info.Capabilities.TraceMetrics)
        {
            var points = await backend.QueryTraceMetricsAsync(query, CancellationToken.None);
            Assert.Equal(43.0, Assert.Single(points).Values["COUNT"]);
            Assert.Equal(["traces_metrics__trace_count_total.json"], Answered(server, before));
        }
        else
        {
            var ex = await Assert.ThrowsAsync<BackendException>(() => backend.QueryTraceMetricsAsync(query, CancellationToken.None));
            Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
            Assert.Empty(server.Requests.Skip(before));
        }
        Assert.Equal(AtLeast(version, "3.9.0"), info.Capabilities.TraceMetrics);
    }

    /// <summary>
    /// A server that hides its version (a proxy without /version) gets the fallbacks, newest first — once:
    /// what it answered it does not serve is not asked again on the next click.
    /// </summary>
    [Fact]
    public async Task Without_a_version_the_fallbacks_are_learned_once()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { ServerVersion = "3.6.0" });
        server.Override("/version", ReplayFaults.HtmlNotFound());
        await using var backend = TestSupport.Backend(server);
        var info = await backend.ConnectAsync(CancellationToken.None);
        Assert.Null(info.MlflowVersion);

        var before = server.Requests.Count;
        await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);
        var first = server.Requests.Skip(before).Select(r => r.Path).Order(StringComparer.Ordinal).ToArray();
        // traces/get (3.6: the info route's 404 for ID "get"), info v3 + artifact v3 (404) then v2.
        Assert.Equal(
            [
                "/ajax-api/2.0/mlflow/get-trace-artifact",
                "/ajax-api/3.0/mlflow/get-trace-artifact",
                "/api/3.0/mlflow/traces/get",
                "/api/3.0/mlflow/traces/" + TestSupport.ParisT1],
            first);

        before = server.Requests.Count;
        var trace = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(8, trace.Spans.Count);
        Assert.Equal(["get_trace_artifact_v2__s1-paris-t1.json", "traces_get_info_v3__s1-paris-t1.json"], Answered(server, before));
    }

    /// <summary>On a server whose version is known the table decides: one 404 (a proxy, a path it did not match) does not take traces/get away.</summary>
    [Fact]
    public async Task With_a_known_version_one_404_is_not_learned()
    {
        var (server, backend, _) = await ConnectedAsync("3.11.2.dev0");
        await using var s = server;
        await using var b = backend;
        server.Override("/api/3.0/mlflow/traces/get", ReplayFaults.HtmlNotFound(), times: 1);
        Assert.Equal(8, (await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None)).Spans.Count);

        var before = server.Requests.Count;
        Assert.Equal(8, (await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None)).Spans.Count);
        Assert.Equal(["traces_get__s1-paris-t1.json"], Answered(server, before));
    }
}
