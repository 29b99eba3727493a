using System.Buffers.Text;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TraceIde.Host.Transport;

/// <summary>
/// Browser mode: Kestrel on 127.0.0.1 serving the UI bundle and a JSON-RPC WebSocket (`/rpc`), one
/// text frame per message. Security invariants: loopback only; the WebSocket needs the per-run
/// secret token (constant-time compare), an `Origin` (when present) of this very server, and a
/// `Host` of this very server (DNS rebinding); every response carries a strict CSP. Each WebSocket
/// gets its own <see cref="HostSession"/> with the backend chosen on the command line.
/// </summary>
public sealed class BrowserServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HostLog _log;
    private readonly InitializeParams _backend;
    private readonly string? _root;
    private readonly byte[] _token;
    private int _port;
    private int _connections;

    private BrowserServer(WebApplication app, HostLog log, InitializeParams backend, string? root, string token)
    {
        _app = app;
        _log = log;
        _backend = backend;
        _root = root;
        Token = token;
        _token = Encoding.UTF8.GetBytes(token);
    }

    /// <summary>The per-run secret (32 random bytes, base64url).</summary>
    public string Token { get; }

    public int Port => _port;

    /// <summary>The page's address, with the token.</summary>
    public string Url => $"http://127.0.0.1:{_port}/?token={Token}";

    // connect-src 'self': the page asks /rpc over HTTP why its WebSocket was refused (a stale token), which a
    // WebSocket failure never says.
    public string ContentSecurityPolicy =>
        $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:{_port} " +
            $"ws://localhost:{_port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Binds 127.0.0.1:<paramref name="port"/> (0: a free port) and starts serving.</summary>
    public static async Task<BrowserServer> StartAsync(InitializeParams backend, int port, string webviewRoot, HostLog log, CancellationToken cancellationToken)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new HostLogProvider(log, token));
        builder.Logging.SetMinimumLevel(MsLogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });

        var root = Directory.Exists(webviewRoot) ? Path.GetFullPath(webviewRoot) : null;
        var app = builder.Build();
        var server = new BrowserServer(app, log, backend, root, token);
        server.Configure();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server._port = new Uri(address).Port;
        log.Info($"browser mode on 127.0.0.1:{server._port}, UI bundle {(root is null ? "missing" : "from " + root)}");
        return server;
    }

    /// <summary>Completes when the server stops (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        try { await _app.StopAsync(CancellationToken.None).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private void Configure()
    {
        var app = _app;
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (!HostAllowed(context.Request.Host))
            {
                Refuse(context, StatusCodes.Status403Forbidden, $"Host header '{Clip(context.Request.Host.Value)}' is not this server");
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals("/rpc", StringComparison.Ordinal))
            {
                await HandleRpcAsync(context).ConfigureAwait(false);
                return;
            }
            if (context.Request.Path == "/" && (_root is null || !File.Exists(Path.Combine(_root, "index.html"))))
            {
                await WriteMissingBundlePageAsync(context).ConfigureAwait(false);
                return;
            }
            if (context.Request.Path == "/") context.Request.Path = "/index.html";
            await next(context).ConfigureAwait(false);
        });
        if (_root != null)
        {
            // PhysicalFileProvider refuses paths that leave the root (.., absolute paths) and hidden files.
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(_root),
                ServeUnknownFileTypes = false,
                OnPrepareResponse = c =>
                {
                    if (string.Equals(c.File.Name, "index.html", StringComparison.OrdinalIgnoreCase))
                        c.Context.Response.Headers.CacheControl = "no-store";
                },
            });
        }
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
    }

    private async Task HandleRpcAsync(HttpContext context)
    {
        // The token is never logged: only the peer and the reason.
        if (!TokenMatches(context.Request.Query["token"].ToString()))
        {
            Refuse(context, StatusCodes.Status401Unauthorized, "missing or wrong token");
            return;
        }
        var origin = context.Request.Headers.Origin.ToString();
        if (context.Request.Headers.ContainsKey("Origin") && !OriginAllowed(origin))
        {
            Refuse(context, StatusCodes.Status403Forbidden, $"Origin '{Clip(origin)}' is not this server");
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            Refuse(context, StatusCodes.Status400BadRequest, "not a WebSocket upgrade");
            return;
        }

        var id = Interlocked.Increment(ref _connections);
        var stopping = _app.Lifetime.ApplicationStopping;
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        _log.Info($"browser connection {id} opened from {context.Connection.RemoteIpAddress}");
        using var session = new HostSession(_log) { BackendFixed = true };
        await session.TryInitializeAsync(_backend with { ClientName = $"browser connection {id}" }, stopping).ConfigureAwait(false);

        var (rpc, lifecycle) = RpcServer.Listen(new WebSocketMessageSanitizer(socket, RpcServer.CreateFormatter(), _log), session, _log);
        using (rpc)
        using (stopping.Register(rpc.Dispose))
        using (context.RequestAborted.Register(rpc.Dispose))
        {
            var finished = await Task.WhenAny(rpc.Completion, lifecycle.ExitRequested).ConfigureAwait(false);
            if (finished == rpc.Completion)
            {
                try { await rpc.Completion.ConfigureAwait(false); }
                catch (Exception ex) { _log.Warn($"browser connection {id} ended with an error: {ex.Message}"); }
            }
            await CloseQuietlyAsync(socket).ConfigureAwait(false);
        }
        _log.Info($"browser connection {id} closed");
    }

    private static async Task CloseQuietlyAsync(WebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    private bool TokenMatches(string candidate) =>
        candidate.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    private bool HostAllowed(HostString host) =>
        host.Port == _port && host.Host is { } h &&
        (h == "127.0.0.1" || string.Equals(h, "localhost", StringComparison.OrdinalIgnoreCase));

    private bool OriginAllowed(string origin) =>
        string.Equals(origin, $"http://127.0.0.1:{_port}", StringComparison.Ordinal) ||
        string.Equals(origin, $"http://localhost:{_port}", StringComparison.Ordinal);

    private void Refuse(HttpContext context, int status, string reason)
    {
        _log.Warn($"refused {context.Request.Method} {Clip(context.Request.Path.Value)} from {context.Connection.RemoteIpAddress}: {reason} ({status})");
        context.Response.StatusCode = status;
    }

    private static Task WriteMissingBundlePageAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>TraceIde</title></head>
            <body>
            <h1>TraceIde</h1>
            <p>The UI bundle is not built. Build it, then restart <code>traceide ui</code>:</p>
            <pre>npm --prefix webview ci
            npm --prefix webview run build
            dotnet build server/TraceIde.Host</pre>
            <p>or point <code>--webview-root</code> at a folder holding <code>index.html</code>.</p>
            </body></html>
            """);
    }

    /// <summary>Attacker-controlled text in a log line: short, one line.</summary>
    private static string Clip(string? text)
    {
        text ??= "";
        text = text.Replace('\r', ' ').Replace('\n', ' ');
        return text.Length <= 120 ? text : text[..120] + "…";
    }

    /// <summary>ASP.NET Core's own warnings and errors into the host log, with the token removed.</summary>
    private sealed class HostLogProvider(HostLog log, string token) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, token, categoryName);
        public void Dispose() { }

        private sealed class Logger(HostLog log, string token, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(MsLogLevel logLevel) => logLevel >= MsLogLevel.Warning;

            public void Log<TState>(MsLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                var message = $"{category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}".Replace(
                    token,
                    "***",
                    StringComparison.Ordinal);
                log.Write(logLevel >= MsLogLevel.Error ? Logging.LogLevel.Error : Logging.LogLevel.Warn, message);
            }
        }
    }
}
