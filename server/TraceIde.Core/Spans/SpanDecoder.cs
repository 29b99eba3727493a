using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TraceIde.Core.Backends;

namespace TraceIde.Core.Spans;

/// <summary>
/// Decodes MLflow span JSON into <see cref="RawSpan"/>s. Accepts the traces.json / spans.content
/// format (spec §3.4, every historic variant) and the OTel proto JSON of traces/get (spec §3.5).
/// Throws <see cref="Backends.BackendException"/> (BadResponse) on JSON that is not a span.
/// </summary>
/// <remarks>
/// Speed: for each span all attribute values (and all event attribute values) are written once into one
/// UTF-8 buffer — JSON-encoded string values are unescaped and copied in as raw JSON after a validation
/// pass, OTel AnyValues are converted — and that buffer is parsed once into a standalone (non-pooled)
/// document, so the resulting <see cref="JsonElement"/>s stay valid after the caller disposes its input.
/// </remarks>
public static class SpanDecoder
{
    /// <summary>A whole traces.json document: {"spans":[...]}.</summary>
    public static IReadOnlyList<RawSpan> DecodeTraceData(JsonElement traceData)
    {
        if (traceData.ValueKind == JsonValueKind.String)
        {
            // Some callers hand over the artifact as a JSON string holding the document.
            using var doc = ParseTextOrThrow(traceData.GetString()!, "trace data");
            return DecodeTraceData(doc.RootElement);
        }
        JsonElement spans;
        if (traceData.ValueKind == JsonValueKind.Array) spans = traceData;
        else if (traceData.ValueKind != JsonValueKind.Object || !traceData.TryGetProperty("spans", out spans) || spans.ValueKind != JsonValueKind.Array)
            throw BackendException.BadResponse("Trace data is not a traces.json document: expected an object with a \"spans\" array.");

        var result = new List<RawSpan>(spans.GetArrayLength());
        foreach (var s in spans.EnumerateArray())
            result.Add(Decode(s, otelDefault: false));
        return result;
    }

    /// <summary>One span in traces.json format (attribute values are JSON-encoded strings).</summary>
    public static RawSpan DecodeMlflowSpan(JsonElement span) => Decode(span, otelDefault: false);

    /// <summary>One span in OTel proto JSON (attributes as [{key, value:{string_value|...}}]).</summary>
    public static RawSpan DecodeOtelSpan(JsonElement span) => Decode(span, otelDefault: true);

    // ---------------------------------------------------------------------------------------------

    private ref struct Fields
    {
        public string? SpanId;
        public string? ParentId;
        public bool HasParentKey;
        public string? Name;
        public long? Start;
        public long? End;
        public string Status;
        public string? StatusMessage;
        public JsonElement Attributes;
        public JsonElement Events;
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static byte[]? t_scratch;

    private static RawSpan Decode(JsonElement span, bool otelDefault)
    {
        if (span.ValueKind != JsonValueKind.Object)
            throw BackendException.BadResponse($"A span must be a JSON object, got {span.ValueKind}.");

        var f = new Fields { Status = "UNSET" };
        foreach (var p in span.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals("span_id") || p.NameEquals("spanId")) f.SpanId = IdText(v, "span_id");
            else if (p.NameEquals("parent_span_id") || p.NameEquals("parent_id") || p.NameEquals("parentSpanId"))
            {
                f.HasParentKey = true;
                f.ParentId = IdText(v, "parent_span_id");
            }
            else if (p.NameEquals("name")) f.Name = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            else if (p.NameEquals("start_time_unix_nano") || p.NameEquals("start_time") || p.NameEquals("startTimeUnixNano")) f.Start = ReadNs(v, "start time");
            else if (p.NameEquals("end_time_unix_nano") || p.NameEquals("end_time") || p.NameEquals("endTimeUnixNano")) f.End = ReadNs(v, "end time");
            else if (p.NameEquals("status")) ReadStatusObject(v, ref f);
            else if (p.NameEquals("status_code")) f.Status = MapStatus(v);
            else if (p.NameEquals("status_message")) f.StatusMessage = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            else if (p.NameEquals("attributes")) f.Attributes = v;
            else if (p.NameEquals("events")) f.Events = v;
            else if (p.NameEquals("context") && v.ValueKind == JsonValueKind.Object)
            {
                // MLflow 2.x: {"context":{"trace_id","span_id"}, "parent_id", ...}
                if (v.TryGetProperty("span_id", out var sid)) f.SpanId = IdText(sid, "context.span_id");
            }
        }

        var spanId = IdCodec.NormalizeSpanId(f.SpanId)
            ?? throw BackendException.BadResponse($"A span{(f.Name is null ? "" : $" named '{f.Name}'")} has no span_id.");
        var parentId = IdCodec.NormalizeSpanId(f.ParentId);

        var events = f.Events.ValueKind == JsonValueKind.Array ? f.Events : default;
        var eventCount = events.ValueKind == JsonValueKind.Array ? events.GetArrayLength() : 0;
        var attrKind = f.Attributes.ValueKind;
        if (attrKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Undefined or JsonValueKind.Null))
            throw BackendException.BadResponse($"Span {spanId}: \"attributes\" must be an object or an array, got {attrKind}.");

