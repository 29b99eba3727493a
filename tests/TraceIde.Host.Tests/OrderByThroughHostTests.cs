using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// order_by through the host (JSON-RPC, in process) with MLflow 3.11's recordings as the oracle. Each accepted order_by
/// (http/traces_search_v3__order_*.json) sent as traces/search to a host on the replayed tracking server makes the
/// request MLflow was sent when it was recorded (the replay server matches method, path and JSON body) and answers
/// MLflow's traces and page token. Each order_by MLflow refused (http/error__traces_search_*order*.json) is refused by
/// the host itself with <see cref="OrderByParser"/>'s message (InvalidFilter) before any request reaches the tracking
/// server, and in the same words on a local store: the same search fails the same way whatever the backend.
/// </summary>
public sealed class OrderByThroughHostTests
{
    public static TheoryData<string> Accepted() =>
        new(ReplayRecording.All.Where(r => r.FileName.StartsWith("traces_search_v3__order_", StringComparison.Ordinal)).Select(r => r.FileName));

    public static TheoryData<string> Refused() => new(RecordedSearch.RefusedOrderByFiles());

    [Fact]
    public void The_recordings_are_there()
    {
        Assert.Equal(28, Accepted().Count);
        Assert.Equal(14, Refused().Count);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task An_accepted_order_by_sends_MLflow_the_recorded_request_and_answers_its_traces(string file)
    {
        var rec = ReplayRecording.Get(file);
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var before = server.Requests.Count;

        var page = JsonRpcAssert.Result(await host.RequestAsync("traces/search", SearchParams(RecordedSearch.Query(rec))));

        var sent = Assert.Single(server.Requests.Skip(before));
        Assert.Equal(file, sent.MatchedRecording);
        Assert.Equal(RecordedSearch.TraceIds(rec), page["traces"]!.AsArray().Select(t => (string)t!["traceId"]!));
        Assert.Equal(RecordedSearch.NextPageToken(rec), (string?)page["nextPageToken"]);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_order_by_is_refused_by_the_host_before_any_request_on_both_backends(string file)
    {
        var query = RecordedSearch.Query(ReplayRecording.Get(file));
        var expected = Assert.Throws<BackendException>(() => OrderByParser.Parse(query.OrderBy)).Message;

        await using (var server = MlflowReplayServer.Start())
        await using (var host = InProcessHost.Start())
        {
            JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
            var before = server.Requests.Count;
            var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", SearchParams(query)));
            Assert.Equal((RpcErrorCodes.InvalidFilter, expected), (code, message));
            Assert.Empty(server.Requests.Skip(before));
        }

        await using (var host = InProcessHost.Start())
        {
            JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
            var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", SearchParams(query)));
            Assert.Equal((RpcErrorCodes.InvalidFilter, expected), (code, message));
        }
    }

    /// <summary>The recorded search as traces/search parameters.</summary>
    private static JsonObject SearchParams(TraceQuery query)
    {
        var p = new JsonObject
        {
            ["experimentIds"] = new JsonArray(query.ExperimentIds.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
            ["orderBy"] = new JsonArray(query.OrderBy.Select(o => (JsonNode)JsonValue.Create(o)).ToArray()),
            ["pageSize"] = query.PageSize,
        };
        if (query.Filter != null) p["filter"] = query.Filter;
        if (query.PageToken != null) p["pageToken"] = query.PageToken;
        return p;
    }
}
