using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TraceIde.Testing;

/// <summary>Options of <see cref="MlflowReplayServer"/>.</summary>
public sealed record MlflowReplayOptions
{
    /// <summary>`mlflow server --static-prefix`, e.g. "/p". Every route (also /version, /health) lives under it.</summary>
    public string? StaticPrefix { get; init; }
    /// <summary>Require `Authorization: Basic base64(user:pass)` (MLflow basic-auth app).</summary>
    public (string User, string Password)? BasicAuth { get; init; }
    /// <summary>Require `Authorization: Bearer token` (reverse proxy). With <see cref="BasicAuth"/> either is accepted.</summary>
    public string? BearerToken { get; init; }
    /// <summary>Recordings to answer from; default: all of them.</summary>
    public IReadOnlyList<ReplayRecording>? Recordings { get; init; }
    /// <summary>Listen on this loopback port (to restart a server where clients expect it); default: a free one.</summary>
    public int? Port { get; init; }
    /// <summary>
    /// Play this MLflow release (<see cref="MlflowVersionRoutes.Simulated"/>): /version says it, a route it
    /// does not serve answers as it would (Flask's 404; traces/get on 3.2–3.6 as the trace-info route's
    /// JSON 404 for the ID "get"), and from 3.10 server-info answers a SQL store; everything else is
    /// answered from the recordings. Null: the recorded 3.11 server as it is.
    /// </summary>
    public string? ServerVersion { get; init; }
}

/// <summary>
/// A request the replay server received. <see cref="MatchedRecording"/> is the recording the request
/// matches (file name), or null — also set when an override answered instead.
/// </summary>
public sealed record ReceivedRequest(
    string Method,
    string Url,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    string? MatchedRecording)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>What a fault handler gets: the raw listener context and the normal replay answer.</summary>
public sealed class ReplayContext
{
    private readonly Func<Task> _replay;

    internal ReplayContext(HttpListenerContext context, ReceivedRequest request, Func<Task> replay, CancellationToken stopping)
    {
        Context = context;
        Request = request;
        _replay = replay;
        Stopping = stopping;
    }

    public HttpListenerContext Context { get; }
    public HttpListenerResponse Response => Context.Response;
    public ReceivedRequest Request { get; }
    /// <summary>Cancelled when the server stops.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>Answer as the recordings say (as if there was no override).</summary>
    public Task ReplayAsync() => _replay();
}

public delegate Task ReplayHandler(ReplayContext context);

/// <summary>Ready-made handlers for <see cref="MlflowReplayServer.Override"/>.</summary>
public static class ReplayFaults
{
    /// <summary>Headers announce a long body; a part is sent, then the connection is dropped.</summary>
    public static ReplayHandler CloseMidBody(string partialBody = "{\"traces\": [{\"trace_id\": \"tr-") => async ctx =>
    {
        var bytes = Encoding.UTF8.GetBytes(partialBody);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length + 10_000;
        await ctx.Response.OutputStream.WriteAsync(bytes);
        await ctx.Response.OutputStream.FlushAsync();
        ctx.Response.Abort();
    };

    /// <summary>A complete HTTP answer whose body is cut JSON.</summary>
    public static ReplayHandler TruncatedJson(string body = "{\"traces\": [{\"trace_id\": \"tr-2a24") =>
        Respond(200, "application/json", body);

    /// <summary>200 with a body that is not JSON at all (e.g. a proxy's HTML page).</summary>
    public static ReplayHandler NotJson(string body = "<html><body>Bad gateway</body></html>", string contentType = "text/html; charset=utf-8") =>
        Respond(200, contentType, body);

    /// <summary>Flask's unknown-route answer (what servers without the endpoint return).</summary>
    public static ReplayHandler HtmlNotFound() => Respond(404, "text/html; charset=utf-8", MlflowReplayServer.FlaskNotFoundHtml);

