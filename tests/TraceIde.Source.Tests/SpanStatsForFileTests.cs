using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Source;
using TraceIde.Core.Spans;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Source.Tests;

/// <summary>
/// `source/spanStats` with a file path: the numbers of the function in that file, not of every span with its
/// name. The fixture store's `lookup_order` spans are the evidence: the recorded ones that failed carry stack
/// traces through `/srv/skyhelp/tools/orders.py`, the live ones through the app itself, so a namesake
/// `tools/orders.py` in the workspace really does own some of them (see <see cref="AsDecorated"/>).
/// </summary>
public sealed class SpanStatsForFileTests
{
    private const string Name = "lookup_order";
    private const string Decoy = "import mlflow\n\n\n@mlflow.trace(name=\"lookup_order\", span_type=\"TOOL\")\ndef lookup_order(order_id):\n    return {}\n";

    private static async Task<SpanNameStats> StatsAsync(LocalStoreBackend store, WorkspaceIndex index, string? path, int? maxLocatedTraces = null) =>
        Assert.Single(await StatsAsync(new AsDecorated(store), store, index, path, [Name], maxLocatedTraces));

    private static async Task<IReadOnlyList<SpanNameStats>> StatsAsync(AsDecorated backend, LocalStoreBackend store, WorkspaceIndex index, string? path,
        IReadOnlyList<string> names, int? maxLocatedTraces = null)
    {
        var (start, end) = SpanStatsTests.WholeRange();
        var service = new SpanStatsService(store, backend, workspace: index) { MaxLocatedTraces = maxLocatedTraces ?? SpanStatsLimits.MaxLocatedTraces };
        var result = await service.GetAsync(new SourceSpanStatsParams
        {
            ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end, SpanNames = names, Path = path,
        }, CancellationToken.None);
        return result.Spans;
    }

    /// <summary>The spans of the name whose exception passed through a `lookup_order` frame of `tools/orders.py`, read from the traceback text.</summary>
    private static bool RaisedInToolsOrders(RawSpan span) =>
        span.Events.Where(e => e.Attributes.ContainsKey("exception.stacktrace"))
            .SelectMany(e => Evidence.PythonFrames(e.Attributes["exception.stacktrace"].GetString()!))
            .Any(f => f.Function == Name && f.Path.Replace('\\', '/').EndsWith("/tools/orders.py", StringComparison.Ordinal));

