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
/// Speed: the span's skeleton (IDs, parent, name, times, status, events' names and times) is decoded
/// eagerly; attribute values are decoded when first read (<see cref="SpanAttributes"/>), because opening a
/// big trace shows only the skeleton and the span type. The input is copied once per call into a
/// standalone document (free when it already is one), so the spans stay valid after the caller disposes
/// its input; the shape of the attributes (what can fail) is still checked here, so a malformed span
/// fails the decode as before, never a later read.
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
        else if (traceData.ValueKind != JsonValueKind.Object || !traceData.TryGetProperty("spans"u8, out spans) || spans.ValueKind != JsonValueKind.Array)
            throw BackendException.BadResponse("Trace data is not a traces.json document: expected an object with a \"spans\" array.");
        return DecodeArray(spans);
    }

    /// <summary>
    /// A whole traces.json document from its UTF-8 bytes (a file, a stored row): parsed once into a document
    /// the spans keep, with no copy — the fastest way in. The bytes must not change afterwards.
    /// </summary>
    public static IReadOnlyList<RawSpan> DecodeTraceData(ReadOnlyMemory<byte> utf8, string what)
    {
        JsonDocument doc;
        try
        {
            // Never disposed: the spans reference it; its pooled metadata goes to the garbage collector with them.
            doc = JsonDocument.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw BackendException.BadResponse($"Unreadable JSON in {what}: {ex.Message}", ex);
        }
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("spans"u8, out var spans) && spans.ValueKind == JsonValueKind.Array)
            return DecodeKeptArray(spans);
        var result = DecodeTraceData(root); // the other shapes (a JSON string, a bare array, errors) as for an element
        doc.Dispose();
        return result;
    }

    /// <summary>traces/get's trace.spans: an array of spans in OTel proto JSON (one copy for the whole array).</summary>
    public static IReadOnlyList<RawSpan> DecodeOtelSpans(JsonElement spans) =>
        spans.ValueKind == JsonValueKind.Array
            ? DecodeArray(spans)
            : throw BackendException.BadResponse($"Spans must be a JSON array, got {spans.ValueKind}.");

    /// <summary>One span in traces.json format (attribute values are JSON-encoded strings).</summary>
    public static RawSpan DecodeMlflowSpan(JsonElement span) => Decode(span.Clone());

    /// <summary>One span in OTel proto JSON (attributes as [{key, value:{string_value|...}}]).</summary>
    public static RawSpan DecodeOtelSpan(JsonElement span) => Decode(span.Clone());

    // The format of a span is told by its shape (attributes object vs. array), so one decoder serves both.
    private static RawSpan[] DecodeArray(JsonElement spans) => DecodeKeptArray(spans.Clone()); // one standalone copy per trace, not per span

    /// <summary>An array of spans whose document is never disposed (so no copy is needed).</summary>
    internal static RawSpan[] DecodeKeptArray(JsonElement spans)
    {
        var result = new RawSpan[spans.GetArrayLength()];
        var i = 0;
        foreach (var s in spans.EnumerateArray()) result[i++] = Decode(s);
        return result;
    }

    // ---------------------------------------------------------------------------------------------

    private ref struct Fields
    {
        public JsonElement SpanId;   // a string, a number or null; normalised after the loop
        public JsonElement ParentId;
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

    // Decoded values may nest as deep as IsSingleJsonValue accepts, inside the [ { ... } ] of DecodeAll.
    private static readonly JsonReaderOptions ValueReaderOptions = new() { MaxDepth = 260 };

    /// <param name="span">An element of a standalone document: the result keeps references into it.</param>
    private static RawSpan Decode(JsonElement span)
    {
        if (span.ValueKind != JsonValueKind.Object)
            throw BackendException.BadResponse($"A span must be a JSON object, got {span.ValueKind}.");

        var f = new Fields { Status = "UNSET" };
        foreach (var p in span.EnumerateObject())
        {
            var v = p.Value;
            if (NameIs(p, "span_id"u8) || NameIs(p, "spanId"u8)) f.SpanId = IdElement(v, "span_id");
            else if (NameIs(p, "parent_span_id"u8) || NameIs(p, "parent_id"u8) || NameIs(p, "parentSpanId"u8)) f.ParentId = IdElement(v, "parent_span_id");
            else if (NameIs(p, "name"u8)) f.Name = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            else if (NameIs(p, "start_time_unix_nano"u8) || NameIs(p, "start_time"u8) || NameIs(p, "startTimeUnixNano"u8)) f.Start = ReadNs(v, "start time");
            else if (NameIs(p, "end_time_unix_nano"u8) || NameIs(p, "end_time"u8) || NameIs(p, "endTimeUnixNano"u8)) f.End = ReadNs(v, "end time");
            else if (NameIs(p, "status"u8)) ReadStatusObject(v, ref f);
            else if (NameIs(p, "status_code"u8)) f.Status = MapStatus(v);
            else if (NameIs(p, "status_message"u8)) f.StatusMessage = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            else if (NameIs(p, "attributes"u8)) f.Attributes = v;
            else if (NameIs(p, "events"u8)) f.Events = v;
            else if (NameIs(p, "context"u8) && v.ValueKind == JsonValueKind.Object)
            {
                // MLflow 2.x: {"context":{"trace_id","span_id"}, "parent_id", ...}
                if (v.TryGetProperty("span_id"u8, out var sid)) f.SpanId = IdElement(sid, "context.span_id");
            }
        }

        var name = f.Name;
        var spanId = SpanIdOf(f.SpanId)
            ?? throw BackendException.BadResponse($"A span{(name is null ? "" : $" named '{name}'")} has no span_id.");
        var parentId = SpanIdOf(f.ParentId);

        var attrKind = f.Attributes.ValueKind;
        if (attrKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Undefined or JsonValueKind.Null))
            throw BackendException.BadResponse($"Span {spanId}: \"attributes\" must be an object or an array, got {attrKind}.");
        // traces.json: an object of JSON-encoded values; OTel: a [{key, value}] list.
        var attributes = Attributes(f.Attributes, SpanAttributes.Kind.JsonEncoded, spanId);

        var events = f.Events.ValueKind == JsonValueKind.Array ? f.Events : default;
        var eventCount = events.ValueKind == JsonValueKind.Array ? events.GetArrayLength() : 0;
        RawSpanEvent[] rawEvents = eventCount == 0 ? [] : new RawSpanEvent[eventCount];
        if (eventCount > 0)
        {
            var i = 0;
            foreach (var e in events.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object)
                    throw BackendException.BadResponse($"Span {spanId}: an event must be a JSON object, got {e.ValueKind}.");
                string eventName = "";
                long time = 0;
                JsonElement eattrs = default;
                foreach (var p in e.EnumerateObject())
                {
                            if (NameIs(p, "name"u8)) eventName = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                    else if (NameIs(p, "time_unix_nano"u8) || NameIs(p, "timestamp"u8) || NameIs(p, "timeUnixNano"u8)) time = ReadNs(p.Value, "event time") ?? 0;
                    else if (NameIs(p, "attributes"u8)) eattrs = p.Value;
                }
                // Event attributes are plain values (never JSON-encoded) in both formats.
                rawEvents[i++] = new RawSpanEvent { Name = eventName, TimeNs = time, Attributes = Attributes(eattrs, SpanAttributes.Kind.Plain, spanId) };
            }
        }

        return new RawSpan
        {
            SpanId = spanId,
            ParentSpanId = parentId,
            Name = name ?? "",
            StartTimeNs = f.Start ?? 0,
            EndTimeNs = f.End is null or 0 ? null : f.End,
            Status = f.Status,
            StatusMessage = string.IsNullOrEmpty(f.StatusMessage) ? null : f.StatusMessage,
            Attributes = attributes,
            Events = rawEvents,
        };
    }

    /// <summary>Checks the shape of one attribute list (what decoding it later could trip over) and wraps it.</summary>
    private static SpanAttributes Attributes(JsonElement attrs, SpanAttributes.Kind objectKind, string spanId)
    {
        switch (attrs.ValueKind)
        {
            case JsonValueKind.Object:
                return attrs.GetPropertyCount() == 0 ? SpanAttributes.Empty : new SpanAttributes(attrs, objectKind);
            case JsonValueKind.Array:
                foreach (var kv in attrs.EnumerateArray())
                {
                    var k = OtelKey(kv, spanId);
                    if (kv.TryGetProperty("value"u8, out var v)) WriteAnyValue(null, v, 0); // validate only
                }
                return attrs.GetArrayLength() == 0 ? SpanAttributes.Empty : new SpanAttributes(attrs, SpanAttributes.Kind.Otel);
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return SpanAttributes.Empty;
            default:
                throw BackendException.BadResponse($"Span {spanId}: attributes must be an object or an array, got {attrs.ValueKind}.");
        }
    }

    private static JsonElement OtelKey(JsonElement kv, string spanId) =>
        kv.ValueKind == JsonValueKind.Object && kv.TryGetProperty("key"u8, out var k) && k.ValueKind == JsonValueKind.String
            ? k
            : throw BackendException.BadResponse($"Span {spanId}: an OTel attribute must be {{\"key\":…, \"value\":…}}.");

    // ---------------------------------------------------------------------------------------------
    // Lazy attribute decoding (called by SpanAttributes on elements Decode has checked).

    /// <summary>All values of one attribute list, written into one buffer and parsed once (one document per list).</summary>
    internal static Dictionary<string, JsonElement> DecodeAll(JsonElement attrs, SpanAttributes.Kind kind)
    {
        if (attrs.ValueKind == JsonValueKind.Undefined) return new Dictionary<string, JsonElement>(0, StringComparer.Ordinal);
        if (kind == SpanAttributes.Kind.Plain)
        {
            // Plain values are used as they are: no copy.
            var plain = new Dictionary<string, JsonElement>(attrs.GetPropertyCount(), StringComparer.Ordinal);
            foreach (var p in attrs.EnumerateObject()) plain[p.Name] = p.Value;
            return plain;
        }

        var keys = new List<string>();
        var root = WriteAndParse(w => WriteAttributes(w, attrs, keys, jsonEncodedValues: true));
        var dict = new Dictionary<string, JsonElement>(keys.Count, StringComparer.Ordinal);
        var i = 0;
        foreach (var p in root.EnumerateObject()) dict[keys[i++]] = p.Value;
        return dict;
    }

    /// <summary>One traces.json span attribute value: the JSON its string holds, or the value itself.</summary>
    internal static JsonElement DecodeJsonEncodedValue(JsonElement raw) =>
        raw.ValueKind == JsonValueKind.String ? WriteAndParse(w => WriteDecodedJsonString(w, raw)) : raw;

    /// <summary>One OTel AnyValue as a plain JSON value (Undefined: the entry had no value, null).</summary>
    internal static JsonElement DecodeAnyValue(JsonElement any) =>
        WriteAndParse(w => { if (any.ValueKind == JsonValueKind.Undefined) w.WriteNullValue(); else WriteAnyValue(w, any, 0); });

    /// <summary>
    /// A traces.json attribute value read as a string, without building a document: the JSON string it
    /// holds, or (not JSON) the text itself; null when it holds some other JSON value or is no string.
    /// Same result as <see cref="DecodeJsonEncodedValue"/> followed by GetString.
    /// </summary>
    internal static string? JsonEncodedString(JsonElement raw)
    {
        if (raw.ValueKind != JsonValueKind.String) return null;
        var content = Unescaped(JsonMarshal.GetRawUtf8Value(raw), out _);
        if (!IsSingleJsonValue(content)) return raw.GetString();
        if (content[0] != (byte)'"') return null;
        var r = new Utf8JsonReader(content);
        r.Read();
        return r.GetString();
    }

    private static JsonElement WriteAndParse(Action<Utf8JsonWriter> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = t_writer;
        if (w is null) t_writer = w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        else w.Reset(buffer);
        write(w);
        w.Flush();
        var reader = new Utf8JsonReader(buffer.WrittenSpan, ValueReaderOptions);
        var value = JsonElement.ParseValue(ref reader); // standalone, non-pooled copy
        if (buffer.Capacity > 1 << 20) { t_buffer = null; t_writer = null; } // don't pin a huge buffer to the thread
        return value;
    }

    /// <summary>Writes one JSON object of attribute values; records the keys in order (property i ↔ keys[i]).</summary>
    private static void WriteAttributes(Utf8JsonWriter w, JsonElement attrs, List<string> keys, bool jsonEncodedValues)
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
            // OTel: [{"key": "...", "value": {AnyValue}}]; shape checked by Decode.
            foreach (var kv in attrs.EnumerateArray())
            {
                var key = kv.GetProperty("key"u8).GetString()!;
                keys.Add(key);
                w.WritePropertyName(key);
                if (kv.TryGetProperty("value"u8, out var v)) WriteAnyValue(w, v, 0);
                else w.WriteNullValue();
            }
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
        var content = Unescaped(raw, out _);
        if (IsSingleJsonValue(content)) w.WriteRawValue(content, skipInputValidation: true);
        else w.WriteRawValue(raw, skipInputValidation: true); // not JSON: keep it as the string it was
    }

    /// <summary>The content of a quoted JSON string literal, unescaped (into a per-thread scratch buffer if needed).</summary>
    private static ReadOnlySpan<byte> Unescaped(ReadOnlySpan<byte> literal, out bool wasEscaped)
    {
        var r = new Utf8JsonReader(literal);
        r.Read();
        wasEscaped = r.ValueIsEscaped;
        if (!wasEscaped) return r.ValueSpan;
        var max = r.ValueSpan.Length;
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < max) t_scratch = scratch = new byte[Math.Max(max, 4096)];
        var n = r.CopyString(scratch);
        return scratch.AsSpan(0, n);
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

    /// <summary>
    /// OTel AnyValue (snake_case or camelCase proto JSON) to a plain JSON value. With no writer it only
    /// checks what would fail, so Decode can reject a malformed span before any value is read.
    /// </summary>
    private static void WriteAnyValue(Utf8JsonWriter? w, JsonElement any, int depth)
    {
        if (depth > 200) throw BackendException.BadResponse("OTel attribute value is nested too deeply.");
        if (any.ValueKind != JsonValueKind.Object)
        {
            // Not an AnyValue wrapper: keep whatever it is.
            if (w != null) any.WriteTo(w);
            return;
        }
        foreach (var p in any.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals("string_value"u8) || p.NameEquals("stringValue"u8) || p.NameEquals("bytes_value"u8) || p.NameEquals("bytesValue"u8))
            {
                if (w is null) return; // leaves cannot fail
                if (v.ValueKind == JsonValueKind.String) w.WriteRawValue(JsonMarshal.GetRawUtf8Value(v), skipInputValidation: true);
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("int_value"u8) || p.NameEquals("intValue"u8))
            {
                if (w is null) return;
                // proto3 JSON may encode int64 as a string
                if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) w.WriteNumberValue(l);
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("double_value"u8) || p.NameEquals("doubleValue"u8))
            {
                if (w is null) return;
                if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) w.WriteNumberValue(d);
                else v.WriteTo(w); // numbers, or "NaN"/"Infinity" kept as strings
                return;
            }
            if (p.NameEquals("bool_value"u8) || p.NameEquals("boolValue"u8))
            {
                if (w is null) return;
                if (v.ValueKind == JsonValueKind.String) w.WriteBooleanValue(string.Equals(v.GetString(), "true", StringComparison.OrdinalIgnoreCase));
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("array_value"u8) || p.NameEquals("arrayValue"u8))
            {
                w?.WriteStartArray();
                if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("values"u8, out var items) && items.ValueKind == JsonValueKind.Array)
                    foreach (var item in items.EnumerateArray()) WriteAnyValue(w, item, depth + 1);
                w?.WriteEndArray();
                return;
            }
            if (p.NameEquals("kvlist_value"u8) || p.NameEquals("kvlistValue"u8))
            {
                w?.WriteStartObject();
                if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("values"u8, out var kvs) && kvs.ValueKind == JsonValueKind.Array)
                {
                    foreach (var kv in kvs.EnumerateArray())
                    {
                        if (kv.ValueKind != JsonValueKind.Object || !kv.TryGetProperty("key"u8, out var k) || k.ValueKind != JsonValueKind.String)
                            throw BackendException.BadResponse("OTel kvlist entry must be {\"key\":…, \"value\":…}.");
                        w?.WritePropertyName(k.GetString()!);
                        if (kv.TryGetProperty("value"u8, out var kvv)) WriteAnyValue(w, kvv, depth + 1);
                        else w?.WriteNullValue();
                    }
                }
                w?.WriteEndObject();
                return;
            }
        }
        // {} (an empty AnyValue) or an unknown kind
        w?.WriteNullValue();
    }

    private static void ReadStatusObject(JsonElement v, ref Fields f)
    {
        if (v.ValueKind == JsonValueKind.String) { f.Status = MapStatus(v); return; }
        if (v.ValueKind != JsonValueKind.Object) return;
        foreach (var p in v.EnumerateObject())
        {
            if (NameIs(p, "code"u8) || NameIs(p, "status_code"u8)) f.Status = MapStatus(p.Value);
            else if (NameIs(p, "message"u8) || NameIs(p, "description"u8))
                f.StatusMessage = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
        }
    }

    private static string MapStatus(JsonElement code)
    {
        if (code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var n))
            return n switch { 1 => "OK", 2 => "ERROR", _ => "UNSET" };
        if (code.ValueKind != JsonValueKind.String) return "UNSET";
        if (code.ValueEquals("STATUS_CODE_OK"u8) || code.ValueEquals("OK"u8)) return "OK";
        if (code.ValueEquals("STATUS_CODE_ERROR"u8) || code.ValueEquals("ERROR"u8)) return "ERROR";
        return "UNSET";
    }

    /// <summary>
    /// Whether a property is named <paramref name="name"/> (UTF-8, no escapes), comparing the raw name
    /// first: an escaped name is longer than its text, so only then is it unescaped.
    /// </summary>
    internal static bool NameIs(JsonProperty p, ReadOnlySpan<byte> name)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(p);
        if (raw.Length <= name.Length) return raw.SequenceEqual(name);
        return raw.IndexOf((byte)'\\') >= 0 && p.NameEquals(name);
    }

    /// <summary>An ID property's value, checked for its kind (string, number or null) where it is read.</summary>
    private static JsonElement IdElement(JsonElement v, string what) => v.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Undefined => v,
        JsonValueKind.Number when v.TryGetUInt64(out _) => v,
        _ => throw BackendException.BadResponse($"Span {what} must be a string, got {v.ValueKind}."),
    };

    /// <summary>16 lowercase hex chars, or null for a missing/empty ID.</summary>
    private static string? SpanIdOf(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(v);
                return IdCodec.TryNormalizeCommonSpanId(raw[1..^1]) ?? IdCodec.NormalizeSpanId(v.GetString());
            case JsonValueKind.Number:
                return IdCodec.NormalizeSpanId(v.GetUInt64().ToString("x16", CultureInfo.InvariantCulture));
            default:
                return null;
        }
    }

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
