using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Testing.Tests;

/// <summary>
/// The bench's loopback MLflow stand-in answers as MLflow does, so the host-overhead figures measure the
/// host on real shapes: its search page has the recorded rows' shape, and its metrics answers equal the
/// recorded server answers when read by the host's real REST backend.
/// </summary>
public sealed class MlflowStandInTests
{
    [Fact]
    public async Task Search_page_is_a_hundred_recorded_rows_with_new_ids_that_the_rest_backend_reads()
    {
        await using var store = ServerStore();
        await using var server = MlflowStandIn.Start(Fixtures.Root, store, rows: 100);
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });

        var page = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 100 }, CancellationToken.None);

        Assert.Equal(100, page.Traces.Count);
        Assert.Equal(100, page.Traces.Select(t => t.TraceId).Distinct().Count());
        Assert.Equal(100, LocalStoreBackend.DecodePageToken(page.NextPageToken));
        using var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Http, "traces_search_v3__all.json")));
        var recordedRows = recorded.RootElement.GetProperty("response").GetProperty("body").GetProperty("traces").EnumerateArray().ToList();
        using var generated = JsonDocument.Parse(MlflowStandIn.SearchPage(Fixtures.Root, 100));
        var rows = generated.RootElement.GetProperty("traces").EnumerateArray().ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            var original = recordedRows[i % recordedRows.Count];
            Assert.Equal(Keys(original), Keys(rows[i]));
            Assert.Equal(original.GetProperty("request_time").GetString(), rows[i].GetProperty("request_time").GetString());
            Assert.Equal(JsonCanonical.Of(original.GetProperty("trace_metadata")), JsonCanonical.Of(rows[i].GetProperty("trace_metadata")));
        }
    }

    [Fact]
    public async Task Metrics_answers_equal_the_recorded_server_answers()
    {
        await using var store = ServerStore();
        await using var server = MlflowStandIn.Start(Fixtures.Root, store, rows: 100);
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });
        foreach (var r in MetricRecordings(errors: false))
        {
            var actual = await backend.QueryTraceMetricsAsync(ToQuery(r.RequestBody!.Value), CancellationToken.None);
            AssertSamePoints(Expected(r), actual, r.FileName);
        }
    }

    /// <summary>
    /// The big-trace bench opens one generated trace from store rows and from the stand-in's traces/get;
    /// both must be the same trace, as the recorded traces are on both backends.
    /// </summary>
    [Fact]
    public async Task A_generated_big_trace_reads_the_same_from_store_rows_and_from_traces_get()
    {
        const string id = "tr-0000000000000000000000000000b16e";
        var facts = SyntheticTraces.Generate(300);
        var db = Path.Combine(Path.GetTempPath(), $"traceide-bigtrace-{Guid.NewGuid():N}.db");
        File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), db);
        try
        {
            Assert.True(SyntheticTraces.AddToStore(db, id, facts) > 300 * 200);
            await using var local = new LocalStoreBackend(db);
            await local.ConnectAsync(CancellationToken.None);
            var fromStore = await local.GetTraceAsync(id, CancellationToken.None);

            await using var server = MlflowStandIn.Start(Fixtures.Root, metricsStore: null, rows: 0);
            server.ServeTrace(id, SyntheticTraces.TraceGetAnswer(id, facts));
            await using var rest = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });
            await rest.ConnectAsync(CancellationToken.None);
            var fromHttp = await rest.GetTraceAsync(id, CancellationToken.None);

            Assert.Equal(300, fromStore.Spans.Count);
            Assert.Equal(300, fromHttp.Spans.Count);
            Assert.Equal(5, fromStore.Spans.Count(s => s.Status == "ERROR")); // spans 53, 106, 159, 212 and 265
            var storeById = fromStore.Spans.ToDictionary(x => x.SpanId);
            var httpById = fromHttp.Spans.ToDictionary(x => x.SpanId);
            foreach (var fact in facts)
            {
                var (a, b) = (storeById[Convert.ToHexStringLower(fact.Id)], httpById[Convert.ToHexStringLower(fact.Id)]);
                Assert.Equal(fact.Parent is null ? null : Convert.ToHexStringLower(fact.Parent), a.ParentSpanId);
                Assert.Equal(
                    (a.SpanId, a.ParentSpanId, a.Name, a.StartTimeNs, a.EndTimeNs, a.Status, a.SpanType),
                    (b.SpanId, b.ParentSpanId, b.Name, b.StartTimeNs, b.EndTimeNs, b.Status, b.SpanType));
                Assert.Equal(JsonCanonical.Of(a.Attributes["mlflow.spanInputs"]), JsonCanonical.Of(b.Attributes["mlflow.spanInputs"]));
                Assert.Equal(JsonCanonical.Of(a.Attributes["mlflow.spanOutputs"]), JsonCanonical.Of(b.Attributes["mlflow.spanOutputs"]));
                Assert.Equal(a.Events.Select(e => (e.Name, e.TimeNs)), b.Events.Select(e => (e.Name, e.TimeNs)));
            }
            Assert.Equal("AGENT", storeById[Convert.ToHexStringLower(facts[0].Id)].SpanType);
            await Assert.ThrowsAsync<BackendException>(() => rest.GetTraceAsync("tr-00000000000000000000000000000000", CancellationToken.None));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(db);
        }
    }

    private static string Keys(JsonElement row) => string.Join(",", row.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
}