    private static async Task<List<(string TraceId, long RequestTimeMs, RawSpan Span)>> SpansOfNameAsync(LocalStoreBackend store)
    {
        var sql = SpanStatsTests.FromSql(Path.Combine(Fixtures.ServerStore, "mlflow.db"));
        Assert.True(sql.ContainsKey(Name));
        var (start, end) = SpanStatsTests.WholeRange();
        var page = await store.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = TraceLimits.MaxPageSize }, CancellationToken.None);
        var found = new List<(string, long, RawSpan)>();
        foreach (var t in page.Traces.Where(t => t.RequestTimeMs >= start && t.RequestTimeMs <= end))
        {
            var trace = await store.GetTraceAsync(t.TraceId, CancellationToken.None);
            found.AddRange(trace.Spans.Where(s => s.Name == Name).Select(s => (t.TraceId, t.RequestTimeMs, s)));
        }
        Assert.Equal(SpanStatsTests.TruthSpanNames()[Name], found.Count);
        return found;
    }

    private static double? Median(IEnumerable<RawSpan> spans)
    {
        var ms = spans.Where(s => s.EndTimeNs != null).Select(s => (double)((s.EndTimeNs!.Value - s.StartTimeNs) / 1_000_000)).ToList();
        return ms.Count == 0 ? null : SpanStatsTests.Median(ms);
    }

    [Fact]
    public async Task Namesakes_in_two_files_split_the_calls_and_their_lenses_add_up_to_the_by_name_total()
    {
        using var ws = new TempWorkspace();
        var decoy = ws.Write("tools/orders.py", Decoy);
        var index = new WorkspaceIndex([ws.Root]);
        await using var store = Evidence.Store();

        var byName = await StatsAsync(store, index, path: null);
        var app = await StatsAsync(store, index, ws.AppPath);
        var tools = await StatsAsync(store, index, decoy);

        Assert.Equal(SpanStatsMatches.Name, byName.Match);
        Assert.Null(byName.TraceIds);
        Assert.All(new[] { app, tools }, s => Assert.Equal((SpanStatsMatches.Located, false), (s.Match, s.Sampled)));

        // What the tracebacks say, independently of the locator: the spans that failed in tools/orders.py are its calls.
        var spans = await SpansOfNameAsync(store);
        var inTools = spans.Where(s => RaisedInToolsOrders(s.Span)).ToList();
        var inApp = spans.Except(inTools).ToList();
        Assert.NotEmpty(inTools);
        Assert.NotEmpty(inApp);

        Assert.Equal(inApp.Count, app.Calls);
        Assert.Equal(inTools.Count, tools.Calls);
        Assert.Equal(byName.Calls, app.Calls + tools.Calls);
        Assert.Equal(byName.Errors, app.Errors + tools.Errors);
        Assert.Equal(inTools.Count(s => s.Span.Status == "ERROR"), tools.Errors);
        Assert.Equal(Median(inApp.Select(s => s.Span)), app.P50LatencyMs);
        Assert.Equal(Median(inTools.Select(s => s.Span)), tools.P50LatencyMs);

        // The lens's click lists exactly the traces it counted, newest first.
        static List<string> NewestFirst(IEnumerable<(string TraceId, long RequestTimeMs, RawSpan Span)> s) =>
            s.OrderByDescending(x => x.RequestTimeMs).Select(x => x.TraceId).Distinct().ToList();
        Assert.Equal(NewestFirst(inApp), app.TraceIds);
        Assert.Equal(NewestFirst(inTools), tools.TraceIds);
        Assert.Equal(app.TraceIds![0], app.LatestTraceId);
        Assert.Equal(tools.TraceIds![0], tools.LatestTraceId);
    }

    [Fact]
    public async Task A_name_defined_only_in_the_asked_file_keeps_the_by_name_numbers_marked_as_located()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        await using var store = Evidence.Store();
        var byName = await StatsAsync(store, index, path: null);
        var app = await StatsAsync(store, index, ws.AppPath);
        Assert.Equal(byName with { Match = SpanStatsMatches.Located }, app);
        Assert.Null(app.TraceIds); // the span-name search lists exactly these traces
    }

    [Fact]
    public async Task A_file_without_a_definition_of_the_name_gets_the_by_name_numbers_marked_as_such()
    {
        using var ws = new TempWorkspace();
        ws.Write("tools/orders.py", Decoy);
        // Unsaved or just created: the index has not seen it (or it has no such definition).
        var unsaved = Path.Combine(ws.Root, "scratch", "draft.py");
        var unrelated = ws.Write("tools/other.py", "def something_else():\n    pass\n");
        var index = new WorkspaceIndex([ws.Root]);
        await using var store = Evidence.Store();
        var byName = await StatsAsync(store, index, path: null);
        foreach (var path in new[] { unsaved, unrelated })
        {
            var s = await StatsAsync(store, index, path);
            Assert.Equal(byName, s);
            Assert.Equal(SpanStatsMatches.Name, s.Match);
            Assert.Equal(SpanStatsTests.TruthSpanNames()[Name], s.Calls);
        }
    }

    [Fact]
    public async Task Beyond_the_trace_cap_the_numbers_come_from_the_newest_traces_and_say_so()
    {
        using var ws = new TempWorkspace();
        var decoy = ws.Write("tools/orders.py", Decoy);
        var index = new WorkspaceIndex([ws.Root]);
        await using var store = Evidence.Store();
        var spans = await SpansOfNameAsync(store);
        var newestTwo = spans.OrderByDescending(s => s.RequestTimeMs).Select(s => s.TraceId).Distinct().Take(2).ToHashSet();

        var app = await StatsAsync(store, index, ws.AppPath, maxLocatedTraces: 2);
        var tools = await StatsAsync(store, index, decoy, maxLocatedTraces: 2);
        Assert.True(app.Sampled);
        Assert.True(tools.Sampled);
        var inNewest = spans.Where(s => newestTwo.Contains(s.TraceId)).ToList();
        Assert.Equal(inNewest.Count, app.Calls + tools.Calls);
        Assert.Equal(inNewest.Count(s => !RaisedInToolsOrders(s.Span)), app.Calls);
        Assert.Equal(newestTwo.Order(), app.TraceIds!.Concat(tools.TraceIds!).Distinct().Order());
    }

    [Fact]
    public async Task Several_names_with_namesakes_read_each_trace_once_and_count_as_if_asked_alone()
    {
        using var ws = new TempWorkspace();
        ws.Write("tools/orders.py", Decoy + "\n\n@mlflow.trace(name=\"get_weather\")\ndef get_weather(city):\n    return {}\n");
        var index = new WorkspaceIndex([ws.Root]);
        await using var store = Evidence.Store();
        string[] names = [Name, "get_weather"];

        var together = new AsDecorated(store);
        var both = await StatsAsync(together, store, index, ws.AppPath, names);
        Assert.Equal(names.Order(StringComparer.Ordinal), both.Select(s => s.SpanName));
        foreach (var s in both)
        {
            Assert.Equal(SpanStatsMatches.Located, s.Match);
            Assert.NotNull(s.TraceIds); // located span by span: the namesakes are real rivals
            var alone = Assert.Single(await StatsAsync(new AsDecorated(store), store, index, ws.AppPath, [s.SpanName]));
            Assert.Equal(alone with { TraceIds = null }, s with { TraceIds = null });
            Assert.Equal(alone.TraceIds, s.TraceIds);
        }
        // The traces holding either name, from the store itself: each was read once.
        var (start, end) = SpanStatsTests.WholeRange();
        var all = await store.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = TraceLimits.MaxPageSize }, CancellationToken.None);
        var holding = 0;
        foreach (var t in all.Traces.Where(t => t.RequestTimeMs >= start && t.RequestTimeMs <= end))
            if ((await store.GetTraceAsync(t.TraceId, CancellationToken.None)).Spans.Any(x => names.Contains(x.Name))) holding++;
        Assert.Equal(holding, together.TraceReads);
    }

    [Fact]
    public async Task A_bad_path_is_refused_with_the_reason()
    {
        using var ws = new TempWorkspace();
        await using var store = Evidence.Store();
        var service = new SpanStatsService(store, store, workspace: new WorkspaceIndex([ws.Root]));
        var relative = await Assert.ThrowsAsync<BackendException>(() => service.GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], SpanNames = [Name], Path = "app/gen_traces.py" }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, relative.Code);
        Assert.Contains("absolute", relative.Message);
        var noNames = await Assert.ThrowsAsync<BackendException>(() => service.GetAsync(
            new SourceSpanStatsParams { ExperimentIds = ["1"], Path = ws.AppPath }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, noNames.Code);
        Assert.Contains("spanNames", noNames.Message);
    }
}

