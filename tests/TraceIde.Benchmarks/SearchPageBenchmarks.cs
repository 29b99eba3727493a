using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Benchmarks;

/// <summary>
/// The host's work on a 100-row V3 `traces/search` page (issue 7's overhead row): the recorded rows of
/// `traces_search_v3__all` cycled to 100 (~340 KB, as the overhead bench's stand-in sends), read into
/// rows by the REST backend (HTTP replaced by a fixed answer), and the rows serialised as the host sends
/// them. The floor is <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> of the page.
/// </summary>
[MemoryDiagnoser]
public class SearchPageBenchmarks
{
    private byte[] _page = [];
    private MlflowRestBackend _backend = null!;
    private TracesSearchResult _result = null!;
    private readonly JsonSerializerOptions _wire = new();
    private readonly TraceQuery _query = new() { ExperimentIds = ["1"], PageSize = 100 };

    [GlobalSetup]
    public void Setup()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir)
            ?? throw new DirectoryNotFoundException("tests/fixtures");
        var file = Directory.GetFiles(Path.Combine(dir, "tests", "fixtures"), "traces_search_v3__all.json", SearchOption.AllDirectories).Single();
        var recorded = JsonNode.Parse(File.ReadAllText(file))!["response"]!["body"]!["traces"]!.AsArray();
        var traces = new JsonArray();
        for (var i = 0; i < 100; i++)
        {
            var row = recorded[i % recorded.Count]!.DeepClone();
            row["trace_id"] = $"tr-{i:x8}{((string)row["trace_id"]!)[11..]}";
            traces.Add(row);
        }
        _page = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["traces"] = traces, ["next_page_token"] = "eyJvZmZzZXQiOiAxMDB9" });
        _backend = new MlflowRestBackend(new MlflowBackendOptions { TrackingUri = new Uri("http://127.0.0.1:9/") }, new FixedAnswer(_page));
        ProtocolJson.Configure(_wire);
#pragma warning disable VSTHRD002 // BenchmarkDotNet's GlobalSetup is synchronous; no synchronization context here
        _result = new TracesSearchResult { Traces = ReadRowsAsync().GetAwaiter().GetResult().Traces };
#pragma warning restore VSTHRD002
    }

    [Benchmark(Baseline = true)]
    public int ParseFloor()
    {
        using var doc = JsonDocument.Parse(_page.AsMemory());
        return doc.RootElement.GetProperty("traces"u8).GetArrayLength();
    }

    [Benchmark]
    public Task<TracePage> ReadRowsAsync() => _backend.SearchTracesAsync(_query, CancellationToken.None);

    [Benchmark]
    public int SerialiseRows() => JsonSerializer.SerializeToUtf8Bytes(_result, _wire).Length;
}
