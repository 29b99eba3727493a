using System.Text.Json;

namespace TraceIde.Testing;

/// <summary>fixture_case → trace ID, from the fixtures' cases.json files.</summary>
public static class FixtureCases
{
    private static readonly Lazy<JsonElement> Server = new(() => Load(Path.Combine(Fixtures.ServerStore, "cases.json")));
    private static readonly Lazy<JsonElement> Local = new(() => Load(Path.Combine(Fixtures.LocalStore, "cases.json")));

    public static string ServerTraceId(string fixtureCase) => Find(Server.Value, fixtureCase);
    public static string LocalTraceId(string fixtureCase) => Find(Local.Value, fixtureCase);

    private static string Find(JsonElement cases, string fixtureCase)
    {
        var map = cases.TryGetProperty("cases", out var c) ? c : cases;
        var value = map.GetProperty(fixtureCase);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetProperty("trace_id").GetString()!;
    }

    private static JsonElement Load(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
}
