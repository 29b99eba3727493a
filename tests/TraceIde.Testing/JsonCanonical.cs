using System.Text.Json;

namespace TraceIde.Testing;

/// <summary>
/// A canonical JSON text for comparing two decodings of the same data: object keys sorted
/// recursively, numbers compared as doubles (the server writes 5.0 where a client store keeps 5).
/// </summary>
public static class JsonCanonical
{
    public static string Of(JsonElement e)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) Write(w, e);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Null stays null, so optional values compare too.</summary>
    public static string? Of(JsonElement? e) => e is { } value ? Of(value) : null;

    private static void Write(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    Write(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var x in e.EnumerateArray()) Write(w, x);
                w.WriteEndArray();
                break;
            case JsonValueKind.Number:
                w.WriteNumberValue(e.GetDouble());
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }
}
