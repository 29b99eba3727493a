using System.Diagnostics;
using System.Globalization;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// The retry policy (<see cref="MlflowRetryPolicy"/>) against a loopback server that misbehaves on cue:
/// which failures are sent again, how often, how far apart, and what the caller sees when it gives up.
/// </summary>
public sealed class RetryAndFaultTests
{
    private const string SearchPath = "/api/3.0/mlflow/traces/search";
    private static TraceQuery All => RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all"));

    private static MlflowRetryPolicy Fast(int attempts = 3) => new()
    {
        MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1),
        MaxRetryAfter = TimeSpan.FromSeconds(5), MaxTotal = TimeSpan.FromSeconds(10),
    };

    private static int Hits(MlflowReplayServer server, string path) => server.Requests.Count(r => r.Path == path);

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task A_transient_5xx_on_a_search_is_retried_and_the_recorded_answer_arrives(int status)
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.MlflowError(status, "TEMPORARILY_UNAVAILABLE", "try later"), times: 2);
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var page = await backend.SearchTracesAsync(All, CancellationToken.None);
        Assert.Equal(RecordedSearch.TraceIds(ReplayRecording.Get("traces_search_v3__all")), page.Traces.Select(t => t.TraceId).ToList());
        Assert.Equal(3, Hits(server, SearchPath));
        Assert.Equal("traces_search_v3__all.json", server.Requests.Last().MatchedRecording);
    }

    [Fact]
    public async Task A_get_is_retried_too()
    {
        await using var server = MlflowReplayServer.Start();
        var path = "/api/3.0/mlflow/traces/" + TestSupport.ParisT1;
        server.Override(path, ReplayFaults.HtmlError(502), times: 1);
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var info = await backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(TestSupport.ParisT1, info.TraceId);
        Assert.Equal(2, Hits(server, path));
    }

    private const string TracesGetPath = "/api/3.0/mlflow/traces/get";

    /// <summary>
    /// A trace whose spans MLflow cannot render through traces/get (its spans-location tag says
    /// TRACKING_STORE, so that route is tried first): one traces/get, then info and the artifact — not
    /// 1 + 2 retries twice (six traces/get, seconds of backoff for a 2-span trace).
    /// </summary>
    [Theory]
    [InlineData("json", "Trace data not stored in tracking store")]
    [InlineData("json", "maximum recursion depth exceeded while calling a Python object")]
    [InlineData("text", "RecursionError: maximum recursion depth exceeded")]
    public async Task A_500_that_says_traces_get_cannot_serve_the_trace_goes_straight_to_the_artifact(string body, string message)
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(TracesGetPath, body == "json"
            ? ReplayFaults.MlflowError(500, "INTERNAL_ERROR", message)
            : ReplayFaults.Respond(500, "text/plain; charset=utf-8", message));
        // The default policy: what the host runs with.
        await using var backend = TestSupport.Backend(server);

        var trace = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);

        Assert.Equal(8, trace.Spans.Count);
        Assert.Equal(1, Hits(server, TracesGetPath));
        Assert.Equal(TracesGetPath, server.Requests[0].Path);
        // Then info and artifact, sent together (as MLflow's UI does): in either order.
        Assert.Equal(
            ["get_trace_artifact_v3__s1-paris-t1.json", "traces_get_info_v3__s1-paris-t1.json"],
            server.Requests.Skip(1).Select(r => r.MatchedRecording).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_500_that_says_nothing_of_the_kind_on_traces_get_is_still_retried()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(TracesGetPath, ReplayFaults.MlflowError(500, "INTERNAL_ERROR", "database is locked"), times: 1);
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var trace = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(8, trace.Spans.Count);
        Assert.Equal(2, Hits(server, TracesGetPath));
        Assert.Equal("traces_get__s1-paris-t1.json", server.Requests[^1].MatchedRecording);
    }

    [Fact]
    public async Task An_opaque_500_on_traces_get_is_retried_but_not_asked_again_on_the_way_to_the_artifact()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(TracesGetPath, ReplayFaults.HtmlError(500)); // Flask's page for an unhandled exception says nothing
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var trace = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(8, trace.Spans.Count);
        Assert.Equal(3, Hits(server, TracesGetPath)); // the attempts of one request, not of two
        Assert.Contains(server.Requests, r => r.MatchedRecording == "get_trace_artifact_v3__s1-paris-t1.json");
    }

    [Fact]
    public async Task A_feature_disabled_500_is_not_retried()
    {
        const string metrics = "/api/3.0/mlflow/traces/metrics";
        await using var server = MlflowReplayServer.Start();
        server.Override(metrics, ReplayFaults.MlflowError(500, "FEATURE_DISABLED", "Trace metrics are not supported by FileStore"));
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.QueryTraceMetricsAsync(new TraceIde.Core.Overview.MetricsQuery
        {
            ExperimentIds = ["1"], ViewType = "TRACES", MetricName = "trace_count", Aggregations = [TraceIde.Core.Overview.MetricsAggregation.Count],
        }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Equal(1, Hits(server, metrics));
    }

    [Fact]
    public async Task A_persistent_503_gives_up_after_max_attempts_with_a_server_error()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.MlflowError(503, "TEMPORARILY_UNAVAILABLE", "database is locked"));
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast(attempts: 4) });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.ServerError, ex.Code);
        Assert.Equal(503, ex.HttpStatus);
        Assert.Contains("database is locked", ex.Message);
        Assert.EndsWith("(gave up after 4 attempts)", ex.Message);
        Assert.Equal(4, Hits(server, SearchPath));
    }

    [Fact]
    public async Task Backoff_waits_grow_between_attempts()
    {
        await using var server = MlflowReplayServer.Start();
        var arrivals = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();
        server.Override(SearchPath, ctx =>
        {
            lock (arrivals) arrivals.Add(clock.Elapsed);
            return ReplayFaults.MlflowError(503, "TEMPORARILY_UNAVAILABLE", "busy")(ctx);
        });
        var policy = Fast(attempts: 4) with { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(2) };
        await using var backend = TestSupport.Backend(server, o => o with { Retry = policy });
        await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(4, arrivals.Count);
        // Equal jitter: retry n waits between half and all of 200 ms·2^(n−1).
        for (var n = 1; n <= 3; n++)
        {
            var gap = arrivals[n] - arrivals[n - 1];
            var full = 200 * Math.Pow(2, n - 1);
            Assert.True(gap.TotalMilliseconds >= full / 2 - 15, $"retry {n} came after {gap.TotalMilliseconds} ms, expected ≥ {full / 2}");
            Assert.True(gap.TotalMilliseconds < full + 1500, $"retry {n} came after {gap.TotalMilliseconds} ms");
        }
    }

    [Fact]
    public void Backoff_is_exponential_jittered_and_capped()
    {
        var p = new MlflowRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(4) };
        Assert.Equal(125, p.Backoff(1, 0).TotalMilliseconds);
        Assert.Equal(250, p.Backoff(1, 1).TotalMilliseconds);
        Assert.Equal(500, p.Backoff(3, 0).TotalMilliseconds);
        Assert.Equal(1000, p.Backoff(3, 1).TotalMilliseconds);
        Assert.Equal(4000, p.Backoff(30, 1).TotalMilliseconds);
        Assert.Equal(2000, p.Backoff(30, 0).TotalMilliseconds);
    }

    [Fact]
    public async Task The_total_time_bounds_the_retries()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.MlflowError(500, "INTERNAL_ERROR", "boom"));
        var policy = Fast(attempts: 50) with { BaseDelay = TimeSpan.FromMilliseconds(200), MaxTotal = TimeSpan.FromSeconds(1.5) };
        await using var backend = TestSupport.Backend(server, o => o with { Retry = policy });
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), clock.Elapsed.ToString());
        Assert.InRange(Hits(server, SearchPath), 2, 6);
        Assert.Contains("gave up after", ex.Message);
    }

    [Fact]
    public async Task Writes_that_reached_the_server_are_never_retried()
    {
        await using var server = MlflowReplayServer.Start();
        const string deletePath = "/api/3.0/mlflow/traces/delete-traces";
        var tagPath = $"/api/3.0/mlflow/traces/{TestSupport.ParisT1}/tags";
        server.Override(deletePath, ReplayFaults.MlflowError(503, "TEMPORARILY_UNAVAILABLE", "busy"));
        server.Override(tagPath, ReplayFaults.HtmlError(502));
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast(attempts: 5) });

        var delete = await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTracesAsync("1", [TestSupport.ParisT1], CancellationToken.None));
        Assert.Equal(RpcErrorCodes.ServerError, delete.Code);
        Assert.Equal(1, Hits(server, deletePath));
        Assert.DoesNotContain("attempts", delete.Message);

        var setTag = await Assert.ThrowsAsync<BackendException>(() => backend.SetTraceTagAsync(TestSupport.ParisT1, "k", "v", CancellationToken.None));
        var deleteTag = await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTraceTagAsync(TestSupport.ParisT1, "k", CancellationToken.None));
        Assert.Equal(RpcErrorCodes.ServerError, setTag.Code);
        Assert.Equal(RpcErrorCodes.ServerError, deleteTag.Code);
        Assert.Equal(2, Hits(server, tagPath)); // one PATCH, one DELETE
    }

    [Fact]
    public async Task Writes_are_retried_when_the_connection_was_refused()
    {
        var port = TestSupport.ClosedPort();
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri($"http://127.0.0.1:{port}"), Retry = Fast() });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTracesAsync("1", ["tr-1"], CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unreachable, ex.Code);
        Assert.Equal($"Cannot reach the tracking server at http://127.0.0.1:{port} — is `mlflow server` running? (gave up after 3 attempts)", ex.Message);
    }

    [Fact]
    public async Task Retry_after_in_seconds_is_waited_for()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.TooManyRequests("1"), times: 1);
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() with { BaseDelay = TimeSpan.FromMilliseconds(10) } });
        var clock = Stopwatch.StartNew();
        var page = await backend.SearchTracesAsync(All, CancellationToken.None);
        Assert.Equal(43, page.Traces.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"came back after {clock.Elapsed}, before the asked 1 s");
        Assert.Equal(2, Hits(server, SearchPath));
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_waited_for()
    {
        await using var server = MlflowReplayServer.Start();
        var arrivals = new List<DateTimeOffset>();
        var fault = ReplayFaults.TooManyRequests(DateTimeOffset.UtcNow.AddSeconds(3).ToString("r", CultureInfo.InvariantCulture));
        server.Override(SearchPath, ctx =>
        {
            lock (arrivals) arrivals.Add(DateTimeOffset.UtcNow);
            return arrivals.Count == 1 ? fault(ctx) : ctx.ReplayAsync();
        });
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() with { BaseDelay = TimeSpan.FromMilliseconds(10) } });
        var page = await backend.SearchTracesAsync(All, CancellationToken.None);
        Assert.Equal(43, page.Traces.Count);
        Assert.Equal(2, arrivals.Count);
        // The date has whole seconds: 3 s from the first arrival, truncated, is at least 2 s later.
        Assert.True(arrivals[1] - arrivals[0] >= TimeSpan.FromSeconds(1.9), $"came back after {arrivals[1] - arrivals[0]}");
    }

    [Fact]
    public async Task A_retry_after_beyond_the_cap_fails_at_once_and_says_how_long_to_wait()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.TooManyRequests("120"));
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());
        Assert.Equal(RpcErrorCodes.ServerError, ex.Code);
        Assert.Equal(429, ex.HttpStatus);
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", ex.MlflowErrorCode);
        Assert.Equal($"The tracking server at {server.BaseUri.ToString().TrimEnd('/')} is rate limiting requests (HTTP 429 Too Many Requests on POST " +
            "/api/3.0/mlflow/traces/search); it asks to wait 120 s.", ex.Message);
        Assert.Equal(1, Hits(server, SearchPath));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task An_html_error_page_never_reaches_the_message(int status)
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.HtmlError(status));
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast(attempts: 2) });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.ServerError, ex.Code);
        Assert.Equal($"The tracking server at {server.BaseUri.ToString().TrimEnd('/')} failed on POST /api/3.0/mlflow/traces/search (HTTP {status}). (gave " +
            "up after 2 attempts)", ex.Message);
        Assert.DoesNotContain("<", ex.Message);
        Assert.DoesNotContain("script", ex.Message, StringComparison.OrdinalIgnoreCase);

        server.RemoveOverride(SearchPath);
        Assert.Equal(43, (await backend.SearchTracesAsync(All, CancellationToken.None)).Traces.Count);
    }

    [Fact]
    public async Task An_html_body_that_does_not_start_with_a_tag_is_still_not_shown()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.Respond(403, "text/html", "Denied: <a href=\"/login\">log in</a>"));
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Forbidden, ex.Code);
        Assert.DoesNotContain("<a", ex.Message);
    }

    [Fact]
    public async Task A_slow_answer_is_not_retried()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.Delay(TimeSpan.FromSeconds(10)));
        using var sent = new TestSupport.CountingHandler();
        var options = new MlflowBackendOptions { TrackingUri = server.BaseUri, Timeout = TimeSpan.FromMilliseconds(300), Retry = Fast() };
        await using var backend = new MlflowRestBackend(options, sent);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.Unreachable, ex.Code);
        // Every attempt is sent inside the call, which has returned: counted on the client, one and only one.
        Assert.Equal(1, sent.Sent(SearchPath));
    }

    [Fact]
    public async Task A_body_cut_mid_stream_is_not_retried()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override(SearchPath, ReplayFaults.CloseMidBody());
        await using var backend = TestSupport.Backend(server, o => o with { Retry = Fast() });
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Equal(1, Hits(server, SearchPath));
    }

    [Fact]
    public async Task A_server_restarted_mid_use_answers_the_next_request()
    {
        var first = MlflowReplayServer.Start();
        var port = first.Port;
        await using var backend = TestSupport.Backend(first, o => o with { Retry = Fast(attempts: 2) });
        Assert.Equal(43, (await backend.SearchTracesAsync(All, CancellationToken.None)).Traces.Count);

        await first.DisposeAsync(); // the server goes away; the backend keeps its pooled connection
        var down = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(All, CancellationToken.None));
        Assert.True(down.Code is RpcErrorCodes.Unreachable or RpcErrorCodes.BadResponse, $"{down.Code}: {down.Message}");

        await using var second = MlflowReplayServer.Start(new MlflowReplayOptions { Port = port });
        var page = await backend.SearchTracesAsync(All, CancellationToken.None);
        Assert.Equal(43, page.Traces.Count);
        Assert.Equal("traces_search_v3__all.json", second.Requests.Single().MatchedRecording);
    }

    [Fact]
    public void The_environment_sets_timeout_and_retries_like_mlflow_s_own_client()
    {
        var env = new Dictionary<string, string?> { ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "7.5", ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0" };
        var o = MlflowBackendOptions.FromEnvironment(new Uri("http://127.0.0.1:5000"), null, k => env.GetValueOrDefault(k));
        Assert.Equal(TimeSpan.FromSeconds(7.5), o.Timeout);
        Assert.Equal(1, o.Retry.MaxAttempts);

        var defaults = MlflowBackendOptions.FromEnvironment(new Uri("http://127.0.0.1:5000"), null, _ => null);
        Assert.Equal(MlflowRetryPolicy.Default, defaults.Retry);
        Assert.Equal(3, defaults.Retry.MaxAttempts);
        var junk = MlflowBackendOptions.FromEnvironment(
            new Uri("http://127.0.0.1:5000"),
            null,
            k => k.StartsWith("MLFLOW_HTTP", StringComparison.Ordinal) ? "-3" : null);
        Assert.Equal(MlflowBackendOptions.DefaultTimeout, junk.Timeout);
        Assert.Equal(3, junk.Retry.MaxAttempts);
    }
}
