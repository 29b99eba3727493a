using System.Globalization;
using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Overview;
using TraceIde.Testing;

namespace TraceIde.Overview.Tests;

internal static class MetricsTestSupport
{
    public const string MetricsPath = "/api/3.0/mlflow/traces/metrics";

    public static LocalStoreBackend ServerStore() => new(Fixtures.ServerStore);

    public static MlflowRestBackend RestBackend(MlflowReplayServer server) =>
        new(new MlflowBackendOptions { TrackingUri = server.BaseUri });

    public static IEnumerable<ReplayRecording> MetricRecordings(bool errors) =>
        ReplayRecording.All.Where(r => r.Path == MetricsPath && (r.Status != 200) == errors);

    /// <summary>The recorded request body as a <see cref="MetricsQuery"/>.</summary>
    public static MetricsQuery ToQuery(JsonElement body) => MlflowStandIn.ToQuery(body);

    /// <summary>The recorded response's data points, parsed independently of the backend's parser.</summary>
    public static List<MetricsDataPoint> Expected(ReplayRecording r)
    {
        var list = new List<MetricsDataPoint>();
        if (r.ResponseBody is not { } body || !body.TryGetProperty("data_points", out var arr)) return list;
        foreach (var p in arr.EnumerateArray())
        {
            long? bucket = null;
            var dims = new Dictionary<string, string>();
            foreach (var d in p.TryGetProperty("dimensions", out var dd) ? dd.EnumerateObject() : default)
            {
                if (d.Name == "time_bucket") bucket = DateTimeOffset.Parse(d.Value.GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
                else dims[d.Name] = d.Value.GetString()!;
            }
            list.Add(new MetricsDataPoint
            {
                MetricName = p.GetProperty("metric_name").GetString()!,
                TimeBucketMs = bucket,
                Dimensions = dims,
                Values = p.GetProperty("values").EnumerateObject().ToDictionary(v => v.Name, v => v.Value.GetDouble()),
            });
        }
        return list;
    }

    private static string Key(MetricsDataPoint p) =>
        (p.TimeBucketMs?.ToString(CultureInfo.InvariantCulture) ?? "-") + "|" +
        string.Join(",", p.Dimensions.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Key + "=" + d.Value));

    public static bool Close(double a, double b) =>
        a == b || Math.Abs(a - b) <= 1e-9 * Math.Max(Math.Abs(a), Math.Abs(b));

    /// <summary>Same data points (as a set): same dimensions, same value keys, values within 1e-9 relative.</summary>
    public static void AssertSamePoints(IReadOnlyList<MetricsDataPoint> expected, IReadOnlyList<MetricsDataPoint> actual, string what)
    {
        var e = expected.ToDictionary(Key);
        var a = actual.ToDictionary(Key);
        Assert.True(e.Count == expected.Count && a.Count == actual.Count, what + ": duplicate data points");
        Assert.True(e.Keys.Order().SequenceEqual(a.Keys.Order()),
            $"{what}: data points differ.\nexpected: {string.Join("; ", e.Keys.Order())}\nactual:   {string.Join("; ", a.Keys.Order())}");
        foreach (var (key, ep) in e)
        {
            var ap = a[key];
            Assert.Equal(ep.MetricName, ap.MetricName);
            Assert.True(
                ep.Values.Keys.Order().SequenceEqual(ap.Values.Keys.Order()),
                $"{what} {key}: value keys {string.Join(",", ep.Values.Keys)} vs {string.Join(",", ap.Values.Keys)}");
            foreach (var (vk, ev) in ep.Values)
                Assert.True(Close(ev, ap.Values[vk]), $"{what} {key} {vk}: expected {ev:R}, got {ap.Values[vk]:R}");
        }
    }

    /// <summary>An MLflow-shaped JSON answer for data points (what a ≥ 3.9 server on the same store would send).</summary>
    public static string ToMlflowJson(IReadOnlyList<MetricsDataPoint> points) => MlflowStandIn.ToMlflowJson(points);

    /// <summary>
    /// A self-comparison where MLflow was not recorded: the replay server answers a metrics request MLflow answered in
    /// the recordings with that answer, and any other with the host engine over the same store (what a ≥ 3.9 server
    /// should say). A test using this checks the REST path's plumbing, not MLflow's numbers, for the requests whose
    /// <see cref="ReceivedRequest.MatchedRecording"/> is null; <see cref="UnrecordedMetricsRequests"/> names them.
    /// </summary>
    public static void AnswerUnrecordedMetricsWithTheHostEngine(MlflowReplayServer server, LocalStoreBackend store)
    {
        server.Override(MetricsPath, async ctx =>
        {
            if (ctx.Request.MatchedRecording != null)
            {
                await ctx.ReplayAsync();
                return;
            }
            using var doc = JsonDocument.Parse(ctx.Request.Body);
            var points = await store.QueryTraceMetricsAsync(ToQuery(doc.RootElement), CancellationToken.None);
            await ReplayFaults.Respond(200, "application/json", ToMlflowJson(points))(ctx);
        });
    }

    /// <summary>The metrics requests the server heard that no MLflow recording answered, as "metric(aggregations)[dimensions]/interval".</summary>
    public static List<string> UnrecordedMetricsRequests(MlflowReplayServer server) =>
        server.Requests.Where(r => r.Path == MetricsPath && r.MatchedRecording is null).Select(r => Describe(r.Body)).Order(StringComparer.Ordinal).ToList();

    private static string Describe(string body)
    {
        var q = ToQuery(JsonDocument.Parse(body).RootElement);
        var aggregations = string.Join(",", q.Aggregations.Select(a => a.ValueKey));
        var dimensions = q.Dimensions.Count > 0 ? "[" + string.Join(",", q.Dimensions) + "]" : "";
        return $"{q.ViewType}.{q.MetricName}({aggregations}){dimensions}/{q.TimeIntervalSeconds?.ToString(CultureInfo.InvariantCulture) ?? "total"}";
    }
}
