using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace TraceIde.Testing;

/// <summary>
/// A deterministic MLflow-shaped trace of any size, written the two ways MLflow keeps and serves spans:
/// rows of the SQL store's spans table (content in the traces.json span format: base64 IDs, JSON-encoded
/// attribute values) and the OTel JSON of `GET /api/3.0/mlflow/traces/get` (typed attribute values), as the
/// fixtures' recordings show. A mix of depth and fan-out (each span hangs under one of the last few, seeded), inputs
/// and outputs on every span, an error with an exception event on every 53rd. The one generator of the benchmarks and
/// the tests that need big traces.
/// </summary>
public static class SyntheticTraces
{
    private static readonly string[] Types = ["AGENT", "CHAIN", "LLM", "TOOL", "RETRIEVER", "PARSER"];
    private const long TraceStartNs = 1_794_890_884_528_000_000;

    public readonly record struct Span(byte[] Id, byte[]? Parent, string Name, string Type, long StartNs, long EndNs, bool Failed, int Item)
    {
        public double Score => Item % 100 / 100.0;
    }

    public static Span[] Generate(int count, int seed = 11)
    {
        var random = new Random(seed);
        var spans = new Span[count];
        for (var i = 0; i < count; i++)
        {
            var id = new byte[8];
            random.NextBytes(id);
            var type = i == 0 ? Types[0] : Types[1 + random.Next(Types.Length - 1)];
            var start = TraceStartNs + i * 1_000_000L + random.Next(1_000_000);
            var parent = i == 0 ? null : spans[Math.Max(0, i - 1 - random.Next(8))].Id;
            spans[i] = new Span(
                id,
                parent,
                $"{type.ToLowerInvariant()}_{i % 97}",
                type,
                start,
                start + 50_000 + random.Next(400_000_000),
                i > 0 && i % 53 == 0,
                i);
        }
        return spans;
    }

