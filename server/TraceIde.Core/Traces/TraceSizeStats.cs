using System.Text.Json;

namespace TraceIde.Core.Traces;

/// <summary>
/// MLflow's <c>mlflow.trace.sizeStats</c> trace metadata, read once for every use: <c>num_spans</c> (how many
/// spans the trace will have, which tells a partial trace) and <c>total_size_bytes</c> (the size of its JSON,
/// which sizes the local store's read of its span rows). Either is null when missing or not a number; metadata
/// that is not a JSON object gives neither.
/// </summary>
public readonly record struct TraceSizeStats(long? TotalBytes, int? Spans)
{
    public const string MetadataKey = "mlflow.trace.sizeStats";

    public static TraceSizeStats Of(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(MetadataKey, out var json)) return default;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return default;
            return new TraceSizeStats(
                root.TryGetProperty("total_size_bytes", out var bytes) && bytes.ValueKind == JsonValueKind.Number && bytes.TryGetInt64(out var b) ? b : null,
                root.TryGetProperty("num_spans", out var spans) && spans.ValueKind == JsonValueKind.Number && spans.TryGetInt32(out var n) ? n : null);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
