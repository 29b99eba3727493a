using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// traces/delete, the one destructive feature, through the host's JSON-RPC server (in process) against MLflow's recorded answers
/// (the requests must be exactly the recorded ones, or the replay server answers 404): two IDs deleted, and the
/// no-op cases MLflow answers with 0 rather than an error (an unknown ID, a trace of another experiment).
/// </summary>
public sealed class DeleteTracesOverHttpTests
{
    private const string GuardrailBlocked = "tr-d810e1441a232361fb4991d5a975b229";
    private const string ErrorOrdersDb = "tr-09b75e067e72c5c1e361971ec70e2f5b";

    [Fact]
    public async Task Deleting_two_traces_sends_MLflows_request_and_says_how_many_went()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        Assert.True((bool)init["capabilities"]!["deleteTraces"]!);

        var result = JsonRpcAssert.Result(await host.RequestAsync(
            "traces/delete",
            new { experimentId = "1", traceIds = new[] { GuardrailBlocked, ErrorOrdersDb } }));
        Assert.Equal(2, (int)result["deleted"]!);
        var sent = server.Requests.Last();
        Assert.Equal("traces_delete__v3_by_ids.json", sent.MatchedRecording);
    }

    [Theory]
    [InlineData("1", "tr-00000000000000000000000000000000", "traces_delete__unknown_id.json")]
    [InlineData("0", "tr-53c53b15a817f13f193fafb19c24cbd9", "traces_delete__wrong_experiment.json")]
    public async Task What_MLflow_does_not_delete_is_zero_deleted_not_an_error(string experimentId, string traceId, string recording)
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var result = JsonRpcAssert.Result(await host.RequestAsync("traces/delete", new { experimentId, traceIds = new[] { traceId } }));
        Assert.Equal(0, (int)result["deleted"]!);
        Assert.Equal(recording, server.Requests.Last().MatchedRecording);
    }

    [Fact]
    public async Task A_2x_server_is_sent_the_v2_route_MLflow_recorded()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { ServerVersion = "2.20.0" });
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var result = JsonRpcAssert.Result(await host.RequestAsync(
            "traces/delete",
            new { experimentId = "1", traceIds = new[] { "tr-68d5ad2b70b863337a21963d80477789" } }));
        Assert.Equal(1, (int)result["deleted"]!);
        Assert.Equal("traces_delete__v2_by_ids.json", server.Requests.Last().MatchedRecording);
        Assert.DoesNotContain(server.Requests, r => r.Path.Contains("/api/3.0/mlflow/traces/delete-traces", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_local_store_refuses_with_the_reason_and_deletes_nothing()
    {
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        Assert.False((bool)init["capabilities"]!["deleteTraces"]!);
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/delete", new { experimentId = "1", traceIds = new[] { GuardrailBlocked } }));
        Assert.Equal(RpcErrorCodes.Unsupported, code);
        Assert.Contains("read-only", message);
    }
}
