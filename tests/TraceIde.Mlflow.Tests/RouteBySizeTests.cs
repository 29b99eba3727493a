using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// A large trace is opened through the artifact route (its JSON about a third of traces/get's OTel answer)
/// once a search has shown its size (mlflow.trace.sizeStats); a small or not yet seen one through traces/get.
/// </summary>
public sealed class RouteBySizeTests
{
    // Between the recorded traces' sizes: s1-paris-t1 is 16,376 bytes, batch-digest-500 443,277.
    private const long Threshold = 100_000;

    [Fact]
    public async Task A_trace_the_search_showed_to_be_large_is_read_from_the_artifact_with_its_info()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server, o => o with { ArtifactRouteFromBytes = Threshold });
        await backend.ConnectAsync(CancellationToken.None);
        await backend.SearchTracesAsync(RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all")), CancellationToken.None);

        var before = server.Requests.Count;
        var big = await backend.GetTraceAsync(TestSupport.BatchDigest500, CancellationToken.None);
        Assert.Equal(500, big.Spans.Count);
        Assert.Equal(
            ["get_trace_artifact_v3__batch-digest-500.json", "traces_get_info_v3__batch-digest-500.json"],
            server.Requests.Skip(before).Select(r => r.MatchedRecording).Order(StringComparer.Ordinal).ToArray());

        before = server.Requests.Count;
        var small = await backend.GetTraceAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal(8, small.Spans.Count);
        Assert.Equal(["traces_get__s1-paris-t1.json"], server.Requests.Skip(before).Select(r => r.MatchedRecording).ToArray());
    }

    [Fact]
    public async Task A_trace_of_unknown_size_is_one_traces_get()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server, o => o with { ArtifactRouteFromBytes = Threshold });
        await backend.ConnectAsync(CancellationToken.None);
        var before = server.Requests.Count;
        var big = await backend.GetTraceAsync(TestSupport.BatchDigest500, CancellationToken.None);
        Assert.Equal(500, big.Spans.Count);
        Assert.Equal(["traces_get__batch-digest-500.json"], server.Requests.Skip(before).Select(r => r.MatchedRecording).ToArray());
    }
}
