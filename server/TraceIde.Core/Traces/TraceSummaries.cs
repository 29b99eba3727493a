using System.Buffers;
using System.Text;
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
    /// <remarks>
    /// Read with a reader, not a JsonDocument: every row of a page has one. Same answer as a DOM lookup:
    /// the whole text must be one valid JSON object, the last of duplicate keys wins, a number counts
    /// (truncated to an integer), anything else is null.
    /// </remarks>
    public static TokenUsage? ParseTokenUsage(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        var length = Encoding.UTF8.GetMaxByteCount(json.Length);
        byte[]? rented = null;
        var utf8 = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var reader = new Utf8JsonReader(utf8[..Encoding.UTF8.GetBytes(json, utf8)]);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) return null;
            long? input = null, output = null, total = null, cacheRead = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("input_tokens"u8)) input = ReadLong(ref reader);
                else if (reader.ValueTextEquals("output_tokens"u8)) output = ReadLong(ref reader);
                else if (reader.ValueTextEquals("total_tokens"u8)) total = ReadLong(ref reader);
                else if (reader.ValueTextEquals("cache_read_input_tokens"u8)) cacheRead = ReadLong(ref reader);
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            reader.Read(); // throws on text after the object, which a DOM parse refuses too
            return new TokenUsage(input, output, total, cacheRead);
        }
        catch (JsonException)
        {
            return null; // a hand-written metadata value must not fail the whole page
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static long? ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var d)) return (long)d;
        reader.Skip();
        return null;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
