using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

/// <summary>
/// What a search must refuse, with MLflow 3.11 as the oracle: every recorded refusal of traces/search
/// (http/error__traces_search_*.json: bad filters and order_by forms, v3 and v2) sent to the local store over the
/// server's own store, parsed as the host parses it. Where MLflow answered 400 the local store refuses too, with the
/// code the REST path gives MLflow's 400 (InvalidFilter) and a message that names what MLflow's names as the culprit.
/// MLflow's messages print Python sets in random order, so the culprit is compared, not the whole text; the table
/// holds, per recording, the culprit as MLflow names it (checked against the recorded message) and as ours must.
/// Nothing MLflow refuses is accepted here: IN on trace.name, SQL's &lt;&gt;, a prompt value without name/version, ordering by
/// client_request_id or an upper-case key were accepted before and are refused now, so that a search means the same
/// on a local store and on a tracking server. The deviations are MLflow's 500s (<see cref="MlflowBugs"/>) and, for
/// max_results and missing locations, the code (InvalidParams, as the host uses for parameters).
/// </summary>
public sealed class RejectedFiltersTests
{
    private const string Prefix = "error__traces_search_";

    /// <param name="Culprit">What our message must name (as a token, after its position or clause prefix).</param>
    /// <param name="MlflowNames">How MLflow's message names it (must be in the recorded message); default: the culprit.</param>
    /// <param name="Code">Our code; InvalidFilter is what the REST path gives any MLflow 400 (MlflowHttp).</param>
    private sealed record Refusal(string Culprit, string? MlflowNames = null, int Code = RpcErrorCodes.InvalidFilter);

    /// <summary>MLflow's 400s: the culprit per recording (file name without the prefix), read off MLflow's message.</summary>
    private static readonly Dictionary<string, Refusal> Refusals = new()
    {
        // filters
        ["v2_filter_or"] = new("OR", "'OR'"),
        ["v2_filter_unterminated_quote"] = new("'OK", "''', 'OK'"),
        ["v3_bad_filter_comparator"] = new("'==='"),
        ["v3_bad_filter_key"] = new("'foo'"),
        // MLflow names the unquoted value; ours names the operator first ('>' is refused on feedback even quoted) and the value.
        ["v3_bad_filter_unquoted_feedback"] = new("number 3", "Got value 3"),
        ["v3_filter_bare_identifier"] = new("'tags.environment'"),
        ["v3_filter_feedback_greater_than"] = new("'>'"),
        // MLflow names the list where one quoted value belongs; ours names the list and the IN that brought it.
        ["v3_filter_feedback_in"] = new("('5.0')"),
        ["v3_filter_feedback_unquoted_number"] = new("number 5", "Got value 5"),
        ["v3_filter_in_on_numeric_attribute"] = new("'IN'", "comparison with a list"),
        ["v3_filter_in_on_tag"] = new("'IN'"),
        ["v3_filter_in_on_trace_name"] = new("'IN'"),
        ["v3_filter_is_null_on_attribute"] = new("'IS NULL'"),
        ["v3_filter_metadata_greater_than"] = new("'>'"),
        ["v3_filter_missing_value"] = new("'tags.environment ='", "'tags.environment', '='"),
        ["v3_filter_numeric_on_string_attribute"] = new("number 1", "comparison with numeric values"),
        ["v3_filter_operator_double_eq"] = new("'=='"),
        ["v3_filter_operator_ne_sql"] = new("'<>'"),
        ["v3_filter_operator_not_like"] = new("'NOT LIKE'"),
        ["v3_filter_or"] = new("OR", "'OR'"),
        ["v3_filter_parentheses"] = new("'(trace.status = 'ERROR')'"),
        ["v3_filter_parentheses_or_in_and"] = new("'(tags.environment = 'staging' OR tags.channel = 'web')'"),
        ["v3_filter_prompt_bad_format"] = new("'x'"),
        ["v3_filter_span_attributes_empty"] = new("attributes.", "'attributes.'"),
        ["v3_filter_span_content_eq"] = new("'='"),
        ["v3_filter_span_unknown_attribute"] = new("'foo'"),
        ["v3_filter_text_eq"] = new("'='"),
        ["v3_filter_unknown_attribute"] = new("'foo'"),
        ["v3_filter_unquoted_string"] = new("ERROR"),
        ["v3_filter_unterminated_quote"] = new("'OK", "''', 'OK'"),
        // other parameters: the local store's own checks, with the code the host uses for parameters (REST: any 400 is
        // InvalidFilter, as MLflow's INVALID_PARAMETER_VALUE does not say which parameter)
        ["v3_max_results_too_large"] = new("1000", Code: RpcErrorCodes.InvalidParams),
        ["v3_missing_locations"] = new("'locations'", Code: RpcErrorCodes.InvalidParams),
        // order_by
        ["v3_bad_order_by"] = new("'no_such_column'"),
        ["v3_order_bad_direction"] = new("'ascending'", "'timestamp_ms ascending'"),
        ["v3_order_client_request_id"] = new("'client_request_id'"),
        ["v3_order_feedback"] = new("'feedback'"),
        ["v3_order_nulls_last"] = new("'NULLS LAST'", "'timestamp_ms DESC NULLS LAST'"),
        ["v3_order_prompt"] = new("'prompt'"),
        ["v3_order_span"] = new("'span'"),
        ["v3_order_text"] = new("'text'", "'text ASC'"),
        ["v3_order_upper_case_key"] = new("'TIMESTAMP_MS'"),
    };

