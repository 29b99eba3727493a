using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// The fixture's ground truth (computed by MLflow itself) comes out of `traceide serve` unchanged,
/// for both stores (the server's, and the one written without a server) and for the tracking server.
/// </summary>
public sealed class GroundTruthThroughServeTests
{
    public static TheoryData<string> Stores() => new() { "store", "store-local" };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Every_ground_truth_number_comes_out_of_serve_for_a_local_store(string store)
    {
        var storeDir = Path.Combine(Fixtures.Root, store);
        var truth = GroundTruth(store);
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(storeDir, "mlflow.db") }));

        var traces = await SearchAllAsync(host);
        Assert.Equal(truth.GetProperty("trace_count").GetInt32(), traces.Count);
        foreach (var state in truth.GetProperty("traces_by_state").EnumerateObject())
            Assert.Equal(state.Value.GetInt32(), traces.Count(t => (string)t["state"]! == state.Name));
        Assert.Equal(truth.GetProperty("assessment_count_total").GetInt32(), traces.Sum(t => t["assessments"]!.AsArray().Count));
        Assert.Equal(truth.GetProperty("search_sessions_count").GetInt32(),
            traces.Select(t => (string?)t["session"]).Where(s => s != null).Distinct().Count());
        Assert.Equal(truth.GetProperty("traces_with_session").GetInt32(), traces.Count(t => t["session"] != null));

        var spanTotal = 0;
        var maxLevels = 0;
        var maxSpans = 0;
        var byType = new Dictionary<string, int>();
        var byStatus = new Dictionary<string, int>();
        foreach (var t in traces)
        {
            var trace = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId = (string)t["traceId"]!, includePayloads = false }));
            var spans = trace["spans"]!.AsArray();
            spanTotal += spans.Count;
            maxSpans = Math.Max(maxSpans, spans.Count);
            if (spans.Count > 0) maxLevels = Math.Max(maxLevels, spans.Max(s => (int)s!["depth"]!) + 1);
            foreach (var s in spans)
            {
                byType[(string)s!["spanType"]!] = byType.GetValueOrDefault((string)s["spanType"]!) + 1;
                byStatus[(string)s["status"]!] = byStatus.GetValueOrDefault((string)s["status"]!) + 1;
            }
            Assert.Empty(trace["warnings"]!.AsArray()); // no orphans, cycles or partial traces in real data
        }
        Assert.Equal(truth.GetProperty("span_count_total").GetInt32(), spanTotal);
        Assert.Equal(truth.GetProperty("max_span_count").GetInt32(), maxSpans);
        Assert.Equal(truth.GetProperty("max_depth").GetInt32(), maxLevels);
        foreach (var type in truth.GetProperty("spans_by_type").EnumerateObject())
            Assert.Equal(type.Value.GetInt32(), byType.GetValueOrDefault(type.Name));
        foreach (var status in truth.GetProperty("spans_by_status").EnumerateObject())
            Assert.Equal(status.Value.GetInt32(), byStatus.GetValueOrDefault(status.Name));
    }

    [Fact]
    public async Task The_recorded_trees_come_out_of_serve_for_the_tracking_server()
    {
        await using var server = MlflowReplayServer.Start();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));

        var deep = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId = FixtureCases.ServerTraceId("agent-deep-nesting") }));
        Assert.Equal(13, deep["spans"]!.AsArray().Count);
        Assert.Equal(6, deep["spans"]!.AsArray().Max(s => (int)s!["depth"]!) + 1);

        var batch = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId = FixtureCases.ServerTraceId("batch-digest-500") }));
        Assert.Equal(500, batch["spans"]!.AsArray().Count);
    }

    private static async Task<List<JsonNode>> SearchAllAsync(HostConnection host)
    {
        var all = new List<JsonNode>();
        string? token = null;
        do
        {
            var page = JsonRpcAssert.Result(await host.RequestAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 500, pageToken = token }));
            all.AddRange(page["traces"]!.AsArray().Select(n => n!));
            token = (string?)page["nextPageToken"];
        } while (token != null);
        return all;
    }

    private static JsonElement GroundTruth(string store) =>
        JsonDocument.Parse(File.ReadAllText(store == "store"
            ? Fixtures.GroundTruthSmall
            : Path.Combine(Fixtures.LocalStore, "ground_truth.json"))).RootElement.Clone();
}
