using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

public sealed class SpanTests
{
    private static async Task<TraceSummary> InfoFromSearchAsync(MlflowReplayServerAndBackend sb, string traceId)
    {
        var page = await sb.Backend.SearchTracesAsync(RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all")), CancellationToken.None);
        sb.Server.ClearRequests();
        return page.Traces.Single(t => t.TraceId == traceId);
    }

    [Theory]
    [InlineData(TestSupport.ParisT1, 8, "traces_get__s1-paris-t1.json")]
    [InlineData(TestSupport.BatchDigest500, 500, "traces_get__batch-digest-500.json")]
    [InlineData(TestSupport.DeepNesting, 13, "traces_get__agent-deep-nesting.json")]
    public async Task Spans_of_db_stored_traces_come_from_traces_get(string traceId, int count, string recording)
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        var info = await InfoFromSearchAsync(sb, traceId);
        Assert.Equal("TRACKING_STORE", info.Tags["mlflow.trace.spansLocation"]);

        var spans = await sb.Backend.GetSpansAsync(info, CancellationToken.None);

        Assert.Equal(recording, sb.Server.Requests.Single().MatchedRecording);
        Assert.Equal(count, spans.Count);
        Assert.Equal(count, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.Single(spans, s => s.ParentSpanId == null);
        Assert.All(spans, s => Assert.Matches("^[0-9a-f]{16}$", s.SpanId));
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        Assert.All(spans.Where(s => s.ParentSpanId != null), s => Assert.Contains(s.ParentSpanId!, ids));
    }

    /// <summary>traces/get is read from the answer's bytes, which the spans keep: their attributes decode after the call.</summary>
    [Fact]
    public async Task Whole_trace_from_traces_get_keeps_info_and_lazily_decoded_attributes()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        var trace = await sb.Backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);

        Assert.Equal("traces_get__s1-paris-t1.json", sb.Server.Requests.Single().MatchedRecording);
        Assert.Equal(TestSupport.ParisT1, trace.Info.TraceId);
        Assert.Equal(8, trace.Spans.Count);
        var root = Assert.Single(trace.Spans, s => s.ParentSpanId == null);
        Assert.Equal("AGENT", root.SpanType);
        Assert.Equal("What's the weather in Paris on June 12?",
            root.Attributes["mlflow.spanInputs"].GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task In_progress_trace_asks_for_partial_spans()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        var info = (await InfoFromSearchAsync(sb, TestSupport.MultiTool)) with { State = "IN_PROGRESS" };
        var spans = await sb.Backend.GetSpansAsync(info, CancellationToken.None);
        Assert.Equal("traces_get__allow_partial.json", sb.Server.Requests.Single().MatchedRecording);
        Assert.Equal(13, spans.Count);
    }

    [Fact]
    public async Task Without_spans_location_the_artifact_route_is_used_and_agrees()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        var info = await InfoFromSearchAsync(sb, TestSupport.ParisT1);
        var fromDb = await sb.Backend.GetSpansAsync(info, CancellationToken.None);
        sb.Server.ClearRequests();

        var noTag = info with { Tags = info.Tags.Where(t => t.Key != "mlflow.trace.spansLocation").ToDictionary() };
        var fromArtifact = await sb.Backend.GetSpansAsync(noTag, CancellationToken.None);

        Assert.Equal("get_trace_artifact_v3__s1-paris-t1.json", sb.Server.Requests.Single().MatchedRecording);
        Assert.Equal(8, fromArtifact.Count);
        Assert.Equal(fromDb.Select(s => s.SpanId).Order(), fromArtifact.Select(s => s.SpanId).Order());
        Assert.Equal(
            fromDb.OrderBy(s => s.SpanId).Select(s => (s.Name, s.ParentSpanId, s.StartTimeNs, s.SpanType)),
            fromArtifact.OrderBy(s => s.SpanId).Select(s => (s.Name, s.ParentSpanId, s.StartTimeNs, s.SpanType)));
    }

    [Fact]
    public async Task Artifact_v3_missing_falls_back_to_v2()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        sb.Server.Override("/ajax-api/3.0/mlflow/get-trace-artifact", ReplayFaults.HtmlNotFound());
        var info = new TraceSummary { TraceId = TestSupport.ParisT1, ExperimentId = "1", State = "OK" };
        var spans = await sb.Backend.GetSpansAsync(info, CancellationToken.None);
        Assert.Equal(["/ajax-api/3.0/mlflow/get-trace-artifact", "/ajax-api/2.0/mlflow/get-trace-artifact"], sb.Server.Requests.Select(r => r.Path).ToArray());
        Assert.Equal("get_trace_artifact_v2__s1-paris-t1.json", sb.Server.Requests[1].MatchedRecording);
        Assert.Equal(8, spans.Count);
    }

    [Theory]
    [InlineData("html")]
    [InlineData("truncated")]
    public async Task An_artifact_that_is_not_json_is_a_bad_response_naming_the_endpoint(string fault)
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        sb.Server.Override("/ajax-api/3.0/mlflow/get-trace-artifact",
            fault == "html" ? ReplayFaults.NotJson() : ReplayFaults.TruncatedJson("{\"spans\": [{\"trace_id\": \"tr-"));
        var info = new TraceSummary { TraceId = TestSupport.ParisT1, ExperimentId = "1", State = "OK" };

        var ex = await Assert.ThrowsAsync<BackendException>(() => sb.Backend.GetSpansAsync(info, CancellationToken.None));

        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("get-trace-artifact", ex.Message);
        Assert.Contains(fault == "html" ? "HTML page" : "not valid JSON", ex.Message);
    }

    [Fact]
    public async Task Traces_get_failure_falls_back_to_the_artifact()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        sb.Server.Override("/api/3.0/mlflow/traces/get",
            ReplayFaults.MlflowError(500, "INTERNAL_ERROR", "Trace data not stored in tracking store"));
        var info = await InfoFromSearchAsync(sb, TestSupport.BatchDigest500);
        var spans = await sb.Backend.GetSpansAsync(info, CancellationToken.None);
        Assert.Equal("get_trace_artifact_v3__batch-digest-500.json", sb.Server.Requests[^1].MatchedRecording);
        Assert.Equal(500, spans.Count);
    }

    [Fact]
    public async Task Span_tree_depth_of_deep_nesting_is_six()
    {
        await using var sb = MlflowReplayServerAndBackend.Start();
        var info = await InfoFromSearchAsync(sb, TestSupport.DeepNesting);
        var spans = await sb.Backend.GetSpansAsync(info, CancellationToken.None);
        var byId = spans.ToDictionary(s => s.SpanId);
        int Depth(RawSpan s) => s.ParentSpanId == null ? 1 : 1 + Depth(byId[s.ParentSpanId]);
        Assert.Equal(6, spans.Max(Depth));
    }
}

/// <summary>A replay server and a backend pointed at it.</summary>
internal sealed class MlflowReplayServerAndBackend : IAsyncDisposable
{
    private MlflowReplayServerAndBackend(MlflowReplayServer server)
    {
        Server = server;
        Backend = TestSupport.Backend(server);
    }

    public MlflowReplayServer Server { get; }
    public TraceIde.Backends.Mlflow.MlflowRestBackend Backend { get; }

    public static MlflowReplayServerAndBackend Start(MlflowReplayOptions? options = null) => new(MlflowReplayServer.Start(options));

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        await Server.DisposeAsync();
    }
}
