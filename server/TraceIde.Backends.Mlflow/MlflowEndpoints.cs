using System.Globalization;
using System.Text;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// One REST endpoint: method, path (relative to the tracking URI, <c>{name}</c> for an ID) and the first
/// MLflow release that serves it (docs/mlflow-notes.md#versions-and-endpoints). <paramref name="ReadOnlyPost"/> marks a POST that only reads
/// (a search), which is retried like a GET.
/// </summary>
internal sealed record Endpoint(string Method, string PathTemplate, string MinVersion, bool ReadOnlyPost = false)
{
    /// <summary>As error messages name it: <c>GET /api/3.0/mlflow/traces/{trace_id}</c>.</summary>
    public string Name => Method + " /" + PathTemplate;

    public HttpMethod HttpMethod => new(Method);

    /// <summary>Sending it twice changes nothing on the server (GET, or a read-only POST).</summary>
    public bool Idempotent => ReadOnlyPost || Method == "GET";

    public Version Since { get; } = MlflowEndpoints.ParseVersion(MinVersion) ?? throw new ArgumentException("MinVersion", nameof(MinVersion));

    /// <summary>The path with its placeholders filled, in order, by <paramref name="ids"/> (escaped).</summary>
    public EndpointCall For(params string[] ids)
    {
        var sb = new StringBuilder(PathTemplate.Length + 40);
        var next = 0;
        for (var i = 0; i < PathTemplate.Length; i++)
        {
            if (PathTemplate[i] != '{')
            {
                sb.Append(PathTemplate[i]);
                continue;
            }
            var end = PathTemplate.IndexOf('}', i);
            if (next >= ids.Length) throw new ArgumentException($"{Name} needs more IDs than {ids.Length}.", nameof(ids));
            sb.Append(Uri.EscapeDataString(ids[next++]));
            i = end;
        }
        if (next != ids.Length) throw new ArgumentException($"{Name} takes {next} IDs, not {ids.Length}.", nameof(ids));
        return new EndpointCall(this, sb.ToString());
    }

    public static implicit operator EndpointCall(Endpoint endpoint) => endpoint.For();
}

/// <summary>An endpoint with its path filled in: what one request goes to.</summary>
internal readonly record struct EndpointCall(Endpoint Endpoint, string Path);

/// <summary>
/// Every endpoint the backend uses, with the first MLflow release that serves it (docs/mlflow-notes.md#versions-and-endpoints): the one
/// table of paths. Which of them an operation sends on a given server is <see cref="MlflowRoutes"/>'s choice.
/// </summary>
internal static class MlflowEndpoints
{
    private const string V2 = "api/2.0/mlflow";
    private const string V3 = "api/3.0/mlflow";

    public static readonly Endpoint Version = new("GET", "version", "1.0.0");
    public static readonly Endpoint ServerInfo = new("GET", V3 + "/server-info", "3.10.0");
    public static readonly Endpoint ExperimentsSearch = new("POST", V2 + "/experiments/search", "1.28.0", ReadOnlyPost: true);
    public static readonly Endpoint SearchV3 = new("POST", V3 + "/traces/search", "3.2.0", ReadOnlyPost: true);
    public static readonly Endpoint SearchV2 = new("GET", V2 + "/traces", "2.13.0");
    public static readonly Endpoint InfoV3 = new("GET", V3 + "/traces/{trace_id}", "3.2.0");
    public static readonly Endpoint InfoV2 = new("GET", V2 + "/traces/{request_id}/info", "2.13.0");
    public static readonly Endpoint TracesGet = new("GET", V3 + "/traces/get", "3.7.0");
    public static readonly Endpoint ArtifactV3 = new("GET", "ajax-api/3.0/mlflow/get-trace-artifact", "3.9.0");
    public static readonly Endpoint ArtifactV2 = new("GET", "ajax-api/2.0/mlflow/get-trace-artifact", "2.14.0");
    public static readonly Endpoint DeleteV3 = new("POST", V3 + "/traces/delete-traces", "3.3.0");
    public static readonly Endpoint DeleteV2 = new("POST", V2 + "/traces/delete-traces", "2.13.0");
    public static readonly Endpoint SetTagV3 = new("PATCH", V3 + "/traces/{trace_id}/tags", "3.3.2");
    public static readonly Endpoint SetTagV2 = new("PATCH", V2 + "/traces/{request_id}/tags", "2.13.0");
    public static readonly Endpoint DeleteTagV3 = new("DELETE", V3 + "/traces/{trace_id}/tags", "3.3.2");
    public static readonly Endpoint DeleteTagV2 = new("DELETE", V2 + "/traces/{request_id}/tags", "2.13.0");
    public static readonly Endpoint AssessmentCreate = new("POST", V3 + "/traces/{trace_id}/assessments", "3.2.0");
    public static readonly Endpoint AssessmentUpdate = new("PATCH", V3 + "/traces/{trace_id}/assessments/{assessment_id}", "3.2.0");
    public static readonly Endpoint AssessmentDelete = new("DELETE", V3 + "/traces/{trace_id}/assessments/{assessment_id}", "3.2.0");
    public static readonly Endpoint TraceMetrics = new("POST", V3 + "/traces/metrics", "3.9.0", ReadOnlyPost: true);

    /// <summary>"3.11.2.dev0" → 3.11.2, "4.0.0rc1" → 4.0.0, "3.7" → 3.7.0; null when it does not start with a number.</summary>
    public static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var numbers = new List<int>();
        foreach (var part in text.Trim().Split('.'))
        {
            var digits = new string(part.TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0 || digits.Length > 9) break;
            numbers.Add(int.Parse(digits, CultureInfo.InvariantCulture));
            if (digits.Length != part.Length || numbers.Count == 3) break;
        }
        // Always three parts: Version(3, 7) would sort below Version(3, 7, 0).
        while (numbers.Count is > 0 and < 3) numbers.Add(0);
        return numbers.Count == 0 ? null : new Version(numbers[0], numbers[1], numbers[2]);
    }
}
