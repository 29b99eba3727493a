using System.Text.Json;
using TraceIde.Backends.Mlflow;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

public sealed class ExperimentsAndConnectTests
{
    [Fact]
    public async Task Connect_reads_version_and_derives_capabilities()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var info = await backend.ConnectAsync(CancellationToken.None);

        Assert.Equal("3.11.2.dev0", info.MlflowVersion);
        Assert.True(info.Capabilities.SearchV3);
        Assert.True(info.Capabilities.SpanFilters);
        Assert.True(info.Capabilities.Assessments);
        Assert.True(info.Capabilities.TraceMetrics);
        Assert.True(info.Capabilities.DeleteTraces);
        Assert.True(info.Capabilities.EditTags);
        Assert.Null(info.Capabilities.StoreType); // server-info is not recorded → 404 → unknown
        Assert.Equal("version.json", server.Requests[0].MatchedRecording);
        Assert.Equal("/api/3.0/mlflow/server-info", server.Requests[1].Path);
        Assert.Equal(BackendKinds.MlflowServer, backend.Kind);
    }

    [Fact]
    public async Task Connect_reads_store_type_from_server_info()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(
            "/api/3.0/mlflow/server-info",
            ReplayFaults.Respond(200, "application/json", "{\"store_type\": \"FileStore\", \"workspaces_enabled\": false}"));
        await using var backend = TestSupport.Backend(server);
        var info = await backend.ConnectAsync(CancellationToken.None);
        Assert.Equal("FileStore", info.Capabilities.StoreType);
        Assert.False(info.Capabilities.TraceMetrics);
    }

    [Theory]
    [InlineData("3.1.4", false, false, false, false)]
    [InlineData("3.2.0", true, false, true, false)]
    [InlineData("3.6.0", true, true, true, false)]
    [InlineData("3.9.0", true, true, true, true)]
    [InlineData("3.11.2.dev0", true, true, true, true)]
    [InlineData("4.0.0rc1", true, true, true, true)]
    [InlineData(null, false, false, false, false)]
    public void Capabilities_by_version(string? version, bool searchV3, bool spanFilters, bool assessments, bool metrics)
    {
        var caps = MlflowRestBackend.CapabilitiesFor(version, "SqlStore");
        Assert.Equal(searchV3, caps.SearchV3);
        Assert.Equal(spanFilters, caps.SpanFilters);
        Assert.Equal(assessments, caps.Assessments);
        Assert.Equal(metrics, caps.TraceMetrics);
        Assert.Equal("SqlStore", caps.StoreType);
    }

    [Fact]
    public async Task Experiments_list_matches_the_recorded_request_genai_first()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var list = await backend.ListExperimentsAsync(null, CancellationToken.None);

        Assert.Equal("experiments_search.json", server.Requests.Single().MatchedRecording);
        Assert.Equal(["1", "0"], list.Select(e => e.ExperimentId).ToArray());
        var small = list[0];
        Assert.Equal("genai-fixture-small", small.Name);
        Assert.True(small.IsGenAi);
        Assert.Equal(1795474246034, small.CreationTimeMs);
        Assert.Equal("active", small.LifecycleStage);
        Assert.Equal("genai_development", small.Tags["mlflow.experimentKind"]);
        Assert.False(list[1].IsGenAi);
        Assert.Equal("Default", list[1].Name);
    }

    [Theory]
    [InlineData("FIXTURE", new[] { "1" })]
    [InlineData("default", new[] { "0" })]
    [InlineData("e", new[] { "1", "0" })]
    [InlineData("nothing-like-this", new string[0])]
    public async Task Experiments_query_is_a_case_insensitive_substring(string query, string[] expected)
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var list = await backend.ListExperimentsAsync(query, CancellationToken.None);
        Assert.Equal(expected, list.Select(e => e.ExperimentId).ToArray());
    }

    [Fact]
    public async Task Experiments_are_paged_through_next_page_token()
    {
        var rec = ReplayRecording.Get("experiments_search");
        var experiments = rec.ResponseBody!.Value.GetProperty("experiments");
        var genai = experiments[0].GetRawText();
        var dflt = experiments[1].GetRawText();
        await using var server = MlflowReplayServer.Start();
        // Serve the recorded experiments one per page, the way MLflow pages (offset token).
        server.Override("/api/2.0/mlflow/experiments/search", async ctx =>
        {
            using var body = JsonDocument.Parse(ctx.Request.Body);
            var answer = body.RootElement.TryGetProperty("page_token", out var tok) && tok.GetString() == "eyJvZmZzZXQiOiAxfQ=="
                ? "{\"experiments\": [" + genai + "]}"
                : "{\"experiments\": [" + dflt + "], \"next_page_token\": \"eyJvZmZzZXQiOiAxfQ==\"}";
            await ReplayFaults.Respond(200, "application/json", answer)(ctx);
        });
        await using var backend = TestSupport.Backend(server);
        var list = await backend.ListExperimentsAsync(null, CancellationToken.None);

        Assert.Equal(["1", "0"], list.Select(e => e.ExperimentId).ToArray());
        Assert.Equal(2, server.Requests.Count);
        Assert.True(JsonElement.DeepEquals(TestSupport.Json("{\"max_results\": 100}"), TestSupport.Json(server.Requests[0].Body)));
        Assert.True(JsonElement.DeepEquals(
            TestSupport.Json("{\"max_results\": 100, \"page_token\": \"eyJvZmZzZXQiOiAxfQ==\"}"),
            TestSupport.Json(server.Requests[1].Body)));
    }
}
