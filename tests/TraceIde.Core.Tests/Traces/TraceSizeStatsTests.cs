using TraceIde.Core.Traces;

namespace TraceIde.Core.Tests.Traces;

/// <summary>MLflow's sizeStats metadata as the partial-trace warning and the local store's row read see it.</summary>
public class TraceSizeStatsTests
{
    [Theory]
    [InlineData("""{"total_size_bytes": 16376, "num_spans": 8, "max": 5665, "p25": 608, "p50": 749, "p75": 1924}""", 16376L, 8)] // as MLflow 3.11 writes it
    [InlineData("""{"num_spans": 20000}""", null, 20000)]
    [InlineData("""{"total_size_bytes": 9}""", 9L, null)]
    [InlineData("""{"total_size_bytes": "9", "num_spans": 1.5}""", null, null)] // a string would throw on a number read
    [InlineData("""[1, 2]""", null, null)] // not an object: neither (a property read on it would throw)
    [InlineData("""{"num_spans": """, null, null)]
    public void ReadsWhatIsThere(string json, long? bytes, int? spans) =>
        Assert.Equal(new TraceSizeStats(bytes, spans), TraceSizeStats.Of(new Dictionary<string, string> { [TraceSizeStats.MetadataKey] = json }));

    [Fact]
    public void NoMetadataGivesNeither() => Assert.Equal(default, TraceSizeStats.Of(new Dictionary<string, string>()));
}
