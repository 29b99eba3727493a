using System.Text.Json;
using TraceIde.Testing;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// `traceide mcp` on a tracking server: the replay server answers exactly as MLflow 3.11 did (and 404s anything it
/// was not asked then), so the tools' reads are MLflow's own REST answers.
/// </summary>
public sealed class McpReplayServerTests
{
    private static readonly JsonElement Truth = JsonDocument.Parse(File.ReadAllText(Fixtures.GroundTruthSmall)).RootElement.Clone();

    [Fact]
    public async Task Get_trace_and_get_span_over_REST_are_MLflows_trace_within_the_budget()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = await McpHost.StartAsync(["--tracking-uri", server.BaseUri.ToString()]);
        foreach (var fixtureCase in new[] { "batch-digest-500", "error-rate-limit", "agent-deep-nesting", "s2-order-t1" })
        {
            var traceId = FixtureCases.ServerTraceId(fixtureCase);
            var truth = Truth.GetProperty("traces").EnumerateArray().Single(t => t.GetProperty("trace_id").GetString() == traceId);
            var (text, isError) = await host.CallAsync("get_trace", new { traceId, maxTokens = 1000 });
            Assert.False(isError, text);
            Assert.True(McpHost.Tokens.CountTokens(text) <= 1000, $"{fixtureCase}: {McpHost.Tokens.CountTokens(text)} tokens");
            var header = JsonDocument.Parse(text).RootElement.GetProperty("trace");
            Assert.Equal(truth.GetProperty("span_count").GetInt32(), header.GetProperty("spans").GetInt32());
            Assert.Equal(truth.GetProperty("max_depth").GetInt32(), header.GetProperty("depth").GetInt32());
            Assert.Equal(truth.GetProperty("state").GetString(), header.GetProperty("state").GetString());
            Assert.Equal(truth.GetProperty("execution_duration_ms").GetInt64(), header.GetProperty("durationMs").GetInt64());
        }

        // The deepest failing span of error-rate-limit (its final LLM call), read over REST, carries the exception the summary names.
        var failedTrace = FixtureCases.ServerTraceId("error-rate-limit");
        var summary = await host.JsonAsync("get_trace", new { traceId = failedTrace });
        var deepest = summary.GetProperty("errors")[0];
        var span = await host.JsonAsync("get_span", new { traceId = failedTrace, spanId = deepest.GetProperty("spanId").GetString() });
        Assert.Equal("ERROR", span.GetProperty("status").GetString());
        var exception = span.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "exception");
        Assert.Equal(
            deepest.GetProperty("exception").GetProperty("type").GetString(),
            exception.GetProperty("attributes").GetProperty("exception.type").GetString());
        Assert.DoesNotContain(server.Requests, r => r.MatchedRecording is null && !r.Path.EndsWith("/server-info", StringComparison.Ordinal));
    }
}
