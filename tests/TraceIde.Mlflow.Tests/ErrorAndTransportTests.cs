using System.Diagnostics;
using System.Text;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

public sealed class ErrorAndTransportTests
{
    private static string RecordedMessage(ReplayRecording rec) => rec.ResponseBody!.Value.GetProperty("message").GetString()!;

    [Fact]
    public async Task Unknown_trace_info_is_not_found()
    {
        var rec = ReplayRecording.Get("error__traces_get_info_v3_unknown_id");
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetTraceInfoAsync(TestSupport.UnknownTrace, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains(RecordedMessage(rec), ex.Message);
        Assert.Equal("error__traces_get_info_v3_unknown_id.json", server.Requests.Single().MatchedRecording);
    }

    [Fact]
    public async Task Unknown_trace_spans_via_artifact_is_not_found()
    {
        var rec = ReplayRecording.Get("error__get_trace_artifact_unknown_id");
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var info = new TraceSummary { TraceId = TestSupport.UnknownTrace, ExperimentId = "1", State = "OK" };
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetSpansAsync(info, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains(RecordedMessage(rec), ex.Message);
        Assert.Equal("error__get_trace_artifact_unknown_id.json", server.Requests.Single().MatchedRecording);
    }

    [Fact]
    public async Task Unknown_trace_spans_via_traces_get_then_artifact_is_not_found()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var info = new TraceSummary
        {
            TraceId = TestSupport.UnknownTrace, ExperimentId = "1", State = "OK",
            Tags = new Dictionary<string, string> { ["mlflow.trace.spansLocation"] = "TRACKING_STORE" },
        };
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetSpansAsync(info, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Equal(["error__traces_get_unknown_id.json", "error__get_trace_artifact_unknown_id.json"],
            server.Requests.Select(r => r.MatchedRecording ?? "").ToArray());
    }

    [Fact]
    public async Task Closed_port_is_unreachable_with_an_actionable_message()
    {
        var port = TestSupport.ClosedPort();
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri($"http://127.0.0.1:{port}") });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ConnectAsync(CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unreachable, ex.Code);
        Assert.Equal($"Cannot reach the tracking server at http://127.0.0.1:{port} — is `mlflow server` running? (gave up after 3 attempts)", ex.Message);
    }

