using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// sessions/list against MLflow's own answer: <c>mlflow.search_sessions()</c> found 5 sessions in the fixture
/// experiment (fixture README), most recent first, with the turn counts of ground_truth_small.json.
/// </summary>
public sealed class SessionsTests
{
    private static readonly string[] MlflowOrder = ["sess-live-chat", "sess-pets", "sess-budget", "sess-order-10420", "sess-paris-trip"];

    private static Dictionary<string, string[]> GroundTruthSessions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixtures.GroundTruthSmall));
        return doc.RootElement.GetProperty("sessions").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("trace_ids").EnumerateArray().Select(t => t.GetString()!).ToArray());
    }

    private static void AssertMlflowsSessions(JsonNode result)
    {
        var truth = GroundTruthSessions();
        var sessions = result["sessions"]!.AsArray();
        Assert.Equal(MlflowOrder, sessions.Select(s => (string)s!["sessionId"]!).ToArray());
        foreach (var s in sessions)
        {
            var id = (string)s!["sessionId"]!;
            Assert.Equal(truth[id].Length, (int)s["turns"]!);
            Assert.True((long)s["firstTimeMs"]! <= (long)s["lastTimeMs"]!);
        }
        Assert.Equal(43, (int)result["tracesRead"]!);
        Assert.False((bool)result["truncated"]!);
        // The README's facts: sess-budget and sess-live-chat end on an ERROR turn; each session has one user.
        var byId = sessions.ToDictionary(s => (string)s!["sessionId"]!, s => s!);
        Assert.Equal("ERROR", (string)byId["sess-budget"]["lastState"]!);
        Assert.Equal("ERROR", (string)byId["sess-live-chat"]["lastState"]!);
        Assert.Equal(["alice@example.com"], byId["sess-paris-trip"]["users"]!.AsArray().Select(u => (string)u!).ToArray());
    }

    [Fact]
    public async Task Over_the_recorded_server_the_host_asks_what_MLflows_client_asks_and_finds_its_five_sessions()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var before = server.Requests.Count;
        var result = JsonRpcAssert.Result(await host.RequestAsync("sessions/list", new { experimentIds = new[] { "1" } }));
        AssertMlflowsSessions(result);
        Assert.Equal(["sessions_client__step1_search_traces.json"], server.Requests.Skip(before).Select(r => r.MatchedRecording).ToArray());
    }

    [Fact]
    public async Task A_local_store_gives_the_same_sessions()
    {
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        AssertMlflowsSessions(JsonRpcAssert.Result(await host.RequestAsync("sessions/list", new { experimentIds = new[] { "1" } })));
    }

    [Fact]
    public async Task A_filter_narrows_the_traces_read_and_a_bad_one_is_the_filters_error()
    {
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        var alice = JsonRpcAssert.Result(await host.RequestAsync(
            "sessions/list",
            new { experimentIds = new[] { "1" }, filters = new { user = "alice@example.com" } }));
        Assert.Equal(["sess-paris-trip"], alice["sessions"]!.AsArray().Select(s => (string)s!["sessionId"]!).ToArray());
        Assert.Equal(5, (int)alice["tracesRead"]!); // alice has 5 traces: 4 in her session and 1 without (README)

        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("sessions/list", new { experimentIds = new[] { "1" }, filter = "trace.nope = 1" }));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.InvalidFilter, code);
        Assert.Contains("nope", message);
    }
}
