using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Host.Bench;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>
/// The bench's loopback MLflow stand-in answers as MLflow does, so the host-overhead figures measure the
/// host on real shapes: its search page has the recorded rows' shape, and its metrics answers equal the
/// recorded server answers when read by the host's real REST backend.
/// </summary>
public sealed class BenchMlflowServerTests
{
    [Fact]
    public async Task Search_page_is_a_hundred_recorded_rows_with_new_ids_that_the_rest_backend_reads()
    {
        await using var store = ServerStore();
        await using var server = await BenchMlflowServer.StartAsync(Fixtures.Root, store, rows: 100);
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });

        var page = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 100 }, CancellationToken.None);

        Assert.Equal(100, page.Traces.Count);
        Assert.Equal(100, page.Traces.Select(t => t.TraceId).Distinct().Count());
        Assert.Equal(100, LocalStoreBackend.DecodePageToken(page.NextPageToken));
        using var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Http, "traces_search_v3__all.json")));
        var recordedRows = recorded.RootElement.GetProperty("response").GetProperty("body").GetProperty("traces").EnumerateArray().ToList();
        using var generated = JsonDocument.Parse(BenchMlflowServer.SearchPage(Fixtures.Root, 100));
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
        await using var server = await BenchMlflowServer.StartAsync(Fixtures.Root, store, rows: 100);
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });
        foreach (var r in MetricRecordings(errors: false))
        {
            var actual = await backend.QueryTraceMetricsAsync(ToQuery(r.RequestBody!.Value), CancellationToken.None);
            AssertSamePoints(Expected(r), actual, r.FileName);
        }
    }

    private static string Keys(JsonElement row) => string.Join(",", row.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
}
