using System.Globalization;
using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

/// <summary>
/// The local store's order with MLflow 3.11 as the oracle: for each of MLflow's recorded answers to an accepted order_by
/// (http/traces_search_v3__order_*.json: 20 single pages and two paged walks, of 5 and 3 pages), the local store,
/// searching the server's own store (store/, the recordings' IDs) with the recording's experiments, filter, order_by
/// and page size, returns MLflow's traces in MLflow's order. A page of a walk is reached as a client reaches it: from
/// the first page, with the tokens the local store gives, each of which must be the one MLflow gave.
/// Ties: where the keys do not decide (one status, one environment, no session, no run, a single experiment), MLflow
/// orders by timestamp_ms DESC, then request_id ASC (the fixture README; docs/mlflow-notes.md#ordering-and-paging),
/// and the local store appends the same two keys, so trace IDs are compared in order everywhere. That MLflow's
/// answers are in that order is checked on the recorded values themselves, and <see cref="TiesLeftByTheKeys"/> says
/// where the tie-break decided.
/// </summary>
public sealed class OrderByOracleTests
{
    private const string Prefix = "traces_search_v3__order_";

    /// <summary>
    /// The recordings whose order_by leaves adjacent traces tied, and how many such pairs MLflow's tie-break put in
    /// order; every other recording is ordered by its keys alone. No two traces share a timestamp, so request_id, the
    /// last tie-break, decides nothing here.
    /// </summary>
    private static readonly Dictionary<string, int> TiesLeftByTheKeys = new()
    {
        ["experiment_id_asc"] = 4, // all traces are in experiment 1: the first 5 by the tie-break
        ["metadata_session_desc"] = 37, // within a session, and the 28 traces without one (last)
        ["metadata_user_asc"] = 14,
        ["name_asc"] = 1,
        ["run_id_asc"] = 4, // no trace has a run
        ["status_asc"] = 41,
        ["tag_environment_asc"] = 41,
        ["tag_triage_asc"] = 40, // 39 traces without the tag, last
    };

    private static IEnumerable<ReplayRecording> Recordings => ReplayRecording.All.Where(r => r.FileName.StartsWith(Prefix, StringComparison.Ordinal));

    private static string Case(string fileName) => Path.GetFileNameWithoutExtension(fileName)[Prefix.Length..];

    private static IEnumerable<string> CaseNames => Recordings.Select(r => Case(r.FileName));

    public static TheoryData<string> Cases() => new(CaseNames);

