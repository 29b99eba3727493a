using System.Globalization;
using System.Text;
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

    /// <summary>
    /// A single-quoted MLflow string literal. Embedded single quotes are doubled and backslashes
    /// doubled, the two escapes <see cref="TraceFilterParser"/> (and sqlparse's tokenizer) read back.
    /// </summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('\'');
        foreach (var c in value)
        {
            if (c == '\'') sb.Append("''");
            else if (c == '\\') sb.Append(@"\\");
            else sb.Append(c);
        }
        sb.Append('\'');
        return sb.ToString();
    }

    /// <summary>A backtick-quoted key (backticks doubled).</summary>
    public static string QuoteKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return "`" + key.Replace("`", "``", StringComparison.Ordinal) + "`";
    }
}
