using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// The REST path of every recorded refusal of traces/search (http/error__traces_search_*.json: bad filters and order_by
/// forms, v3 and the deprecated v2): the search goes through MlflowRestBackend to the replay server, which answers
/// from the recording, and the client gets MLflow's own message unchanged — a 400 as InvalidFilter, MLflow's 500s
/// (its bugs: ordering by end_time, a duplicate order key) as ServerError with MLflow's text in it. The local store's
/// refusals of the same searches are in TraceIde.LocalStore.Tests/RejectedFiltersTests.
/// </summary>
public sealed class RejectedSearchesTests
{
    private const string Prefix = "error__traces_search_";
    private const string SearchV3 = "/api/3.0/mlflow/traces/search";

    public static TheoryData<string> Recordings() =>
        new(ReplayRecording.All.Where(r => r.FileName.StartsWith(Prefix, StringComparison.Ordinal)).Select(r => r.FileName));

    [Fact]
    public void Every_recorded_refusal_is_a_case() => Assert.Equal(46, Recordings().Count);

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task MLflow_s_refusal_reaches_the_client_unchanged(string file)
    {
        var rec = ReplayRecording.Get(file);
        var v2 = rec.RequestBody == null;
        await using var server = MlflowReplayServer.Start();
        if (v2) server.Override(SearchV3, ReplayFaults.HtmlNotFound()); // a server without the v3 search: the backend falls back to v2
        await using var backend = TestSupport.Backend(server);

        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(RecordedSearch.Query(rec), CancellationToken.None));

        var searches = server.Requests.Where(r => !(v2 && r.Path == SearchV3)).ToList();
        Assert.NotEmpty(searches);
        Assert.All(searches, r => Assert.Equal(file, r.MatchedRecording));
        var body = rec.ResponseBody!.Value;
        var message = body.GetProperty("message").GetString()!;
        Assert.Equal(rec.Status, ex.HttpStatus);
        Assert.Equal(body.GetProperty("error_code").GetString(), ex.MlflowErrorCode);
        switch (rec.Status)
        {
            case 400:
                Assert.Single(searches); // a refusal is not retried
                Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
                Assert.Equal(message, ex.Message);
                break;
            case 500:
                // a 500 is retried (MLflow's INTERNAL_ERROR may be transient); the message is MLflow's, after the host's context
                Assert.Equal(RpcErrorCodes.ServerError, ex.Code);
                Assert.Contains("(HTTP 500 INTERNAL_ERROR): " + message, ex.Message);
                break;
            default:
                Assert.Fail($"{file}: status {rec.Status} is neither a refusal nor one of MLflow's failures");
                break;
        }
    }
}
