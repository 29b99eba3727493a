using System.Text.Json;

namespace TraceIde.Testing;

/// <summary>One recorded MLflow HTTP exchange (tests/fixtures/.../http/*.json).</summary>
public sealed class ReplayRecording
{
    public required string FileName { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required string Method { get; init; }
    /// <summary>Path without query, as recorded (no static prefix).</summary>
    public required string Path { get; init; }
    /// <summary>Query as a multimap (values as the strings that go on the wire).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Query { get; init; }
    /// <summary>Request JSON body, or null when none was sent.</summary>
    public JsonElement? RequestBody { get; init; }
    public string? RequestContentType { get; init; }
    public required int Status { get; init; }
    public string? ResponseContentType { get; init; }
    /// <summary>Response JSON body (null when the body was not JSON or empty).</summary>
    public JsonElement? ResponseBody { get; init; }
    /// <summary>Response body verbatim when it was not JSON.</summary>
    public string? ResponseBodyText { get; init; }

    /// <summary>The bytes the server answers with: body_text verbatim, or the JSON body re-serialised.</summary>
    public byte[] ResponseBytes()
    {
        if (ResponseBodyText != null) return System.Text.Encoding.UTF8.GetBytes(ResponseBodyText);
        if (ResponseBody is { } body) return JsonSerializer.SerializeToUtf8Bytes(body);
        return [];
    }

    public static ReplayRecording Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        var root = doc.RootElement;
        var req = root.GetProperty("request");
        var resp = root.GetProperty("response");
        var query = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (req.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in q.EnumerateObject())
            {
                query[p.Name] = p.Value.ValueKind == JsonValueKind.Array
                    ? p.Value.EnumerateArray().Select(WireString).ToList()
                    : [WireString(p.Value)];
            }
        }
        return new ReplayRecording
        {
            FileName = System.IO.Path.GetFileName(file),
            Name = root.TryGetProperty("name", out var n)
                && n.ValueKind == JsonValueKind.String
                ? n.GetString()!
                : System.IO.Path.GetFileNameWithoutExtension(file),
            Description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null,
            Method = req.GetProperty("method").GetString()!.ToUpperInvariant(),
            Path = req.GetProperty("path").GetString()!,
            Query = query,
            RequestBody = req.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null ? b.Clone() : null,
            RequestContentType = req.TryGetProperty("content_type", out var ct) && ct.ValueKind == JsonValueKind.String ? ct.GetString() : null,
            Status = resp.GetProperty("status").GetInt32(),
            ResponseContentType = resp.TryGetProperty("content_type", out var rct) && rct.ValueKind == JsonValueKind.String ? rct.GetString() : null,
            ResponseBody = resp.TryGetProperty("body", out var rb) && rb.ValueKind != JsonValueKind.Null ? rb.Clone() : null,
            ResponseBodyText = resp.TryGetProperty("body_text", out var bt) && bt.ValueKind == JsonValueKind.String ? bt.GetString() : null,
        };
    }

    private static string WireString(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => e.GetRawText(),
    };

    private static readonly Lazy<IReadOnlyList<ReplayRecording>> AllLazy = new(() =>
        Directory.GetFiles(Fixtures.Http, "*.json")
            .Where(f => !System.IO.Path.GetFileName(f).Equals("manifest.json", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(Load)
            .ToList());

    /// <summary>Every recording of the fixture set (loaded once per process).</summary>
    public static IReadOnlyList<ReplayRecording> All => AllLazy.Value;

    /// <summary>A recording by file name (with or without .json).</summary>
    public static ReplayRecording Get(string fileName)
    {
        var name = fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? fileName : fileName + ".json";
        return All.FirstOrDefault(r => r.FileName == name) ?? throw new FileNotFoundException("No recording " + name);
    }
}