    /// <summary>
    /// Named deviations: MLflow's 500s, its own bugs. `end_time[_ms]` is in its list of orderable keys, but its SQL model
    /// has no such column; a key given twice (under two spellings) is refused with a message, but as a 500. A user
    /// gets no traces from MLflow either way, so TraceIde refuses both as a bad order_by (InvalidFilter, like the other
    /// order_by refusals) and says why, rather than ordering locally what no tracking server can order: the same search
    /// must not work on one backend and fail on the other.
    /// </summary>
    private static readonly Dictionary<string, (string MlflowSays, string[] OursNames)> MlflowBugs = new()
    {
        ["v2_order_end_time"] = ("has no attribute 'end_time_ms'", ["'end_time'", "HTTP 500", "timestamp_ms"]),
        ["v3_order_end_time_desc"] = ("has no attribute 'end_time_ms'", ["'end_time'", "HTTP 500", "timestamp_ms"]),
        ["v3_order_end_time_ms_asc"] = ("has no attribute 'end_time_ms'", ["'end_time_ms'", "HTTP 500", "timestamp_ms"]),
        ["v3_order_duplicate_alias"] = ("contains duplicate fields", ["'timestamp_ms ASC'", "'timestamp DESC'", "timestamp_ms"]),
        ["v3_order_duplicate_name"] = ("contains duplicate fields", ["'name ASC'", "'trace.name DESC'", "name"]),
    };

    private static IEnumerable<ReplayRecording> Recordings =>
        ReplayRecording.All.Where(r => r.FileName.StartsWith(Prefix, StringComparison.Ordinal));

    private static string Case(ReplayRecording r) => Path.GetFileNameWithoutExtension(r.FileName)[Prefix.Length..];

    public static TheoryData<string> Refused() => new(Recordings.Where(r => r.Status == 400).Select(Case));

    public static TheoryData<string> Failed() => new(Recordings.Where(r => r.Status == 500).Select(Case));