/// <summary>
/// The fixture store as if every `lookup_order` span had been made by an `@mlflow.trace`-decorated function:
/// the recorded ones were made with `start_span_no_context`, which records no `mlflow.spanFunctionName`, so
/// nothing said that their stack frames in `tools/orders.py` were frames of the span's own function. The live
/// spans (made with the decorator) have the attribute already and are left as recorded.
/// </summary>
internal sealed class AsDecorated(ITraceBackend inner) : ITraceBackend
{
    public string Kind => inner.Kind;
    public string DisplayLocation => inner.DisplayLocation;
    public Task<BackendInfo> ConnectAsync(CancellationToken ct) => inner.ConnectAsync(ct);
    public Task<IReadOnlyList<Experiment>> ListExperimentsAsync(string? nameQuery, CancellationToken ct) => inner.ListExperimentsAsync(nameQuery, ct);
    public Task<TracePage> SearchTracesAsync(TraceQuery query, CancellationToken ct) => inner.SearchTracesAsync(query, ct);
    public Task<TraceSummary> GetTraceInfoAsync(string traceId, CancellationToken ct) => inner.GetTraceInfoAsync(traceId, ct);
    public async Task<IReadOnlyList<RawSpan>> GetSpansAsync(
        TraceSummary info,
        CancellationToken ct) => [.. (await inner.GetSpansAsync(info, ct)).Select(Decorated)];
    private int _traceReads;

    /// <summary>How many times <see cref="GetTraceAsync"/> was called.</summary>
    public int TraceReads => _traceReads;

    public async Task<TraceData> GetTraceAsync(string traceId, CancellationToken ct)
    {
        Interlocked.Increment(ref _traceReads);
        var trace = await inner.GetTraceAsync(traceId, ct);
        return trace with { Spans = [.. trace.Spans.Select(Decorated)] };
    }
    public Task<int> DeleteTracesAsync(
        string experimentId,
        IReadOnlyList<string> traceIds,
        CancellationToken ct) => inner.DeleteTracesAsync(experimentId, traceIds, ct);
    public Task SetTraceTagAsync(string traceId, string key, string value, CancellationToken ct) => inner.SetTraceTagAsync(traceId, key, value, ct);
    public Task DeleteTraceTagAsync(string traceId, string key, CancellationToken ct) => inner.DeleteTraceTagAsync(traceId, key, ct);
    public Task<Assessment> CreateAssessmentAsync(AssessmentsCreateParams a, CancellationToken ct) => inner.CreateAssessmentAsync(a, ct);
    public Task<Assessment> UpdateAssessmentAsync(AssessmentsUpdateParams c, CancellationToken ct) => inner.UpdateAssessmentAsync(c, ct);
    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken ct) => inner.DeleteAssessmentAsync(traceId, assessmentId, ct);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the store belongs to the test

    private static RawSpan Decorated(RawSpan span) =>
        span.Name != "lookup_order" || span.Attributes.ContainsKey(SourceLocator.SpanFunctionNameKey) ? span
            : span with { Attributes = new Dictionary<string, System.Text.Json.JsonElement>(span.Attributes) {
                [SourceLocator.SpanFunctionNameKey] = System.Text.Json.JsonSerializer.SerializeToElement("lookup_order")} };
}
