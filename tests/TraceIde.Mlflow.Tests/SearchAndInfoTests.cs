using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

public sealed class SearchAndInfoTests
{
    public static TheoryData<string> SearchV3Recordings()
    {
        var data = new TheoryData<string>();
        foreach (var r in ReplayRecording.All.Where(r => r.FileName.StartsWith("traces_search_v3__", StringComparison.Ordinal)))
            data.Add(r.FileName);
        return data;
    }

    [Fact]
    public void There_are_many_search_recordings() => Assert.True(SearchV3Recordings().Count >= 30);

    [Theory]
    [MemberData(nameof(SearchV3Recordings))]
    public async Task Recorded_v3_search_replays_with_ids_in_order_and_token(string file)
    {
        var rec = ReplayRecording.Get(file);
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);

        var page = await backend.SearchTracesAsync(RecordedSearch.Query(rec), CancellationToken.None);

        Assert.Equal(file, server.Requests.Single().MatchedRecording);
        Assert.Equal(RecordedSearch.TraceIds(rec), page.Traces.Select(t => t.TraceId).ToList());
        Assert.Equal(RecordedSearch.NextPageToken(rec), page.NextPageToken);
        Assert.All(page.Traces, t =>
        {
            Assert.Equal("1", t.ExperimentId);
            Assert.True(t.RequestTimeMs > 1_700_000_000_000);
            Assert.Contains(t.State, new[] { "OK", "ERROR" });
            Assert.NotNull(t.DurationMs);
        });
    }

    [Theory]
    [InlineData("traces_search_v3__paged_p", 5, 43)]
    [InlineData("traces_search_v3__filter_paged_p", 3, 5)]
    public async Task Paged_series_walks_to_the_end(string prefix, int pages, int total)
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var query = RecordedSearch.Query(ReplayRecording.Get(prefix + "1"));
        var ids = new List<string>();
        var count = 0;
        do
        {
            var page = await backend.SearchTracesAsync(query, CancellationToken.None);
            count++;
            Assert.Equal($"{prefix}{count}.json", server.Requests[^1].MatchedRecording);
            ids.AddRange(page.Traces.Select(t => t.TraceId));
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken != null);
        Assert.Equal(pages, count);
        Assert.Equal(total, ids.Count);
        Assert.Equal(total, ids.Distinct().Count());
    }

    [Fact]
    public async Task Falls_back_to_v2_search_when_v3_is_missing()
    {
        var rec = ReplayRecording.Get("traces_search_v2");
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/search", ReplayFaults.HtmlNotFound());
        await using var backend = TestSupport.Backend(server);

        var page = await backend.SearchTracesAsync(new TraceQuery
        {
            ExperimentIds = ["1"],
            PageSize = 3,
            OrderBy = ["timestamp_ms DESC"],
        }, CancellationToken.None);

        Assert.Equal(2, server.Requests.Count);
        Assert.Equal("traces_search_v2.json", server.Requests[1].MatchedRecording);
        Assert.Equal(RecordedSearch.TraceIds(rec, "request_id"), page.Traces.Select(t => t.TraceId).ToList());
        Assert.Equal(RecordedSearch.NextPageToken(rec), page.NextPageToken);
        var first = page.Traces[0];
        Assert.Equal("tr-68d5ad2b70b863337a21963d80477789", first.TraceId);
        Assert.Equal(1795474319427, first.RequestTimeMs);
        Assert.Equal(101, first.DurationMs);
        Assert.Equal("OK", first.State);
        Assert.Equal("1", first.ExperimentId);
        Assert.Equal("health_check", first.Name);
        Assert.Equal(new TokenUsage(3, 1, 4), first.Tokens! with { CacheReadInputTokens = null });
    }

    private static void AssertParisT1(TraceSummary t, bool withV3Extras)
    {
        Assert.Equal(TestSupport.ParisT1, t.TraceId);
        Assert.Equal("1", t.ExperimentId);
        Assert.Equal("OK", t.State);
        Assert.Equal(DateTimeOffset.Parse("2026-11-17T04:48:04.528Z").ToUnixTimeMilliseconds(), t.RequestTimeMs);
        Assert.Equal(1794890884528, t.RequestTimeMs);
        Assert.Equal(2210, t.DurationMs);
        Assert.Equal("sess-paris-trip", t.Session);
        Assert.Equal("alice@example.com", t.User);
        Assert.Equal("support_agent", t.Name);
        Assert.NotNull(t.Tokens);
        Assert.Equal(1275, t.Tokens!.InputTokens);
        Assert.Equal(45, t.Tokens.OutputTokens);
        Assert.Equal(1320, t.Tokens.TotalTokens);
        Assert.Equal("s1-paris-t1", t.Tags["fixture_case"]);
        Assert.Equal("eu-west-1", t.Metadata["deployment_region"]);
        if (!withV3Extras) return;
        Assert.Equal("What's the weather in Paris on June 12?", t.RequestPreview);
        Assert.StartsWith("{\"role\": \"assistant\"", t.ResponsePreview);
        Assert.Equal(5, t.Assessments.Count);
        var rel = t.Assessments[0];
        Assert.Equal("a-5fd32eae53344f469670839fc87ffca0", rel.AssessmentId);
        Assert.Equal("relevance_to_query", rel.Name);
        Assert.Equal("feedback", rel.Kind);
        Assert.Equal("yes", rel.Value!.Value.GetString());
        Assert.Equal("LLM_JUDGE", rel.SourceType);
        Assert.Equal("openai:/gpt-4o-mini", rel.SourceId);
        Assert.Equal("The response addresses the user's question directly.", rel.Rationale);
        Assert.Equal(DateTimeOffset.Parse("2026-11-17T04:50:06.738Z").ToUnixTimeMilliseconds(), rel.CreateTimeMs);
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T22:52:00.819Z").ToUnixTimeMilliseconds(), rel.LastUpdateTimeMs);
        Assert.Equal("698", rel.Metadata["mlflow.assessment.judgeInputTokens"]);
        Assert.True(rel.Valid);
        Assert.Equal(JsonValueKind.True, t.Assessments[1].Value!.Value.ValueKind);
        Assert.Equal(5.0, t.Assessments[2].Value!.Value.GetDouble());
        Assert.Equal("CODE", t.Assessments[3].SourceType);
        Assert.Equal("HUMAN", t.Assessments[4].SourceType);
    }

    [Fact]
    public async Task Trace_info_v3_of_s1_paris_t1()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var info = await backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal("traces_get_info_v3__s1-paris-t1.json", server.Requests.Single().MatchedRecording);
        AssertParisT1(info, withV3Extras: true);
    }

    [Fact]
    public async Task Trace_info_falls_back_to_v2()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/api/3.0/mlflow/traces/" + TestSupport.ParisT1, ReplayFaults.HtmlNotFound());
        await using var backend = TestSupport.Backend(server);
        var info = await backend.GetTraceInfoAsync(TestSupport.ParisT1, CancellationToken.None);
        Assert.Equal("traces_get_info_v2.json", server.Requests[^1].MatchedRecording);
        AssertParisT1(info, withV3Extras: false);
    }

    [Fact]
    public async Task Search_row_equals_trace_info_row()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var page = await backend.SearchTracesAsync(RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all")), CancellationToken.None);
        var row = page.Traces.Single(t => t.TraceId == TestSupport.ParisT1);
        AssertParisT1(row, withV3Extras: true);
    }

    [Fact]
    public async Task Assessment_kinds_errors_overrides_and_expectations()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var page = await backend.SearchTracesAsync(RecordedSearch.Query(ReplayRecording.Get("traces_search_v3__all")), CancellationToken.None);
        var all = page.Traces.ToDictionary(t => t.Tags["fixture_case"]);

        var judgeError = all["rag-no-docs"].Assessments.Single(a => a.Error != null);
        Assert.Null(judgeError.Value);
        Assert.Equal(new AssessmentError("TIMEOUT", "Judge call timed out after 30 s"), judgeError.Error);

        var seat = all["rag-seat-fee"].Assessments;
        Assert.Equal(7, seat.Count);
        var overridden = seat.Single(a => a.AssessmentId == "a-439b040d8dc7454cb7bacc7be4091c9a");
        Assert.False(overridden.Valid);
        var human = seat.Single(a => a.AssessmentId == "a-30870a7e6ff940a6b83e0e1789536fc2");
        Assert.Equal("a-439b040d8dc7454cb7bacc7be4091c9a", human.Overrides);
        Assert.True(human.Valid);

        var serialized = all["agent-multi-tool"].Assessments.Single(a => a.Name == "expected_tool_calls");
        Assert.Equal("expectation", serialized.Kind);
        Assert.Equal(["search_flights", "get_weather", "calculator"], serialized.Value!.Value.EnumerateArray().Select(e => e.GetString()!).ToArray());
        var plain = all["rag-carry-on"].Assessments.Single(a => a.Kind == "expectation");
        Assert.Equal("Carry-on max 56 x 36 x 23 cm, plus one personal item.", plain.Value!.Value.GetString());

        var spanLevel = all["agent-calc-div0"].Assessments.Single(a => a.Name == "tool_call_correct");
        Assert.Equal("a4cabb0189a5ae0e", spanLevel.SpanId);

        Assert.Equal(5, all.Values.Count(t => t.State == "ERROR"));
        Assert.Equal("req-live-s5-t2", all["live-s5-t2"].ClientRequestId);
        Assert.Equal(78608, all["batch-digest-500"].DurationMs);
    }
}
