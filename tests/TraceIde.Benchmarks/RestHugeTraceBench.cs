using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Spans;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Benchmarks;

/// <summary>
/// `rest-huge [--quick] [--spans N] [--rounds N] [--out FILE]` (issue 23): the first screen of a huge trace over
/// REST against the raw download of its artifact, side by side in one run. A stand-in server
/// (<see cref="ThrottledMlflowStandIn"/>) serves a generated trace (<see cref="SyntheticTraces"/>) by every route
/// at the speeds measured on a real MLflow 3.11 for a 20,000-span trace; each round measures, interleaved: the raw
/// `get-trace-artifact` download, that download decoded after it and while it arrives, and `traces/get` through the
/// host's <see cref="TraceService"/> over <see cref="MlflowRestBackend"/> (maxSpans 1000, the UI's first screen,
/// and every span; opened from the list, which has told the host the trace's size, and opened cold by its ID),
/// the answer serialized as the host writes it. Figures: docs/PERFORMANCE.md.
/// </summary>
public static class RestHugeTraceBench
{
    /// <summary>The viewer's first request for a big trace (webview FIRST_SCREEN_SPANS).</summary>
    private const int FirstScreenSpans = 1000;

    // Measured on a real MLflow 3.11 tracking server (issue 23) for one 20,000-span trace.
    private const double ArtifactBytes = 10.7e6, ArtifactSeconds = 3.3;  // get-trace-artifact: 10.7 MB in 3.0–3.6 s
    private const double TracesGetSeconds = 11;                          // traces/get: 31.6 MB in ~11 s

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var spans = IntArg(args, "--spans") ?? (quick ? 2_000 : 20_000);
        var rounds = IntArg(args, "--rounds") ?? (quick ? 2 : 3);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"rest-huge{(quick ? " --quick" : "")}: {spans:N0} spans, {rounds} rounds (median), " +
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}, load {LoadAverage()}");
        report.AppendLine();

        var artifact = SyntheticTraces.TracesJson(spans);
        var traceId = SyntheticTraces.TraceIdFor(spans);
        var tracesGet = SyntheticTraces.TraceGetAnswer(traceId, SyntheticTraces.Generate(spans));
        // The artifact at its measured rate (bytes per second carry over to this trace's size); traces/get taking the
        // measured multiple of that time: the generated spans' OTel JSON is not ~3× their traces.json as real ones'
        // are (fewer nested values), and it is the server's time for the route that the host pays.
        var artifactTime = TimeSpan.FromSeconds(artifact.Length / (ArtifactBytes / ArtifactSeconds));
        var tracesGetTime = artifactTime * (TracesGetSeconds / ArtifactSeconds);
        report.AppendLine(CultureInfo.InvariantCulture, $"artifact {artifact.Length / 1e6:0.0} MB served in {artifactTime.TotalSeconds:0.00} s; traces/get " +
            $"{tracesGet.Length / 1e6:0.0} MB ({(double)tracesGet.Length / artifact.Length:0.0}× the artifact; MLflow's: 31.6 MB, 3.0×) in " +
            $"{tracesGetTime.TotalSeconds:0.00} s");
        report.AppendLine();

        await WarmUpAsync().ConfigureAwait(false);
        // MLflow's split between rendering (before the first byte) and sending was not measured: both ends.
        foreach (var (model, firstByteShare) in quick
            ? [("bytes spread over the whole time", 0.0)]
            : new[] { ("bytes spread over the whole time", 0.0), ("rendered first: 90 % of the time before the first byte", 0.9) })
        {
            await using var server = await ThrottledMlflowStandIn.StartAsync(traceId, artifact, tracesGet, spans,
                RouteSpeed.Taking(artifact.Length, artifactTime, firstByteShare),
                RouteSpeed.Taking(tracesGet.Length, tracesGetTime, firstByteShare),
                RouteSpeed.Taking(2_000, TimeSpan.FromMilliseconds(15), firstByteShare)).ConfigureAwait(false);
            var rows = await MeasureAsync(server, traceId, artifact.Length, rounds).ConfigureAwait(false);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {model} | ms (median) | × raw artifact download |");
            report.AppendLine("|---|---:|---:|");
            var raw = rows[0].Ms;
            foreach (var (name, ms) in rows)
                report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {ms:0} | {ms / raw:0.00} |");
            report.AppendLine();
        }
        Console.Write(report.ToString());
        if (StringArg(args, "--out") is { } outPath) await File.WriteAllTextAsync(outPath, report.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static async Task<List<(string Name, double Ms)>> MeasureAsync(ThrottledMlflowStandIn server, string traceId, int artifactLength, int rounds)
    {
        var artifactUri = new Uri(server.BaseUri, $"ajax-api/3.0/mlflow/get-trace-artifact?request_id={traceId}");
        using var http = new HttpClient();
        await http.GetByteArrayAsync(new Uri(server.BaseUri, "version")).ConfigureAwait(false); // a warm connection, as the host's is
        var steps = new (string Name, Func<Task<double>> Run)[]
        {
            ("raw `get-trace-artifact` download (HttpClient, bytes only)", async () =>
            {
                var clock = Stopwatch.StartNew();
                var bytes = await http.GetByteArrayAsync(artifactUri).ConfigureAwait(false);
                if (bytes.Length != artifactLength) throw new InvalidOperationException("the stand-in answered another body");
                return clock.Elapsed.TotalMilliseconds;
            }),
            ("download, then decode the spans (after the last byte)", () => DownloadAndDecodeAsync(http, artifactUri, streaming: false)),
            ("download, decoding the spans while they arrive (TraceDataStream)", () => DownloadAndDecodeAsync(http, artifactUri, streaming: true)),
            (
                $"host `traces/get` maxSpans {FirstScreenSpans}, opened from the list (size known: info + artifact)",
                () => HostAsync(server, traceId, FirstScreenSpans, fromList: true)),
            ("host `traces/get` every span, opened from the list", () => HostAsync(server, traceId, null, fromList: true)),
            (
                $"host `traces/get` maxSpans {FirstScreenSpans}, opened cold by its ID (size unknown: `traces/get` route)",
                () => HostAsync(server, traceId, FirstScreenSpans, fromList: false)),
        };
        var times = steps.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
            for (var i = 0; i < steps.Length; i++)
                times[i].Add(await steps[i].Run().ConfigureAwait(false)); // interleaved: a slower minute slows every row alike
        return steps.Select((s, i) => (s.Name, Median(times[i]))).ToList();
    }

    /// <summary>The body read as the REST backend reads it (one array of the announced length), its spans decoded after or during the read.</summary>
    private static async Task<double> DownloadAndDecodeAsync(HttpClient http, Uri uri, bool streaming)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var buffer = new byte[(int)response.Content.Headers.ContentLength!.Value + 1];
        var decoder = streaming ? new SpanDecoder.TraceDataStream() : null;
        var length = 0;
        await using (var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
        {
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length)).ConfigureAwait(false)) > 0)
            {
                length += read;
                decoder?.Advance(buffer.AsMemory(0, length));
            }
        }
        var whole = buffer.AsMemory(0, length);
        var spans = decoder is null ? SpanDecoder.DecodeTraceData(whole, "the trace artifact") : decoder.Complete(whole, "the trace artifact");
        if (spans.Count == 0) throw new InvalidOperationException("no spans");
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// One click in a fresh host session's terms: a new backend and <see cref="TraceService"/> (nothing kept from
    /// the last round), connected; from the list, the search that showed the row has run before the click.
    /// Timed: <see cref="TraceService.GetAsync"/> and writing its answer as the host does.
    /// </summary>
    private static async Task<double> HostAsync(ThrottledMlflowStandIn server, string traceId, int? maxSpans, bool fromList)
    {
        await using var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = server.BaseUri });
        await backend.ConnectAsync(default).ConfigureAwait(false);
        if (fromList) await backend.SearchTracesAsync(new TraceIde.Core.Backends.TraceQuery { ExperimentIds = ["1"], PageSize = 100 }, default)
            .ConfigureAwait(false);
        var service = new TraceService(backend, HostLog.Null);
        var clock = Stopwatch.StartNew();
        var result = await service.GetAsync(new TracesGetParams { TraceId = traceId, MaxSpans = maxSpans }, default).ConfigureAwait(false);
        var written = JsonSerializer.SerializeToUtf8Bytes(result, Wire);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (result.Spans.Count != Math.Min(maxSpans ?? int.MaxValue, result.TotalSpans)
            || written.Length == 0) throw new InvalidOperationException("traces/get answered another head");
        return ms;
    }

    private static readonly JsonSerializerOptions Wire = CreateWire();

    private static JsonSerializerOptions CreateWire()
    {
        var o = new JsonSerializerOptions();
        ProtocolJson.Configure(o);
        return o;
    }

    /// <summary>Every path once on a small trace, unthrottled, so the rounds measure compiled code.</summary>
    private static async Task WarmUpAsync()
    {
        var artifact = SyntheticTraces.TracesJson(300, seed: 3);
        var traceId = SyntheticTraces.TraceIdFor(300);
        await using var server = await ThrottledMlflowStandIn.StartAsync(traceId, artifact, SyntheticTraces.TraceGetAnswer(
            traceId,
            SyntheticTraces.Generate(300, seed: 3)), 300,
            RouteSpeed.Unthrottled, RouteSpeed.Unthrottled, RouteSpeed.Unthrottled).ConfigureAwait(false);
        for (var i = 0; i < 3; i++) await MeasureAsync(server, traceId, artifact.Length, 1).ConfigureAwait(false);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static int? IntArg(string[] args, string name) =>
        StringArg(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    private static string? StringArg(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
