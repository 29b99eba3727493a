using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// The attributes of one span or event as <see cref="SpanDecoder"/> returns them: a view over the span's
/// raw attribute JSON (kept alive in the trace's one standalone document) whose values are decoded only
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

    public static readonly SpanAttributes Empty = new(default, Kind.Plain);

    private readonly JsonElement _raw; // Object, Array (Otel) or Undefined (none)
    private readonly Kind _kind;
    private Dictionary<string, JsonElement>? _all;
    private string? _spanType;

    /// <param name="raw">An element of a standalone (non-disposable) document, already validated by the decoder.</param>
    internal SpanAttributes(JsonElement raw, Kind kind)
    {
        _raw = raw.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? raw : default;
        _kind = kind;
    }

    /// <summary>`mlflow.spanType` as a string, or "UNKNOWN"; decoded once, without building a document.</summary>
    internal string SpanType => _spanType ??= DecodeSpanType();

    private string DecodeSpanType()
    {
        if (_all is null && _kind == Kind.JsonEncoded && FindRaw("mlflow.spanType"u8, out var raw))
            return SpanDecoder.JsonEncodedString(raw) ?? "UNKNOWN";
        return TryGetValue("mlflow.spanType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "UNKNOWN";
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out JsonElement value)
    {
        if (_all is { } all) return all.TryGetValue(key, out value);
        if (!FindRaw(key, out var raw)) { value = default; return false; }
        value = _kind switch
        {
            Kind.JsonEncoded => SpanDecoder.DecodeJsonEncodedValue(raw),
            Kind.Otel => SpanDecoder.DecodeAnyValue(raw),
            _ => raw,
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

    private Dictionary<string, JsonElement> All => _all ??= SpanDecoder.DecodeAll(_raw, _kind);

    private bool FindRaw(string key, out JsonElement raw) => FindRaw(System.Text.Encoding.UTF8.GetBytes(key), out raw);

    /// <summary>The raw value of the last entry named <paramref name="key"/> (for Otel: the AnyValue, or Undefined).</summary>
    private bool FindRaw(ReadOnlySpan<byte> key, out JsonElement raw)
    {
        raw = default;
        var found = false;
        if (_raw.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in _raw.EnumerateObject())
                if (SpanDecoder.NameIs(p, key)) { raw = p.Value; found = true; }
        }
        else if (_raw.ValueKind == JsonValueKind.Array)
        {
            foreach (var kv in _raw.EnumerateArray())
            {
                if (kv.GetProperty("key"u8).ValueEquals(key))
                {
                    raw = kv.TryGetProperty("value"u8, out var v) ? v : default;
                    found = true;
                }
            }
        }
        return found;
    }
}
