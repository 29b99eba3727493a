using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;

namespace TraceIde.Testing;

/// <summary>
/// The replay server (<see cref="MlflowReplayServer"/>, playing MLflow 3.11) as a stand-in tracking server at scale, for
/// the benchmarks and the tests that need more than the recordings: `POST traces/search` answers a page of any size in
/// MLflow's recorded shape (the fixtures' recorded rows, repeated with new trace IDs), `POST traces/metrics` is computed
/// per request over a real store by the SQL engine and written in MLflow's answer shape (so the server does real work
/// for every request, as MLflow would), and `GET traces/get` answers the traces given to <see cref="ServeTrace"/>.
/// Records the request bodies it receives while <see cref="Recording"/> is on (also over HTTP, for a benchmark that
/// runs it in another process), so a raw HTTP client can replay exactly what the host sent.
/// </summary>
public sealed class MlflowStandIn : IAsyncDisposable
{
    public const string SearchPath = "/api/3.0/mlflow/traces/search";
    public const string MetricsPath = "/api/3.0/mlflow/traces/metrics";
    public const string TracesGetPath = "/api/3.0/mlflow/traces/get";
    public const string RecordPath = "/bench/record";
    public const string ReceivedPath = "/bench/received";

    private readonly MlflowReplayServer _server;
    private readonly byte[] _searchPage;
    private readonly LocalStoreBackend? _metricsStore;
    private readonly ConcurrentDictionary<string, byte[]> _traces = new(StringComparer.Ordinal);

    /// <summary>Request bodies by path, in arrival order, while <see cref="Recording"/> is on.</summary>
    public ConcurrentQueue<(string Path, string Body)> Received { get; } = new();
    public bool Recording { get; set; }
    public Uri BaseUri => _server.BaseUri;

    private MlflowStandIn(byte[] searchPage, LocalStoreBackend? metricsStore)
    {
        _searchPage = searchPage;
        _metricsStore = metricsStore;
        // No recordings: every answer is the stand-in's own; /version and server-info are the played release's.
        _server = MlflowReplayServer.Start(new MlflowReplayOptions { Recordings = [], ServerVersion = "3.11.2.dev0" });
        _server.Override(SearchPath, SearchAsync);
        _server.Override(MetricsPath, MetricsAsync);
        _server.Override(TracesGetPath, TracesGetAsync);
        _server.Override(RecordPath, ctx =>
        {
            Received.Clear();
            Recording = true;
            return WriteAsync(ctx.Response, 200, "text/plain", []);
        });
        _server.Override(ReceivedPath, ctx =>
        {
            Recording = false;
            var received = new JsonArray(Received.Select(r => (JsonNode)new JsonObject { ["path"] = r.Path, ["body"] = r.Body }).ToArray());
            return WriteAsync(ctx.Response, 200, "application/json", Encoding.UTF8.GetBytes(received.ToJsonString()));
        });
    }

    /// <param name="fixturesRoot">tests/fixtures/mlflow-3.11.2.dev0 (<see cref="Fixtures.Root"/>).</param>
    /// <param name="metricsStore">Where traces/metrics answers are computed; null: that route answers 404.</param>
    /// <param name="rows">The traces/search page's size.</param>
    public static MlflowStandIn Start(string fixturesRoot, LocalStoreBackend? metricsStore, int rows) =>
        new(SearchPage(fixturesRoot, rows), metricsStore);

    /// <summary>
    /// A traces/search answer of <paramref name="rows"/> trace infos: the recorded `traces_search_v3__all`
    /// rows (real MLflow output) cycled, each copy with a new `tr-` ID (also in its artifact location tag).
    /// </summary>
    public static byte[] SearchPage(string fixturesRoot, int rows)
    {
        var recording = JsonNode.Parse(File.ReadAllText(Path.Combine(fixturesRoot, "http", "traces_search_v3__all.json")))!;
        var recorded = recording["response"]!["body"]!["traces"]!.AsArray();
        var traces = new JsonArray();
        for (var i = 0; i < rows; i++)
        {
            var row = recorded[i % recorded.Count]!.DeepClone();
            var oldId = (string)row["trace_id"]!;
            var newId = "tr-" + i.ToString("x8", CultureInfo.InvariantCulture) + oldId[11..];
            row["trace_id"] = newId;
            if (row["tags"]?["mlflow.artifactLocation"] is { } location)
                row["tags"]!["mlflow.artifactLocation"] = ((string)location!).Replace(oldId, newId, StringComparison.Ordinal);
            traces.Add(row);
        }
        var body = new JsonObject
        {
            ["traces"] = traces,
            ["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"offset\": " + rows.ToString(CultureInfo.InvariantCulture) + "}"))
        };
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    private Task SearchAsync(ReplayContext context)
    {
        Record(context);
        return WriteAsync(context.Response, 200, "application/json", _searchPage);
    }