    [Fact]
    public async Task Unresolvable_host_is_unreachable()
    {
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions
        {
            TrackingUri = new Uri("http://no-such-host.invalid:5000"),
            Timeout = TimeSpan.FromSeconds(10)
        });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ListExperimentsAsync(null, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unreachable, ex.Code);
        Assert.Contains("http://no-such-host.invalid:5000", ex.Message);
    }

    [Fact]
    public async Task Slow_answer_times_out_as_unreachable()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/" + TestSupport.ParisT1, ReplayFaults.Delay(TimeSpan.FromSeconds(10)));
        await using var backend = TestSupport.Backend(server, o => o with { Timeout = TimeSpan.FromMilliseconds(300) });
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unreachable, ex.Code);
        Assert.Contains("did not answer within 0.3 s", ex.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), sw.Elapsed.ToString());
    }

    [Fact]
    public void Default_timeout_is_30_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), new MlflowBackendOptions { TrackingUri = new Uri("http://127.0.0.1:5000") }.Timeout);
    }

    [Fact]
    public async Task Cancellation_of_a_delayed_answer_is_prompt_and_not_wrapped()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", ReplayFaults.Delay(TimeSpan.FromSeconds(20)));
        await using var backend = TestSupport.Backend(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), sw.Elapsed.ToString());
    }

    [Fact]
    public async Task Already_cancelled_token_throws_without_a_request()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.ConnectAsync(new CancellationToken(true)));
        Assert.Empty(server.Requests);
    }

    public static TheoryData<string> BrokenBodies() => new() { "truncated", "notjson", "closemidbody" };

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task Broken_body_is_bad_response_and_the_next_request_works(string kind)
    {
        var all = RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all"));
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", kind switch
        {
            "truncated" => ReplayFaults.TruncatedJson(),
            "notjson" => ReplayFaults.NotJson(),
            _ => ReplayFaults.CloseMidBody(),
        }, times: 1);
        await using var backend = TestSupport.Backend(server);

        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(all, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("The tracking server's answer to POST /api/3.0/mlflow/traces/search was", ex.Message);
        Assert.Contains("not valid JSON", ex.Message);

        var page = await backend.SearchTracesAsync(all, CancellationToken.None);
        Assert.Equal(43, page.Traces.Count);
    }

    [Fact]
    public async Task Wrong_json_shape_is_bad_response()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/" + TestSupport.ParisT1, ReplayFaults.Respond(200, "application/json", "{\"trace\": 42}"));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
    }

    [Fact]
    public async Task Html_404_on_an_api_route_is_unsupported()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", ReplayFaults.HtmlNotFound());
        server.Override("/api/2.0/mlflow/traces", ReplayFaults.HtmlNotFound());
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("does not support GET /api/2.0/mlflow/traces", ex.Message);
        Assert.Contains("MLflow ≥ 2.13.0 needed", ex.Message);
    }

    [Fact]
    public async Task Endpoint_not_found_json_is_unsupported()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/delete-traces", ReplayFaults.MlflowError(404, "ENDPOINT_NOT_FOUND", "No API endpoint"));
        server.Override("/api/2.0/mlflow/traces/delete-traces", ReplayFaults.MlflowError(404, "ENDPOINT_NOT_FOUND", "No API endpoint"));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTracesAsync("1", ["tr-1"], CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
    }

    [Theory]
    [InlineData(500, "INTERNAL_ERROR")]
    [InlineData(503, "TEMPORARILY_UNAVAILABLE")]
    public async Task Server_errors_are_server_error_with_mlflow_text(int status, string code)
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", ReplayFaults.MlflowError(status, code, "database is locked"));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.ServerError, ex.Code);
        Assert.Contains("database is locked", ex.Message);
        Assert.Equal(status, ex.HttpStatus);
    }

    [Fact]
    public async Task Forbidden_is_forbidden()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/2.0/mlflow/experiments/search", ReplayFaults.Respond(403, "text/plain", "Permission denied"));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ListExperimentsAsync(null, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Forbidden, ex.Code);
        Assert.Contains("Permission denied", ex.Message);
    }
}

public sealed class AuthAndLocationTests
{
    private const string Password = "pa55-Wörd:with:colons";
    private const string Token = "tok-7f0c9d5b2a6e4c1b";

