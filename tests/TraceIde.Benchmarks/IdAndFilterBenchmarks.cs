using BenchmarkDotNet.Attributes;
using TraceIde.Core.Filtering;
using TraceIde.Core.Spans;

namespace TraceIde.Benchmarks;

/// <summary>ID decoding (docs/mlflow-notes.md#identifiers): every span and trace ID of every trace goes through it.</summary>
[MemoryDiagnoser]
public class IdCodecBenchmarks
{
    [Benchmark] public string? SpanIdBase64() => IdCodec.NormalizeSpanId("OfSRxhLJL0c=");
    [Benchmark] public string? SpanIdHex() => IdCodec.NormalizeSpanId("39f491c612c92f47");
    [Benchmark] public string? TraceIdBase64() => IdCodec.NormalizeTraceId("KiRd0oHPKz38u9Hntry2pA==");
    [Benchmark] public string? TraceIdPrefixedHex() => IdCodec.NormalizeTraceId("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4");
}

/// <summary>Filter parsing: the search box's MLflow filter strings, as recorded in the fixtures.</summary>
[MemoryDiagnoser]
public class FilterParsingBenchmarks
{
    [Params(
        "trace.status = 'ERROR'",
        "trace.status = 'OK' AND tags.channel = 'mobile' AND trace.execution_time_ms > 500",
        "span.type = 'TOOL' AND span.status = 'ERROR'",
        "metadata.`mlflow.trace.user` = 'alice@example.com'")]
    public string Filter { get; set; } = "";

    [Benchmark] public int Parse() => TraceFilterParser.Parse(Filter).Count;
}
