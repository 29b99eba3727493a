using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace TraceIde.Backends.LocalStore;

/// <summary>
/// Functions registered on every connection: MLflow's LIKE is case-sensitive and ILIKE is not
/// (SQLite's own LIKE is ASCII case-insensitive), RLIKE is a regex. Patterns have no escape
/// character (as MLflow passes them to SQL): '%' = any run, '_' = one character.
/// </summary>
internal static class SqlFunctions
{
    public const string LikeCs = "traceide_like";
    public const string LikeCi = "traceide_ilike";
    public const string Regexp = "regexp"; // makes `x REGEXP y` work
    public const string SpanAttr = "traceide_span_attr";

    private static readonly ConcurrentDictionary<(string, bool), Regex> LikeCache = new();
    private static readonly ConcurrentDictionary<string, Regex> RegexCache = new();

    public static void Register(SqliteConnection connection)
    {
        connection.CreateFunction<string?, string?, bool>(LikeCs, (value, pattern) => Like(value, pattern, false), isDeterministic: true);
        connection.CreateFunction<string?, string?, bool>(LikeCi, (value, pattern) => Like(value, pattern, true), isDeterministic: true);
        // SQLite calls regexp(pattern, value) for `value REGEXP pattern`.
        connection.CreateFunction<string?, string?, bool>(Regexp, (pattern, value) => Rlike(value, pattern), isDeterministic: true);
        connection.CreateFunction<string?, string?, string?>(SpanAttr, SpanAttribute, isDeterministic: true);
    }

    public static bool Like(string? value, string? pattern, bool ignoreCase)
    {
        if (value == null || pattern == null) return false;
        var regex = LikeCache.GetOrAdd((pattern, ignoreCase), static k => new Regex(
            LikeToRegex(k.Item1),
            RegexOptions.Singleline | RegexOptions.CultureInvariant | (k.Item2 ? RegexOptions.IgnoreCase : RegexOptions.None),
            TimeSpan.FromSeconds(5)));
        return regex.IsMatch(value);
    }

    public static bool Rlike(string? value, string? pattern)
    {
        if (value == null || pattern == null) return false;
        var regex = RegexCache.GetOrAdd(pattern, static p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5)));
        return regex.IsMatch(value);
    }

    private static string LikeToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        foreach (var c in pattern)
        {
            sb.Append(c switch
            {
                '%' => ".*",
                '_' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }
        sb.Append('$');
        return sb.ToString();
    }

    /// <summary>The decoded value of one attribute of a stored span (spans.content), as text.</summary>
    public static string? SpanAttribute(string? content, string? key)
    {
        if (content == null || key == null) return null;
        try
        {
            using var doc = JsonDocument.Parse(content);
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("attributes", out var attrs) ||
                attrs.ValueKind != JsonValueKind.Object ||
                !attrs.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind != JsonValueKind.String) return v.GetRawText();
            var encoded = v.GetString()!;
            // attribute values are JSON-encoded strings; match inside the decoded string
            try
            {
                using var inner = JsonDocument.Parse(encoded);
                return inner.RootElement.ValueKind == JsonValueKind.String ? inner.RootElement.GetString() : encoded;
            }
            catch (JsonException)
            {
                return encoded;
            }
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The p-th percentile (0..100) of ascending <paramref name="sorted"/> (not empty) by linear interpolation
    /// between closest ranks: rank = p/100·(n−1), value = x[floor] + (x[ceil] − x[floor])·frac — numpy's
    /// default, PostgreSQL's PERCENTILE_CONT, and the answers of MLflow's SQLite percentile aggregate.
    /// </summary>
    public static double PercentileOfSorted(List<double> sorted, double p)
    {
        var rank = p / 100 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        var f = rank - lo;
        var value = sorted[lo] + (sorted[hi] - sorted[lo]) * f;
        // The difference of two huge values of opposite sign overflows where the percentile does not;
        // MLflow's formula above is kept otherwise, for identical results.
        return double.IsFinite(value) || !double.IsFinite(sorted[lo]) || !double.IsFinite(sorted[hi])
            ? value
            : sorted[lo] * (1 - f) + sorted[hi] * f;
    }
}
