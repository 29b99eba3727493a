using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Spans;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Services;

/// <summary>
/// Start-up work that does not depend on what the client asks, done on the second core while the first builds the
/// connection and reads `initialize`: loading SQLite and compiling the code that opens and checks a store, the
/// JSON code of `initialize`'s parameters and answer, and the log's redaction (target: docs/PERFORMANCE.md).
/// A second later, the path a trace takes through the host is run over a small made-up trace (<see cref="WarmTracePath"/>).
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

    // Enough rounds for the tiered JIT to compile the path's hot methods (more gave nothing: docs/PERFORMANCE.md).
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
                ServerName = "traceide",
                ServerVersion = "",
                ProtocolVersion = ProtocolInfo.Version,
                BackendKind = "localStore",
                BackendLocation = "",
                Capabilities = new BackendCapabilities(),
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
            var rows = WarmUpRows(200);
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
                    Spans = tree.Nodes.Select(n => TraceService.ToDto(n, includePayload: round % 2 == 0)).ToArray(),
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

    /// <summary>
    /// The rows of a local store's spans table (the traces.json span format: base64 IDs, JSON-encoded attribute
    /// values) for a made-up trace of <paramref name="count"/> spans, each under one of the few before it, with inputs,
    /// outputs and now and then an error event: enough shapes for the decoder and the tree to take their real paths.
    /// </summary>
    internal static List<byte[]> WarmUpRows(int count)
    {
        const string traceId = "tr-0000000000000000000000000000a11e";
        const long start = 1_700_000_000_000_000_000;
        string[] types = ["AGENT", "CHAIN", "LLM", "TOOL", "RETRIEVER"];
        var traceB64 = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
        static string SpanId(int i) => Convert.ToBase64String(BitConverter.GetBytes((long)i + 1));
        var rows = new List<byte[]>(count);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        for (var i = 0; i < count; i++)
        {
            var failed = i % 53 == 52;
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("trace_id", traceB64);
                w.WriteString("span_id", SpanId(i));
                if (i == 0) w.WriteNull("parent_span_id");
                else w.WriteString("parent_span_id", SpanId(Math.Max(0, i - 1 - i % 5)));
                w.WriteString("name", $"step_{i % 17}");
                w.WriteNumber("start_time_unix_nano", start + i * 1_000_000L);
                w.WriteNumber("end_time_unix_nano", start + i * 1_000_000L + 500_000);
                w.WriteStartObject("status");
                w.WriteString("code", failed ? "STATUS_CODE_ERROR" : "STATUS_CODE_OK");
                w.WriteEndObject();
                w.WriteStartObject("attributes");
                w.WriteString("mlflow.traceRequestId", $"\"{traceId}\"");
                w.WriteString("mlflow.spanType", $"\"{types[i % types.Length]}\"");
                w.WriteString("mlflow.spanInputs", $"{{\"query\": \"item {i}\", \"top_k\": 5}}");
                w.WriteString("mlflow.spanOutputs", $"{{\"result\": \"item {i} done\", \"score\": 0.{i % 10}}}");
                w.WriteEndObject();
                w.WriteStartArray("events");
                if (failed)
                {
                    w.WriteStartObject();
                    w.WriteString("name", "exception");
                    w.WriteNumber("time_unix_nano", start + i * 1_000_000L + 500_000);
                    w.WriteStartObject("attributes");
                    w.WriteString("exception.type", "TimeoutError");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            rows.Add(buffer.WrittenSpan.ToArray());
        }
        return rows;
    }

    private static JsonSerializerOptions ProtocolOptions()
    {
        var options = new JsonSerializerOptions();
        ProtocolJson.Configure(options);
        return options;
    }
}
