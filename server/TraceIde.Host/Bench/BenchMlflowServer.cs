using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;

namespace TraceIde.Host.Bench;

/// <summary>
/// A stand-in MLflow tracking server on loopback for the host-overhead scenario: `/version`,
/// `server-info`, `POST traces/search` answering a 100-row page in MLflow's recorded response shape (the
/// fixtures' recorded rows, repeated with new trace IDs), and `POST traces/metrics` computed per request
/// over a real store by the host's SQL engine and written in MLflow's answer shape — so the server does
/// real work for every request, as MLflow would. Records the request bodies it receives, so the raw
/// HTTP side of the scenario can replay exactly what the host sent.
/// </summary>
public sealed class BenchMlflowServer : IAsyncDisposable
{
    public const string SearchPath = "/api/3.0/mlflow/traces/search";
    public const string MetricsPath = "/api/3.0/mlflow/traces/metrics";
    public const string TracesGetPath = "/api/3.0/mlflow/traces/get";
    public const string RecordPath = "/bench/record";
    public const string ReceivedPath = "/bench/received";

    private readonly WebApplication _app;
    private readonly byte[] _searchPage;
    private readonly LocalStoreBackend? _metricsStore;
    private readonly ConcurrentDictionary<string, byte[]> _traces = new(StringComparer.Ordinal);

    /// <summary>Request bodies by path, in arrival order, while <see cref="Recording"/> is on.</summary>
    public ConcurrentQueue<(string Path, string Body)> Received { get; } = new();
    public bool Recording { get; set; }
    public Uri BaseUri { get; private set; } = null!;

    private BenchMlflowServer(WebApplication app, byte[] searchPage, LocalStoreBackend? metricsStore)
    {
        _app = app;
        _searchPage = searchPage;
        _metricsStore = metricsStore;
    }

    /// <param name="metricsStore">Where traces/metrics answers are computed; null: that route answers 404.</param>
    public static async Task<BenchMlflowServer> StartAsync(string fixturesRoot, LocalStoreBackend? metricsStore, int rows)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var server = new BenchMlflowServer(app, SearchPage(fixturesRoot, rows), metricsStore);
        app.MapGet("/version", () => Results.Text("3.11.2.dev0"));
        app.MapGet("/api/3.0/mlflow/server-info", () => Results.Text("{\"store_type\": \"SqlStore\"}", "application/json"));
        app.MapPost(SearchPath, server.SearchAsync);
        app.MapPost(MetricsPath, server.MetricsAsync);
        app.MapGet(TracesGetPath, server.TracesGetAsync);
        // For a bench that runs this server in another process (so its CPU is measured alone): start
        // recording request bodies; stop and answer them as [{path, body}].
        app.MapPost(RecordPath, () =>
        {
            server.Received.Clear();
            server.Recording = true;
        });
        app.MapPost(ReceivedPath, () =>
        {
            server.Recording = false;
            return Results.Text(new JsonArray(server.Received.Select(r => (JsonNode)new JsonObject { ["path"] = r.Path, ["body"] = r.Body }).ToArray()).ToJsonString(), "application/json");
        });
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address);
        return server;
    }

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
        var body = new JsonObject { ["traces"] = traces, ["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"offset\": " + rows.ToString(CultureInfo.InvariantCulture) + "}")) };
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    private async Task SearchAsync(HttpContext context)
    {
        await RecordAsync(context).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(_searchPage).ConfigureAwait(false);
    }

    /// <summary>Answers `GET traces/get?trace_id=` with <paramref name="answer"/> (a whole traces/get body).</summary>
    public void ServeTrace(string traceId, byte[] answer) => _traces[traceId] = answer;

    private async Task TracesGetAsync(HttpContext context)
    {
        if (!_traces.TryGetValue(context.Request.Query["trace_id"].ToString(), out var answer))
        {
            // As MLflow answers an unknown ID (error__traces_get_unknown_id.json).
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            var id = context.Request.Query["trace_id"].ToString();
            await context.Response.WriteAsync(new JsonObject
            {
                ["error_code"] = "RESOURCE_DOES_NOT_EXIST",
                ["message"] = $"Trace with ID {id} is not found.",
                ["sqlstate"] = "KAM00",
                ["error_class"] = "RESOURCE_NOT_FOUND",
            }.ToJsonString()).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(answer).ConfigureAwait(false);
    }

    private async Task MetricsAsync(HttpContext context)
    {
        if (_metricsStore is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        var body = await RecordAsync(context).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(body);
        var points = await _metricsStore.QueryTraceMetricsAsync(ToQuery(doc.RootElement), context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(ToMlflowJson(points)).ConfigureAwait(false);
    }

    private async Task<string> RecordAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync().ConfigureAwait(false);
        if (Recording) Received.Enqueue((context.Request.Path.Value!, body));
        return body;
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
            b.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? long.Parse(v.GetString()!, CultureInfo.InvariantCulture) : v.GetInt64() : null;
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
