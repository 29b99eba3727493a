using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TraceIde.Core.Backends;

namespace TraceIde.Core.Spans;

public static partial class SpanDecoder
{
    // ---------------------------------------------------------------------------------------------
    // Attribute values, decoded on first read (called by SpanAttributes on JSON the decoder has checked).

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static byte[]? t_scratch;

    // Decoded values may nest as deep as IsSingleJsonValue accepts, inside the [ { ... } ] of DecodeAll.
    private static readonly JsonReaderOptions ValueReaderOptions = new() { MaxDepth = 260 };

    /// <summary>The one JSON value at the start of <paramref name="utf8"/> (checked JSON) as a standalone element.</summary>
    internal static JsonElement ParseChecked(ReadOnlySpan<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8, CheckedJson);
        return JsonElement.ParseValue(ref r);
    }

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

    /// <summary>One traces.json span attribute value (its raw JSON): the JSON its string holds, or the value itself.</summary>
    internal static JsonElement DecodeJsonEncodedValue(ReadOnlySpan<byte> raw)
    {
        if (raw[0] != (byte)'"') return ParseChecked(raw);
        var content = Unescaped(raw, out _);
        if (!IsSingleJsonValue(content)) return ParseChecked(raw); // not JSON: the string it was
        var r = new Utf8JsonReader(content, ValueReaderOptions);
        return JsonElement.ParseValue(ref r);
    }

    /// <summary>One OTel AnyValue as a plain JSON value (Undefined: the entry had no value, null).</summary>
    internal static JsonElement DecodeAnyValue(JsonElement any) =>
        WriteAndParse(w => { if (any.ValueKind == JsonValueKind.Undefined) w.WriteNullValue(); else WriteAnyValue(w, any, 0); });

    /// <summary>Throws what decoding the OTel AnyValue would throw (BadResponse), without decoding it.</summary>
    private static void CheckAnyValue(JsonElement any) => WriteAnyValue(null, any, 0);

    /// <summary>
    /// An OTel AnyValue (its raw JSON, at the start of <paramref name="json"/>) read as a string; null when
    /// it decodes to something else. Same result as <see cref="DecodeAnyValue"/> followed by GetString.
    /// </summary>
    internal static string? AnyValueString(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, CheckedJson);
        r.Read();
        if (r.TokenType == JsonTokenType.String) return r.GetString(); // not a wrapper: kept as it is
        if (r.TokenType == JsonTokenType.StartObject && r.Read() && r.TokenType == JsonTokenType.PropertyName
            && (r.ValueTextEquals("string_value"u8) || r.ValueTextEquals("stringValue"u8)) && r.Read() && r.TokenType == JsonTokenType.String)
            return SpanTypeString(ref r); // the usual {"string_value": "LLM"}
        var any = DecodeAnyValue(ParseChecked(json));
        return any.ValueKind == JsonValueKind.String ? any.GetString() : null;
    }

    /// <summary>A plain attribute value (its raw JSON) read as a string, or null when it is not one.</summary>
    internal static string? PlainString(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, CheckedJson);
        r.Read();
        return r.TokenType == JsonTokenType.String ? r.GetString() : null;
    }

    /// <summary>
    /// A traces.json attribute value read as a string, without building a document: the JSON string it
    /// holds, or (not JSON) the text itself; null when it holds some other JSON value or is no string.
    /// Same result as <see cref="DecodeJsonEncodedValue"/> followed by GetString.
    /// </summary>
    /// <param name="raw">The value's raw JSON, at the start (what follows it is ignored).</param>
    internal static string? JsonEncodedString(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty || raw[0] != (byte)'"') return null;
        var content = Unescaped(raw, out _);
        if (!IsSingleJsonValue(content)) return StringOf(raw);
        if (content[0] != (byte)'"') return null;
        var r = new Utf8JsonReader(content);
        r.Read();
        return SpanTypeString(ref r);
    }

    /// <summary>MLflow's span types: read as these strings instead of one new string per span.</summary>
    private static readonly string[] KnownSpanTypes =
        [
            "LLM",
            "CHAT_MODEL",
            "CHAIN",
            "AGENT",
            "TOOL",
            "RETRIEVER",
            "PARSER",
            "EMBEDDING",
            "RERANKER",
            "MEMORY",
            "WORKFLOW",
            "TASK",
            "GUARDRAIL",
            "EVALUATOR",
            "UNKNOWN"];

    /// <summary>The string token the reader is on, as one of <see cref="KnownSpanTypes"/> when it is one.</summary>
    private static string SpanTypeString(ref Utf8JsonReader r)
    {
        if (!r.ValueIsEscaped)
            foreach (var known in KnownSpanTypes)
                if (System.Text.Ascii.Equals(r.ValueSpan, known)) return known;
        return r.GetString()!;
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
                if (jsonEncodedValues && p.Value.ValueKind == JsonValueKind.String) WriteDecodedJsonString(w, JsonMarshal.GetRawUtf8Value(p.Value));
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
    /// <param name="raw">The quoted, escaped literal.</param>
    private static void WriteDecodedJsonString(Utf8JsonWriter w, ReadOnlySpan<byte> raw)
    {
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
                if (v.ValueKind == JsonValueKind.String
                    && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) w.WriteNumberValue(l);
                else v.WriteTo(w);
                return;
            }
            if (p.NameEquals("double_value"u8) || p.NameEquals("doubleValue"u8))
            {
                if (w is null) return;
                if (v.ValueKind == JsonValueKind.String
                    && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    && double.IsFinite(d)) w.WriteNumberValue(d);
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

}
