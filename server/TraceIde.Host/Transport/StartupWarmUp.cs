using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Spans;
using TraceIde.Host.Bench;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Transport;

/// <summary>
/// Start-up work that does not depend on what the client asks, done on the second core while the first builds the
/// connection and reads `initialize`: loading SQLite and compiling the code that opens and checks a store, the
/// JSON code of `initialize`'s parameters and answer, and the log's redaction. Start → `initialize` answer: docs/PERFORMANCE.md.
/// A second later, the path a trace takes through the host is run over a generated trace (<see cref="WarmTracePath"/>).
/// </summary>
/// <remarks>
/// Best effort: it touches no file and logs nothing, and a failure here changes only the timing, since the
/// real path does the same work again and reports its own errors.
/// </remarks>
public static class StartupWarmUp
{
    /// <summary>How long after start the trace path is warmed: after the client's first requests (a list), before a click.</summary>
    public static readonly TimeSpan TracePathDelay = TimeSpan.FromSeconds(1);

    public static Task StartAsync() => Task.Run(async () =>
    {
        Run();
        await Task.Delay(TracePathDelay).ConfigureAwait(false);
        WarmTracePath(WarmUpRounds);
    });

    // Ten rounds of 200 spans: the first traces/get of a 20,000-span trace's head in a fresh host took 265–281 ms
    // without, 177–184 ms with them (forty rounds gave no more).
    private const int WarmUpRounds = 10;

    /// <summary>The warm-up itself, on the calling thread. False when a part of it failed.</summary>
    public static bool Run()
    {
        var ok = true;
        try
        {
            LocalStoreBackend.WarmUp();
        }
#pragma warning disable CA1031 // best effort, see remarks
        catch (Exception)
        {
            ok = false;
        }
        try
        {
            var options = ProtocolOptions();
            JsonSerializer.Deserialize<InitializeParams>("""{"store":"mlflow.db","workspaceFolders":["/"],"clientName":"warm-up"}""", options);
            JsonSerializer.SerializeToUtf8Bytes(new InitializeResult
            {
                ServerName = "traceide", ServerVersion = "", ProtocolVersion = ProtocolInfo.Version,
                BackendKind = "localStore", BackendLocation = "", Capabilities = new BackendCapabilities(),
            }, options);
            // The log's regexes, which the first line with a URL (a tracking server's) runs before the `initialize` answer.
            HostLog.Redact("https://user@localhost authorization: bearer warm-up");
        }
        catch (Exception)
        {
            ok = false;
        }
#pragma warning restore CA1031
        return ok;
    }

    /// <summary>
    /// The path a trace takes through the host (its rows joined and decoded, the tree, the DTOs, the JSON), run
    /// <paramref name="rounds"/> times over a generated 200-span trace, so that the first trace a user opens does
    /// not pay for compiling it. False when a part of it failed.
    /// </summary>
    public static bool WarmTracePath(int rounds)
    {
#pragma warning disable CA1031 // best effort, see remarks
        try
        {
            // The rows of the store's spans table for a 200-span trace, as the benchmarks generate them.
            var rows = BigTrace.StoredRows("tr-00000000000000000000000000000001", BigTrace.Generate(200)).ToList();
            var options = ProtocolOptions();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
            for (var round = 0; round < rounds; round++)
            {
                using var joined = new SpanRows();
                foreach (var row in rows) joined.Add(row);
                if (!joined.TryDecode(out var spans)) return false;
                var tree = SpanTreeBuilder.Build(spans);
                var result = new TracesGetResult
                {
                    Info = new TraceSummary { TraceId = "tr-warm-up", ExperimentId = "0", State = "OK" },
                    Spans = tree.Nodes.Select(n => Services.TraceService.ToDto(n, includePayload: round % 2 == 0)).ToArray(),
                    TotalSpans = tree.Nodes.Count,
                };
                buffer.ResetWrittenCount();
                using var writer = new Utf8JsonWriter(buffer);
                JsonSerializer.Serialize(writer, result, options);
            }
            return true;
        }
        catch (Exception)
        {
            return false;
        }
#pragma warning restore CA1031
    }

    private static JsonSerializerOptions ProtocolOptions()
    {
        var options = new JsonSerializerOptions();
        ProtocolJson.Configure(options);
        return options;
    }
}
