using System.Diagnostics;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// The host (the real process where its environment or its staying up is the point; else in process) against a real
/// loopback server that answers as the MLflow recordings do.
/// </summary>
public sealed class HostOverHttpTests
{
    private static object SearchAll => new { experimentIds = new[] { "1" }, pageSize = 100 };

    [Fact]
    public async Task Initialize_discovers_the_recorded_MLflow_version_and_search_returns_the_recorded_traces()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        Assert.Equal(BackendKinds.MlflowServer, (string)init["backendKind"]!);
        Assert.Equal("3.11.2.dev0", (string)init["mlflowVersion"]!);
        Assert.True((bool)init["capabilities"]!["searchV3"]!);

        var page = JsonRpcAssert.Result(await host.RequestAsync("traces/search", SearchAll));
        var traces = page["traces"]!.AsArray();
        Assert.Equal(43, traces.Count);
        Assert.Equal(5, traces.Count(t => (string)t!["state"]! == "ERROR"));
        Assert.Equal(135, traces.Sum(t => t!["assessments"]!.AsArray().Count));
        Assert.Equal(5, traces.Select(t => (string?)t!["session"]).Where(s => s != null).Distinct().Count());
    }

    [Fact]
    public async Task Cancel_request_aborts_a_slow_http_call_and_the_host_answers_the_next_request()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", ReplayFaults.Delay(TimeSpan.FromSeconds(60)), times: 1);
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));

        var (id, response) = await host.StartRequestAsync("traces/search", SearchAll);
        await Poll.UntilAsync(() => server.Requests.Any(r => r.Path.EndsWith("/traces/search", StringComparison.Ordinal)), "the host searched");
        var clock = Stopwatch.StartNew();
        await host.NotifyAsync("$/cancelRequest", new { id });
        var (code, _) = JsonRpcAssert.Error(await response);
        Assert.Equal(RpcErrorCodes.Cancelled, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {clock.Elapsed}");

        var next = JsonRpcAssert.Result(await host.RequestAsync("traces/search", SearchAll));
        Assert.Equal(43, next["traces"]!.AsArray().Count);
    }

    [Fact]
    public async Task Basic_auth_comes_from_the_environment_and_a_wrong_password_never_reaches_the_client_or_the_log()
    {
        const string password = "s3cret-Pa55word";
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("alice", password) });

        await using (var good = HostProcess.Start(
            new Dictionary<string,
            string?> { ["MLFLOW_TRACKING_USERNAME"] = "alice", ["MLFLOW_TRACKING_PASSWORD"] = password }))
        {
            JsonRpcAssert.Result(await good.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
            var page = JsonRpcAssert.Result(await good.RequestAsync("traces/search", SearchAll));
            Assert.Equal(43, page["traces"]!.AsArray().Count);
        }

        const string wrong = "wrong-Pa55word-123";
        await using var bad = HostProcess.Start(
            new Dictionary<string,
            string?> { ["MLFLOW_TRACKING_USERNAME"] = "alice", ["MLFLOW_TRACKING_PASSWORD"] = wrong });
        var response = await bad.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() });
        var (code, message) = JsonRpcAssert.Error(response);
        Assert.Equal(RpcErrorCodes.Unauthorized, code);
        Assert.DoesNotContain(wrong, response.ToJsonString());
        Assert.Contains("MLFLOW_TRACKING", message);
        await bad.NotifyAsync("exit");
        await bad.WaitForExitAsync();
        Assert.DoesNotContain(wrong, bad.Stderr);
    }

    [Fact]
    public async Task A_dead_server_is_an_actionable_unreachable_error()
    {
        using var dead = new DeadPort();
        var port = dead.Port;
        await using var host = HostProcess.Start();
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("initialize", new { trackingUri = dead.Url }));
        Assert.Equal(RpcErrorCodes.Unreachable, code);
        Assert.Contains($"127.0.0.1:{port}", message);
        Assert.Contains("mlflow server", message);
        Assert.False(host.HasExited);
    }

    [Fact]
    public async Task MLFLOW_TRACKING_URI_is_used_when_initialize_names_no_backend()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start(new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = server.BaseUri.ToString() });
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { clientName = "tests" }));
        Assert.Equal(BackendKinds.MlflowServer, (string)init["backendKind"]!);
    }

    [Fact]
    public async Task A_workspace_folder_with_mlflow_db_is_used_when_nothing_else_is_configured()
    {
        await using var host = InProcessHost.Start();
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { workspaceFolders = new[] { new Uri(Fixtures.ServerStore).ToString() } }));
        Assert.Equal(BackendKinds.LocalStore, (string)init["backendKind"]!);
    }
}
