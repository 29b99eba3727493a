using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// Decodes MLflow span JSON into <see cref="RawSpan"/>s. Accepts the traces.json / spans.content
/// format (spec §3.4, every historic variant) and the OTel proto JSON of traces/get (spec §3.5).
/// Throws <see cref="Backends.BackendException"/> (BadResponse) on JSON that is not a span.
/// </summary>
public static class SpanDecoder
{
    /// <summary>A whole traces.json document: {"spans":[...]}.</summary>
    public static IReadOnlyList<RawSpan> DecodeTraceData(JsonElement traceData) => throw new NotImplementedException();

    /// <summary>One span in traces.json format (attribute values are JSON-encoded strings).</summary>
    public static RawSpan DecodeMlflowSpan(JsonElement span) => throw new NotImplementedException();

    /// <summary>One span in OTel proto JSON (attributes as [{key, value:{string_value|...}}]).</summary>
    public static RawSpan DecodeOtelSpan(JsonElement span) => throw new NotImplementedException();
}