    [Fact]
    public void Every_accepted_order_recording_is_a_case()
    {
        Assert.Equal(28, CaseNames.Count());
        Assert.All(Recordings, r => Assert.Equal(200, r.Status));
        Assert.Subset(CaseNames.ToHashSet(), TiesLeftByTheKeys.Keys.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_local_store_gives_MLflows_traces_in_MLflows_order(string name)
    {
        var pages = Walk(name);
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var query = RecordedSearch.Query(pages[0]).WithClauses();
        Assert.Null(query.PageToken);
        for (var i = 0; i < pages.Count; i++)
        {
            var recorded = RecordedSearch.Query(pages[i]);
            Assert.Equal((query.Filter, query.PageSize), (recorded.Filter, recorded.PageSize)); // one search, page after page
            Assert.Equal(query.ExperimentIds, recorded.ExperimentIds);
            Assert.Equal(query.OrderBy, recorded.OrderBy);
            Assert.Equal(recorded.PageToken, query.PageToken); // the token the local store gave is the one MLflow gave

            var page = await backend.SearchTracesAsync(query, CancellationToken.None);

            Assert.Equal(RecordedSearch.TraceIds(pages[i]), page.Traces.Select(t => t.TraceId).ToList());
            Assert.Equal(RecordedSearch.NextPageToken(pages[i]), page.NextPageToken);
            query = query with { PageToken = page.NextPageToken };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MLflows_order_is_the_keys_then_timestamp_desc_then_request_id(string name)
    {
        var pages = Walk(name);
        var keys = OrderByParser.Parse(RecordedSearch.Query(pages[0]).OrderBy);
        var traces = pages.SelectMany(p => p.ResponseBody!.Value.TryGetProperty("traces", out var t) ? t.EnumerateArray() : []).ToList();
        var tieBreak = new List<OrderKey>(keys);
        if (!keys.Any(k => k.Field == "timestamp_ms")) tieBreak.Add(new OrderKey("timestamp_ms DESC", TraceFilterParser.Attribute, "timestamp_ms", false));
        if (!keys.Any(k => k.Field == "request_id")) tieBreak.Add(new OrderKey("request_id ASC", TraceFilterParser.Attribute, "request_id", true));

        var tiedOnKeys = 0;
        for (var i = 1; i < traces.Count; i++)
        {
            Assert.True(Compare(traces[i - 1], traces[i], tieBreak) < 0, $"{name}: trace {i - 1} is not before trace {i} by {string.Join(", ", tieBreak)}");
            if (Compare(traces[i - 1], traces[i], keys) == 0) tiedOnKeys++;
            Assert.NotEqual(0, Compare(traces[i - 1], traces[i], tieBreak.Where(k => k.Field != "request_id").ToList()));
        }
        Assert.Equal(TiesLeftByTheKeys.GetValueOrDefault(name), tiedOnKeys);
    }

    /// <summary>The recordings of one case in page order: the page itself, or pages 1..N of its walk.</summary>
    private static List<ReplayRecording> Walk(string name)
    {
        var paged = name.LastIndexOf("__p", StringComparison.Ordinal);
        if (paged < 0) return [ReplayRecording.Get(Prefix + name)];
        var last = int.Parse(name[(paged + 3)..], CultureInfo.InvariantCulture);
        return Enumerable.Range(1, last).Select(n => ReplayRecording.Get($"{Prefix}{name[..paged]}__p{n}")).ToList();
    }

    /// <summary>Compares two of MLflow's TraceInfo (v3 JSON) by the keys, as its SQL store orders: a missing value last either way.</summary>
    private static int Compare(JsonElement a, JsonElement b, IReadOnlyList<OrderKey> keys)
    {
        foreach (var key in keys)
        {
            var (x, y) = (Value(a, key), Value(b, key));
            if (Equals(x, y)) continue;
            if (x is null) return 1;
            if (y is null) return -1;
            var c = x is long lx ? lx.CompareTo((long)y) : string.CompareOrdinal((string)x, (string)y);
            return key.Ascending ? c : -c;
        }
        return 0;
    }

    private static object? Value(JsonElement trace, OrderKey key)
    {
        static string? Entry(JsonElement trace, string map, string key) =>
            trace.TryGetProperty(map, out var m) && m.TryGetProperty(key, out var v) ? v.GetString() : null;
        return key.Entity switch
        {
            TraceFilterParser.Tag => Entry(trace, "tags", key.Key),
            TraceFilterParser.Metadata => Entry(trace, "trace_metadata", key.Key),
            _ => key.Key switch
            {
                "timestamp_ms" => DateTimeOffset.Parse(trace.GetProperty("request_time").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
                // a protobuf Duration: "2.210s"
                "execution_time_ms" => (long)Math.Round(
                    double.Parse(trace.GetProperty("execution_duration").GetString()!.TrimEnd('s'), CultureInfo.InvariantCulture) * 1000),
                "status" => trace.GetProperty("state").GetString(),
                "request_id" => trace.GetProperty("trace_id").GetString(),
                "experiment_id" => trace.GetProperty("trace_location").GetProperty("mlflow_experiment").GetProperty("experiment_id").GetString(),
                "name" => Entry(trace, "tags", "mlflow.traceName"),
                "run_id" => Entry(trace, "trace_metadata", "mlflow.sourceRun"),
                _ => throw new ArgumentException($"no recorded value for {key.Key}"),
            },
        };
    }
}
