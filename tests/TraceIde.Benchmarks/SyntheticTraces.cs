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
}
