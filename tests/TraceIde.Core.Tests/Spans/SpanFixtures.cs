using System.Text.Json;
using TraceIde.Core.Spans;
using TraceIde.Testing;

namespace TraceIde.Core.Tests.Spans;

/// <summary>Loads spans from the recorded MLflow HTTP exchanges (tests/fixtures/.../http/*.json).</summary>
internal static class SpanFixtures
{
    /// <summary>
    /// The fixture root. <see cref="Fixtures.Root"/> searches upwards from the test binary, which fails when
    /// building with an --artifacts-path outside the repository; then fall back to this source file's location.
    /// </summary>
    public static string Root { get; } = FindRoot();

    public static string Http => Path.Combine(Root, "http");
    public static string ServerStore => Path.Combine(Root, "store");
    public static string GroundTruthSmall => Path.Combine(Root, "ground_truth_small.json");

    private static string FindRoot([System.Runtime.CompilerServices.CallerFilePath] string thisFile = "")
    {
        try { return Fixtures.Root; }
        catch (DirectoryNotFoundException)
        {
            // tests/TraceIde.Core.Tests/Spans/SpanFixtures.cs -> tests/fixtures/mlflow-3.11.2.dev0
            var candidate = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "fixtures", "mlflow-3.11.2.dev0"));
            if (Directory.Exists(candidate)) return candidate;
            throw;
        }
    }

    /// <summary>response.body of a recording, as a standalone element.</summary>
    public static JsonElement Body(string recording)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Http, recording + ".json")));
        return doc.RootElement.GetProperty("response").GetProperty("body").Clone();
    }

    /// <summary>get-trace-artifact recordings: body = {"spans":[...]} in traces.json format.</summary>
    public static IReadOnlyList<RawSpan> Artifact(string recording) => SpanDecoder.DecodeTraceData(Body(recording));

    /// <summary>traces/get recordings: body.trace.spans in OTel proto JSON.</summary>
    public static IReadOnlyList<RawSpan> TracesGet(string recording)
    {
        var spans = Body(recording).GetProperty("trace").GetProperty("spans");
        return spans.EnumerateArray().Select(SpanDecoder.DecodeOtelSpan).ToList();
    }

    /// <summary>JSON text with object keys sorted recursively, numbers as doubles, for comparing two decodings.</summary>
    public static string Canonical(JsonElement e) => JsonCanonical.Of(e);
}
