using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// What TraceService keeps to be faster, counted at the backend over the real store: the rest of a head comes from
/// the head's read, a span click from the open trace's, and after ReleaseCaches (the deep idle trim) both read again.
/// </summary>
public class TraceServiceCacheTests
{
    private sealed class CountingBackend(ITraceBackend inner) : DelegatingBackend(inner)
    {
        public int TraceReads;
        public override Task<TraceData> GetTraceAsync(string id, CancellationToken ct)
        {
            Interlocked.Increment(ref TraceReads);
            return base.GetTraceAsync(id, ct);
        }
    }

    [Fact]
    public async Task KeptTracesAreUsedOnce_AndLetGoOnRelease()
    {
        await using var backend = new CountingBackend(new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db")));
        await backend.ConnectAsync(CancellationToken.None);
        var traces = new TraceService(backend, HostLog.Null);
        var traceId = FixtureCases.ServerTraceId("batch-digest-500");

        var head = await traces.GetAsync(new TracesGetParams { TraceId = traceId, MaxSpans = 10 }, CancellationToken.None);
        var all = await traces.GetAsync(new TracesGetParams { TraceId = traceId }, CancellationToken.None);
        Assert.Equal((10, 500, 500), (head.Spans.Count, head.TotalSpans, all.Spans.Count));
        Assert.Equal(1, backend.TraceReads); // the rest came from the head's read

        await traces.GetAsync(new TracesGetParams { TraceId = traceId }, CancellationToken.None);
        Assert.Equal(2, backend.TraceReads); // taken once: a later open reads again

        var spanId = all.Spans[3].SpanId;
        await traces.GetSpanPayloadsAsync(new SpansGetParams { TraceId = traceId, SpanIds = [spanId] }, CancellationToken.None);
        Assert.Equal(2, backend.TraceReads); // a span click uses the open trace

        await traces.GetAsync(new TracesGetParams { TraceId = traceId, MaxSpans = 10 }, CancellationToken.None);
        traces.ReleaseCaches();
        var payloads = await traces.GetSpanPayloadsAsync(new SpansGetParams { TraceId = traceId, SpanIds = [spanId] }, CancellationToken.None);
        Assert.Contains(spanId, payloads.Payloads.Keys);
        Assert.Equal(4, backend.TraceReads); // after the release, the click reads the trace again
        await traces.GetAsync(new TracesGetParams { TraceId = traceId }, CancellationToken.None);
        Assert.Equal(5, backend.TraceReads); // and the head's kept read is gone too

        // An edit of the trace (refused by the read-only store, but asked) drops the head's kept read.
        await traces.GetAsync(new TracesGetParams { TraceId = traceId, MaxSpans = 10 }, CancellationToken.None);
        await Assert.ThrowsAsync<BackendException>(() => traces.SetTagAsync(
            new TracesSetTagParams { TraceId = traceId, Key = "k", Value = "v" },
            CancellationToken.None));
        await traces.GetAsync(new TracesGetParams { TraceId = traceId }, CancellationToken.None);
        Assert.Equal(7, backend.TraceReads);
    }
}
