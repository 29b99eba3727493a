using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

/// <summary>
/// Every recorded traces/search (V3) exchange with the real MLflow server, replayed against
/// LocalStoreBackend on the server's own store: same trace IDs, same order, same paging.
/// </summary>
public class ParityTests
{
    public static IEnumerable<object[]> Recordings() =>
        Directory.GetFiles(Fixtures.Http, "traces_search_v3__*.json").Order().Select(f => new object[] { Path.GetFileName(f) });

    private static Dictionary<string, string> CaseByTraceId(string casesJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(casesJson));
        return doc.RootElement.GetProperty("cases").EnumerateObject().ToDictionary(p => p.Value.GetString()!, p => p.Name);
    }

    /// <summary>
    /// The same query on store-local (written without a server, other IDs) finds the same fixture
    /// cases in the same order, except where the stores legitimately differ: numeric assessment
    /// values are stored as integers by the client (`5`, not `5.0`), and IDs (the tiebreak) differ, so an order by
    /// request_id orders the same cases differently there.
    /// </summary>
    private static async Task CheckLocalStoreAgreesAsync(string file, TraceQuery query, IReadOnlyList<string> serverIds)
    {
        if (query.PageToken != null || query.PageSize < 43 && query.OrderBy.Count == 0) return; // paging windows depend on tiebreaks
        if (OrderByParser.Parse(query.OrderBy).Any(k => k.Field == "request_id")) return; // the stores' IDs differ
        var serverCases = CaseByTraceId(Path.Combine(Fixtures.ServerStore, "cases.json"));
        var localCases = CaseByTraceId(Path.Combine(Fixtures.LocalStore, "cases.json"));
        await using var local = new LocalStoreBackend(Fixtures.LocalStore);
        var filter = query.Filter?.Replace("feedback.helpfulness = '5.0'", "feedback.helpfulness = '5'", StringComparison.Ordinal);
        var page = await local.SearchTracesAsync(query with { Filter = filter, Clauses = TraceFilterParser.Parse(filter) }, CancellationToken.None);
        var expected = serverIds.Select(id => serverCases[id]).ToList();
        var actual = page.Traces.Select(t => localCases[t.TraceId]).ToList();
        if (file.Contains("unknown_experiment")) Assert.Empty(actual);
        else Assert.Equal(expected, actual);
    }

    [Fact]
    public void AllRecordingsAreCovered() => Assert.Equal(59, Recordings().Count());

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task SameTracesSameOrderSamePagingAsMlflow(string file)
    {
        var rec = ReplayRecording.Get(file);
        Assert.Equal(200, rec.Status);
        var query = RecordedSearch.Query(rec).WithClauses();

        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var page = await backend.SearchTracesAsync(query, CancellationToken.None);

        var expectedIds = RecordedSearch.TraceIds(rec);
        var expectedToken = RecordedSearch.NextPageToken(rec);

        Assert.Equal(expectedIds, page.Traces.Select(t => t.TraceId).ToList());
        Assert.Equal(expectedToken != null, page.NextPageToken != null);
        Assert.Equal(expectedToken, page.NextPageToken); // same opaque format, too

        await CheckLocalStoreAgreesAsync(file, query, expectedIds);

        // Row content matches the server's TraceInfo for the columns both have.
        if (rec.ResponseBody!.Value.TryGetProperty("traces", out var tr))
        {
            foreach (var (expected, actual) in tr.EnumerateArray().Zip(page.Traces))
            {
                Assert.Equal(expected.GetProperty("state").GetString(), actual.State);
                Assert.Equal(expected.GetProperty("request_preview").GetString(), actual.RequestPreview);
                var expectedTags = expected.GetProperty("tags").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString());
                Assert.Equal(expectedTags.OrderBy(x => x.Key), actual.Tags.OrderBy(x => x.Key).Select(x => KeyValuePair.Create(x.Key, (string?)x.Value)));
                var expectedMeta = expected.GetProperty("trace_metadata").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString());
                Assert.Equal(expectedMeta.OrderBy(x => x.Key), actual.Metadata.OrderBy(x => x.Key).Select(x => KeyValuePair.Create(x.Key, (string?)x.Value)));
                var expectedAssessments = expected.TryGetProperty("assessments", out var a)
                    ? a.EnumerateArray().Select(x => x.GetProperty("assessment_id").GetString()!).Order().ToList()
                    : [];
                Assert.Equal(expectedAssessments, actual.Assessments.Select(x => x.AssessmentId).Order().ToList());
            }
        }
    }
}
