namespace TraceIde.Core.Spans;

/// <summary>Span/trace ID normalisation: base64 or hex (optionally 0x-prefixed, or tr-prefixed) to lowercase hex.</summary>
public static class IdCodec
{
    /// <summary>An 8-byte span ID in any MLflow encoding to 16 lowercase hex chars; null/empty to null.</summary>
    public static string? NormalizeSpanId(string? id) => throw new NotImplementedException();

    /// <summary>A 16-byte trace ID in any MLflow encoding to `tr-` + 32 lowercase hex.</summary>
    public static string? NormalizeTraceId(string? id) => throw new NotImplementedException();
}
