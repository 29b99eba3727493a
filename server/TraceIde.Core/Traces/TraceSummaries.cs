using System.Text.Json;
using TraceIde.Protocol;

namespace TraceIde.Core.Traces;

/// <summary>
/// Builds <see cref="TraceSummary"/> rows the same way for every backend, so derived columns
/// (name, session, user, tokens) cannot differ between the REST and the local-store backends.
/// </summary>
public static class TraceSummaries
{
    public const string TraceNameTag = "mlflow.traceName";
    public const string SessionKey = "mlflow.trace.session";
    public const string UserKey = "mlflow.trace.user";
    public const string TokenUsageKey = "mlflow.trace.tokenUsage";

    public static TraceSummary Create(
        string traceId,
        string experimentId,
        string state,
        long requestTimeMs,
        long? durationMs,
        string? requestPreview,
        string? responsePreview,
        string? clientRequestId,
        IReadOnlyDictionary<string, string> tags,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<Assessment> assessments)
    {
        return new TraceSummary
        {
            TraceId = traceId,
            ExperimentId = experimentId,
            Name = tags.GetValueOrDefault(TraceNameTag),
            State = state,
            RequestTimeMs = requestTimeMs,
            DurationMs = durationMs,
            RequestPreview = requestPreview,
            ResponsePreview = responsePreview,
            ClientRequestId = string.IsNullOrEmpty(clientRequestId) ? null : clientRequestId,
            Session = NullIfEmpty(metadata.GetValueOrDefault(SessionKey)),
            User = NullIfEmpty(metadata.GetValueOrDefault(UserKey)),
            Tokens = ParseTokenUsage(metadata.GetValueOrDefault(TokenUsageKey)),
            Tags = tags,
            Metadata = metadata,
            Assessments = assessments,
        };
    }

    /// <summary>`mlflow.trace.tokenUsage` JSON to <see cref="TokenUsage"/>; null when absent or unreadable.</summary>
    public static TokenUsage? ParseTokenUsage(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            return new TokenUsage(
                ReadLong(doc.RootElement, "input_tokens"),
                ReadLong(doc.RootElement, "output_tokens"),
                ReadLong(doc.RootElement, "total_tokens"),
                ReadLong(doc.RootElement, "cache_read_input_tokens"));
        }
        catch (JsonException)
        {
            return null; // a hand-written metadata value must not fail the whole page
        }
    }

    private static long? ReadLong(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? (long)d : null;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
