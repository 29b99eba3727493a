using System.Text.Json;
using TraceIde.Protocol;
using TraceIde.Core.Backends;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

public sealed class EditTests
{
    private const string Tokyo = "tr-5b459dd05cb47503871b19889a0dfb57";

    [Fact]
    public async Task Set_tag_matches_the_recorded_patch()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        await backend.SetTraceTagAsync(Tokyo, "reviewed_by", "kim", CancellationToken.None);
        Assert.Equal("traces_set_tag_v3.json", server.Requests.Single().MatchedRecording);
        Assert.Equal("application/json", server.Requests.Single().Header("Content-Type")!.Split(';')[0]);
    }

    [Fact]
    public async Task Delete_tag_sends_the_key_in_a_json_body()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        await backend.DeleteTraceTagAsync(Tokyo, "reviewed_by", CancellationToken.None);
        var req = server.Requests.Single();
        Assert.Equal("traces_delete_tag_v3.json", req.MatchedRecording); // not error__traces_delete_tag_v3_key_in_query
        Assert.DoesNotContain("?", req.Url);
    }

    [Fact]
    public async Task Set_tag_on_unknown_trace_surfaces_the_server_error()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override($"/api/3.0/mlflow/traces/{TestSupport.UnknownTrace}/tags",
            ReplayFaults.MlflowError(404, "RESOURCE_DOES_NOT_EXIST", $"Trace with ID {TestSupport.UnknownTrace} is not found."));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SetTraceTagAsync(TestSupport.UnknownTrace, "k", "v", CancellationToken.None));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains("is not found", ex.Message);
    }

    [Fact]
    public async Task Delete_traces_posts_request_ids_and_reads_traces_deleted()
    {
        // No recording exists for delete-traces (it would have destroyed the fixture); the body is docs/mlflow-notes.md#deletion.
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/delete-traces", ReplayFaults.Respond(200, "application/json", "{\"traces_deleted\": 2}"));
        await using var backend = TestSupport.Backend(server);
        var n = await backend.DeleteTracesAsync("1", [TestSupport.ParisT1, TestSupport.DeepNesting], CancellationToken.None);
        Assert.Equal(2, n);
        var req = server.Requests.Single();
        Assert.Equal("POST", req.Method);
        Assert.True(JsonElement.DeepEquals(
            TestSupport.Json($"{{\"experiment_id\": \"1\", \"request_ids\": [\"{TestSupport.ParisT1}\", \"{TestSupport.DeepNesting}\"]}}"),
            TestSupport.Json(req.Body)));
    }

    [Fact]
    public async Task Delete_traces_falls_back_to_v2_route()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/2.0/mlflow/traces/delete-traces", ReplayFaults.Respond(200, "application/json", "{\"traces_deleted\": 1}"));
        await using var backend = TestSupport.Backend(server);
        Assert.Equal(1, await backend.DeleteTracesAsync("1", [TestSupport.ParisT1], CancellationToken.None));
        Assert.Equal(["/api/3.0/mlflow/traces/delete-traces", "/api/2.0/mlflow/traces/delete-traces"], server.Requests.Select(r => r.Path).ToArray());
    }
}