    /// <summary>UTF-8 JSON of <c>{"spans": [...]}</c> (the traces.json artifact): the <see cref="StoredRows"/> in one array.</summary>
    public static byte[] TracesJson(int spanCount, int seed = 11)
    {
        var traceId = TraceIdFor(spanCount);
        var buffer = new ArrayBufferWriter<byte>(spanCount * 600);
        buffer.Write("{\"spans\": ["u8);
        var first = true;
        foreach (var row in StoredRows(traceId, Generate(spanCount, seed)))
        {
            if (!first) buffer.Write(", "u8);
            buffer.Write(row);
            first = false;
        }
        buffer.Write("]}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The `tr-…` ID <see cref="TracesJson"/> gives a trace of <paramref name="spanCount"/> spans.</summary>
    public static string TraceIdFor(int spanCount) => "tr-" + spanCount.ToString("x32", CultureInfo.InvariantCulture);

    /// <summary>
    /// TraceInfoV3 of the trace as MLflow writes it in traces/search rows and trace info, with the
    /// <c>mlflow.trace.sizeStats</c> MLflow records (the traces.json size and span count), which the REST backend's
    /// route choice reads.
    /// </summary>
    public static void WriteTraceInfo(Utf8JsonWriter w, string traceId, long artifactBytes, int spans) =>
        WriteInfo(w, traceId, "agent_0", spans / 1000.0 + 0.4, (artifactBytes, spans));

    /// <summary>TraceInfoV3 as MLflow writes it; <paramref name="size"/> adds the size metadata MLflow records.</summary>
    private static void WriteInfo(Utf8JsonWriter w, string traceId, string name, double durationSeconds, (long Bytes, int Spans)? size)
    {
        w.WriteStartObject();
        w.WriteString("trace_id", traceId);
        w.WriteStartObject("trace_location");
        w.WriteString("type", "MLFLOW_EXPERIMENT");
        w.WriteStartObject("mlflow_experiment");
        w.WriteString("experiment_id", ExperimentId);
        w.WriteEndObject();
        w.WriteEndObject();
        var requestTime = DateTimeOffset.FromUnixTimeMilliseconds(TraceStartNs / 1_000_000);
        w.WriteString("request_time", requestTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("execution_duration", string.Create(CultureInfo.InvariantCulture, $"{durationSeconds:0.000}s"));
        w.WriteString("state", "OK");
        w.WriteStartObject("trace_metadata");
        w.WriteString("mlflow.trace_schema.version", "3");
        if (size is var (bytes, count))
        {
            w.WriteString("mlflow.trace.sizeBytes", bytes.ToString(CultureInfo.InvariantCulture));
            var stats = string.Create(CultureInfo.InvariantCulture, $"{{\"total_size_bytes\": {bytes}, \"num_spans\": {count}}}");
            w.WriteString("mlflow.trace.sizeStats", stats);
        }
        w.WriteEndObject();
        w.WriteStartObject("tags");
        w.WriteString("mlflow.traceName", name);
        w.WriteString("mlflow.trace.spansLocation", "TRACKING_STORE");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Adds the trace to an MLflow SQL store (experiment 1); returns the bytes of span JSON written.</summary>
    public static long AddToStore(string db, string traceId, Span[] spans)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        ScaledStores.Exec(connection, "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, request_preview, " +
            "response_preview) VALUES ($id, $e, $t, $d, 'OK', $req, $res)", tx,
            ("$id", traceId), ("$e", ExperimentId), ("$t", TraceStartNs / 1_000_000), ("$d", (spans.Max(s => s.EndNs) - TraceStartNs) / 1_000_000),
            ("$req", "{\"question\": \"big\"}"), ("$res", "{\"answer\": \"done\"}"));
        foreach (var (key, value) in new[]
        {
            ("mlflow.traceName", spans[0].Name),
            ("mlflow.trace.spansLocation", "TRACKING_STORE"),
            ("fixture_case", "bench-big")
        })
            ScaledStores.Exec(
                connection,
                "INSERT INTO trace_tags (key, value, request_id) VALUES ($k, $v, $id)",
                tx,
                ("$k", key),
                ("$v", value),
                ("$id", traceId));
        ScaledStores.Exec(
            connection,
            "INSERT INTO trace_request_metadata (key, value, request_id) VALUES ('mlflow.trace_schema.version', '3', $id)",
            tx,
            ("$id", traceId));

        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO spans (trace_id, experiment_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, " +
            "end_time_unix_nano, content) VALUES ($t, $e, $s, $p, $n, $ty, $st, $b, $f, $c)";
        var p = new[]
        {
            "$t",
            "$e",
            "$s",
            "$p",
            "$n",
            "$ty",
            "$st",
            "$b",
            "$f",
            "$c"
        }.Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        long bytes = 0;
        foreach (var (s, row) in spans.Zip(StoredRows(traceId, spans)))
        {
            var content = System.Text.Encoding.UTF8.GetString(row);
            bytes += row.Length;
            object?[] values = [
                traceId, ExperimentId, Convert.ToHexStringLower(s.Id), s.Parent is null ? DBNull.Value : Convert.ToHexStringLower(s.Parent), s.Name, s.Type,
                s.Failed ? "ERROR" : "OK", s.StartNs, s.EndNs, content];
            for (var i = 0; i < p.Length; i++) p[i].Value = values[i];
            insert.ExecuteNonQuery();
        }
        tx.Commit();
        return bytes;
    }

    /// <summary>Each span's row content in the SQL store's spans table (the traces.json span format), in order.</summary>
    public static IEnumerable<byte[]> StoredRows(string traceId, Span[] spans)
    {
        var traceB64 = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var s in spans)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer)) WriteStoredSpan(w, traceB64, traceId, s);
            yield return buffer.WrittenSpan.ToArray();
        }
    }