    /// <summary>Waits, then answers normally (or ends when the server stops).</summary>
    public static ReplayHandler Delay(TimeSpan delay) => async ctx =>
    {
        try { await Task.Delay(delay, ctx.Stopping); }
        catch (OperationCanceledException) { ctx.Response.Abort(); return; }
        await ctx.ReplayAsync();
    };

    public static ReplayHandler Respond(int status, string contentType, string body, IReadOnlyDictionary<string, string>? headers = null) => async ctx =>
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        if (headers != null) foreach (var (k, v) in headers) ctx.Response.AddHeader(k, v);
        ctx.Response.ContentLength64 = bytes.Length;
        await ctx.Response.OutputStream.WriteAsync(bytes);
        ctx.Response.Close();
    };

    /// <summary>A proxy's or Flask's HTML error page with <paramref name="status"/> (502 Bad Gateway, 500, 503).</summary>
    public static ReplayHandler HtmlError(int status) => Respond(status, "text/html; charset=utf-8",
        $"<!DOCTYPE html>\n<html><head><title>{status} Error</title><script>alert('x')</script></head>" +
        $"<body><h1>{status} Error</h1><p>The upstream server <b>mlflow</b> failed.</p></body></html>\n");

    /// <summary>429 Too Many Requests with a Retry-After header (delta seconds or an HTTP date, as given).</summary>
    public static ReplayHandler TooManyRequests(string retryAfter) => Respond(429, "application/json",
        "{\"error_code\": \"REQUEST_LIMIT_EXCEEDED\", \"message\": \"Too many requests\"}",
        new Dictionary<string, string> { ["Retry-After"] = retryAfter });

    /// <summary>An MLflow JSON error body.</summary>
    public static ReplayHandler MlflowError(int status, string errorCode, string message) =>
        Respond(status, "application/json", JsonSerializer.Serialize(new Dictionary<string, string> { ["error_code"] = errorCode, ["message"] = message }));
}

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 that answers exactly as the recorded MLflow 3.11.2.dev0 exchanges:
/// a request matches a recording by method, path, query (multimap, order-insensitive) and JSON body
/// (semantic equality); anything else gets Flask's HTML 404. Supports a static prefix, basic/bearer auth,
/// per-path fault overrides and records every request it received.
/// </summary>
public sealed class MlflowReplayServer : IAsyncDisposable, IDisposable
{
    public const string FlaskNotFoundHtml =
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" +
        "<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n";

    public const string UnauthenticatedText =
        "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.";

