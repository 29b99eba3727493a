using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace TraceIde.Benchmarks;

/// <summary>
/// Deterministic MLflow-shaped traces of any size: the traces.json / spans.content span format of the
/// fixtures (base64 IDs, nanosecond times, status object, JSON-encoded attribute values with
/// mlflow.spanType / spanInputs / spanOutputs, a few events and errors). The tree mixes fan-out and depth:
/// each span hangs under one of the last few spans (seeded), so there are long chains and wide levels.
/// </summary>
public static class SyntheticTraces
{
    private static readonly string[] Types = ["AGENT", "CHAIN", "LLM", "TOOL", "RETRIEVER", "PARSER"];
    private static readonly string[] Names = ["agent_loop", "call_llm", "get_weather", "search_flights", "retrieve_docs", "parse_output"];

    /// <summary>UTF-8 JSON of <c>{"spans": [...]}</c> with <paramref name="spanCount"/> spans.</summary>
    public static byte[] TracesJson(int spanCount, int seed = 7)
    {
        var random = new Random(seed);
        var buffer = new ArrayBufferWriter<byte>(spanCount * 700);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var traceBytes = new byte[16];
            random.NextBytes(traceBytes);
            var traceId = Convert.ToBase64String(traceBytes);
            var requestId = "\"tr-" + Convert.ToHexStringLower(traceBytes) + "\"";
            var spanIds = new string[spanCount];
            var idBytes = new byte[8];
            const long traceStart = 1_794_890_884_528_000_000;
            w.WriteStartObject();
            w.WriteStartArray("spans");
            for (var i = 0; i < spanCount; i++)
            {
                random.NextBytes(idBytes);
                spanIds[i] = Convert.ToBase64String(idBytes);
                var kind = i == 0 ? 0 : 1 + random.Next(Types.Length - 1);
                var start = traceStart + i * 1_000_000L + random.Next(1_000_000);
                var end = start + 50_000 + random.Next(400_000_000);
                w.WriteStartObject();
                w.WriteString("trace_id", traceId);
                w.WriteString("span_id", spanIds[i]);
                if (i == 0) w.WriteNull("parent_span_id");
                else w.WriteString("parent_span_id", spanIds[Math.Max(0, i - 1 - random.Next(8))]);
                w.WriteString("name", Names[kind] + "_" + (i % 97).ToString(CultureInfo.InvariantCulture));
                w.WriteNumber("start_time_unix_nano", start);
                w.WriteNumber("end_time_unix_nano", end);
                w.WriteStartArray("events");
                var failed = i % 53 == 0 && i > 0;
                if (failed)
                {
                    w.WriteStartObject();
                    w.WriteString("name", "exception");
                    w.WriteNumber("time_unix_nano", end);
                    w.WriteStartObject("attributes");
                    w.WriteString("exception.type", "TimeoutError");
                    w.WriteString("exception.message", "upstream did not answer within 30 s");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartObject("status");
                w.WriteString("code", failed ? "STATUS_CODE_ERROR" : "STATUS_CODE_OK");
                w.WriteString("message", failed ? "TimeoutError: upstream did not answer within 30 s" : "");
                w.WriteEndObject();
                w.WriteStartObject("attributes");
                w.WriteString("mlflow.traceRequestId", requestId);
                w.WriteString("mlflow.spanStartTimeNs", start.ToString(CultureInfo.InvariantCulture));
                w.WriteString("mlflow.spanType", "\"" + Types[kind] + "\"");
                w.WriteString("mlflow.spanInputs", $"{{\"query\": \"What's the weather in Paris on June {i % 28 + 1}?\", \"step\": {i}}}");
                w.WriteString("mlflow.spanOutputs", $"{{\"role\": \"assistant\", \"content\": \"Partly cloudy, {10 + i % 15}-{18 + i % 9} C, {i % 100}% chance of rain.\"}}");
                if (Types[kind] == "LLM")
                {
                    w.WriteString("mlflow.llm.model", "\"gpt-4o-mini\"");
                    w.WriteString("mlflow.chat.tokenUsage", $"{{\"input_tokens\": {100 + i % 900}, \"output_tokens\": {10 + i % 90}, \"total_tokens\": {110 + i % 900 + i % 90}}}");
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The `tr-…` ID of a trace made by <see cref="TracesJson"/> (its spans' mlflow.traceRequestId).</summary>
    public static string TraceId(byte[] tracesJson)
    {
        using var doc = JsonDocument.Parse(tracesJson);
        var encoded = doc.RootElement.GetProperty("spans")[0].GetProperty("attributes").GetProperty("mlflow.traceRequestId").GetString()!;
        return JsonSerializer.Deserialize<string>(encoded)!;
    }

    /// <summary>
    /// TraceInfoV3 of the trace as MLflow writes it (traces/search rows, trace info, traces/get), with the
    /// <c>mlflow.trace.sizeStats</c> MLflow records (the traces.json size and span count).
    /// </summary>
    public static void WriteTraceInfo(Utf8JsonWriter w, string traceId, long artifactBytes, int spans)
    {
        w.WriteStartObject();
        w.WriteString("trace_id", traceId);
        w.WriteStartObject("trace_location");
        w.WriteString("type", "MLFLOW_EXPERIMENT");
        w.WriteStartObject("mlflow_experiment");
        w.WriteString("experiment_id", "1");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("request_time", "2026-11-17T04:48:04.528Z");
        w.WriteString("execution_duration", string.Create(CultureInfo.InvariantCulture, $"{spans / 1000.0 + 0.4:0.000}s"));
        w.WriteString("state", "OK");
        w.WriteStartObject("trace_metadata");
        w.WriteString("mlflow.trace_schema.version", "3");
        w.WriteString("mlflow.trace.sizeBytes", artifactBytes.ToString(CultureInfo.InvariantCulture));
        w.WriteString("mlflow.trace.sizeStats", string.Create(CultureInfo.InvariantCulture, $"{{\"total_size_bytes\": {artifactBytes}, \"num_spans\": {spans}}}"));
        w.WriteEndObject();
        w.WriteStartObject("tags");
        w.WriteString("mlflow.traceName", "agent_loop_0");
        w.WriteString("mlflow.trace.spansLocation", "TRACKING_STORE");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The body of `GET /api/3.0/mlflow/traces/get` for a trace made by <see cref="TracesJson"/>: its info and the
    /// same spans in OTel proto JSON, as the recordings show MLflow answering (attribute values typed, a JSON
    /// object as a kvlist_value, an array as an array_value) — the shape that makes this answer about three
    /// times the artifact's size.
    /// </summary>
    public static byte[] TraceGetJson(byte[] tracesJson)
    {
        using var doc = JsonDocument.Parse(tracesJson);
        var spans = doc.RootElement.GetProperty("spans");
        var buffer = new ArrayBufferWriter<byte>(tracesJson.Length * 3);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("trace");
            w.WritePropertyName("trace_info");
            WriteTraceInfo(w, TraceId(tracesJson), tracesJson.Length, spans.GetArrayLength());
            w.WriteStartArray("spans");
            foreach (var span in spans.EnumerateArray())
            {
                w.WriteStartObject();
                foreach (var p in span.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "attributes":
                            w.WriteStartArray("attributes");
                            foreach (var a in p.Value.EnumerateObject())
                            {
                                using var value = JsonDocument.Parse(a.Value.GetString()!); // traces.json: JSON-encoded values
                                WriteOtelAttribute(w, a.Name, value.RootElement);
                            }
                            w.WriteEndArray();
                            break;
                        case "events":
                            w.WriteStartArray("events");
                            foreach (var e in p.Value.EnumerateArray())
                            {
                                w.WriteStartObject();
                                w.WriteString("name", e.GetProperty("name").GetString());
                                w.WriteNumber("time_unix_nano", e.GetProperty("time_unix_nano").GetInt64());
                                w.WriteStartArray("attributes");
                                foreach (var a in e.GetProperty("attributes").EnumerateObject()) WriteOtelAttribute(w, a.Name, a.Value);
                                w.WriteEndArray();
                                w.WriteEndObject();
                            }
                            w.WriteEndArray();
                            break;
                        default:
                            p.WriteTo(w);
                            break;
                    }
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOtelAttribute(Utf8JsonWriter w, string key, JsonElement value)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        w.WritePropertyName("value");
        WriteAnyValue(w, value);
        w.WriteEndObject();
    }

    /// <summary>An OTel AnyValue as MLflow's traces/get writes it.</summary>
    private static void WriteAnyValue(Utf8JsonWriter w, JsonElement v)
    {
        w.WriteStartObject();
        switch (v.ValueKind)
        {
            case JsonValueKind.String: w.WriteString("string_value", v.GetString()); break;
            case JsonValueKind.Number when v.TryGetInt64(out var i): w.WriteNumber("int_value", i); break;
            case JsonValueKind.Number: w.WriteNumber("double_value", v.GetDouble()); break;
            case JsonValueKind.True or JsonValueKind.False: w.WriteBoolean("bool_value", v.GetBoolean()); break;
            case JsonValueKind.Array:
                w.WriteStartObject("array_value");
                w.WriteStartArray("values");
                foreach (var item in v.EnumerateArray()) WriteAnyValue(w, item);
                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case JsonValueKind.Object:
                w.WriteStartObject("kvlist_value");
                w.WriteStartArray("values");
                foreach (var p in v.EnumerateObject()) WriteOtelAttribute(w, p.Name, p.Value);
                w.WriteEndArray();
                w.WriteEndObject();
                break;
        }
        w.WriteEndObject();
    }
}
