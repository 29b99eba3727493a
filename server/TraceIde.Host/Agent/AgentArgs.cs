using System.Globalization;
using System.Text.Json;

namespace TraceIde.Host.Agent;

/// <summary>
/// A tool call's arguments that a model got wrong (a missing or mistyped field, an unknown one, a value out
/// of range). The message says which field and what is allowed, so the model can correct its next call.
/// </summary>
public sealed class AgentArgumentException(string message) : Exception(message);

/// <summary>Reads one tool call's arguments object, refusing what the tool's schema does not allow.</summary>
public sealed class AgentArgs
{
    private readonly JsonElement _args;

    private AgentArgs(JsonElement args) => _args = args;

    /// <summary>
    /// <paramref name="args"/> must be an object (or absent) whose properties are all in <paramref name="allowed"/>:
    /// a misspelt name would otherwise be ignored silently and the model would trust an answer it did not ask for.
    /// </summary>
    public static AgentArgs From(JsonElement? args, IReadOnlyCollection<string> allowed)
    {
        if (args is not { } a || a.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return new AgentArgs(JsonDocument.Parse("{}").RootElement);
        if (a.ValueKind != JsonValueKind.Object)
            throw new AgentArgumentException($"The arguments must be a JSON object (was {Describe(a)}).");
        foreach (var p in a.EnumerateObject())
        {
            if (!allowed.Contains(p.Name))
                throw new AgentArgumentException($"Unknown argument '{Clip(p.Name)}'. This tool takes: {string.Join(", ", allowed)}.");
        }
        return new AgentArgs(a);
    }

    private JsonElement? Get(string name) =>
        _args.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string name, int maxLength = 10_000)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.String) throw new AgentArgumentException($"'{name}' must be a string (was {Describe(v)}).");
        var s = v.GetString()!;
        if (s.Length > maxLength) throw new AgentArgumentException($"'{name}' is {s.Length} characters long; at most {maxLength} are allowed.");
        return s;
    }

    public string RequiredString(string name, int maxLength = 1000)
    {
        var s = String(name, maxLength);
        if (string.IsNullOrWhiteSpace(s)) throw new AgentArgumentException($"'{name}' is required (a non-empty string).");
        return s.Trim();
    }

    public int? Int(string name, int min, int max)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
            throw new AgentArgumentException($"'{name}' must be an integer from {min} to {max} (was {Describe(v)}).");
        if (n < min || n > max) throw new AgentArgumentException($"'{name}' must be from {min} to {max} (was {n}).");
        return (int)n;
    }

    public bool? Bool(string name)
    {
        if (Get(name) is not { } v) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new AgentArgumentException($"'{name}' must be true or false (was {Describe(v)})."),
        };
    }

    public JsonElement? Raw(string name) => Get(name);

    public IReadOnlyList<string>? StringList(string name, int maxItems)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!]; // a lone string for a one-item list: what a model means
        if (v.ValueKind != JsonValueKind.Array) throw new AgentArgumentException($"'{name}' must be an array of strings (was {Describe(v)}).");
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new AgentArgumentException($"'{name}' must hold only non-empty strings (found {Describe(item)}).");
            list.Add(item.GetString()!.Trim());
        }
        if (list.Count > maxItems) throw new AgentArgumentException($"'{name}' holds {list.Count} items; at most {maxItems} are allowed.");
        return list;
    }

    /// <summary>An instant: epoch milliseconds (a number) or an ISO 8601 date/time (a string; UTC unless it has an offset).</summary>
    public long? Time(string name)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms) && ms >= 0) return ms;
        if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUnixTimeMilliseconds();
        throw new AgentArgumentException($"'{name}' must be an ISO 8601 time such as \"2026-11-20T09:00:00Z\" or epoch milliseconds (was {Describe(v)}).");
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Clip(v.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Clip(v.GetRawText())}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => "null",
    };

    /// <summary>Echoes of a caller's values stay short: an error message is not a place to repeat a whole input.</summary>
    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