        // One buffer per span: [ {span attributes}, {event 0 attributes}, {event 1 attributes}, ... ]
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = t_writer;
        if (w is null) t_writer = w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        else w.Reset(buffer);

        var attrKeys = new List<string>();
        w.WriteStartArray();
        WriteAttributes(w, f.Attributes, attrKeys, jsonEncodedValues: !otelDefault || attrKind == JsonValueKind.Object, spanId);

        string[] eventNames = eventCount == 0 ? [] : new string[eventCount];
        long[] eventTimes = eventCount == 0 ? [] : new long[eventCount];
        List<string>[] eventKeys = eventCount == 0 ? [] : new List<string>[eventCount];
        if (eventCount > 0)
        {
            var i = 0;
            foreach (var e in events.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object)
                    throw BackendException.BadResponse($"Span {spanId}: an event must be a JSON object, got {e.ValueKind}.");
                string name = "";
                long time = 0;
                JsonElement eattrs = default;
                foreach (var p in e.EnumerateObject())
                {
                    if (p.NameEquals("name")) name = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                    else if (p.NameEquals("time_unix_nano") || p.NameEquals("timestamp") || p.NameEquals("timeUnixNano")) time = ReadNs(p.Value, "event time") ?? 0;
                    else if (p.NameEquals("attributes")) eattrs = p.Value;
                }
                eventNames[i] = name;
                eventTimes[i] = time;
                eventKeys[i] = new List<string>();
                // Event attributes are plain values (never JSON-encoded) in both formats.
                WriteAttributes(w, eattrs, eventKeys[i], jsonEncodedValues: false, spanId);
                i++;
            }
        }
        w.WriteEndArray();
        w.Flush();

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        var root = JsonElement.ParseValue(ref reader); // standalone, non-pooled copy
        if (buffer.Capacity > 1 << 20) { t_buffer = null; t_writer = null; } // don't pin a huge buffer to the thread

        var rootEnum = root.EnumerateArray();
        rootEnum.MoveNext();
        var attributes = ToDictionary(rootEnum.Current, attrKeys);
        RawSpanEvent[] rawEvents = eventCount == 0 ? [] : new RawSpanEvent[eventCount];
        for (var i = 0; i < eventCount; i++)
        {
            rootEnum.MoveNext();
            rawEvents[i] = new RawSpanEvent
            {
                Name = eventNames[i],
                TimeNs = eventTimes[i],
                Attributes = ToDictionary(rootEnum.Current, eventKeys[i]),
            };
        }

        return new RawSpan
        {
            SpanId = spanId,
            ParentSpanId = parentId,
            Name = f.Name ?? "",
            StartTimeNs = f.Start ?? 0,
            EndTimeNs = f.End is null or 0 ? null : f.End,
            Status = f.Status,
            StatusMessage = string.IsNullOrEmpty(f.StatusMessage) ? null : f.StatusMessage,
            Attributes = attributes,
            Events = rawEvents,
        };
    }

    private static Dictionary<string, JsonElement> ToDictionary(JsonElement obj, List<string> keys)
    {
        var dict = new Dictionary<string, JsonElement>(keys.Count, StringComparer.Ordinal);
        var i = 0;
        foreach (var p in obj.EnumerateObject())
            dict[keys[i++]] = p.Value;
        return dict;
    }

    /// <summary>Writes one JSON object of attribute values; records the keys in order (property i ↔ keys[i]).</summary>
    private static void WriteAttributes(Utf8JsonWriter w, JsonElement attrs, List<string> keys, bool jsonEncodedValues, string spanId)
    {
        w.WriteStartObject();
        if (attrs.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in attrs.EnumerateObject())
            {
                var key = p.Name;
                keys.Add(key);
                w.WritePropertyName(key);
                if (jsonEncodedValues && p.Value.ValueKind == JsonValueKind.String) WriteDecodedJsonString(w, p.Value);
                else p.Value.WriteTo(w);
            }
        }
        else if (attrs.ValueKind == JsonValueKind.Array)
        {
            // OTel: [{"key": "...", "value": {AnyValue}}]
            foreach (var kv in attrs.EnumerateArray())
            {
                if (kv.ValueKind != JsonValueKind.Object || !kv.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String)
                    throw BackendException.BadResponse($"Span {spanId}: an OTel attribute must be {{\"key\":…, \"value\":…}}.");
                var key = k.GetString()!;
                keys.Add(key);
                w.WritePropertyName(key);
                if (kv.TryGetProperty("value", out var v)) WriteAnyValue(w, v, 0);
                else w.WriteNullValue();
            }
        }
        else if (attrs.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            throw BackendException.BadResponse($"Span {spanId}: attributes must be an object or an array, got {attrs.ValueKind}.");
        }
        w.WriteEndObject();
    }

    /// <summary>
    /// A traces.json attribute value: a JSON string whose content is a JSON document. Unescape it and copy
    /// the document in raw if it is valid JSON; otherwise keep the string itself.
    /// </summary>
    private static void WriteDecodedJsonString(Utf8JsonWriter w, JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value); // the quoted, escaped literal
        var r = new Utf8JsonReader(raw);
        r.Read();
        ReadOnlySpan<byte> content;
        if (!r.ValueIsEscaped) content = r.ValueSpan;
        else
        {
            var max = r.ValueSpan.Length;
            var scratch = t_scratch;
            if (scratch is null || scratch.Length < max) t_scratch = scratch = new byte[Math.Max(max, 4096)];
            var n = r.CopyString(scratch);
            content = scratch.AsSpan(0, n);
        }

        if (IsSingleJsonValue(content)) w.WriteRawValue(content, skipInputValidation: true);
        else w.WriteRawValue(raw, skipInputValidation: true); // not JSON: keep it as the string it was
    }

    private static bool IsSingleJsonValue(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return false;
        // Fast paths for the most common shapes: a short quoted string without escapes, a plain integer.
        if (utf8.Length >= 2 && utf8[0] == (byte)'"' && utf8[^1] == (byte)'"' && utf8[1..^1].IndexOfAny((byte)'"', (byte)'\\') < 0)
        {
            var inner = utf8[1..^1];
            var ok = true;
            foreach (var b in inner) if (b < 0x20) { ok = false; break; }
            if (ok && System.Text.Unicode.Utf8.IsValid(inner)) return true;
        }
        try
        {
            var r = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            if (!r.Read()) return false;
            r.Skip();
            return !r.Read(); // trailing tokens throw; trailing whitespace returns false
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>OTel AnyValue (snake_case or camelCase proto JSON) to a plain JSON value.</summary>
    private static void WriteAnyValue(Utf8JsonWriter w, JsonElement any, int depth)
    {
        if (depth > 200) throw BackendException.BadResponse("OTel attribute value is nested too deeply.");
        if (any.ValueKind != JsonValueKind.Object)
        {
            // Not an AnyValue wrapper: keep whatever it is.
            any.WriteTo(w);
            return;
        }
        foreach (var p in any.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals("string_value") || p.NameEquals("stringValue") || p.NameEquals("bytes_value") || p.NameEquals("bytesValue"))
            {
                if (v.ValueKind == JsonValueKind.String) w.WriteRawValue(JsonMarshal.GetRawUtf8Value(v), skipInputValidation: true);
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("int_value") || p.NameEquals("intValue"))
            {
                // proto3 JSON may encode int64 as a string
                if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) w.WriteNumberValue(l);
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("double_value") || p.NameEquals("doubleValue"))
            {
                if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) w.WriteNumberValue(d);
                else v.WriteTo(w); // numbers, or "NaN"/"Infinity" kept as strings
                return;
            }
            if (p.NameEquals("bool_value") || p.NameEquals("boolValue"))
            {
                if (v.ValueKind == JsonValueKind.String) w.WriteBooleanValue(string.Equals(v.GetString(), "true", StringComparison.OrdinalIgnoreCase));
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("array_value") || p.NameEquals("arrayValue"))
            {
                w.WriteStartArray();
                if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("values", out var items) && items.ValueKind == JsonValueKind.Array)
                    foreach (var item in items.EnumerateArray()) WriteAnyValue(w, item, depth + 1);
                w.WriteEndArray();
                return;
            }
            if (p.NameEquals("kvlist_value") || p.NameEquals("kvlistValue"))
            {
                w.WriteStartObject();
                if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("values", out var kvs) && kvs.ValueKind == JsonValueKind.Array)
                {
                    foreach (var kv in kvs.EnumerateArray())
                    {
                        if (kv.ValueKind != JsonValueKind.Object || !kv.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String)
                            throw BackendException.BadResponse("OTel kvlist entry must be {\"key\":…, \"value\":…}.");
                        w.WritePropertyName(k.GetString()!);
                        if (kv.TryGetProperty("value", out var kvv)) WriteAnyValue(w, kvv, depth + 1);
                        else w.WriteNullValue();
                    }
                }
                w.WriteEndObject();
                return;
            }
        }
        // {} (an empty AnyValue) or an unknown kind
        w.WriteNullValue();
    }

    private static void ReadStatusObject(JsonElement v, ref Fields f)
    {
        if (v.ValueKind == JsonValueKind.String) { f.Status = MapStatus(v); return; }
        if (v.ValueKind != JsonValueKind.Object) return;
        foreach (var p in v.EnumerateObject())
        {
            if (p.NameEquals("code") || p.NameEquals("status_code")) f.Status = MapStatus(p.Value);
            else if (p.NameEquals("message") || p.NameEquals("description"))
                f.StatusMessage = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
        }
    }

    private static string MapStatus(JsonElement code)
    {
        if (code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var n))
            return n switch { 1 => "OK", 2 => "ERROR", _ => "UNSET" };
        if (code.ValueKind != JsonValueKind.String) return "UNSET";
        if (code.ValueEquals("STATUS_CODE_OK") || code.ValueEquals("OK")) return "OK";
        if (code.ValueEquals("STATUS_CODE_ERROR") || code.ValueEquals("ERROR")) return "ERROR";
        return "UNSET";
    }

    private static string? IdText(JsonElement v, string what) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number when v.TryGetUInt64(out var u) => u.ToString("x16", CultureInfo.InvariantCulture),
        _ => throw BackendException.BadResponse($"Span {what} must be a string, got {v.ValueKind}."),
    };

    private static long? ReadNs(JsonElement v, string what)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return null;
            case JsonValueKind.Number:
                if (v.TryGetInt64(out var l)) return l;
                if (v.TryGetDouble(out var d) && double.IsFinite(d)) return (long)d;
                break;
            case JsonValueKind.String:
                var s = v.GetString();
                if (string.IsNullOrEmpty(s)) return null;
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ls)) return ls;
                break;
        }
        throw BackendException.BadResponse($"Span {what} must be an integer number of nanoseconds, got {v.GetRawText()}.");
    }

    private static JsonDocument ParseTextOrThrow(string text, string what)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException ex) { throw BackendException.BadResponse($"The {what} is not valid JSON: {ex.Message}", ex); }
    }
}
