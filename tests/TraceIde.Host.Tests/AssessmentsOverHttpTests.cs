using System.Text.Json.Nodes;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>assessments/* through the host's JSON-RPC server (in process), against the recorded MLflow server and the read-only local store.</summary>
public sealed class AssessmentsOverHttpTests
{
    private const string Tokyo = "tr-5b459dd05cb47503871b19889a0dfb57";

    [Fact]
    public async Task The_IDEs_user_writes_the_assessment_and_the_host_returns_it_as_stored()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString(), userName = "nina@example.com" }));
        Assert.Equal("nina@example.com", (string)init["userName"]!);
        Assert.True((bool)init["capabilities"]!["editAssessments"]!);

        // No sourceId: the session's user is the source (the recorded body says HUMAN nina@example.com).
        var created = JsonRpcAssert.Result(await host.RequestAsync("assessments/create", new
        {
            traceId = Tokyo, name = "user_satisfaction", kind = "feedback", value = true, rationale = "Quick and accurate.",
        }));
        Assert.Equal("a-f9ed3352fc2346df9cea9b3e8354a2ab", (string)created["assessment"]!["assessmentId"]!);
        Assert.Equal("assessments_create.json", server.Requests.Last().MatchedRecording);

        var updated = JsonRpcAssert.Result(await host.RequestAsync("assessments/update", new
        {
            traceId = Tokyo, assessmentId = "a-f9ed3352fc2346df9cea9b3e8354a2ab", kind = "feedback", value = false, rationale = "Changed my mind: the " +
                "forecast was wrong.",
        }));
        Assert.False((bool)updated["assessment"]!["value"]!);

        JsonRpcAssert.Result(await host.RequestAsync("assessments/delete", new { traceId = Tokyo, assessmentId = "a-f9ed3352fc2346df9cea9b3e8354a2ab" }));
        Assert.Equal("assessments_delete.json", server.Requests.Last().MatchedRecording);
    }

    [Theory]
    [InlineData("""{"traceId":"tr-1","name":"q","kind":"feedback","value":{"a":1}}""", "feedback value")]
    [InlineData("""{"traceId":"tr-1","name":"q","kind":"feedback","value":"  "}""", "feedback value")]
    [InlineData("""{"traceId":"tr-1","name":"q","kind":"feedback","value":null}""", "feedback value")]
    [InlineData("""{"traceId":"tr-1","name":"q","kind":"issue","value":true}""", "kind must be")]
    [InlineData("""{"traceId":"tr-1","name":" ","kind":"feedback","value":true}""", "name must be")]
    public async Task A_bad_assessment_is_refused_before_anything_is_sent(string parameters, string expected)
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString(), userName = "kim" }));
        var sent = server.Requests.Count;
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("assessments/create", JsonNode.Parse(parameters)));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains(expected, message);
        Assert.Equal(sent, server.Requests.Count);

        (code, message) = JsonRpcAssert.Error(await host.RequestAsync("assessments/update", new { traceId = "tr-1", assessmentId = "a-1", kind = "feedback" }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("Nothing to change", message);
    }

    [Fact]
    public async Task A_local_store_says_up_front_that_it_cannot_edit_and_refuses_with_the_reason()
    {
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        Assert.False((bool)init["capabilities"]!["editAssessments"]!);
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync(
            "assessments/create",
            new { traceId = Tokyo, name = "q", kind = "feedback", value = true, sourceId = "kim" }));
        Assert.Equal(RpcErrorCodes.Unsupported, code);
        Assert.Contains("read-only", message);
    }

    [Fact]
    public async Task A_trace_whose_spans_cannot_be_read_still_shows_its_info_and_assessments()
    {
        // The recordings hold Tokyo's TraceInfo (with its assessments) but none of its spans: every span route is
        // unknown to the replay server, as to a server whose artifact store lost the file.
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var trace = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId = Tokyo }));
        Assert.Equal(Tokyo, (string)trace["info"]!["traceId"]!);
        Assert.Empty(trace["spans"]!.AsArray());
        Assert.NotEmpty(trace["assessments"]!.AsArray());
        Assert.Contains(trace["warnings"]!.AsArray(), w => ((string)w!).StartsWith("The spans of this trace could not be read", StringComparison.Ordinal));

        var (code, _) = JsonRpcAssert.Error(await host.RequestAsync("traces/get", new { traceId = "tr-00000000000000000000000000000000" }));
        Assert.Equal(RpcErrorCodes.NotFound, code); // no trace at all is still an error, not an empty trace
    }

    [Theory]
    [InlineData("ide@x", "env@x", "mlflow", "os", "ide@x")]
    [InlineData(null, "env@x", "mlflow", "os", "env@x")]
    [InlineData(" ", null, "mlflow", "os", "mlflow")]
    [InlineData(null, null, null, "os", "os")]
    [InlineData(null, null, null, null, null)]
    public void The_writer_is_the_IDEs_user_then_TRACEIDE_USER_then_the_MLflow_user_then_the_OS_account(
        string? ide,
        string? env,
        string? mlflow,
        string? os,
        string? expected)
    {
        string? Env(string name) => name switch { "TRACEIDE_USER" => env, "MLFLOW_TRACKING_USERNAME" => mlflow, _ => null };
        Assert.Equal(expected, HostSession.UserNameOf(ide, Env, os));
    }
}
