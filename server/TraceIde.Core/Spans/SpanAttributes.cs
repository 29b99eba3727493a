using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// The attributes of one span or event as <see cref="SpanDecoder"/> returns them: a view over the span's
/// raw attribute JSON (a slice of the bytes the spans were decoded from) whose values are decoded only
/// when asked for. A single key (<c>TryGetValue</c>, the indexer) decodes only that value; enumerating,
/// <c>Count</c> or <c>Keys</c> decode all of them once and keep the result.
/// </summary>
/// <remarks>
/// Why: a 20,000-span tree shows names, times and span types; decoding every span's inputs and outputs up
/// front was most of the cost of opening a big trace. Duplicate keys behave like the eager decoder's
/// dictionary: the last value wins, the key keeps its first position. Safe to read from several threads
/// (the cached results are immutable once published).
/// </remarks>
internal sealed class SpanAttributes : IReadOnlyDictionary<string, JsonElement>
{
    /// <summary>How the raw JSON holds the values.</summary>
    internal enum Kind : byte
    {
        /// <summary>traces.json span attributes: an object whose string values are JSON documents.</summary>
        JsonEncoded,
        /// <summary>traces.json event attributes: an object of plain values.</summary>
        Plain,
        /// <summary>OTel proto JSON: [{"key": …, "value": {AnyValue}}].</summary>
        Otel,
    }

    /// <summary>No mlflow.spanType (or, OTel, its entry has no value): "UNKNOWN".</summary>
    internal const int NoSpanType = -1;

    public static readonly SpanAttributes Empty = new(ReadOnlyMemory<byte>.Empty, Kind.Plain, NoSpanType);

    private readonly ReadOnlyMemory<byte> _raw; // an object, or an array (Otel); empty: none
    private readonly Kind _kind;
    private readonly int _spanTypeAt; // where in _raw the last mlflow.spanType value (Otel: its AnyValue) starts
    private Dictionary<string, JsonElement>? _all;
    private string? _spanType;

    /// <param name="raw">Validated by the decoder; must not change while the attributes live.</param>
    /// <param name="spanTypeAt">Offset in <paramref name="raw"/> of mlflow.spanType's value, found while decoding, or <see cref="NoSpanType"/>.</param>
    internal SpanAttributes(ReadOnlyMemory<byte> raw, Kind kind, int spanTypeAt)
    {
        _raw = raw;
        _kind = kind;
        _spanTypeAt = spanTypeAt;
    }

    /// <summary>`mlflow.spanType` as a string, or "UNKNOWN"; decoded once, without building a document.</summary>
    internal string SpanType => _spanType ??= DecodeSpanType();

    private string DecodeSpanType()
    {
        if (_spanTypeAt < 0) return "UNKNOWN";
        var value = _raw.Span[_spanTypeAt..];
        return (_kind switch
        {
            Kind.JsonEncoded => SpanDecoder.JsonEncodedString(value),
            Kind.Otel => SpanDecoder.AnyValueString(value),
            _ => SpanDecoder.PlainString(value),
        }) ?? "UNKNOWN";
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out JsonElement value)
    {
        if (_all is { } all) return all.TryGetValue(key, out value);
        if (!FindRaw(key, out var at)) { value = default; return false; }
        value = _kind switch
        {
            Kind.JsonEncoded => SpanDecoder.DecodeJsonEncodedValue(Value(at)),
            Kind.Otel => SpanDecoder.DecodeAnyValue(at < 0 ? default : SpanDecoder.ParseChecked(Value(at))),
            _ => SpanDecoder.ParseChecked(Value(at)),
        };
        return true;
    }

    public JsonElement this[string key] =>
        TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"The span has no attribute '{key}'.");

    public bool ContainsKey(string key) => _all?.ContainsKey(key) ?? FindRaw(key, out _);

    public int Count => All.Count;
    public IEnumerable<string> Keys => All.Keys;
    public IEnumerable<JsonElement> Values => All.Values;
    public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => All.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<string, JsonElement> All =>
        _all ??= SpanDecoder.DecodeAll(_raw.IsEmpty ? default : SpanDecoder.ParseChecked(_raw.Span), _kind);

    /// <summary>The one JSON value that starts at <paramref name="at"/> in the raw attributes.</summary>
    private ReadOnlySpan<byte> Value(int at)
    {
        var json = _raw.Span[at..];
        var r = new Utf8JsonReader(json, SpanDecoder.CheckedJson);
        r.Read();
        r.Skip();
        return json[..(int)r.BytesConsumed];
    }

    /// <summary>
    /// Where the value of the last entry named <paramref name="key"/> starts (for Otel: its AnyValue, or -1 when
    /// the entry has none). The raw JSON was validated by the decoder, so the shape is not checked again.
    /// </summary>
    private bool FindRaw(string key, out int at)
    {
        at = -1;
        if (_raw.IsEmpty) return false;
        var found = false;
        var r = new Utf8JsonReader(_raw.Span, SpanDecoder.CheckedJson);
        r.Read();
        if (r.TokenType == JsonTokenType.StartObject)
        {
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var match = r.ValueTextEquals(key);
                r.Read();
                if (match) { at = (int)r.TokenStartIndex; found = true; }
                r.Skip();
            }
        }
        else
        {
            // OTel: [{"key": …, "value": …}]; as a document lookup would, the last "key" and "value" of an entry count.
            while (r.Read() && r.TokenType == JsonTokenType.StartObject)
            {
                var match = false;
                var valueAt = -1;
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("key"u8))
                    {
                        r.Read();
                        match = r.TokenType == JsonTokenType.String && r.ValueTextEquals(key);
                    }
                    else if (r.ValueTextEquals("value"u8))
                    {
                        r.Read();
                        valueAt = (int)r.TokenStartIndex;
                    }
                    else r.Read();
                    r.Skip();
                }
                if (match) { at = valueAt; found = true; }
            }
        }
        return found;
    }
}