    /// <summary>The body of `GET /api/3.0/mlflow/traces/get` for the trace, in the recorded shape.</summary>
    public static byte[] TraceGetAnswer(string traceId, Span[] spans)
    {
        var buffer = new ArrayBufferWriter<byte>(spans.Length * 900);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("trace");
            w.WritePropertyName("trace_info");
            WriteInfo(w, traceId, spans[0].Name, (spans.Max(s => s.EndNs) - TraceStartNs) / 1e9, null);
            w.WriteStartArray("spans");
            var traceB64 = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
            foreach (var s in spans) WriteOtelSpan(w, traceB64, traceId, s);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    // traces.json span (spans.content): attribute values are JSON-encoded strings.
    private static void WriteStoredSpan(Utf8JsonWriter w, string traceB64, string traceId, Span s)
    {
        WriteSpanHead(w, traceB64, s);
        w.WriteStartObject("attributes");
        w.WriteString("mlflow.traceRequestId", JsonString(traceId));
        w.WriteString("mlflow.spanType", JsonString(s.Type));
        w.WriteString("mlflow.spanInputs", $"{{\"query\": \"item {s.Item}\", \"top_k\": 5}}");
        w.WriteString("mlflow.spanOutputs", string.Create(CultureInfo.InvariantCulture, $"{{\"result\": \"item {s.Item} done\", \"score\": {s.Score}}}"));
        w.WriteEndObject();
        WriteEvents(w, s, otel: false);
        w.WriteEndObject();
    }

    // OTel JSON span (traces/get): typed attribute values, inputs/outputs as kvlists.
    private static void WriteOtelSpan(Utf8JsonWriter w, string traceB64, string traceId, Span s)
    {
        WriteSpanHead(w, traceB64, s);
        w.WriteStartArray("attributes");
        OtelString(w, "mlflow.traceRequestId", traceId);
        OtelString(w, "mlflow.spanType", s.Type);
        OtelKvList(w, "mlflow.spanInputs", () =>
        {
            OtelString(w, "query", $"item {s.Item}");
            OtelNumber(w, "top_k", "int_value", 5);
        });
        OtelKvList(w, "mlflow.spanOutputs", () =>
        {
            OtelString(w, "result", $"item {s.Item} done");
            OtelNumber(w, "score", "double_value", s.Score);
        });
        w.WriteEndArray();
        WriteEvents(w, s, otel: true);
        w.WriteEndObject();
    }

    private static void WriteSpanHead(Utf8JsonWriter w, string traceB64, Span s)
    {
        w.WriteStartObject();
        w.WriteString("trace_id", traceB64);
        w.WriteString("span_id", Convert.ToBase64String(s.Id));
        if (s.Parent is null) w.WriteNull("parent_span_id");
        else w.WriteString("parent_span_id", Convert.ToBase64String(s.Parent));
        w.WriteString("name", s.Name);
        w.WriteNumber("start_time_unix_nano", s.StartNs);
        w.WriteNumber("end_time_unix_nano", s.EndNs);
        w.WriteStartObject("status");
        w.WriteString("code", s.Failed ? "STATUS_CODE_ERROR" : "STATUS_CODE_OK");
        if (s.Failed) w.WriteString("message", "TimeoutError: upstream did not answer within 30 s");
        w.WriteEndObject();
    }

    private static void WriteEvents(Utf8JsonWriter w, Span s, bool otel)
    {
        w.WriteStartArray("events");
        if (s.Failed)
        {
            w.WriteStartObject();
            w.WriteString("name", "exception");
            w.WriteNumber("time_unix_nano", s.EndNs);
            if (otel)
            {
                w.WriteStartArray("attributes");
                OtelString(w, "exception.type", "TimeoutError");
                OtelString(w, "exception.message", "upstream did not answer within 30 s");
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject("attributes");
                w.WriteString("exception.type", "TimeoutError");
                w.WriteString("exception.message", "upstream did not answer within 30 s");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // {"key": k, "value": {<kind>: v}}: one OTel attribute (AnyValue) of each shape the generator needs.
    private static void OtelString(Utf8JsonWriter w, string key, string value) => OtelAttribute(w, key, () => w.WriteString("string_value", value));

    private static void OtelNumber(Utf8JsonWriter w, string key, string kind, double value) => OtelAttribute(w, key, () => w.WriteNumber(kind, value));

    private static void OtelKvList(Utf8JsonWriter w, string key, Action writeValues) => OtelAttribute(w, key, () =>
    {
        w.WriteStartObject("kvlist_value");
        w.WriteStartArray("values");
        writeValues();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void OtelAttribute(Utf8JsonWriter w, string key, Action writeValue)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        writeValue();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private const string ExperimentId = "1";

    private static string JsonString(string value) => $"\"{JsonEncodedText.Encode(value)}\"";

}