    [Fact]
    public async Task Basic_auth_is_sent_and_accepted()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("alice", Password) });
        await using var backend = TestSupport.Backend(server, o => o with { Username = "alice", Password = Password });
        var info = await backend.ConnectAsync(CancellationToken.None);
        Assert.Equal("3.11.2.dev0", info.MlflowVersion);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password));
        Assert.All(server.Requests, r => Assert.Equal(expected, r.Header("Authorization")));
    }

    [Fact]
    public async Task Bearer_token_is_sent_and_accepted()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BearerToken = Token });
        await using var backend = TestSupport.Backend(server, o => o with { Token = Token });
        var list = await backend.ListExperimentsAsync(null, CancellationToken.None);
        Assert.Equal(2, list.Count);
        Assert.Equal("Bearer " + Token, server.Requests.Single().Header("Authorization"));
    }

    [Fact]
    public async Task Basic_wins_when_both_are_set()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("alice", Password), BearerToken = Token });
        await using var backend = TestSupport.Backend(server, o => o with { Username = "alice", Password = Password, Token = Token });
        await backend.ListExperimentsAsync(null, CancellationToken.None);
        Assert.StartsWith("Basic ", server.Requests.Single().Header("Authorization"));
    }

    [Fact]
    public async Task Wrong_password_is_unauthorized_without_the_password()
    {
        const string wrong = "hunter2-secret-XYZ";
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("alice", Password) });
        await using var backend = TestSupport.Backend(server, o => o with { Username = "alice", Password = wrong });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ListExperimentsAsync(null, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unauthorized, ex.Code);
        Assert.Equal(401, ex.HttpStatus);
        Assert.Contains("MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN", ex.Message);
        Assert.DoesNotContain(wrong, ex.ToString());
        Assert.DoesNotContain(wrong, backend.DisplayLocation);
    }

    [Fact]
    public async Task Missing_credentials_are_unauthorized()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BearerToken = Token });
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ConnectAsync(CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unauthorized, ex.Code);
        Assert.Contains("MLFLOW_TRACKING_TOKEN", ex.Message);
    }

    [Fact]
    public async Task Wrong_token_is_unauthorized_without_the_token()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BearerToken = Token });
        await using var backend = TestSupport.Backend(server, o => o with { Token = "wrong-token-abcdef" });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unauthorized, ex.Code);
        Assert.DoesNotContain("wrong-token-abcdef", ex.ToString());
    }

    [Fact]
    public async Task User_info_in_the_uri_is_used_but_never_shown()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("bob", "s3cr3t-pw") });
        var uri = new Uri($"http://bob:s3cr3t-pw@127.0.0.1:{server.Port}/");
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = uri });
        Assert.Equal($"http://127.0.0.1:{server.Port}", backend.DisplayLocation);
        await backend.ConnectAsync(CancellationToken.None);
        Assert.StartsWith("Basic ", server.Requests[0].Header("Authorization"));

        // Unreachable message of a credentialed URI does not leak either.
        var port = TestSupport.ClosedPort();
        await using var dead = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri($"http://bob:s3cr3t-pw@127.0.0.1:{port}") });
        var ex = await Assert.ThrowsAsync<BackendException>(() => dead.ConnectAsync(CancellationToken.None));
        Assert.DoesNotContain("s3cr3t-pw", ex.ToString());
        Assert.DoesNotContain("bob", dead.DisplayLocation);
    }

    [Fact]
    public void From_environment_reads_the_mlflow_variables()
    {
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_USERNAME"] = "alice", ["MLFLOW_TRACKING_PASSWORD"] = "pw", ["MLFLOW_TRACKING_TOKEN"] = "tok",
        };
        var o = MlflowBackendOptions.FromEnvironment(new Uri("http://127.0.0.1:5000"), "team-a", k => env.GetValueOrDefault(k));
        Assert.Equal(("alice", "pw", "tok", "team-a"), (o.Username, o.Password, o.Token, o.Workspace));
        Assert.Equal(TimeSpan.FromSeconds(30), o.Timeout);
    }

    [Fact]
    public async Task Workspace_header_is_sent()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server, o => o with { Workspace = "team-a" });
        await backend.ListExperimentsAsync(null, CancellationToken.None);
        Assert.Equal("team-a", server.Requests.Single().Header("X-MLFLOW-WORKSPACE"));
    }

    [Fact]
    public async Task Static_prefix_in_the_tracking_uri()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { StaticPrefix = "/p" });
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri($"http://127.0.0.1:{server.Port}/p/") });
        Assert.Equal($"http://127.0.0.1:{server.Port}/p", backend.DisplayLocation);
        var info = await backend.ConnectAsync(CancellationToken.None);
        Assert.Equal("3.11.2.dev0", info.MlflowVersion);
        var page = await backend.SearchTracesAsync(RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all")), CancellationToken.None);
        Assert.Equal(43, page.Traces.Count);
        var traceInfo = await backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(2210, traceInfo.DurationMs);
        Assert.All(server.Requests, r => Assert.StartsWith("/p/", r.Url));
        Assert.Contains(server.Requests, r => r.Url.StartsWith("/p/api/3.0/mlflow/traces/search", StringComparison.Ordinal));
    }
}