    /// <summary>Answers `GET traces/get?trace_id=` with <paramref name="answer"/> (a whole traces/get body).</summary>
    public void ServeTrace(string traceId, byte[] answer) => _traces[traceId] = answer;

    private Task TracesGetAsync(ReplayContext context)
    {
        var id = context.Context.Request.QueryString["trace_id"] ?? "";
        if (_traces.TryGetValue(id, out var answer)) return WriteAsync(context.Response, 200, "application/json", answer);
        // As MLflow answers an unknown ID (error__traces_get_unknown_id.json).
        var error = new JsonObject
        {
            ["error_code"] = "RESOURCE_DOES_NOT_EXIST",
            ["message"] = $"Trace with ID {id} is not found.",
            ["sqlstate"] = "KAM00",
            ["error_class"] = "RESOURCE_NOT_FOUND",
        };
        return WriteAsync(context.Response, 404, "application/json", Encoding.UTF8.GetBytes(error.ToJsonString()));
    }

    private async Task MetricsAsync(ReplayContext context)
    {
        if (_metricsStore is null)
        {
            await WriteAsync(context.Response, 404, "text/plain", []).ConfigureAwait(false);
            return;
        }
        Record(context);
        using var doc = JsonDocument.Parse(context.Request.Body);
        var points = await _metricsStore.QueryTraceMetricsAsync(ToQuery(doc.RootElement), context.Stopping).ConfigureAwait(false);
        await WriteAsync(context.Response, 200, "application/json", Encoding.UTF8.GetBytes(ToMlflowJson(points))).ConfigureAwait(false);
    }

    private void Record(ReplayContext context)
    {
        if (Recording) Received.Enqueue((context.Request.Path, context.Request.Body));
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        if (body.Length > 0) await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        response.Close();
    }

    /// <summary>
    /// A QueryTraceMetrics request body (MLflow's snake_case JSON) as a <see cref="MetricsQuery"/>: what a
    /// server reads. The stand-in and the Overview tests (recorded requests → queries) share it.
    /// </summary>
    public static MetricsQuery ToQuery(JsonElement body)
    {
        static IReadOnlyList<string> Strings(JsonElement b, string name) =>
            b.TryGetProperty(name, out var a) ? a.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        static long? Long(JsonElement b, string name) =>
            b.TryGetProperty(name, out var v)
                ? v.ValueKind == JsonValueKind.String
                ? long.Parse(v.GetString()!, CultureInfo.InvariantCulture)
                : v.GetInt64()
                : null;
        return new MetricsQuery
        {
            ExperimentIds = Strings(body, "experiment_ids"),
            ViewType = body.GetProperty("view_type").GetString()!,
            MetricName = body.GetProperty("metric_name").GetString()!,
            Aggregations = body.GetProperty("aggregations").EnumerateArray().Select(a => new MetricsAggregation(
                a.GetProperty("aggregation_type").GetString()!,
                a.TryGetProperty("percentile_value", out var p) ? p.GetDouble() : null)).ToList(),
            Dimensions = Strings(body, "dimensions"),
            Filters = Strings(body, "filters"),
            TimeIntervalSeconds = Long(body, "time_interval_seconds"),
            StartTimeMs = Long(body, "start_time_ms"),
            EndTimeMs = Long(body, "end_time_ms"),
            MaxResults = body.TryGetProperty("max_results", out var m) ? m.GetInt32() : null,
        };
    }

    /// <summary>
    /// Data points in MLflow's answer shape ({"data_points": [{metric_name, dimensions{time_bucket…}, values}]}):
    /// what a ≥ 3.9 server on the same store would send. The stand-in and the Overview tests share it.
    /// </summary>
    public static string ToMlflowJson(IReadOnlyList<MetricsDataPoint> points)
    {
        var arr = new JsonArray();
        foreach (var p in points)
        {
            var dims = new JsonObject();
            if (p.TimeBucketMs is { } b)
                dims["time_bucket"] = DateTimeOffset.FromUnixTimeMilliseconds(b).ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);
            foreach (var (k, v) in p.Dimensions) dims[k] = v;
            var values = new JsonObject();
            foreach (var (k, v) in p.Values) values[k] = v;
            arr.Add(new JsonObject { ["metric_name"] = p.MetricName, ["dimensions"] = dims, ["values"] = values });
        }
        return new JsonObject { ["data_points"] = arr }.ToJsonString();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
