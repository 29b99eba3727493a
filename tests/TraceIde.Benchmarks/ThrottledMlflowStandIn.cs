using System.Diagnostics;
using System.Text.Json;

namespace TraceIde.Benchmarks;

/// <summary>How a stand-in route answers: after <see cref="FirstByte"/>, the body at <see cref="BytesPerSecond"/>.</summary>
public readonly record struct RouteSpeed(TimeSpan FirstByte, double BytesPerSecond)
{
    /// <summary>
    /// A whole answer of <paramref name="bytes"/> taking <paramref name="total"/>, of which
    /// <paramref name="firstByteShare"/> before its first byte.
    /// </summary>
    public static RouteSpeed Taking(long bytes, TimeSpan total, double firstByteShare) =>
        new(total * firstByteShare, bytes / Math.Max(total.TotalSeconds * (1 - firstByteShare), 1e-3));

    public static readonly RouteSpeed Unthrottled = new(TimeSpan.Zero, double.PositiveInfinity);
}

/// <summary>
/// The replay server (the one fake MLflow of the tests, <see cref="MlflowReplayServer"/>, playing MLflow 3.11 with
/// its recorded `/version`) serving one generated trace by every route the REST backend asks for it — `POST
/// traces/search` (its info row), `GET traces/{id}` (info), `GET traces/get` (OTel JSON) and `GET
/// get-trace-artifact` (traces.json) — each answer held back for its route's time to first byte and then written at
/// its route's rate, in 64 KB writes on a fixed schedule.
/// </summary>
public sealed class ThrottledMlflowStandIn : IAsyncDisposable
{
    private const int WriteSize = 64 * 1024;

    private readonly MlflowReplayServer _server;

    public Uri BaseUri => _server.BaseUri;

    private ThrottledMlflowStandIn(MlflowReplayServer server) => _server = server;

    public static Task<ThrottledMlflowStandIn> StartAsync(string traceId, byte[] artifact, byte[] tracesGet, int spans,
        RouteSpeed artifactSpeed, RouteSpeed tracesGetSpeed, RouteSpeed small)
    {
        var server = MlflowReplayServer.Start();
        var searchRow = Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("traces");
            SyntheticTraces.WriteTraceInfo(w, traceId, artifact.Length, spans);
            w.WriteEndArray();
            w.WriteEndObject();
        });
        var info = Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("trace");
            w.WritePropertyName("trace_info");
            SyntheticTraces.WriteTraceInfo(w, traceId, artifact.Length, spans);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        server.Override("/api/3.0/mlflow/traces/search", Throttled(searchRow, small));
        server.Override("/api/3.0/mlflow/traces/" + traceId, Throttled(info, small));
        server.Override("/api/3.0/mlflow/traces/get", Throttled(tracesGet, tracesGetSpeed));
        server.Override("/ajax-api/3.0/mlflow/get-trace-artifact", Throttled(artifact, artifactSpeed));
        return Task.FromResult(new ThrottledMlflowStandIn(server));
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) write(w);
        return stream.ToArray();
    }

    private static ReplayHandler Throttled(byte[] body, RouteSpeed speed) => async ctx =>
    {
        var ct = ctx.Stopping;
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        if (speed.FirstByte > TimeSpan.Zero) await Task.Delay(speed.FirstByte, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < body.Length;)
        {
            // Each write leaves when the rate allows all bytes before it: a schedule, so delays do not add up.
            var due = TimeSpan.FromSeconds(sent / speed.BytesPerSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due, ct).ConfigureAwait(false);
            var n = Math.Min(WriteSize, body.Length - sent);
            await response.OutputStream.WriteAsync(body.AsMemory(sent, n), ct).ConfigureAwait(false);
            await response.OutputStream.FlushAsync(ct).ConfigureAwait(false);
            sent += n;
        }
        response.Close();
    };

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
