using System.Text.Json;
using ModelContextProtocol;
using TraceIde.Testing;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// The write tools: offered only with --allow-writes, refused on a local store, and on a tracking server sending
/// exactly what MLflow's own client sent (the replay server answers only the recorded requests).
/// </summary>
public sealed class McpWriteToolsTests
{
    private static readonly string[] WriteTools = ["delete_trace_tag", "delete_traces", "log_expectation", "log_feedback", "set_trace_tag"];

    [Fact]
    public async Task On_a_local_store_the_write_tools_are_listed_but_refused_with_the_reason()
    {
        await using var host = await McpHost.StartAsync(["--store", Path.Combine(Fixtures.ServerStore, "mlflow.db"), "--allow-writes"]);
        var tools = await host.Client.ListToolsAsync();
        Assert.Equal(WriteTools, tools.Where(t => t.ProtocolTool.Annotations?.ReadOnlyHint == false).Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.True(tools.Single(t => t.Name == "delete_traces").ProtocolTool.Annotations?.DestructiveHint);
        var traceId = FixtureCases.ServerTraceId("agent-weather-tokyo");
        foreach (var (tool, args) in new (string, object)[]
        {
            ("set_trace_tag", new { traceId, key = "k", value = "v" }),
            ("log_feedback", new { traceId, name = "correctness", value = true }),
            ("delete_traces", new { experimentId = "1", traceIds = new[] { traceId } }),
        })
        {
            var (text, isError) = await host.CallAsync(tool, args);
            Assert.True(isError, text);
            Assert.Contains("is a local store, which TraceIde only reads", text);
            Assert.Contains("--tracking-uri", text);
        }
        // Nothing was written: the trace still has its tags and assessments as MLflow stored them.
        var trace = await host.JsonAsync("get_trace", new { traceId });
        Assert.False(trace.GetProperty("trace").GetProperty("tags").TryGetProperty("k", out _));
    }

    [Fact]
    public async Task On_a_tracking_server_feedback_and_tags_are_the_requests_MLflow_recorded()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = await McpHost.StartAsync(["--tracking-uri", server.BaseUri.ToString(), "--allow-writes"]);
        var traceId = FixtureCases.ServerTraceId("agent-weather-tokyo");

        // The recorded `mlflow.log_feedback(...)` of the fixtures: the server's answer carries the new assessment's ID.
        var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Http, "assessments_create.json"))).RootElement;
        var feedback = await host.JsonAsync("log_feedback", new
        {
            traceId, name = "user_satisfaction", value = true, rationale = "Quick and accurate.", sourceType = "HUMAN", sourceId = "nina@example.com",
        });
        Assert.Equal(
            recorded.GetProperty("response").GetProperty("body").GetProperty("assessment").GetProperty("assessment_id").GetString(),
            feedback.GetProperty("assessmentId").GetString());
        Assert.Equal("feedback", feedback.GetProperty("kind").GetString());

        await host.JsonAsync("set_trace_tag", new { traceId, key = "reviewed_by", value = "kim" });
        await host.JsonAsync("delete_trace_tag", new { traceId, key = "reviewed_by" });
        var writes = server.Requests.Where(r => r.Method != "GET"
            && !r.Path.EndsWith("/search", StringComparison.Ordinal)
            && !r.Path.Contains("experiments", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["assessments_create", "traces_set_tag_v3", "traces_delete_tag_v3"],
            writes.Select(r => r.MatchedRecording?.Replace(".json", "", StringComparison.Ordinal) ?? "(unmatched)").ToArray());

        var bad = await host.CallAsync("log_feedback", new { traceId, name = "x", value = new { nested = 1 } });
        Assert.True(bad.IsError);
        Assert.Contains("boolean, a number or a string", bad.Text);
    }

    [Fact]
    public async Task Without_allow_writes_a_write_tool_does_not_exist()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = await McpHost.StartAsync(["--tracking-uri", server.BaseUri.ToString()]);
        Assert.DoesNotContain((await host.Client.ListToolsAsync()).Select(t => t.Name), WriteTools.Contains);
        var e = await Assert.ThrowsAsync<McpProtocolException>(() => host.CallAsync("set_trace_tag", new { traceId = "tr-1", key = "k", value = "v" }));
        Assert.Contains("--allow-writes", e.Message);
        Assert.DoesNotContain(server.Requests, r => r.Method is "PATCH" or "DELETE" || r.Path.Contains("assessments", StringComparison.Ordinal));
    }
}
