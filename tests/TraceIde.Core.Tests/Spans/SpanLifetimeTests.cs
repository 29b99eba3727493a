using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

/// <summary>
/// A big trace's spans must be collectable by a gen 1 collection once nobody uses them. An array of
/// references on the large-object heap (a 10,000-span list, the tree's ID index and copy of the spans) is freed only by a full
/// collection and keeps what it points to alive until then: the garbage collector then copied every
/// decoded trace twice more, about a third of decode + tree time for 10k spans.
/// Alone (not beside other tests): their collections would promote the spans under test.
/// </summary>
[Collection(nameof(SpanLifetimeTests))]
public class SpanLifetimeTests
{
    private const int Spans = 20_000; // as arrays: the decoder's list 256 KB, the tree's index 480 KB and span copy 160 KB, all large objects

    /// <summary>{"spans":[…]}: a chain of <see cref="Spans"/> spans with hex IDs, the traces.json shape.</summary>
    private static byte[] TraceJson()
    {
        var json = new StringBuilder("{\"spans\":[");
        for (var i = 0; i < Spans; i++)
        {
            if (i > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture,
                $"{{\"span_id\":\"{i + 1:x16}\",\"parent_span_id\":{(i == 0 ? "null" : $"\"{i:x16}\"")},\"name\":\"s{i % 7}\"," +
                $"\"start_time_unix_nano\":{1000 + i},\"end_time_unix_nano\":{1_000_000 - i}," +
                $"\"attributes\":{{\"mlflow.spanType\":\"\\\"CHAIN\\\"\"}}}}");
        }
        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Span, int Generation) DecodeAndDrop(byte[] utf8, bool buildTree)
    {
        var spans = SpanDecoder.DecodeTraceData(utf8, "the test trace");
        Assert.Equal(Spans, spans.Count);
        Assert.Equal($"{Spans:x16}", spans[Spans - 1].SpanId);
        Assert.Equal("CHAIN", spans[Spans - 1].SpanType);
        if (buildTree)
        {
            var tree = SpanTreeBuilder.Build(spans);
            Assert.Equal(Spans - 1, tree.MaxDepth);
        }
        var span = spans[Spans / 2];
        return (new WeakReference(span), GC.GetGeneration(span));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DecodedSpans_AreFreedByAGen1Collection(bool buildTree)
    {
        var utf8 = TraceJson();
        // A try proves something only when the span was still in gen 0 or 1 and the collection stayed a gen 1
        // one; the runtime may decide otherwise (its budgets), so a few tries.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            GC.Collect(); // resets the large-object budget, which could make the collection below a full one
            GC.WaitForPendingFinalizers();
            var full = GC.CollectionCount(2);
            var (span, generation) = DecodeAndDrop(utf8, buildTree);
            var gen1 = GC.CollectionCount(1);
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
            if (generation == 2 || GC.CollectionCount(2) != full || GC.CollectionCount(1) != gen1 + 1) continue;
            Assert.False(span.IsAlive, "a gen 1 collection kept a dropped span alive (referenced from the large-object heap?)");
            return;
        }
        Assert.Fail("no try ended in a plain gen 1 collection of spans younger than gen 2");
    }

    /// <summary>The spans are kept in blocks of 4,096: order, indexer and enumeration agree across them.</summary>
    [Fact]
    public void DecodedSpans_KeepTheirOrderAcrossBlocks()
    {
        var spans = SpanDecoder.DecodeTraceData(TraceJson(), "the test trace");
        Assert.Equal(Spans, spans.Count);
        Assert.Equal(Enumerable.Range(1, Spans).Select(i => i.ToString("x16", CultureInfo.InvariantCulture)), spans.Select(s => s.SpanId));
        foreach (var i in new[] { 0, 4_095, 4_096, 8_192, 16_384, Spans - 1 })
            Assert.Equal((i + 1).ToString("x16", CultureInfo.InvariantCulture), spans[i].SpanId);
        Assert.Throws<ArgumentOutOfRangeException>(() => spans[Spans]);
        Assert.Throws<ArgumentOutOfRangeException>(() => spans[-1]);
    }
}

[CollectionDefinition(nameof(SpanLifetimeTests), DisableParallelization = true)]
public sealed class SpanLifetimeCollection;