    [Fact]
    public void Every_recorded_refusal_has_exactly_one_row()
    {
        var cases = Recordings.Select(Case).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(46, cases.Count);
        Assert.Equal(cases, Refusals.Keys.Concat(MlflowBugs.Keys).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task What_MLflow_refuses_the_local_store_refuses_naming_the_culprit(string name)
    {
        var rec = ReplayRecording.Get(Prefix + name);
        Assert.Equal(400, rec.Status);
        var row = Refusals[name];
        var mlflowMessage = MlflowMessage(rec);
        Assert.Contains(row.MlflowNames ?? row.Culprit, mlflowMessage);

        var request = RecordedSearch.Query(rec);
        var ex = await RefusalAsync(request);

        Assert.Equal(row.Code, ex.Code);
        var reason = Reason(ex.Message, request);
        Assert.True(NamesToken(reason, row.Culprit), $"'{ex.Message}' does not name {row.Culprit} (MLflow: {mlflowMessage})");
    }

    [Theory]
    [MemberData(nameof(Failed))]
    public async Task Where_MLflow_fails_with_a_500_the_local_store_refuses_and_says_why(string name)
    {
        var rec = ReplayRecording.Get(Prefix + name);
        Assert.Equal(500, rec.Status);
        var (mlflowSays, oursNames) = MlflowBugs[name];
        Assert.Contains(mlflowSays, MlflowMessage(rec));

        var request = RecordedSearch.Query(rec);
        var ex = await RefusalAsync(request);

        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
        Assert.All(oursNames, n => Assert.Contains(n, ex.Message));
    }

    /// <summary>
    /// The spellings next to what is refused still work (an over-eager fix would refuse them): filters MLflow answered
    /// (filters_ground_truth.json, same count), and order_by forms MLflow accepted (the second batch's order recordings).
    /// </summary>
    [Theory]
    [InlineData("trace.status != 'OK'", null)]
    [InlineData("trace.status NOT IN ('OK')", null)]
    [InlineData("trace.name != 'support_agent'", null)]
    [InlineData("trace.name LIKE '%agent%'", null)]
    [InlineData("trace.status IN ('ERROR') AND trace.name = 'rag_answer'", null)]
    [InlineData("prompt = 'my-prompt/1'", null)]
    [InlineData(null, "timestamp_ms DESC")]
    [InlineData(null, "timestamp")]
    [InlineData(null, "attributes.timestamp_ms desc")]
    [InlineData(null, "`timestamp_ms` DESC")]
    [InlineData(null, "trace.name DESC")]
    [InlineData(null, "metadata.`mlflow.trace.session` DESC")]
    public async Task Neighbours_of_the_refusals_are_accepted(string? filter, string? orderBy)
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        async Task<int> CountAsync(string? f, IReadOnlyList<string> o) => (await backend.SearchTracesAsync(new TraceQuery
        {
            ExperimentIds = ["1"], Filter = f, Clauses = TraceFilterParser.Parse(f), OrderBy = o, PageSize = TraceLimits.MaxPageSize,
        }, CancellationToken.None)).Traces.Count;

        var expected = filter == null ? await CountAsync(null, []) : FilterTruth.Value[filter].Length;
        Assert.Equal(expected, await CountAsync(filter, orderBy == null ? [] : [orderBy]));
    }

    private static readonly Lazy<Dictionary<string, string[]>> FilterTruth = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Root, "filters_ground_truth.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(t => t.GetString()!).ToArray());
    });

    private static async Task<BackendException> RefusalAsync(TraceQuery query)
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        // As the host does (TraceService.BuildQuery): the filter is parsed first, then the backend runs the query.
        return await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(query.WithClauses(), CancellationToken.None));
    }

    private static string MlflowMessage(ReplayRecording rec) => rec.ResponseBody!.Value.GetProperty("message").GetString()!;

    /// <summary>
    /// The part of our message that explains: after "Invalid filter at position N: " (which a filter refusal must
    /// have), or after "Invalid order_by clause '…': " (which repeats the whole clause, so it would name anything).
    /// </summary>
    private static string Reason(string message, TraceQuery r)
    {
        const string filterPrefix = "Invalid filter at position ";
        if (message.StartsWith(filterPrefix, StringComparison.Ordinal))
        {
            var colon = message.IndexOf(": ", StringComparison.Ordinal);
            Assert.True(int.TryParse(message[filterPrefix.Length..colon], out var position) && position >= 1, message);
            return message[(colon + 2)..];
        }
        Assert.True(string.IsNullOrWhiteSpace(r.Filter) || r.OrderBy.Count > 0, $"a refused filter's message has its position: {message}");
        foreach (var clause in r.OrderBy)
        {
            var clausePrefix = $"Invalid order_by clause '{clause}': ";
            if (message.StartsWith(clausePrefix, StringComparison.Ordinal)) return message[clausePrefix.Length..];
        }
        return message;
    }

    /// <summary>The text holds <paramref name="token"/> with no letter, digit or underscore right before or after it.</summary>
    private static bool NamesToken(string text, string token)
    {
        for (var i = text.IndexOf(token, StringComparison.Ordinal); i >= 0; i = text.IndexOf(token, i + 1, StringComparison.Ordinal))
        {
            var end = i + token.Length;
            if ((i == 0 || !IsWordChar(text[i - 1])) && (end == text.Length || !IsWordChar(text[end]))) return true;
        }
        return false;

        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }
}
