using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using TraceIde.Core.Spans;

namespace TraceIde.Benchmarks;

/// <summary>
/// Issue 7: decode + build the span tree of a 10k-span and a 100k-span trace (targets < 25 ms / < 300 ms,
/// allocated < 5× the JSON size), beside a plain System.Text.Json DOM parse of the same bytes (the floor;
/// the Ratio column is the host's cost over it).
/// </summary>
[MemoryDiagnoser]
public class SpanTreeBenchmarks
{
    /// <summary>A generated trace; its name in the table carries the JSON size, to read Allocated against.</summary>
    public sealed class TraceJson(int spans)
    {
        public int Spans { get; } = spans;
        public byte[] Utf8 { get; } = SyntheticTraces.TracesJson(spans);
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Spans / 1000}k spans, {Utf8.Length / (1024.0 * 1024):0.0} MB");
    }

    public static IEnumerable<TraceJson> Traces() => [new(10_000), new(100_000)];

    [ParamsSource(nameof(Traces))]
    public TraceJson Trace { get; set; } = null!;

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse (floor)")]
    public int JsonDocumentParse()
    {
        using var doc = JsonDocument.Parse(Trace.Utf8);
        return doc.RootElement.GetProperty("spans").GetArrayLength();
    }

    private IReadOnlyList<RawSpan> _decoded = [];

    [GlobalSetup(Target = nameof(BuildTreeOnly))]
    public void DecodeOnce()
    {
        using var doc = JsonDocument.Parse(Trace.Utf8);
        _decoded = SpanDecoder.DecodeTraceData(doc.RootElement);
    }

    /// <summary>The two halves of the path, to see where the time goes.</summary>
    [Benchmark(Description = "decode only")]
    public int DecodeOnly()
    {
        using var doc = JsonDocument.Parse(Trace.Utf8);
        return SpanDecoder.DecodeTraceData(doc.RootElement).Count;
    }

    [Benchmark(Description = "span tree only (decoded spans)")]
    public int BuildTreeOnly() => SpanTreeBuilder.Build(_decoded).Nodes.Count;

    [Benchmark(Description = "decode + span tree")]
    public int DecodeAndBuildTree()
    {
        using var doc = JsonDocument.Parse(Trace.Utf8);
        var spans = SpanDecoder.DecodeTraceData(doc.RootElement);
        return SpanTreeBuilder.Build(spans).Nodes.Count;
    }

    /// <summary>What traces/get reads for a big trace: the tree plus every span's type (attributes stay undecoded).</summary>
    [Benchmark(Description = "decode + span tree + span types")]
    public int DecodeBuildTreeAndTypes()
    {
        using var doc = JsonDocument.Parse(Trace.Utf8);
        return TreeAndTypes(SpanDecoder.DecodeTraceData(doc.RootElement));
    }

    /// <summary>The same from the UTF-8 bytes (the local store's traces.json and spans rows): no copy of the document.</summary>
    [Benchmark(Description = "decode from bytes + span tree + span types")]
    public int DecodeFromBytesBuildTreeAndTypes() => TreeAndTypes(SpanDecoder.DecodeTraceData(Trace.Utf8, "the benchmark trace"));

    private static int TreeAndTypes(IReadOnlyList<RawSpan> spans)
    {
        var tree = SpanTreeBuilder.Build(spans);
        var n = 0;
        foreach (var node in tree.Nodes) n += node.Span.SpanType.Length;
        return n;
    }
}