    private readonly HttpListener _listener;
    private readonly MlflowReplayOptions _options;
    private readonly IReadOnlyList<ReplayRecording> _recordings;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, (ReplayHandler Handler, int Remaining)> _overrides = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    private MlflowReplayServer(HttpListener listener, int port, MlflowReplayOptions options)
    {
        _listener = listener;
        _options = options;
        _recordings = options.Recordings ?? ReplayRecording.All;
        _prefix = NormalizePrefix(options.StaticPrefix);
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}{_prefix}");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public static MlflowReplayServer Start(MlflowReplayOptions? options = null)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var port = options?.Port ?? FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new MlflowReplayServer(listener, port, options ?? new MlflowReplayOptions());
            }
            catch (HttpListenerException ex)
            {
                last = ex;
                listener.Close();
                if (options?.Port != null) Thread.Sleep(100); // the same port: give the old socket a moment
            }
        }
        throw new InvalidOperationException("Could not start the replay server on a free loopback port", last);
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:port[/prefix] — no trailing slash.</summary>
    public Uri BaseUri { get; }

    /// <summary>Requests received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToArray();

    public void ClearRequests() { while (_requests.TryDequeue(out _)) { } }

    /// <summary>
    /// Answer requests to <paramref name="path"/> (without the static prefix, without query) with
    /// <paramref name="handler"/>; <paramref name="times"/> limits how often (null = until removed).
    /// </summary>
    public void Override(string path, ReplayHandler handler, int? times = null) =>
        _overrides[path] = (handler, times ?? int.MaxValue);

    public void RemoveOverride(string path) => _overrides.TryRemove(path, out _);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string NormalizePrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix == "/") return "";
        return "/" + prefix.Trim('/');
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch when (_stopping.IsCancellationRequested || !_listener.IsListening) { return; }
            catch (HttpListenerException) { continue; }
            catch (ObjectDisposedException) { return; }
            var t = Task.Run(() => HandleAsync(ctx));
            _inFlight[t] = 0;
            _ = t.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        try
        {
            await HandleCoreAsync(ctx).ConfigureAwait(false);
        }
        catch
        {
            try { ctx.Response.Abort(); } catch { /* client gone */ }
        }
    }

    private async Task HandleCoreAsync(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        string body;
        using (var reader = new StreamReader(req.InputStream, Encoding.UTF8))
            body = await reader.ReadToEndAsync().ConfigureAwait(false);

        var rawUrl = req.RawUrl ?? "/";
        var qIndex = rawUrl.IndexOf('?');
        var rawPath = qIndex >= 0 ? rawUrl[..qIndex] : rawUrl;
        var rawQuery = qIndex >= 0 ? rawUrl[(qIndex + 1)..] : "";
        var fullPath = Uri.UnescapeDataString(rawPath);
        string? path = null;
        if (_prefix.Length == 0) path = fullPath;
        else if (fullPath.StartsWith(_prefix + "/", StringComparison.Ordinal)) path = fullPath[_prefix.Length..];

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in req.Headers.AllKeys)
            if (key != null) headers[key] = req.Headers[key] ?? "";

        var method = req.HttpMethod.ToUpperInvariant();
        var simulated = path == null ? null : SimulatedAnswer(method, path);
        var match = path == null || simulated != null ? null : FindMatch(method, path, ParseQuery(rawQuery), body, req.ContentType);
        var received = new ReceivedRequest(method, rawUrl, path ?? fullPath, headers, body, match?.FileName ?? simulated?.Name);
        _requests.Enqueue(received);

        // Unknown prefix: Flask 404 (before auth, like a path outside the mounted app).
        if (path == null)
        {
            await WriteAsync(ctx.Response, 404, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(FlaskNotFoundHtml)).ConfigureAwait(false);
            return;
        }

        if (!Authorized(path, received.Header("Authorization")))
        {
            ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"mlflow\"");
            await WriteAsync(ctx.Response, 401, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(UnauthenticatedText)).ConfigureAwait(false);
            return;
        }

        Task ReplayAsync() => simulated != null
            ? WriteAsync(ctx.Response, simulated.Status, simulated.ContentType, Encoding.UTF8.GetBytes(simulated.Body))
            : match == null
            ? WriteAsync(ctx.Response, 404, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(FlaskNotFoundHtml))
            : WriteAsync(ctx.Response, match.Status, match.ResponseContentType, match.ResponseBytes());

        if (TakeOverride(path) is { } handler)
        {
            await handler(new ReplayContext(ctx, received, ReplayAsync, _stopping.Token)).ConfigureAwait(false);
            return;
        }
        await ReplayAsync().ConfigureAwait(false);
    }

    /// <summary>An answer of the release <see cref="MlflowReplayOptions.ServerVersion"/> plays.</summary>
    private sealed record Simulated(int Status, string ContentType, string Body, string? Name);

    /// <summary>
    /// What the played release answers instead of the recordings, or null. Its 404s carry no name, so they
    /// count as unmatched as any other 404; its own /version and server-info answers are named "simulated:…".
    /// </summary>
    private Simulated? SimulatedAnswer(string method, string path)
    {
        if (_options.ServerVersion is not { } version) return null;
        if (method == "GET" && path == "/version")
            return new Simulated(200, "text/plain; charset=utf-8", version, "simulated:version");
        if (MlflowVersionRoutes.TracesGetIsTraceInfo(version, method, path))
            return new Simulated(404, "application/json", MlflowVersionRoutes.TraceGetNotFoundBody, null);
        if (!MlflowVersionRoutes.Serves(version, method, path))
            return new Simulated(404, "text/html; charset=utf-8", FlaskNotFoundHtml, null);
        if (path.EndsWith("/mlflow/server-info", StringComparison.Ordinal))
            return new Simulated(200, "application/json", "{\"store_type\": \"SqlStore\", \"workspaces_enabled\": false}", "simulated:server-info");
        return null;
    }

    private ReplayHandler? TakeOverride(string path)
    {
        while (_overrides.TryGetValue(path, out var entry))
        {
            if (entry.Remaining <= 0) return null;
            var next = entry.Remaining == int.MaxValue ? entry : (entry.Handler, entry.Remaining - 1);
            if (_overrides.TryUpdate(path, next, entry)) return entry.Handler;
        }
        return null;
    }

    private bool Authorized(string path, string? authorization)
    {
        if (_options.BasicAuth == null && _options.BearerToken == null) return true;
        if (path == "/health" || path.StartsWith("/static", StringComparison.Ordinal) || path == "/favicon.ico") return true;
        if (string.IsNullOrEmpty(authorization)) return false;
        if (_options.BasicAuth is { } basic && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                if (decoded == basic.User + ":" + basic.Password) return true;
            }
            catch (FormatException) { }
        }
        if (_options.BearerToken is { } token && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && authorization[7..].Trim() == token)
            return true;
        return false;
    }

    private ReplayRecording? FindMatch(string method, string path, Dictionary<string, List<string>> query, string body, string? contentType)
    {
        JsonElement? parsedBody = null;
        var bodyParsed = false;
        foreach (var r in _recordings)
        {
            if (r.Method != method || r.Path != path) continue;
            if (!QueryEquals(r.Query, query)) continue;
            if (r.RequestBody is { } expected)
            {
                if (r.RequestContentType != null && !MediaTypeIs(contentType, r.RequestContentType)) continue;
                if (!bodyParsed)
                {
                    bodyParsed = true;
                    try
                    {
                        using var doc = JsonDocument.Parse(body);
                        parsedBody = doc.RootElement.Clone();
                    }
                    catch (JsonException) { parsedBody = null; }
                }
                if (parsedBody is not { } actual || !JsonElement.DeepEquals(expected, actual)) continue;
            }
            else if (body.Trim().Length > 0)
            {
                continue; // the recording sent no body
            }
            return r;
        }
        return null;
    }

    private static bool MediaTypeIs(string? actual, string expected)
    {
        if (actual == null) return false;
        static string Media(string s) => s.Split(';')[0].Trim();
        return string.Equals(Media(actual), Media(expected), StringComparison.OrdinalIgnoreCase);
    }

    private static bool QueryEquals(IReadOnlyDictionary<string, IReadOnlyList<string>> expected, Dictionary<string, List<string>> actual)
    {
        if (expected.Count != actual.Count) return false;
        foreach (var (key, values) in expected)
        {
            if (!actual.TryGetValue(key, out var got) || got.Count != values.Count) return false;
            if (!values.OrderBy(v => v, StringComparer.Ordinal).SequenceEqual(got.OrderBy(v => v, StringComparer.Ordinal), StringComparer.Ordinal))
                return false;
        }
        return true;
    }

    private static Dictionary<string, List<string>> ParseQuery(string rawQuery)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = Decode(eq >= 0 ? part[..eq] : part);
            var value = eq >= 0 ? Decode(part[(eq + 1)..]) : "";
            if (!result.TryGetValue(key, out var list)) result[key] = list = [];
            list.Add(value);
        }
        return result;

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string? contentType, byte[] body)
    {
        response.StatusCode = status;
        if (contentType != null) response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        if (body.Length > 0) await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try { _listener.Stop(); } catch { }
#pragma warning disable VSTHRD003 // the accept loop is this server's own task, started in its constructor
        try { await _acceptLoop.ConfigureAwait(false); } catch { }
#pragma warning restore VSTHRD003
        try { await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch { }
        try { _listener.Close(); } catch { }
        _stopping.Dispose();
    }

#pragma warning disable VSTHRD002 // `using var` in synchronous tests; no synchronization context to deadlock on here
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
}
