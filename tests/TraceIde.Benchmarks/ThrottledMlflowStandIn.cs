using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TraceIde.Benchmarks;

/// <summary>How a stand-in route answers: after <see cref="FirstByte"/>, the body at <see cref="BytesPerSecond"/>.</summary>
public readonly record struct RouteSpeed(TimeSpan FirstByte, double BytesPerSecond)
{
    /// <summary>A whole answer of <paramref name="bytes"/> taking <paramref name="total"/>, of which <paramref name="firstByteShare"/> before its first
    /// byte.</summary>
    public static RouteSpeed Taking(long bytes, TimeSpan total, double firstByteShare) =>
        new(total * firstByteShare, bytes / Math.Max(total.TotalSeconds * (1 - firstByteShare), 1e-3));

    public static readonly RouteSpeed Unthrottled = new(TimeSpan.Zero, double.PositiveInfinity);
}

/// <summary>
/// A stand-in MLflow 3.11 tracking server on loopback (Kestrel, port 0) serving one trace by every route the
/// REST backend asks for it — `/version`, `POST traces/search` (its info row), `GET traces/{id}` (info),
/// `GET traces/get` (OTel JSON) and `GET get-trace-artifact` (traces.json) — each answer held back for its
/// route's time to first byte and then written at its route's rate, in 64 KB writes on a fixed schedule.
/// </summary>
public sealed class ThrottledMlflowStandIn : IAsyncDisposable
{
    private const int WriteSize = 64 * 1024;

    private readonly WebApplication _app;
    private readonly Dictionary<string, (byte[] Body, RouteSpeed Speed)> _routes;

    public Uri BaseUri { get; private set; } = null!;

    private ThrottledMlflowStandIn(WebApplication app, Dictionary<string, (byte[], RouteSpeed)> routes)
    {
        _app = app;
        _routes = routes;
    }

    public static async Task<ThrottledMlflowStandIn> StartAsync(string traceId, byte[] artifact, byte[] tracesGet, int spans,
        RouteSpeed artifactSpeed, RouteSpeed tracesGetSpeed, RouteSpeed small)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var routes = new Dictionary<string, (byte[], RouteSpeed)>(StringComparer.Ordinal)
        {
            ["/api/3.0/mlflow/traces/search"] = (Json(w => { w.WriteStartObject(); w.WriteStartArray("traces"); SyntheticTraces.WriteTraceInfo(
                w,
                traceId,
                artifact.Length,
                spans); w.WriteEndArray(); w.WriteEndObject(); }), small),
            ["/api/3.0/mlflow/traces/" + traceId] = (
                Json(w => { w.WriteStartObject(); w.WriteStartObject("trace"); w.WritePropertyName("trace_info"); SyntheticTraces.WriteTraceInfo(
                    w,
                    traceId,
                    artifact.Length,
                    spans); w.WriteEndObject(); w.WriteEndObject(); }),
                small),
            ["/api/3.0/mlflow/traces/get"] = (tracesGet, tracesGetSpeed),
            ["/ajax-api/3.0/mlflow/get-trace-artifact"] = (artifact, artifactSpeed),
        };
        var server = new ThrottledMlflowStandIn(app, routes);
        app.MapGet("/version", () => Results.Text("3.11.2.dev0"));
        app.MapGet("/api/3.0/mlflow/server-info", () => Results.Text("{\"store_type\": \"SqlStore\"}", "application/json"));
        app.MapFallback(server.AnswerAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return server;
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) write(w);
        return stream.ToArray();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        if (!_routes.TryGetValue(context.Request.Path.Value ?? "", out var route))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("{\"error_code\": \"ENDPOINT_NOT_FOUND\"}").ConfigureAwait(false);
            return;
        }
        var (body, speed) = route;
        var ct = context.RequestAborted;
        if (context.Request.ContentLength > 0) await context.Request.Body.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        if (speed.FirstByte > TimeSpan.Zero) await Task.Delay(speed.FirstByte, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < body.Length;)
        {
            // Each write leaves when the rate allows all bytes before it: a schedule, so delays do not add up.
            var due = TimeSpan.FromSeconds(sent / speed.BytesPerSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due, ct).ConfigureAwait(false);
            var n = Math.Min(WriteSize, body.Length - sent);
            await context.Response.Body.WriteAsync(body.AsMemory(sent, n), ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            sent += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
