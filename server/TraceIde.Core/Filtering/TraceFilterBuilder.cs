using System.Globalization;
using System.Text;
using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Core.Filtering;

/// <summary>Turns structured <see cref="TraceFilters"/> into MLflow filter grammar, quoting safely.</summary>
public static class TraceFilterBuilder
{
    /// <summary>The user's filter ANDed with the structured filters; null when both are empty.</summary>
    public static string? Combine(string? userFilter, TraceFilters? filters)
    {
        var parts = new List<string>();
        if (!string.IsNullOrWhiteSpace(userFilter)) parts.Add(userFilter.Trim());
        if (filters != null)
        {
            var states = filters.States?.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct().ToList();
            if (states is { Count: 1 }) parts.Add($"trace.status = {Quote(states[0])}");
            else if (states is { Count: > 1 }) parts.Add($"trace.status IN ({string.Join(", ", states.Select(Quote))})");
            if (filters.StartTimeMs is { } start) parts.Add($"trace.timestamp_ms >= {start.ToString(CultureInfo.InvariantCulture)}");
            if (filters.EndTimeMs is { } end) parts.Add($"trace.timestamp_ms <= {end.ToString(CultureInfo.InvariantCulture)}");
            if (!string.IsNullOrEmpty(filters.Name)) parts.Add($"trace.name = {Quote(filters.Name)}");
            if (filters.Tags != null)
            {
                foreach (var (key, value) in filters.Tags)
                    parts.Add($"tag.{QuoteKey(key)} = {Quote(value)}");
            }
            if (!string.IsNullOrEmpty(filters.Session)) parts.Add($"metadata.`mlflow.trace.session` = {Quote(filters.Session)}");
            if (!string.IsNullOrEmpty(filters.User)) parts.Add($"metadata.`mlflow.trace.user` = {Quote(filters.User)}");
        }
        return parts.Count == 0 ? null : string.Join(" AND ", parts);
    }

    /// <summary>True when <see cref="Quote"/> can write <paramref name="value"/> exactly.</summary>
    public static bool CanQuote(string value) =>
        !value.EndsWith('\\') && !(value.Contains('\'') && value.Contains('"'));

    /// <summary>
    /// An MLflow string literal for <paramref name="value"/>. MLflow takes the text between the
    /// quotes as is (no unescaping), so the only exact forms are 'value' for values without a single
    /// quote and "value" for values without a double quote; values with both, or ending in a
    /// backslash (which would escape the closing quote), cannot be written and are refused.
    /// </summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (CanQuote(value)) return value.Contains('\'') ? $"\"{value}\"" : $"'{value}'";
        throw new BackendException(RpcErrorCodes.InvalidParams,
            $"Cannot filter on the value {value}: MLflow's filter grammar has no way to write a value that holds both ' and \" or ends with a backslash.");
    }

    /// <summary>A backtick-quoted key (backticks doubled).</summary>
    public static string QuoteKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return "`" + key.Replace("`", "``", StringComparison.Ordinal) + "`";
    }
}
