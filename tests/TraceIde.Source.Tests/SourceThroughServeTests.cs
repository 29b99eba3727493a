using System.Text.Json.Nodes;
using TraceIde.Host.Tests;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Source.Tests;

/// <summary>source/* and workspace/didChangeFiles through the host's JSON-RPC server, in process.</summary>
public sealed class SourceThroughServeTests
{
    [Fact]
    public async Task Locate_map_stats_and_file_changes_over_json_rpc()
    {
        using var ws = new TempWorkspace();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new
        {
            store = Path.Combine(Fixtures.ServerStore, "mlflow.db"),
            workspaceFolders = new[] { ws.Root },
        }));

        // The span ID as the UI has it: from traces/get.
        var traceId = FixtureCases.ServerTraceId("live-s5-t1");
        var trace = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.TracesGet, new { traceId }));
        var weather = trace["spans"]!.AsArray().Single(s => (string)s!["name"]! == "get_weather")!;
        var located = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceLocate, new { traceId, spanId = (string)weather["spanId"]! }));
        var top = located["locations"]![0]!;
        Assert.Equal(ws.AppPath, (string)top["path"]!);
        Assert.Equal(Evidence.DefinitionLine("get_weather"), (int)top["line"]!);
        Assert.Equal(SourceLocationKinds.Definition, (string)top["kind"]!);
        Assert.Contains("@mlflow.trace(name=\"get_weather\")", (string)top["reason"]!);

        var mapped = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceMapPath, new { path = "/srv/mlflow/gen/gen_traces.py", line = 720 }));
        var m = Assert.Single(mapped["locations"]!.AsArray())!;
        Assert.Equal((ws.AppPath, 720), ((string)m["path"]!, (int)m["line"]!));
        Assert.Empty(JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceMapPath,
            new { path = "/home/dev/.venv/lib/python3.11/site-packages/mlflow/tracing/fluent.py" }))["locations"]!.AsArray());

        var (start, end) = SpanStatsTests.WholeRange();
        var stats = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceSpanStats,
            new { experimentIds = new[] { "1" }, startTimeMs = start, endTimeMs = end, spanNames = new[] { "get_weather" } }));
        var lens = Assert.Single(stats["spans"]!.AsArray())!;
        Assert.Equal(SpanStatsTests.TruthSpanNames()["get_weather"], (long)lens["calls"]!);
        Assert.Equal(SpanStatsTests.FromSql(Path.Combine(Fixtures.ServerStore, "mlflow.db"))["get_weather"].LatestTraceId, (string)lens["latestTraceId"]!);
        Assert.Equal(SpanStatsMatches.Name, (string)lens["match"]!);
        // With the file asked: the session's workspace index says whose function the spans are.
        var inFile = Assert.Single(JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceSpanStats,
            new
            {
                experimentIds = new[] { "1" },
                startTimeMs = start,
                endTimeMs = end,
                spanNames = new[] { "get_weather" },
                path = ws.AppPath
            }))["spans"]!.AsArray())!;
        Assert.Equal((SpanStatsMatches.Located, (long)lens["calls"]!), ((string)inFile["match"]!, (long)inFile["calls"]!));

        // A file the IDE reports as created is found without a rescan; a deleted one is gone.
        var created = ws.Write("tools/new_tool.py", "def brand_new_tool():\n    pass\n");
        await host.NotifyAsync(RpcMethods.WorkspaceDidChangeFiles, new { created = new[] { created } });
        await Poll.UntilAsync(async () => (await MapAsync(host, "/srv/tools/new_tool.py")).Count == 1, "the host applied the file creation");
        File.Delete(created);
        await host.NotifyAsync(RpcMethods.WorkspaceDidChangeFiles, new { deleted = new[] { created } });
        await Poll.UntilAsync(async () => (await MapAsync(host, "/srv/tools/new_tool.py")).Count == 0, "the host applied the file deletion");

        // Bad input: a clear error, and the host goes on.
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync(RpcMethods.SourceLocate, new { traceId, spanId = "0000000000000000" }));
        Assert.Equal(RpcErrorCodes.NotFound, code);
        Assert.Contains("no span 0000000000000000", message);
        (code, _) = JsonRpcAssert.Error(await host.RequestAsync(RpcMethods.SourceMapPath, new { path = "" }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        (code, _) = JsonRpcAssert.Error(await host.RequestAsync(RpcMethods.SourceSpanStats, new { experimentIds = Array.Empty<string>() }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        (code, message) = JsonRpcAssert.Error(await host.RequestAsync(
            RpcMethods.SourceSpanStats,
            new { experimentIds = new[] { "1" }, spanNames = new[] { "get_weather" }, path = "relative.py" }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("absolute", message);
        await host.NotifyAsync(RpcMethods.WorkspaceDidChangeFiles, new { changed = new[] { "\0bad" } });
        JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SessionInfo)); // still answering
    }

    private static async Task<JsonArray> MapAsync(HostConnection host, string path) =>
        JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceMapPath, new { path }))["locations"]!.AsArray();
}
