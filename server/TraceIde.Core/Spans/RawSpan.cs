using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// A span as decoded from any MLflow wire or storage format: IDs as lowercase hex, times in
/// nanoseconds, attribute values JSON-decoded (by <see cref="SpanDecoder"/>: on first read). Input to <see cref="SpanTreeBuilder"/>.
/// </summary>
public sealed record RawSpan
{
    /// <summary>16 lowercase hex chars.</summary>
    public required string SpanId { get; init; }
    /// <summary>16 lowercase hex chars, or null for a root.</summary>
    public string? ParentSpanId { get; init; }
    public required string Name { get; init; }
    public long StartTimeNs { get; init; }
    /// <summary>Null while running.</summary>
    public long? EndTimeNs { get; init; }
    /// <summary>"OK", "ERROR" or "UNSET".</summary>
    public string Status { get; init; } = "UNSET";
    public string? StatusMessage { get; init; }
    /// <summary>JSON-decoded attribute values, including mlflow.spanInputs/Outputs/Type.</summary>
    // shared: no dictionary per span that the decoder then replaces
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = SpanAttributes.Empty;
    public IReadOnlyList<RawSpanEvent> Events { get; init; } = [];

    /// <summary>`mlflow.spanType`, or "UNKNOWN".</summary>
    public string SpanType => Attributes is SpanAttributes lazy
        ? lazy.SpanType // decoded once, without decoding the other attributes
        : Attributes.TryGetValue("mlflow.spanType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "UNKNOWN";
}

public sealed record RawSpanEvent
{
    public required string Name { get; init; }
    public long TimeNs { get; init; }
    /// <summary>Event attributes are plain values in MLflow (not JSON-encoded).</summary>
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = SpanAttributes.Empty;
}
