using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Overview;
using TraceIde.Protocol;

namespace TraceIde.Benchmarks;

/// <summary>
/// The host's own work on the Overview's server path (issue 10's overhead row), without the network: the
/// 23 recorded `traces/metrics` answers read by the REST backend (request body built, HTTP replaced by a
/// fixed answer, answer parsed), against the floor of <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>
/// of the same bytes; and the usage tab composed from parsed points and serialised as the host sends it.
/// </summary>
[MemoryDiagnoser]
public class MetricsAnswerBenchmarks
{
    private byte[][] _answers = [];
    private int _next;
    private MlflowRestBackend _backend = null!;
    private OverviewService _usage = null!;
    private readonly JsonSerializerOptions _wire = new();
    private static readonly MetricsQuery Query = new()
    {
        ExperimentIds = ["1"], ViewType = MetricsViewTypes.Traces, MetricName = "latency", Aggregations = [
            MetricsAggregation.P(50), MetricsAggregation.P(90), MetricsAggregation.P(99)],
        TimeIntervalSeconds = 86_400, StartTimeMs = 1794866400000, EndTimeMs = 1795482000000,
    };
    private static readonly OverviewParams Week = new() { ExperimentIds = ["1"], StartTimeMs = 1794866400000, EndTimeMs = 1795482000000, TimeUnit = "day" };

    [GlobalSetup]
    public void Setup()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir)
            ?? throw new DirectoryNotFoundException("tests/fixtures");
        var recordings = Directory.GetFiles(Path.Combine(dir, "tests", "fixtures"), "traces_metrics__*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!)
            .ToList();
        _answers = recordings.Select(r => JsonSerializer.SerializeToUtf8Bytes(r["response"]!["body"])).ToArray();
        _backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri("http://127.0.0.1:9/") },
            new FixedAnswer(() => _answers[_next++ % _answers.Length]));
        ProtocolJson.Configure(_wire);

        // The usage tab over the recorded answers: each of its queries answered with the recording of the same
        // metric and bucketing (parsed once here), as a ≥ 3.9 server would answer them.
        var parsed = recordings.Select(r => (Request: r["request"]!["body"]!, Points: ReadAll(r))).ToList();
        _usage = new OverviewService(new RecordedSource(q => parsed
            .Where(p => (string?)p.Request["metric_name"] == q.MetricName && (p.Request["time_interval_seconds"] != null) == (q.TimeIntervalSeconds != null))
            .Select(p => p.Points).FirstOrDefault() ?? []));
    }

    private List<MetricsDataPoint> ReadAll(JsonNode recording)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(recording["response"]!["body"]);
        var backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri("http://127.0.0.1:9/") }, new FixedAnswer(body));
#pragma warning disable VSTHRD002 // BenchmarkDotNet's GlobalSetup is synchronous; no synchronization context here
        var points = backend.QueryTraceMetricsAsync(Query, CancellationToken.None).GetAwaiter().GetResult().ToList();
        backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        return points;
    }

    [Benchmark(Baseline = true)]
    public int ParseFloor()
    {
        var n = 0;
        foreach (var answer in _answers)
        {
            using var doc = JsonDocument.Parse(answer.AsMemory());
            n += doc.RootElement.GetProperty("data_points"u8).GetArrayLength();
        }
        return n;
    }

    /// <summary>All 23 answers, one request each, through the REST backend (body written, answer read).</summary>
    [Benchmark]
    public async Task<int> ReadAnswersAsync()
    {
        var n = 0;
        for (var i = 0; i < _answers.Length; i++) n += (await _backend.QueryTraceMetricsAsync(Query, CancellationToken.None).ConfigureAwait(false)).Count;
        return n;
    }

    /// <summary>The usage tab from already-parsed points (its 11 queries), serialised as the host sends it.</summary>
    [Benchmark]
    public async Task<int> UsageTabComposeAndSerialiseAsync() =>
        JsonSerializer.SerializeToUtf8Bytes(await _usage.UsageAsync(Week, CancellationToken.None).ConfigureAwait(false), _wire).Length;

    private sealed class RecordedSource(Func<MetricsQuery, IReadOnlyList<MetricsDataPoint>> answer) : ITraceMetricsSource
    {
        public string MetricsEngine => "server";

        public Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(
            MetricsQuery query,
            CancellationToken cancellationToken) => Task.FromResult(answer(query));
    }
}
