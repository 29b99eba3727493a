using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TraceIde.Core.Backends;

namespace TraceIde.Core.Spans;

/// <summary>
/// Decodes MLflow span JSON into <see cref="RawSpan"/>s. Accepts the traces.json / spans.content
/// format (docs/mlflow-notes.md#span-formats, every historic variant) and the OTel proto JSON of traces/get (docs/mlflow-notes.md#span-formats).
/// Throws <see cref="Backends.BackendException"/> (BadResponse) on JSON that is not a span.
/// </summary>
/// <remarks>
/// Speed: one <see cref="Utf8JsonReader"/> pass over the UTF-8 bytes decodes each span's skeleton (IDs,
/// parent, name, times, status, events' names and times) — no document of the whole trace. Attribute
/// values stay in the bytes and are decoded when first read (<see cref="SpanAttributes"/>), because opening
/// a big trace shows only the skeleton and the span type; the pass still checks everything a later read
/// could trip over, so a malformed span fails the decode, never a later read. The spans keep the bytes
/// they were decoded from: the element overloads copy the element's bytes once per call (so the caller
/// may dispose its document), the byte overloads keep the caller's bytes (which must then stay unchanged:
/// never a pooled buffer that goes back to its pool).
/// </remarks>
public static partial class SpanDecoder
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
        return DecodeSpanArray(Copy(spans));
    }

    /// <summary>
    /// A whole traces.json document from its UTF-8 bytes (a file, a stored row, a response body), read in
    /// one pass; the spans keep <paramref name="utf8"/> (no copy), so it must not change afterwards.
    /// </summary>
    public static IReadOnlyList<RawSpan> DecodeTraceData(ReadOnlyMemory<byte> utf8, string what)
    {
        try
        {
            if (TryReadSpansProperty(utf8) is { } spans) return spans;
        }
        catch (Exception ex) when (ex is JsonException or BackendException or InvalidOperationException)
        {
            // Below, as a document would decide it: invalid JSON anywhere wins over a span that is not one.
        }
        // Not the usual {"spans": [...]} (a bare array, a JSON string holding the document, "spans" twice,
        // no spans), or something failed: the document's answer, exactly as before the one-pass reader.
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw BackendException.BadResponse($"Unreadable JSON in {what}: {ex.Message}", ex);
        }
        using (doc) return DecodeTraceData(doc.RootElement);
    }

    /// <summary>traces/get's trace.spans: an array of spans in OTel proto JSON (one copy for the whole array).</summary>
    public static IReadOnlyList<RawSpan> DecodeOtelSpans(JsonElement spans) =>
        spans.ValueKind == JsonValueKind.Array
            ? DecodeSpanArray(Copy(spans))
            : throw BackendException.BadResponse($"Spans must be a JSON array, got {spans.ValueKind}.");

    /// <summary>
    /// traces/get's trace.spans from the UTF-8 of the array, which the caller has read as valid JSON (its
    /// whole answer) and which the spans keep (no copy): it must not change afterwards.
    /// </summary>
    public static IReadOnlyList<RawSpan> DecodeOtelSpans(ReadOnlyMemory<byte> spansArray) => DecodeSpanArray(spansArray);

    /// <summary>One span in traces.json format (attribute values are JSON-encoded strings).</summary>
    public static RawSpan DecodeMlflowSpan(JsonElement span) => DecodeOneSpan(Copy(span));

    /// <summary>One span in OTel proto JSON (attributes as [{key, value:{string_value|...}}]).</summary>
    public static RawSpan DecodeOtelSpan(JsonElement span) => DecodeOneSpan(Copy(span));

    /// <summary>
    /// The spans of a JSON array of spans in <paramref name="utf8"/> (valid JSON, as a document checked it or
    /// an earlier pass read it), which the spans keep. The format of a span is told by its shape (attributes
    /// object vs. array), so one decoder serves both.
    /// </summary>
    internal static BlockList<RawSpan> DecodeSpanArray(ReadOnlyMemory<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8.Span, CheckedJson);
        r.Read();
        return ReadSpanArray(ref r, utf8, rows: default)!;
    }

    /// <summary>
    /// The spans of <paramref name="utf8"/>, a JSON array whose elements must start and end exactly at
    /// <paramref name="rows"/> (the store's rows joined, see <see cref="SpanRows"/>); null when they do not.
    /// Throws like a reader on invalid JSON, and BadResponse for an element that is not a span.
    /// </summary>
    internal static BlockList<RawSpan>? DecodeRowArray(ReadOnlyMemory<byte> utf8, ReadOnlySpan<(int Start, int Length)> rows)
    {
        var r = new Utf8JsonReader(utf8.Span);
        r.Read();
        if (r.TokenType != JsonTokenType.StartArray) return null;
        var spans = ReadSpanArray(ref r, utf8, rows);
        return spans is not null && !r.Read() ? spans : null; // Read throws on text after the array
    }

    /// <summary>Element input: the spans get their own copy of its bytes, so the caller's document may go.</summary>
    private static ReadOnlyMemory<byte> Copy(JsonElement element) => JsonMarshal.GetRawUtf8Value(element).ToArray();

    private static RawSpan DecodeOneSpan(ReadOnlyMemory<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8.Span, CheckedJson);
        r.Read();
        return ReadSpan(ref r, utf8, SharedStrings.None);
    }

    /// <summary>
    /// Reading options for JSON already validated (by a document or an earlier pass, under the caller's
    /// depth limit): any depth, since the limit was applied there.
    /// </summary>
    internal static readonly JsonReaderOptions CheckedJson = new() { MaxDepth = int.MaxValue };

    /// <summary>
    /// {"spans": [...], …} in one pass under a document's default reader options (so the same JSON is
    /// refused); null for every other shape, and for "spans" twice (a document takes the last).
    /// </summary>
    private static BlockList<RawSpan>? TryReadSpansProperty(ReadOnlyMemory<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8.Span);
        r.Read();
        if (r.TokenType != JsonTokenType.StartObject) return null;
        BlockList<RawSpan>? spans = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var isSpans = r.ValueTextEquals("spans"u8);
            r.Read();
            if (!isSpans) { r.Skip(); continue; }
            if (spans is not null || r.TokenType != JsonTokenType.StartArray) return null;
            spans = ReadSpanArray(ref r, utf8, rows: default);
        }
        return r.Read() ? null : spans; // Read throws on text after the object
    }

    /// <summary>The reader is on the array's start; leaves it on its end. Null: an element is not where <paramref name="rows"/> says.</summary>
    private static BlockList<RawSpan>? ReadSpanArray(ref Utf8JsonReader r, ReadOnlyMemory<byte> source, ReadOnlySpan<(int Start, int Length)> rows)
    {
        var spans = new BlockList<RawSpan>(); // not a List: see BlockList
        var checkRows = !rows.IsEmpty;
        var strings = new SharedStrings();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (checkRows && (spans.Count >= rows.Length || r.TokenStartIndex != rows[spans.Count].Start)) return null;
            spans.Add(ReadSpan(ref r, source, strings));
            if (checkRows && r.BytesConsumed != rows[spans.Count - 1].Start + rows[spans.Count - 1].Length) return null;
        }
        return checkRows && spans.Count != rows.Length ? null : spans;
    }

    // ---------------------------------------------------------------------------------------------
    // One span. The order of the checks is the order the document-based decoder had: while reading the
    // properties, an ID of the wrong kind and unreadable times; then the span ID, the attributes, the events.

    /// <summary>Where a value lies in the source, and what it starts with.</summary>
    private struct Slice
    {
        public JsonTokenType Token; // None: the property was absent
        public int Start;
        public int Length;
    }

    /// <summary>A span or parent ID as read: a string (its raw literal), an unsigned number, or null.</summary>
    private struct IdToken
    {
        public Slice Text;
        public ulong Number;
    }

    /// <summary>An attribute list as scanned in the pass (its shape checked; the first problem kept for later).</summary>
    private struct AttributeScan
    {
        public Slice Value;
        public bool Empty;
        public int SpanTypeAt;
        public bool BadEntry;              // an OTel entry that is not {"key": string, …}
        public BackendException? BadValue; // an OTel value that does not decode
    }

    private static RawSpan ReadSpan(ref Utf8JsonReader r, ReadOnlyMemory<byte> source, SharedStrings strings)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            throw BackendException.BadResponse($"A span must be a JSON object, got {KindOf(r.TokenType)}.");

        var json = source.Span;
        IdToken spanId = default, parentId = default;
        string? name = null, statusMessage = null;
        long? start = null, end = null;
        var status = "UNSET";
        AttributeScan attributes = default;
        Slice events = default;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var field = Classify(ref r);
            r.Read();
            switch (field)
            {
                case Field.SpanId: spanId = ReadId(ref r, "span_id"); break;
                case Field.ParentId: parentId = ReadId(ref r, "parent_span_id"); break;
                case Field.Name: name = r.TokenType == JsonTokenType.String ? strings.Name(ref r) : Skipped(ref r); break;
                case Field.Start: start = ReadNs(ref r, json, "start time"); break;
                case Field.End: end = ReadNs(ref r, json, "end time"); break;
                case Field.Status: ReadStatus(ref r, ref status, ref statusMessage); break;
                case Field.StatusCode: status = MapStatus(ref r); break;
                case Field.StatusMessage: statusMessage = r.TokenType == JsonTokenType.String ? r.GetString() : Skipped(ref r); break;
                case Field.Attributes: attributes = ScanAttributes(ref r, json, jsonEncoded: true); break;
                case Field.Events: events = SliceOf(ref r); break;
                case Field.Context when r.TokenType == JsonTokenType.StartObject:
                    // MLflow 2.x: {"context":{"trace_id","span_id"}, "parent_id", ...}; the last span_id counts.
                    var contextId = default(Slice);
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        var isId = r.ValueTextEquals("span_id"u8);
                        r.Read();
                        if (isId) contextId = SliceOf(ref r); else r.Skip();
                    }
                    if (contextId.Token != JsonTokenType.None) spanId = IdAt(json, contextId, "context.span_id");
                    break;
                default: r.Skip(); break;
            }
        }

        var spanIdText = SpanIdOf(json, spanId, strings)
            ?? throw BackendException.BadResponse($"A span{(name is null ? "" : $" named '{name}'")} has no span_id.");
        var parentIdText = SpanIdOf(json, parentId, strings);

        if (attributes.Value.Token is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.None or JsonTokenType.Null))
            throw BackendException.BadResponse($"Span {spanIdText}: \"attributes\" must be an object or an array, got {KindOf(attributes.Value.Token)}.");

        return new RawSpan
        {
            SpanId = spanIdText,
            ParentSpanId = parentIdText,
            Name = name ?? "",
            StartTimeNs = start ?? 0,
            EndTimeNs = end is null or 0 ? null : end,
            Status = status,
            StatusMessage = string.IsNullOrEmpty(statusMessage) ? null : statusMessage,
            Attributes = Attributes(source, attributes, SpanAttributes.Kind.JsonEncoded, spanIdText),
            Events = events.Token == JsonTokenType.StartArray ? ReadEvents(source, events, spanIdText, strings) : [],
        };
    }

    private static RawSpanEvent[] ReadEvents(ReadOnlyMemory<byte> spanSource, Slice events, string spanId, SharedStrings strings)
    {
        var source = spanSource.Slice(events.Start, events.Length); // positions below are in the events array
        var json = source.Span;
        var r = new Utf8JsonReader(json, CheckedJson);
        r.Read();
        List<RawSpanEvent>? list = null;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject)
                throw BackendException.BadResponse($"Span {spanId}: an event must be a JSON object, got {KindOf(r.TokenType)}.");
            var name = "";
            long time = 0;
            AttributeScan attributes = default;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var field = ClassifyEventField(ref r);
                r.Read();
                switch (field)
                {
                    case Field.Name: name = r.TokenType == JsonTokenType.String ? strings.Name(ref r) : Skipped(ref r) ?? ""; break;
                    case Field.Start: time = ReadNs(ref r, json, "event time") ?? 0; break;
                    case Field.Attributes: attributes = ScanAttributes(ref r, json, jsonEncoded: false); break;
                    default: r.Skip(); break;
                }
            }
            // Event attributes are plain values (never JSON-encoded) in both formats.
            (list ??= []).Add(new RawSpanEvent { Name = name, TimeNs = time, Attributes = Attributes(source, attributes, SpanAttributes.Kind.Plain, spanId) });
        }
        return list is null ? [] : [.. list];
    }

    /// <summary>The attribute view of a scanned list, or the problem the scan found (the decode fails here, as it always did).</summary>
    private static SpanAttributes Attributes(ReadOnlyMemory<byte> source, in AttributeScan scan, SpanAttributes.Kind objectKind, string spanId)
    {
        switch (scan.Value.Token)
        {
            case JsonTokenType.StartObject:
                return scan.Empty ? SpanAttributes.Empty : new SpanAttributes(source.Slice(scan.Value.Start, scan.Value.Length), objectKind, scan.SpanTypeAt);
            case JsonTokenType.StartArray:
                if (scan.BadEntry) throw BackendException.BadResponse($"Span {spanId}: an OTel attribute must be {{\"key\":…, \"value\":…}}.");
                if (scan.BadValue is { } bad) throw bad;
                return scan.Empty
                    ? SpanAttributes.Empty
                    : new SpanAttributes(source.Slice(scan.Value.Start, scan.Value.Length), SpanAttributes.Kind.Otel, scan.SpanTypeAt);
            case JsonTokenType.None or JsonTokenType.Null:
                return SpanAttributes.Empty;
            default:
                throw BackendException.BadResponse($"Span {spanId}: attributes must be an object or an array, got {KindOf(scan.Value.Token)}.");
        }
    }

    /// <summary>
    /// One attribute list, the reader on its first token (left on its last): where it is, whether it is
    /// empty, where mlflow.spanType's value is; for OTel entries, the first that would not decode.
    /// </summary>
    private static AttributeScan ScanAttributes(ref Utf8JsonReader r, ReadOnlySpan<byte> json, bool jsonEncoded)
    {
        var scan = new AttributeScan { SpanTypeAt = SpanAttributes.NoSpanType, Empty = true };
        var start = (int)r.TokenStartIndex;
        scan.Value = new Slice { Token = r.TokenType, Start = start };
        if (r.TokenType == JsonTokenType.StartObject)
        {
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                scan.Empty = false;
                var isType = jsonEncoded && r.ValueTextEquals("mlflow.spanType"u8);
                r.Read();
                if (isType) scan.SpanTypeAt = (int)r.TokenStartIndex - start;
                r.Skip();
            }
        }
        else if (r.TokenType == JsonTokenType.StartArray)
        {
            // OTel: [{"key": …, "value": {AnyValue}}]; a document lookup takes an entry's last "key" and "value".
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                scan.Empty = false;
                var failed = scan.BadEntry || scan.BadValue is not null; // only the first problem is reported
                if (r.TokenType != JsonTokenType.StartObject)
                {
                    r.Skip();
                    if (!failed) scan.BadEntry = true;
                    continue;
                }
                var keyIsString = false;
                var isType = false;
                var value = default(Slice);
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("key"u8))
                    {
                        r.Read();
                        keyIsString = r.TokenType == JsonTokenType.String;
                        isType = keyIsString && r.ValueTextEquals("mlflow.spanType"u8);
                        r.Skip();
                    }
                    else if (r.ValueTextEquals("value"u8))
                    {
                        r.Read();
                        value = SliceOf(ref r);
                    }
                    else
                    {
                        r.Read();
                        r.Skip();
                    }
                }
                if (isType) scan.SpanTypeAt = value.Token == JsonTokenType.None ? SpanAttributes.NoSpanType : value.Start - start;
                if (failed) continue;
                if (!keyIsString) scan.BadEntry = true;
                else if (value.Token == JsonTokenType.StartObject && !IsScalarAnyValue(json.Slice(value.Start, value.Length)))
                {
                    try { CheckAnyValue(ParseChecked(json.Slice(value.Start, value.Length))); }
                    catch (BackendException ex) { scan.BadValue = ex; }
                }
            }
        }
        else r.Skip();
        scan.Value.Length = (int)r.BytesConsumed - start;
        return scan;
    }

    /// <summary>{"string_value": …} and the other one-value kinds: nothing in them can fail to decode.</summary>
    private static bool IsScalarAnyValue(ReadOnlySpan<byte> anyValue)
    {
        var r = new Utf8JsonReader(anyValue, CheckedJson);
        r.Read();
        if (!r.Read() || r.TokenType != JsonTokenType.PropertyName) return false;
        return r.ValueTextEquals("string_value"u8) || r.ValueTextEquals("stringValue"u8)
            || r.ValueTextEquals("int_value"u8) || r.ValueTextEquals("intValue"u8)
            || r.ValueTextEquals("double_value"u8) || r.ValueTextEquals("doubleValue"u8)
            || r.ValueTextEquals("bool_value"u8) || r.ValueTextEquals("boolValue"u8)
            || r.ValueTextEquals("bytes_value"u8) || r.ValueTextEquals("bytesValue"u8);
    }

    /// <summary>
    /// The strings of one decode that repeat, each made once: span and event names (a big trace repeats a
    /// few names thousands of times) and span IDs (a parent's ID is read again in each child). Every copy
    /// would live as long as the spans, and the garbage collector copies what lives. Small tables of the
    /// last string seen per hash slot; only unescaped ASCII names (what MLflow writes) are shared.
    /// </summary>
    private sealed class SharedStrings(bool share = true)
    {
        /// <summary>For one span: nothing to share.</summary>
        public static readonly SharedStrings None = new(share: false);

        private readonly string?[] _names = share ? new string?[512] : [];
        private readonly ulong[] _idKeys = share ? new ulong[4096] : [];
        private readonly string?[] _ids = share ? new string?[4096] : [];

        public string Name(ref Utf8JsonReader r)
        {
            var utf8 = r.ValueSpan;
            if (_names.Length == 0 || r.ValueIsEscaped || utf8.Length > 128 || !System.Text.Ascii.IsValid(utf8)) return r.GetString()!;
            var hash = new HashCode();
            hash.AddBytes(utf8);
            var slot = (int)((uint)hash.ToHashCode() % (uint)_names.Length);
            if (_names[slot] is { } known && System.Text.Ascii.Equals(utf8, known)) return known;
            return _names[slot] = System.Text.Encoding.ASCII.GetString(utf8);
        }

        public string Id(ulong id)
        {
            if (_ids.Length == 0) return IdCodec.SpanIdText(id);
            var slot = (int)((id * 0x9E3779B97F4A7C15UL) >> 52); // 12 bits: 4096 slots
            if (_ids[slot] is { } known && _idKeys[slot] == id) return known;
            _idKeys[slot] = id;
            return _ids[slot] = IdCodec.SpanIdText(id);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Property names, compared as raw UTF-8; an escaped name (legal JSON, never written by MLflow) is
    // unescaped first.

    private enum Field : byte { Other, SpanId, ParentId, Name, Start, End, Status, StatusCode, StatusMessage, Attributes, Events, Context }

    private static ReadOnlySpan<byte> NameOf(ref Utf8JsonReader r)
    {
        if (!r.ValueIsEscaped) return r.ValueSpan;
        var unescaped = new byte[r.ValueSpan.Length];
        return unescaped.AsSpan(0, r.CopyString(unescaped));
    }

    private static Field Classify(ref Utf8JsonReader r)
    {
        var n = NameOf(ref r);
        return n.Length switch
        {
            4 when n.SequenceEqual("name"u8) => Field.Name,
            6 when n.SequenceEqual("spanId"u8) => Field.SpanId,
            6 when n.SequenceEqual("status"u8) => Field.Status,
            6 when n.SequenceEqual("events"u8) => Field.Events,
            7 when n.SequenceEqual("span_id"u8) => Field.SpanId,
            7 when n.SequenceEqual("context"u8) => Field.Context,
            8 when n.SequenceEqual("end_time"u8) => Field.End,
            9 when n.SequenceEqual("parent_id"u8) => Field.ParentId,
            10 when n.SequenceEqual("attributes"u8) => Field.Attributes,
            10 when n.SequenceEqual("start_time"u8) => Field.Start,
            11 when n.SequenceEqual("status_code"u8) => Field.StatusCode,
            12 when n.SequenceEqual("parentSpanId"u8) => Field.ParentId,
            14 when n.SequenceEqual("parent_span_id"u8) => Field.ParentId,
            14 when n.SequenceEqual("status_message"u8) => Field.StatusMessage,
            15 when n.SequenceEqual("endTimeUnixNano"u8) => Field.End,
            17 when n.SequenceEqual("startTimeUnixNano"u8) => Field.Start,
            18 when n.SequenceEqual("end_time_unix_nano"u8) => Field.End,
            20 when n.SequenceEqual("start_time_unix_nano"u8) => Field.Start,
            _ => Field.Other,
        };
    }

    /// <summary>An event's name (Name), time (Start) or attributes.</summary>
    private static Field ClassifyEventField(ref Utf8JsonReader r)
    {
        var n = NameOf(ref r);
        if (n.SequenceEqual("name"u8)) return Field.Name;
        if (n.SequenceEqual("time_unix_nano"u8) || n.SequenceEqual("timestamp"u8) || n.SequenceEqual("timeUnixNano"u8)) return Field.Start;
        return n.SequenceEqual("attributes"u8) ? Field.Attributes : Field.Other;
    }

    // ---------------------------------------------------------------------------------------------
    // Values. Each reader is on the value's first token and leaves it on its last.

    private static string? Skipped(ref Utf8JsonReader r)
    {
        r.Skip();
        return null;
    }

    private static Slice SliceOf(ref Utf8JsonReader r)
    {
        var slice = new Slice { Token = r.TokenType, Start = (int)r.TokenStartIndex };
        r.Skip();
        slice.Length = (int)r.BytesConsumed - slice.Start;
        return slice;
    }

    /// <summary>The name a document gives a value's kind, for the messages.</summary>
    private static string KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => nameof(JsonValueKind.Object),
        JsonTokenType.StartArray => nameof(JsonValueKind.Array),
        JsonTokenType.String => nameof(JsonValueKind.String),
        JsonTokenType.Number => nameof(JsonValueKind.Number),
        JsonTokenType.True => nameof(JsonValueKind.True),
        JsonTokenType.False => nameof(JsonValueKind.False),
        JsonTokenType.Null => nameof(JsonValueKind.Null),
        _ => nameof(JsonValueKind.Undefined),
    };

    /// <summary>An ID property's value, checked for its kind (string, number or null) where it is read.</summary>
    private static IdToken ReadId(ref Utf8JsonReader r, string what)
    {
        var id = new IdToken { Text = new Slice { Token = r.TokenType, Start = (int)r.TokenStartIndex } };
        switch (r.TokenType)
        {
            case JsonTokenType.String:
                id.Text.Length = (int)r.BytesConsumed - id.Text.Start;
                return id;
            case JsonTokenType.Null:
                return id;
            case JsonTokenType.Number when r.TryGetUInt64(out id.Number):
                return id;
            default:
                throw BackendException.BadResponse($"Span {what} must be a string, got {KindOf(r.TokenType)}.");
        }
    }

    /// <summary><see cref="ReadId"/> for a value read earlier (context.span_id: the last one counts).</summary>
    private static IdToken IdAt(ReadOnlySpan<byte> json, Slice value, string what)
    {
        var r = new Utf8JsonReader(json.Slice(value.Start, value.Length), CheckedJson);
        r.Read();
        var id = ReadId(ref r, what);
        id.Text.Start += value.Start;
        return id;
    }

    /// <summary>16 lowercase hex chars, or null for a missing/empty ID.</summary>
    private static string? SpanIdOf(ReadOnlySpan<byte> json, in IdToken id, SharedStrings strings)
    {
        switch (id.Text.Token)
        {
            case JsonTokenType.String:
                var literal = json.Slice(id.Text.Start, id.Text.Length);
                return IdCodec.TryDecodeCommonSpanId(literal[1..^1], out var number) ? strings.Id(number) : IdCodec.NormalizeSpanId(StringOf(literal));
            case JsonTokenType.Number:
                return IdCodec.NormalizeSpanId(IdCodec.SpanIdText(id.Number));
            default:
                return null;
        }
    }

    /// <summary>The string a JSON string literal holds.</summary>
    private static string StringOf(ReadOnlySpan<byte> literal)
    {
        var r = new Utf8JsonReader(literal, CheckedJson);
        r.Read();
        return r.GetString()!;
    }

    /// <summary>Nanoseconds from a number or a string of one; null for null or "".</summary>
    /// <param name="json">What the reader reads, for the raw text of a bad value in the message.</param>
    private static long? ReadNs(ref Utf8JsonReader r, ReadOnlySpan<byte> json, string what)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                if (r.TryGetInt64(out var l)) return l;
                if (r.TryGetDouble(out var d) && double.IsFinite(d)) return (long)d;
                break;
            case JsonTokenType.String:
                var s = r.GetString();
                if (string.IsNullOrEmpty(s)) return null;
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ls)) return ls;
                break;
        }
        var bad = SliceOf(ref r);
        throw BackendException.BadResponse($"Span {what} must be an integer number of nanoseconds, got " +
            $"{System.Text.Encoding.UTF8.GetString(json.Slice(bad.Start, bad.Length))}.");
    }

    /// <summary>"status": a code string, or {code|status_code, message|description}.</summary>
    private static void ReadStatus(ref Utf8JsonReader r, ref string status, ref string? message)
    {
        if (r.TokenType == JsonTokenType.String) { status = MapStatus(ref r); return; }
        if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return; }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var n = NameOf(ref r);
            r.Read();
            if (n.SequenceEqual("code"u8) || n.SequenceEqual("status_code"u8)) status = MapStatus(ref r);
            else if (n.SequenceEqual("message"u8) || n.SequenceEqual("description"u8))
                message = r.TokenType == JsonTokenType.String ? r.GetString() : Skipped(ref r);
            else r.Skip();
        }
    }

    private static string MapStatus(ref Utf8JsonReader r)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Number:
                return r.TryGetInt32(out var n) ? n switch { 1 => "OK", 2 => "ERROR", _ => "UNSET" } : "UNSET";
            case JsonTokenType.String:
                if (r.ValueTextEquals("STATUS_CODE_OK"u8) || r.ValueTextEquals("OK"u8)) return "OK";
                if (r.ValueTextEquals("STATUS_CODE_ERROR"u8) || r.ValueTextEquals("ERROR"u8)) return "ERROR";
                return "UNSET";
            default:
                r.Skip();
                return "UNSET";
        }
    }

    private static JsonDocument ParseTextOrThrow(string text, string what)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException ex) { throw BackendException.BadResponse($"The {what} is not valid JSON: {ex.Message}", ex); }
    }
}
