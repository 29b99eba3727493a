using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceIde.Testing;

/// <summary>
/// Which routes an MLflow release serves, from docs/mlflow-notes.md#versions-and-endpoints (written apart from the
/// backend's own table, so a test compares two readings of the spec, not one with itself). The replay
/// server uses it to play an older server: a route the release lacks is answered as that release
/// answers it, the rest from the 3.11 recordings.
/// </summary>
public static partial class MlflowVersionRoutes
{
    /// <summary>The releases docs/mlflow-notes.md#versions-and-endpoints names as steps in the REST surface, oldest first.</summary>
    public static readonly IReadOnlyList<string> Simulated = ["2.14.0", "2.20.0", "3.0.0", "3.2.0", "3.6.0", "3.9.0", "3.10.0", "3.11.2.dev0"];

    private sealed record Route(string Method, Regex Path, string Since);

    private const string Id = "[^/]+";

    // Most specific first: the first route whose method and path match decides.
    private static readonly Route[] Routes =
    [
        new("GET", Exact("/version"), "1.0.0"),
        new("GET", Exact("/health"), "1.0.0"),
        new("*", Re(@"/(ajax-)?api/3\.0/mlflow/server-info"), "3.10.0"),
        new("POST", Re(@"/(ajax-)?api/3\.0/mlflow/traces/search"), "3.2.0"),
        new("GET", Re(@"/(ajax-)?api/3\.0/mlflow/traces/get"), "3.7.0"),
        new("GET", Re(@"/(ajax-)?api/3\.0/mlflow/traces/batchGet"), "3.6.0"),
        new("POST", Re(@"/(ajax-)?api/3\.0/mlflow/traces/batchGetInfos"), "3.11.1"),
        new("POST", Re(@"/(ajax-)?api/3\.0/mlflow/traces/metrics"), "3.9.0"),
        new("POST", Re(@"/(ajax-)?api/3\.0/mlflow/traces/delete-traces"), "3.3.0"),
        new("*", Re($@"/(ajax-)?api/3\.0/mlflow/traces/{Id}/tags"), "3.3.2"),
        new("*", Re($@"/(ajax-)?api/3\.0/mlflow/traces/{Id}/assessments(/{Id})?"), "3.2.0"),
        new("GET", Re($@"/(ajax-)?api/3\.0/mlflow/traces/{Id}"), "3.2.0"),
        new("GET", Exact("/ajax-api/3.0/mlflow/get-trace-artifact"), "3.9.0"),
        new("GET", Exact("/ajax-api/2.0/mlflow/get-trace-artifact"), "2.14.0"),
        new("*", Re(@"/(ajax-)?api/2\.0/mlflow/traces(/.*)?"), "2.13.0"),
        new("*", Re(@"/(ajax-)?api/2\.0/mlflow/experiments/.*"), "1.0.0"),
    ];

    /// <summary>
    /// Whether <paramref name="version"/> serves <paramref name="method"/> <paramref name="path"/>;
    /// paths this table does not know are taken as served (the recordings decide).
    /// </summary>
    public static bool Serves(string version, string method, string path)
    {
        var v = Parse(version);
        foreach (var r in Routes)
        {
            if (r.Method != "*" && r.Method != method) continue;
            if (!r.Path.IsMatch(path)) continue;
            return v >= Parse(r.Since);
        }
        return true;
    }

    /// <summary>
    /// From 3.2 to 3.6, GET traces/get lands on the trace-info route with the ID "get" (docs/mlflow-notes.md#versions-and-endpoints): a
    /// JSON 404, not Flask's page.
    /// </summary>
    public static bool TracesGetIsTraceInfo(string version, string method, string path) =>
        method == "GET" && TracesGetPath().IsMatch(path) && Parse(version) >= Parse("3.2.0") && Parse(version) < Parse("3.7.0");

    public const string TraceGetNotFoundBody = "{\"error_code\": \"RESOURCE_DOES_NOT_EXIST\", \"message\": \"Trace with ID 'get' not found.\"}";

    /// <summary>"3.11.2.dev0" → 3.11.2.</summary>
    public static Version Parse(string version)
    {
        var parts = version.Split('.').Take(3)
            .Select(p => int.Parse(new string(p.TakeWhile(char.IsAsciiDigit).ToArray()) is { Length: > 0 } d ? d : "0", CultureInfo.InvariantCulture))
            .ToList();
        while (parts.Count < 3) parts.Add(0);
        return new Version(parts[0], parts[1], parts[2]);
    }

    private static Regex Exact(string path) => new("^" + Regex.Escape(path) + "$", RegexOptions.CultureInvariant);
    private static Regex Re(string pattern) => new("^" + pattern + "$", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"^/(ajax-)?api/3\.0/mlflow/traces/get$")]
    private static partial Regex TracesGetPath();
}
