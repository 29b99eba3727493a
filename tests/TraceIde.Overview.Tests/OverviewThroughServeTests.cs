using System.Text.Json.Nodes;
using TraceIde.Host.Tests;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Overview.Tests;

/// <summary>overview/* through the host's JSON-RPC server, in process (local store and tracking server).</summary>
public sealed class OverviewThroughServeTests
{
    private const long End = 1795478400000; // 2026-11-24T00:00Z
    private const long Start = End - 7 * 86_400_000L;

    [Fact]
    public async Task OverviewMethodsAnswerOverJsonRpcForALocalStore()
    {
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        var range = new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "day" };

        var usage = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewUsage, range));
        Assert.Equal("host", (string)usage["axis"]!["engine"]!);
        Assert.Equal(8, usage["axis"]!["bucketsMs"]!.AsArray().Count);
        Assert.Equal(43, (long)usage["totals"]!["requests"]!);
        Assert.Equal(5, (long)usage["totals"]!["errors"]!);
        Assert.Equal(43_170, (double)usage["totals"]!["inputTokens"]!);
        Assert.Equal(2_880, (double)usage["totals"]!["outputTokens"]!);
        Assert.Equal(46_050, (double)usage["totals"]!["totalTokens"]!);

        var tools = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewToolCalls, range));
        Assert.Equal(30, (long)tools["totals"]!["calls"]!);
        Assert.Equal(7, (long)tools["totals"]!["failedCalls"]!);
        Assert.Equal("get_weather", (string)tools["tools"]![0]!["name"]!);

        var quality = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewQuality, range));
        Assert.Equal(9, quality["assessments"]!.AsArray().Count);

        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync(RpcMethods.OverviewUsage,
            new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "second" }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("at most 1000", message);
    }

    [Fact]
    public async Task OverviewAsksTheTrackingServer()
    {
        await using var server = MlflowReplayServer.Start();
        await using var store = MetricsTestSupport.ServerStore();
        MetricsTestSupport.AnswerUnrecordedMetricsWithTheHostEngine(server, store);
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        // The recorded window: the usage requests MLflow's answers were recorded for are answered by them; the three that
        // were not (a self-comparison) by the host engine.
        var usage = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewUsage,
            new { experimentIds = new[] { "1" }, startTimeMs = 1794866400000, endTimeMs = 1795482000000, timeUnit = "day" }));
        Assert.Equal("server", (string)usage["axis"]!["engine"]!);
        Assert.Equal(43, (long)usage["totals"]!["requests"]!);
        Assert.Contains(server.Requests, r => r.MatchedRecording == "traces_metrics__trace_count_by_status_daily.json");
        Assert.Equal(3, MetricsTestSupport.UnrecordedMetricsRequests(server).Count);
    }
}
