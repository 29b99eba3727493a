using System.Net;
using System.Text;
using System.Text.Json;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

using static TraceIde.Mlflow.Tests.TestSupport;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// TraceInfoV3 → <see cref="TraceSummary"/>: every row of the recorded answers, serialised as the host
/// sends it, must equal the golden file (written by the DOM parser this project started with, before
/// the one-pass reader replaced it), and the edge cases MLflow's JSON allows keep their meaning.
/// </summary>
public sealed class TraceInfoParsingTests
{
    private static readonly string GoldenPath = Path.Combine(Fixtures.RepoRoot, "tests", "TraceIde.Mlflow.Tests", "golden", "trace-summaries.json");

    /// <summary>The recordings whose rows the golden file holds: every row shape of the fixtures.</summary>
    private static readonly string[] GoldenRecordings =
    [
        "traces_search_v3__all",
        "traces_get_info_v3__batch-digest-500",
        "traces_get_info_v3__error-rate-limit",
        "traces_get_info_v3__live-s5-t3",
        "traces_get_info_v3__rag-seat-fee",
        "traces_get_info_v3__s1-paris-t1",
    ];

    [Fact]
    public async Task Recorded_rows_serialise_exactly_as_the_golden_file()
    {
        var actual = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var name in GoldenRecordings)
        {
            var rec = ReplayRecording.Get(name);
            await using var backend = BackendAnswering(rec.ResponseBytes());
            IReadOnlyList<TraceSummary> rows = name.StartsWith("traces_search_v3", StringComparison.Ordinal)
                ? (await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None)).Traces
                : [await backend.GetTraceInfoAsync("tr-any", CancellationToken.None)];
            actual[name] = JsonSerializer.SerializeToElement(rows, WireOptions);
        }
        var text = JsonSerializer.Serialize(
            actual,
            new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        await Golden.AssertMatchesAsync(GoldenPath, text);
        Assert.Contains("\"assessments\": [", text, StringComparison.Ordinal); // the golden file is not trivially empty
    }

    [Fact]
    public async Task Last_duplicate_wins_and_non_string_map_values_keep_their_json_text()
    {
        var row = await ParseOne("""
            {"trace_id": "tr-1", "state": "OK", "request_time": "2026-11-23T22:51:59.427Z", "state": "ERROR",
             "tags": {"n": 5, "o": {"a": [1, 2]}, "b": true, "z": null, "s": "x", "s": "y", "mlflow.traceName": "one"},
             "trace_metadata": {"k\u00e9y": "v\"al\u00e9", "mlflow.trace.session": "", "mlflow.trace.user": "u"},
             "client_request_id": ""}
            """);
        Assert.Equal("ERROR", row.State);
        Assert.Equal(new Dictionary<string, string>
        {
            ["n"] = "5", ["o"] = """{"a": [1, 2]}""", ["b"] = "true", ["z"] = "null", ["s"] = "y", ["mlflow.traceName"] = "one",
        }, row.Tags);
        Assert.Equal("one", row.Name);
        Assert.Equal("v\"alé", row.Metadata["kéy"]);
        Assert.Null(row.Session); // empty metadata values are no session
        Assert.Equal("u", row.User);
        Assert.Null(row.ClientRequestId);
        Assert.Equal(["n", "o", "b", "z", "s", "mlflow.traceName"], row.Tags.Keys.ToArray());
    }

    [Fact]
    public async Task Ids_experiment_and_times_in_every_form_mlflow_writes()
    {
        var nested = await ParseOne("""
            {"trace_id": 123, "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": 7}},
             "experiment_id": "9", "request_time": "2026-11-23T22:51:59.123456789+02:00", "execution_duration": "2s"}
            """);
        Assert.Equal("123", nested.TraceId);
        Assert.Equal("7", nested.ExperimentId);
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T20:51:59.1234567Z").ToUnixTimeMilliseconds(), nested.RequestTimeMs);
        Assert.Equal(2000, nested.DurationMs);
        Assert.Equal("STATE_UNSPECIFIED", nested.State);

        var flat = await ParseOne("""{"trace_id": "tr-2", "trace_location": "elsewhere", "experiment_id": "9", "execution_duration": "0.0005s"}""");
        Assert.Equal("9", flat.ExperimentId);
        Assert.Equal(0, flat.RequestTimeMs);
        Assert.Equal(1, flat.DurationMs); // rounded away from zero
        Assert.Empty(flat.Tags);
        Assert.Empty(flat.Assessments);

        var none = await ParseOne("""{"trace_id": "tr-3", "request_time": "1969-12-31T23:59:59.9995Z", "assessments": {"not": "an array"}}""");
        Assert.Equal("", none.ExperimentId);
        Assert.Equal(-1, none.RequestTimeMs);
        Assert.Null(none.DurationMs);
        Assert.Empty(none.Assessments);
    }

    [Theory]
    [InlineData("2026-11-23T22:51:59Z")]
    [InlineData("2026-11-23T22:51:59.4Z")]
    [InlineData("2026-11-23T22:51:59.427Z")]
    [InlineData("2026-11-23T22:51:59.427999999Z")]
    [InlineData("2026-11-23T22:51:59.427-05:30")]
    [InlineData("2026-02-29T00:00:00Z")] // not a leap year: DateTimeOffset's own answer (an error) decides
    [InlineData(" 2026-11-23T22:51:59.427Z ")]
    [InlineData("2026-11-23 22:51:59.427")]
    [InlineData("2026-11-23t22:51:59z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("2026-11-23T24:00:00Z")]
    public async Task Timestamps_read_as_DateTimeOffset_reads_them(string text)
    {
        long? expected;
        try
        {
            var s = text.Trim();
            var dot = s.IndexOf('.');
            if (dot >= 0)
            {
                var end = dot + 1;
                while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
                if (end - dot - 1 > 7) s = s[..(dot + 8)] + s[end..];
            }
            expected = DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal).ToUnixTimeMilliseconds();
        }
        catch (FormatException)
        {
            expected = null;
        }
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["trace_id"] = "tr-1", ["request_time"] = text });
        if (expected is { } ms)
        {
            Assert.Equal(ms, (await ParseOne(json)).RequestTimeMs);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<BackendException>(() => ParseOne(json));
            Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        }
    }

    [Fact]
    public async Task Assessments_of_every_kind()
    {
        var row = await ParseOne("""
            {"trace_id": "tr-1", "assessments": [
              {"assessment_id": "a1", "assessment_name": "both", "expectation": {"value": 1}, "feedback": {"value": {"x": [true, null]}},
               "source": {"source_type": "AI_JUDGE", "source_id": "judge"}, "create_time": "2026-11-23T22:52:23.996Z", "valid": false,
               "span_id": "", "overrides": "", "metadata": {"m": 1}},
              {"assessment_id": "a2", "assessment_name": "exp", "expectation": {"serialized_value": {"value": "[1, \"two\"]"}}},
              {"assessment_id": "a3", "assessment_name": "exp-bad", "expectation": {"value": null, "serialized_value": {"value": "not json"}}},
              {"assessment_id": "a4", "assessment_name": "iss", "issue": {"issue_name": "hallucination"}, "error": {"error_code": "E", "error_message": "m",
               "stack_trace": "st"}},
              {"assessment_id": "a5", "feedback": {"value": null, "error": {"error_code": "TIMEOUT"}}, "error": {"error_code": "IGNORED"}, "span_id": "abc",
               "overrides": "a1", "last_update_time": "2026-11-23T22:52:23Z"},
              {"assessment_name": "bare", "feedback": "not an object", "valid": true}
            ]}
            """);
        var a = row.Assessments;
        Assert.Equal(6, a.Count);

        Assert.Equal("feedback", a[0].Kind); // feedback wins over expectation wherever it stands
        Assert.Equal("""{"x":[true,null]}""", JsonSerializer.Serialize(a[0].Value));
        Assert.Equal("LLM_JUDGE", a[0].SourceType);
        Assert.Equal("judge", a[0].SourceId);
        Assert.Equal(1795474343996, a[0].CreateTimeMs);
        Assert.Null(a[0].LastUpdateTimeMs);
        Assert.False(a[0].Valid);
        Assert.Null(a[0].SpanId);
        Assert.Null(a[0].Overrides);
        Assert.Equal("1", a[0].Metadata["m"]);

        Assert.Equal("expectation", a[1].Kind);
        Assert.Equal("""[1,"two"]""", JsonSerializer.Serialize(a[1].Value));
        Assert.Equal("not json", a[2].Value!.Value.GetString());

        Assert.Equal("issue", a[3].Kind);
        Assert.Equal("hallucination", a[3].Value!.Value.GetString());
        Assert.Equal(new AssessmentError("E", "m", "st"), a[3].Error); // the deprecated top-level error

        Assert.Null(a[4].Value);
        Assert.Equal(new AssessmentError("TIMEOUT", null, null), a[4].Error); // feedback's own error first
        Assert.Equal("abc", a[4].SpanId);
        Assert.Equal("a1", a[4].Overrides);
        Assert.Equal(1795474343000, a[4].LastUpdateTimeMs);
        Assert.True(a[4].Valid);

        Assert.Equal("", a[5].AssessmentId);
        Assert.Equal("feedback", a[5].Kind);
        Assert.Null(a[5].Value);
        Assert.Empty(a[5].Metadata);
    }

    [Theory]
    [InlineData("""{"input_tokens": 3, "output_tokens": 1.0, "total_tokens": 4, "total_tokens": 5}""", 3L, 1L, 5L, null)]
    [InlineData("""{"input_tokens": "3", "cache_read_input_tokens": 2}""", null, null, null, 2L)]
    [InlineData("""{"input_tokens": 3} trailing""", null, null, null, null)]
    [InlineData("""[1, 2]""", null, null, null, null)]
    public async Task Token_usage_from_metadata(string json, long? input, long? output, long? total, long? cacheRead)
    {
        var row = await ParseOne(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["trace_id"] = "tr-1",
            ["trace_metadata"] = new Dictionary<string, string> { ["mlflow.trace.tokenUsage"] = json },
        }));
        var parsedAtAll = json.StartsWith('{') && !json.EndsWith("trailing", StringComparison.Ordinal);
        Assert.Equal(parsedAtAll ? new TokenUsage(input, output, total, cacheRead) : null, row.Tokens);
    }

    [Theory]
    [InlineData("""{"traces": {}}""")]
    [InlineData("""{"traces": [{"state": "OK"}]}""")]
    [InlineData("""{"traces": ["tr-1"]}""")]
    [InlineData("""{"traces": [{"trace_id": "tr-1", "assessments": [3]}]}""")]
    public async Task Answers_not_in_mlflows_shape_are_bad_responses(string body)
    {
        await using var backend = BackendAnswering(Encoding.UTF8.GetBytes(body));
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("was not in the form MLflow answers", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"traces": [{"trace_id": "tr-1"}""")]
    [InlineData("""{"traces": [{"trace_id": "tr-1"}]} {""")]
    [InlineData("""{"traces": [{"trace_id": "tr-1", "tags": {"a": tru}}]}""")]
    public async Task Answers_that_are_not_json_are_bad_responses(string body)
    {
        await using var backend = BackendAnswering(Encoding.UTF8.GetBytes(body));
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("was not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_byte_order_mark_before_the_page_is_skipped_as_a_dom_parse_skips_it()
    {
        await using var backend = BackendAnswering([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"traces": [{"trace_id": "tr-1"}]}""")]);
        var page = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None);
        Assert.Equal("tr-1", Assert.Single(page.Traces).TraceId);
    }

    [Fact]
    public async Task An_empty_body_is_an_empty_page_and_the_token_is_read_wherever_it_stands()
    {
        await using (var empty = BackendAnswering([]))
        {
            var page = await empty.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None);
            Assert.Empty(page.Traces);
            Assert.Null(page.NextPageToken);
        }
        await using var backend = BackendAnswering(
            Encoding.UTF8.GetBytes("""{"next_page_token": "abc", "traces": [{"trace_id": "tr-1"}], "extra": [{"x": 1}]}"""));
        var p = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None);
        Assert.Equal("abc", p.NextPageToken);
        Assert.Equal("tr-1", Assert.Single(p.Traces).TraceId);
    }

    // ------------------------------------------------------------------ support

    private static readonly JsonSerializerOptions WireOptions = WireOptionsOf();

    private static JsonSerializerOptions WireOptionsOf()
    {
        var options = new JsonSerializerOptions();
        ProtocolJson.Configure(options);
        return options;
    }

    /// <summary>One trace info, read both ways the backend reads one: as a search row and as a trace-info answer.</summary>
    private static async Task<TraceSummary> ParseOne(string traceInfoJson)
    {
        TraceSummary fromSearch, fromInfo;
        await using (var search = BackendAnswering(Encoding.UTF8.GetBytes("{\"traces\": [" + traceInfoJson + "]}")))
            fromSearch = Assert.Single((await search.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, CancellationToken.None)).Traces);
        await using (var info = BackendAnswering(Encoding.UTF8.GetBytes("{\"trace\": {\"trace_info\": " + traceInfoJson + "}}")))
            fromInfo = await info.GetTraceInfoAsync("tr-1", CancellationToken.None);
        Assert.Equal(JsonSerializer.Serialize(fromSearch, WireOptions), JsonSerializer.Serialize(fromInfo, WireOptions));
        return fromSearch;
    }
}
