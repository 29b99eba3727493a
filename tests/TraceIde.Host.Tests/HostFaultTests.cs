using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// The real host process against a loopback tracking server that misbehaves on cue. Each time: the
/// host stays up, the failed request gets a stable error code and a clear message, and the next good
/// request works. Timeout and retries come from MLflow's own client variables, as a user sets them.
/// </summary>
public sealed class HostFaultTests
{
    private const string SearchPath = "/api/3.0/mlflow/traces/search";
    private static object SearchAll => new { experimentIds = new[] { "1" }, pageSize = 100 };

    private static readonly Dictionary<string, string?> FastClient = new()
    {
        ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "4", // short for the slow-server case, not so short that a cold start on a busy machine trips it
        ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "2",
    };

    private static async Task<HostProcess> StartAsync(MlflowReplayServer server)
    {
        var host = HostProcess.Start(FastClient);
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        return host;
    }

    private static async Task AssertSearchWorksAsync(HostProcess host)
    {
        var page = JsonRpcAssert.Result(await host.RequestAsync("traces/search", SearchAll));
        Assert.Equal(43, page["traces"]!.AsArray().Count);
    }

    [Fact]
    public async Task Transient_503s_are_retried_inside_the_host_and_the_client_sees_the_answer()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.MlflowError(503, "TEMPORARILY_UNAVAILABLE", "busy"), times: 2);
        await using var host = await StartAsync(server);
        await AssertSearchWorksAsync(host);
        Assert.Equal(3, server.Requests.Count(r => r.Path == SearchPath));
    }

    public static TheoryData<string, int, string> Faults() => new()
    {
        { "html502", RpcErrorCodes.ServerError, "failed on POST /api/3.0/mlflow/traces/search (HTTP 502). (gave up after 3 attempts)" },
        { "429", RpcErrorCodes.ServerError, "is rate limiting requests (HTTP 429 Too Many Requests on POST /api/3.0/mlflow/traces/search); it asks to wait " +
            "120 s." },
        { "slow", RpcErrorCodes.Unreachable, "did not answer within 4 s (POST /api/3.0/mlflow/traces/search)." },
        { "midbody", RpcErrorCodes.BadResponse, "was cut off (connection closed mid-body); it was not valid JSON." },
        { "truncated", RpcErrorCodes.BadResponse, "The tracking server's answer to POST /api/3.0/mlflow/traces/search was not valid JSON" },
        { "notjson", RpcErrorCodes.BadResponse, "The tracking server's answer to POST /api/3.0/mlflow/traces/search was an HTML page, not valid JSON (a " +
            "proxy or login page? check the tracking URI)." },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_misbehaving_server_gives_a_clear_error_the_host_stays_up_and_the_next_request_works(string fault, int code, string message)
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = await StartAsync(server);
        server.Override(SearchPath, fault switch
        {
            "html502" => ReplayFaults.HtmlError(502),
            "429" => ReplayFaults.TooManyRequests("120"),
            "slow" => ReplayFaults.Delay(TimeSpan.FromSeconds(10)),
            "midbody" => ReplayFaults.CloseMidBody(),
            "truncated" => ReplayFaults.TruncatedJson(),
            _ => ReplayFaults.NotJson(),
        });

        var response = await host.RequestAsync("traces/search", SearchAll);
        var (actualCode, actualMessage) = JsonRpcAssert.Error(response);
        Assert.Equal(code, actualCode);
        Assert.Contains(message, actualMessage);
        Assert.DoesNotContain("<", actualMessage);
        Assert.Equal(TraceIde.Host.Transport.TraceIdeJsonRpc.KindOf(code), (string)response["error"]!["data"]!["kind"]!);
        if (fault is "html502" or "429") Assert.Equal(fault == "429" ? 429 : 502, (int)response["error"]!["data"]!["httpStatus"]!);
        Assert.False(host.HasExited);

        server.RemoveOverride(SearchPath);
        await AssertSearchWorksAsync(host);
        Assert.Equal(0, host.StrayStdoutBytes);
    }

    [Fact]
    public async Task Connection_dropped_mid_body_of_a_large_trace_is_bad_response_and_the_trace_then_loads()
    {
        var batchDigest = FixtureCases.ServerTraceId("batch-digest-500");
        await using var server = MlflowReplayServer.Start();
        await using var host = await StartAsync(server);
        // Every route a trace can come from is cut mid-body once.
        foreach (var path in new[] { "/api/3.0/mlflow/traces/get", "/api/3.0/mlflow/traces/" + batchDigest, "/ajax-api/3.0/mlflow/get-trace-artifact" })
            server.Override(path, ReplayFaults.CloseMidBody("{\"trace\": {\"trace_info\": {\"trace_id\": \"tr-"));

        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/get", new { traceId = batchDigest }));
        Assert.Equal(RpcErrorCodes.BadResponse, code);
        Assert.Contains("cut off", message);

        foreach (var path in new[] { "/api/3.0/mlflow/traces/get", "/api/3.0/mlflow/traces/" + batchDigest, "/ajax-api/3.0/mlflow/get-trace-artifact" })
            server.RemoveOverride(path);
        var trace = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId = batchDigest }));
        Assert.Equal(500, trace["spans"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_tracking_server_restarted_mid_use_is_unreachable_while_down_and_works_once_back()
    {
        var first = MlflowReplayServer.Start();
        var port = first.Port;
        await using var host = await StartAsync(first);
        await AssertSearchWorksAsync(host);

        await first.DisposeAsync();
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", SearchAll));
        Assert.True(code is RpcErrorCodes.Unreachable or RpcErrorCodes.BadResponse, $"{code}: {message}");
        Assert.Contains($"127.0.0.1:{port}", message);
        Assert.False(host.HasExited);

        await using var second = MlflowReplayServer.Start(new MlflowReplayOptions { Port = port });
        await AssertSearchWorksAsync(host);
        Assert.Contains(second.Requests, r => r.MatchedRecording == "traces_search_v3__all.json");
    }
}
