using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Backends.Mlflow;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// Both backends give the same answers to the same questions: the REST backend against the replayed
/// MLflow server, the local-store backend against that server's own mlflow.db (same IDs), both
/// through the host's <see cref="TraceService"/>.
/// </summary>
public sealed class ParityTests : IAsyncLifetime
{
    private MlflowReplayServer _server = null!;
    private MlflowRestBackend _rest = null!;
    private LocalStoreBackend _local = null!;
    private TraceService _overHttp = null!;
    private TraceService _overStore = null!;

    public async Task InitializeAsync()
    {
        _server = MlflowReplayServer.Start();
        _rest = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = _server.BaseUri });
        _local = new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db"));
        await _rest.ConnectAsync(CancellationToken.None);
        await _local.ConnectAsync(CancellationToken.None);
        _overHttp = new TraceService(_rest, HostLog.Null);
        _overStore = new TraceService(_local, HostLog.Null);
    }

    public async Task DisposeAsync()
    {
        await _rest.DisposeAsync();
        await _local.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>Every recorded single-page search, as a TraceIde request.</summary>
    public static TheoryData<string> RecordedSearches()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Fixtures.Http, "traces_search_v3__*.json").Order())
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var body = doc.RootElement.GetProperty("request").GetProperty("body");
            if (body.TryGetProperty("page_token", out _)) continue; // later pages carry server-specific tokens
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RecordedSearches))]
    public async Task Search_gives_the_same_rows_on_both_backends(string recording)
    {
        var request = ToSearchParams(recording);
        var http = await _overHttp.SearchAsync(request, CancellationToken.None);
        var store = await _overStore.SearchAsync(request, CancellationToken.None);

        Assert.Equal(http.Traces.Select(t => t.TraceId), store.Traces.Select(t => t.TraceId));
        Assert.Equal(http.NextPageToken is null, store.NextPageToken is null);
        foreach (var (a, b) in http.Traces.Zip(store.Traces))
        {
            Assert.Equal(a.ExperimentId, b.ExperimentId);
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.State, b.State);
            Assert.Equal(a.RequestTimeMs, b.RequestTimeMs);
            Assert.Equal(a.DurationMs, b.DurationMs);
            Assert.Equal(a.Session, b.Session);
            Assert.Equal(a.User, b.User);
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a.ClientRequestId, b.ClientRequestId);
            Assert.Equal(a.RequestPreview, b.RequestPreview);
            Assert.Equal(a.ResponsePreview, b.ResponsePreview);
            Assert.Equal(a.Tags.OrderBy(kv => kv.Key), b.Tags.OrderBy(kv => kv.Key));
            // The REST API truncates metadata values to 250 characters (docs/mlflow-notes.md#tags-and-metadata); the store holds them whole.
            Assert.Equal(a.Metadata.Keys.Order(), b.Metadata.Keys.Order());
            foreach (var (key, value) in a.Metadata)
            {
                var full = b.Metadata[key];
                Assert.True(value == full || (value.EndsWith("...") && full.StartsWith(value[..^3], StringComparison.Ordinal)),
                    $"{a.TraceId} metadata {key}: '{value}' vs '{full}'");
            }
            Assert.Equal(a.Assessments.Select(x => x.AssessmentId).Order(), b.Assessments.Select(x => x.AssessmentId).Order());
            foreach (var x in a.Assessments)
            {
                var y = b.Assessments.Single(z => z.AssessmentId == x.AssessmentId);
                Assert.Equal(
                    (x.Name, x.Kind, x.Valid, x.Overrides, x.SourceType, x.SourceId, x.SpanId, x.Rationale),
                    (y.Name, y.Kind, y.Valid, y.Overrides, y.SourceType, y.SourceId, y.SpanId, y.Rationale));
                Assert.Equal((x.CreateTimeMs, x.LastUpdateTimeMs), (y.CreateTimeMs, y.LastUpdateTimeMs));
                Assert.True(JsonValuesEqual(x.Value, y.Value), $"{x.AssessmentId}: {x.Value} vs {y.Value}");
                Assert.Equal(x.Error?.Code, y.Error?.Code);
            }
        }
    }

    /// <summary>Structured filters become the grammar MLflow's own UI sends, so they hit the same recordings.</summary>
    public static TheoryData<string, TraceFilters> StructuredFilters() => new()
    {
        { "traces_search_v3__filter_status_error.json", new TraceFilters { States = ["ERROR"] } },
        { "traces_search_v3__filter_metadata_session.json", new TraceFilters { Session = "sess-paris-trip" } },
        { "traces_search_v3__filter_name.json", new TraceFilters { Name = "rag_answer" } },
    };

    [Theory]
    [MemberData(nameof(StructuredFilters))]
    public async Task Structured_filters_give_the_recorded_answer_on_both_backends(string recording, TraceFilters filters)
    {
        var recorded = ToSearchParams(recording);
        var request = recorded with { Filter = null, Filters = filters };
        var expected = RecordedTraceIds(recording);
        Assert.Equal(expected, (await _overHttp.SearchAsync(request, CancellationToken.None)).Traces.Select(t => t.TraceId));
        Assert.Equal(expected, (await _overStore.SearchAsync(request, CancellationToken.None)).Traces.Select(t => t.TraceId));
    }

    [Fact]
    public async Task Structured_tag_user_and_time_filters_match_MLflows_answers_on_the_store()
    {
        async Task<IEnumerable<string>> Store(TraceFilters f) =>
            (await _overStore.SearchAsync(
                new TracesSearchParams { ExperimentIds = ["1"], Filters = f, OrderBy = ["timestamp_ms ASC"] },
                CancellationToken.None)).Traces.Select(t => t.TraceId);

        Assert.Equal(RecordedTraceIds("traces_search_v3__filter_tag_environment.json"),
            await Store(new TraceFilters { Tags = new Dictionary<string, string> { ["environment"] = "staging" } }));
        Assert.Equal(RecordedTraceIds("traces_search_v3__filter_metadata_user.json"),
            await Store(new TraceFilters { User = "alice@example.com" }));
        // Recorded: timestamp_ms >= 1795298400000 AND timestamp_ms < 1795471200000 (the structured end is inclusive).
        Assert.Equal(RecordedTraceIds("traces_search_v3__filter_timestamp_range.json"),
            await Store(new TraceFilters { StartTimeMs = 1795298400000, EndTimeMs = 1795471200000 - 1 }));
    }

    private static IReadOnlyList<string> RecordedTraceIds(string recording) => RecordedSearch.TraceIds(ReplayRecording.Get(recording));

    public static TheoryData<string> RecordedTraces() => new()
    {
        "s1-paris-t1",
        "agent-deep-nesting",
        "error-rate-limit",
        "batch-digest-500",
        "live-stream-1",
        "s2-order-t1"
    };

    [Theory]
    [MemberData(nameof(RecordedTraces))]
    public async Task Get_builds_the_same_span_tree_on_both_backends(string fixtureCase)
    {
        var request = new TracesGetParams { TraceId = FixtureCases.ServerTraceId(fixtureCase) };
        var http = await _overHttp.GetAsync(request, CancellationToken.None);
        var store = await _overStore.GetAsync(request, CancellationToken.None);

        Assert.Equal(http.Spans.Count, store.Spans.Count);
        Assert.Equal(http.Warnings, store.Warnings);
        foreach (var (a, b) in http.Spans.Zip(store.Spans))
        {
            Assert.Equal(a with { Payload = null }, b with { Payload = null });
            Assert.True(JsonValuesEqual(a.Payload!.Inputs, b.Payload!.Inputs), $"{a.Name} inputs differ");
            Assert.True(JsonValuesEqual(a.Payload.Outputs, b.Payload.Outputs), $"{a.Name} outputs differ");
            Assert.Equal(a.Payload.Attributes.Keys.Order(), b.Payload.Attributes.Keys.Order());
            Assert.Equal(a.Payload.Events.Select(e => (e.Name, e.TimeMs)), b.Payload.Events.Select(e => (e.Name, e.TimeMs)));
        }
    }

    [Fact]
    public async Task Experiments_are_the_same_on_both_backends()
    {
        var http = await _rest.ListExperimentsAsync(null, CancellationToken.None);
        var store = await _local.ListExperimentsAsync(null, CancellationToken.None);
        Assert.Equal(http.Select(e => (e.ExperimentId, e.Name, e.IsGenAi)), store.Select(e => (e.ExperimentId, e.Name, e.IsGenAi)));
        Assert.Equal("genai-fixture-small", http[0].Name); // GenAI experiments first
    }

    private static TracesSearchParams ToSearchParams(string recording)
    {
        var query = RecordedSearch.Query(ReplayRecording.Get(recording));
        return new TracesSearchParams
        {
            ExperimentIds = query.ExperimentIds,
            Filter = query.Filter,
            OrderBy = query.OrderBy.Count == 0 ? null : query.OrderBy,
            PageSize = query.PageSize,
        };
    }

    private static bool JsonValuesEqual(JsonElement? a, JsonElement? b) => JsonCanonical.Of(a) == JsonCanonical.Of(b);
}
