using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// Browser mode against the real `traceide ui` process (dotnet traceide.dll ui) on the server's
/// fixture store, with real clients: HttpClient, raw sockets and ClientWebSocket. Every wait has a timeout.
/// </summary>
public sealed class BrowserModeTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private UiProcess _ui = null!;

    public async Task InitializeAsync() => _ui = await UiProcess.StartAsync();

    public async Task DisposeAsync() => await _ui.DisposeAsync();

    [Fact]
    public async Task Index_is_served_with_the_strict_security_headers()
    {
        using var http = new HttpClient { Timeout = Timeout };
        using var response = await http.GetAsync(_ui.BaseUrl + "/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<script src=\"main.js\">", await response.Content.ReadAsStringAsync());
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(
            $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:{_ui.Port} " +
                $"ws://localhost:{_ui.Port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.True(response.Headers.CacheControl?.NoStore, "index.html must be no-store");

        using var script = await http.GetAsync(_ui.BaseUrl + "/main.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Single(script.Headers.GetValues("Content-Security-Policy"));

        using var missing = await http.GetAsync(_ui.BaseUrl + "/nope.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Single(missing.Headers.GetValues("Content-Security-Policy"));
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/..%2fsecret.txt")]
    [InlineData("/..%5csecret.txt")]
    [InlineData("/assets/../../secret.txt")]
    [InlineData("//etc/passwd")]
    public async Task Paths_outside_the_root_are_refused(string path)
    {
        // A raw request: HttpClient would normalise the dot segments away before sending.
        var (status, body) = await _ui.RawGetAsync(path, $"127.0.0.1:{_ui.Port}");
        Assert.NotEqual(200, status);
        Assert.DoesNotContain(UiProcess.SecretOutsideRoot, body);
        Assert.DoesNotContain("root:", body);
    }

    [Fact]
    public async Task A_WebSocket_with_the_token_and_the_page_origin_serves_the_command_line_backend()
    {
        using var ws = await _ui.ConnectAsync(origin: $"http://127.0.0.1:{_ui.Port}");
        var rpc = new WsRpc(ws);

        var info = await rpc.ResultAsync("session/info");
        Assert.Equal("localStore", (string)info["backendKind"]!);
        Assert.EndsWith("mlflow.db", (string)info["backendLocation"]!);
        Assert.Equal("traceide", (string)info["serverName"]!);

        var page = await rpc.ResultAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 100 });
        Assert.Equal(43, page["traces"]!.AsArray().Count);

        // The page cannot choose another backend.
        var refused = await rpc.RequestAsync("initialize", new { trackingUri = "http://evil.example" });
        Assert.True(refused.ContainsKey("error"), refused.ToJsonString());
    }

    [Fact]
    public async Task The_localhost_origin_is_accepted_too()
    {
        using var ws = await _ui.ConnectAsync(origin: $"http://localhost:{_ui.Port}");
        var info = await new WsRpc(ws).ResultAsync("session/info");
        Assert.Equal("localStore", (string)info["backendKind"]!);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("")]
    [InlineData(null)]
    public async Task A_wrong_or_missing_token_is_refused_with_401_and_no_upgrade(string? token)
    {
        var (status, socket) = await _ui.TryConnectAsync(token == null ? "" : $"?token={token}", origin: $"http://127.0.0.1:{_ui.Port}");
        Assert.Null(socket);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("missing or wrong token", _ui.Stderr);
    }

    [Fact]
    public async Task A_token_differing_in_one_character_is_refused()
    {
        var last = _ui.Token[^1];
        var almost = _ui.Token[..^1] + (last == 'A' ? 'B' : 'A');
        var (status, socket) = await _ui.TryConnectAsync($"?token={almost}", origin: null);
        Assert.Null(socket);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    [InlineData("https://127.0.0.1:{port}")]
    [InlineData("http://127.0.0.1:1")]
    public async Task A_foreign_origin_is_refused_with_403(string origin)
    {
        var (status, socket) = await _ui.TryConnectAsync($"?token={_ui.Token}", origin: origin.Replace("{port}", _ui.Port.ToString()));
        Assert.Null(socket);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("is not this server", _ui.Stderr);
    }

    [Fact]
    public async Task A_foreign_host_header_is_refused_with_403()
    {
        // DNS rebinding: the request reaches 127.0.0.1 but names another host.
        using var http = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_ui.BaseUrl}/rpc?token={_ui.Token}");
        request.Headers.Host = $"evil.example:{_ui.Port}";
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        var (status, _) = await _ui.RawGetAsync("/", $"127.0.0.1:{_ui.Port + 1}");
        Assert.Equal(403, status);
        (status, _) = await _ui.RawGetAsync("/", $"attacker.example:{_ui.Port}");
        Assert.Equal(403, status);
        (status, _) = await _ui.RawGetAsync("/", $"localhost:{_ui.Port}");
        Assert.Equal(200, status);
    }

    [UnixFact]
    public async Task The_token_never_appears_in_stderr()
    {
        // Provoke every log line we can: refusals, a connection, a failing request.
        await _ui.TryConnectAsync("?token=" + _ui.Token + "x", origin: null);
        await _ui.TryConnectAsync("?token=" + _ui.Token, origin: "http://evil.example");
        using (var ws = await _ui.ConnectAsync(origin: null))
        {
            var rpc = new WsRpc(ws);
            await rpc.RequestAsync("traces/get", new { traceId = "tr-does-not-exist" });
            await rpc.CloseAsync();
        }
        // Stopped and its output read to the end: every line it wrote is in, not only those written so far.
        Assert.Equal(0, await _ui.StopAsync());
        Assert.Contains("refused", _ui.Stderr);
        Assert.DoesNotContain(_ui.Token, _ui.Stderr);
        Assert.DoesNotContain(_ui.Token[..16], _ui.Stderr);
    }

    [Fact]
    public async Task Malformed_json_over_the_websocket_does_not_end_the_process_or_the_connection()
    {
        using (var ws = await _ui.ConnectAsync(origin: null))
        {
            using var cts = new CancellationTokenSource(Timeout);
            await ws.SendAsync(Encoding.UTF8.GetBytes("{this is not json"), WebSocketMessageType.Text, true, cts.Token);
            await ws.SendAsync(Encoding.UTF8.GetBytes("\u0000\u0001garbage]]"), WebSocketMessageType.Text, true, cts.Token);
            await ws.SendAsync(Encoding.UTF8.GetBytes("{\"no\":\"method\"}"), WebSocketMessageType.Text, true, cts.Token);
            // A stray response (the host never asks the client anything): StreamJsonRpc would end the connection on it.
            await ws.SendAsync(Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":1}"), WebSocketMessageType.Text, true, cts.Token);
            await ws.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Text, true, cts.Token);
            await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, cts.Token);

            // Dropped and logged, like a garbage frame on stdio: the same connection still answers.
            var info = await new WsRpc(ws).ResultAsync("session/info");
            Assert.Equal("localStore", (string)info["backendKind"]!);
        }
        Assert.Contains("dropped a WebSocket message that is not JSON-RPC (Text, 17 bytes)", _ui.Stderr);
        Assert.False(_ui.HasExited, "the host died on malformed JSON:\n" + _ui.Stderr);

        using var next = await _ui.ConnectAsync(origin: null);
        var again = await new WsRpc(next).ResultAsync("session/info");
        Assert.Equal("localStore", (string)again["backendKind"]!);
    }

    [Fact]
    public async Task Two_connections_at_once_each_work_with_their_own_session()
    {
        using var a = await _ui.ConnectAsync(origin: $"http://127.0.0.1:{_ui.Port}");
        using var b = await _ui.ConnectAsync(origin: $"http://localhost:{_ui.Port}");
        var rpcA = new WsRpc(a);
        var rpcB = new WsRpc(b);
        var searchA = rpcA.ResultAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 100 });
        var searchB = rpcB.ResultAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 10 });
        var experiments = rpcB.ResultAsync("experiments/list", new { });
        await Task.WhenAll(searchA, searchB, experiments).WaitAsync(Timeout);
        Assert.Equal(43, (await searchA)["traces"]!.AsArray().Count);
        Assert.Equal(10, (await searchB)["traces"]!.AsArray().Count);
        Assert.NotEmpty((await experiments)["experiments"]!.AsArray());

        // Closing one leaves the other working.
        await rpcA.CloseAsync();
        var again = await rpcB.ResultAsync("session/info");
        Assert.Equal("localStore", (string)again["backendKind"]!);
    }

    [Fact]
    public async Task A_plain_get_on_rpc_with_the_token_is_not_an_upgrade()
    {
        using var http = new HttpClient { Timeout = Timeout };
        using var response = await http.GetAsync($"{_ui.BaseUrl}/rpc?token={_ui.Token}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Without_a_bundle_the_root_page_says_how_to_build_it()
    {
        await using var bare = await UiProcess.StartAsync(withBundle: false);
        using var http = new HttpClient { Timeout = Timeout };
        using var response = await http.GetAsync(bare.BaseUrl + "/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("npm --prefix webview run build", body);
        Assert.DoesNotContain("<script", body, StringComparison.OrdinalIgnoreCase);
        Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
    }

    [UnixFact]
    public async Task Sigterm_stops_it_cleanly()
    {
        await using var ui = await UiProcess.StartAsync();
        using (var ws = await ui.ConnectAsync(origin: null))
        {
            await new WsRpc(ws).ResultAsync("session/info");
            Assert.Equal(0, await ui.StopAsync());
        }
        Assert.Contains("browser mode stopped", ui.Stderr);
    }

    [Fact]
    public async Task Session_info_over_stdio_is_NotInitialized_before_initialize_then_the_initialize_result()
    {
        await using var host = HostProcess.Start();
        var (code, _) = JsonRpcAssert.Error(await host.RequestAsync("session/info"));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.NotInitialized, code);
        var init = JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db") }));
        var info = JsonRpcAssert.Result(await host.RequestAsync("session/info"));
        Assert.True((long)info["nowMs"]! >= (long)init["nowMs"]!, "session/info reads the clock when it answers");
        info.AsObject().Remove("nowMs");
        init.AsObject().Remove("nowMs");
        Assert.Equal(init.ToJsonString(), info.ToJsonString());
    }

    [UnixFact]
    public async Task Stdout_holds_exactly_the_url_line()
    {
        // A whole run: a page, a WebSocket session, a failing request, then SIGTERM and its output read to the end.
        using (var http = new HttpClient()) (await http.GetAsync(_ui.BaseUrl + "/")).Dispose();
        using (var ws = await _ui.ConnectAsync(origin: null))
        {
            var rpc = new WsRpc(ws);
            await rpc.RequestAsync("traces/get", new { traceId = "tr-does-not-exist" });
            await rpc.CloseAsync();
        }
        Assert.Equal(0, await _ui.StopAsync());
        Assert.Equal([$"TraceIde UI: http://127.0.0.1:{_ui.Port}/?token={_ui.Token}"], _ui.StdoutLines);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", _ui.Token);
    }
}

/// <summary>JSON-RPC over a ClientWebSocket: one message per text frame; responses matched by id.</summary>
internal sealed class WsRpc(ClientWebSocket socket)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private long _nextId;
    private readonly SemaphoreSlim _receive = new(1, 1);
    private readonly Dictionary<long, JsonObject> _early = new();

    public async Task<JsonNode> ResultAsync(string method, object? parameters = null) =>
        JsonRpcAssert.Result(await RequestAsync(method, parameters));

    public async Task<JsonObject> RequestAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters != null) message["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), HostProcess.Json);
        using var cts = new CancellationTokenSource(Timeout);
        await SendAsync(message.ToJsonString(), cts.Token);
        return await ReceiveAsync(id, cts.Token);
    }

    // ClientWebSocket allows one send and one receive at a time.
    private readonly SemaphoreSlim _send = new(1, 1);

    private async Task SendAsync(string text, CancellationToken ct)
    {
        await _send.WaitAsync(ct);
        try { await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct); }
        finally { _send.Release(); }
    }

    private async Task<JsonObject> ReceiveAsync(long id, CancellationToken ct)
    {
        while (true)
        {
            await _receive.WaitAsync(ct);
            try
            {
                if (_early.Remove(id, out var ready)) return ready;
                var buffer = new MemoryStream();
                var chunk = new byte[64 * 1024];
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(chunk, ct);
                    if (result.MessageType == WebSocketMessageType.Close) throw new WebSocketException("the host closed the connection");
                    buffer.Write(chunk, 0, result.Count);
                }
                while (!result.EndOfMessage);
                Assert.Equal(WebSocketMessageType.Text, result.MessageType);
                var node = JsonNode.Parse(buffer.ToArray())!.AsObject();
                if (node["id"] is JsonValue v && v.TryGetValue<long>(out var got))
                {
                    if (got == id) return node;
                    _early[got] = node;
                }
            }
            finally { _receive.Release(); }
        }
    }

    public async Task CloseAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }
}

/// <summary>The real `traceide ui` process on the server fixture store, with a tiny bundle in a temp folder.</summary>
internal sealed class UiProcess : IAsyncDisposable
{
    public const string SecretOutsideRoot = "SECRET-OUTSIDE-THE-ROOT";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _stdout = [];
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UiProcess(Process process, string dir)
    {
        _process = process;
        _dir = dir;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) { _url.TrySetException(new EndOfStreamException("traceide ui ended without a URL:\n" + Stderr)); return; }
            lock (_stdout) _stdout.Add(e.Data);
            if (e.Data.StartsWith("TraceIde UI: ", StringComparison.Ordinal)) _url.TrySetResult(e.Data["TraceIde UI: ".Length..]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; private set; }
    public string Token { get; private set; } = "";
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;
    public int Pid => _process.Id;

    /// <summary>SIGTERM (what Ctrl+C and a service manager send), then its exit code once its output is read to the end.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync().WaitAsync(Timeout);
        return await WaitForExitAsync();
    }

    /// <summary>The exit code; with the output read asynchronously, the wait also covers its last lines.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeout);
        return _process.ExitCode;
    }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public IReadOnlyList<string> StdoutLines { get { lock (_stdout) return [.. _stdout]; } }

    public static async Task<UiProcess> StartAsync(bool withBundle = true)
    {
        var dir = Path.Combine(Path.GetTempPath(), "traceide-ui-" + Guid.NewGuid().ToString("N"));
        var root = Path.Combine(dir, "webview");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(dir, "secret.txt"), SecretOutsideRoot);
        if (withBundle)
        {
            File.WriteAllText(
                Path.Combine(root, "index.html"),
                "<!doctype html><html><head><script src=\"main.js\"></script></head><body>TraceIde</body></html>");
            File.WriteAllText(Path.Combine(root, "main.js"), "document.body.dataset.ready = '1';");
        }

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            HostProcess.HostDll,
            "ui",
            "--store",
            Path.Combine(Fixtures.ServerStore, "mlflow.db"),
            "--no-open",
            "--port",
            "0",
            "--webview-root",
            root
        })
            psi.ArgumentList.Add(a);
        psi.Environment.Remove("MLFLOW_TRACKING_URI");
        var ui = new UiProcess(Process.Start(psi)!, dir);
        try
        {
            var url = new Uri(await ui._url.Task.WaitAsync(Timeout));
            ui.Port = url.Port;
            ui.Token = url.Query["?token=".Length..];
            return ui;
        }
        catch
        {
            await ui.DisposeAsync();
            throw;
        }
    }

    public async Task<ClientWebSocket> ConnectAsync(string? origin)
    {
        var (status, socket) = await TryConnectAsync($"?token={Token}", origin);
        return socket ?? throw new InvalidOperationException($"WebSocket refused with {status}; stderr:\n{Stderr}");
    }

    public async Task<(HttpStatusCode Status, ClientWebSocket? Socket)> TryConnectAsync(string query, string? origin)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        if (origin != null) ws.Options.SetRequestHeader("Origin", origin);
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}/rpc{query}"), cts.Token);
            return (ws.HttpStatusCode, ws);
        }
        catch (WebSocketException)
        {
            var status = ws.HttpStatusCode;
            ws.Dispose();
            return (status, null);
        }
    }

    /// <summary>A GET written byte for byte, so the path reaches the server exactly as given.</summary>
    public async Task<(int Status, string Body)> RawGetAsync(string path, string host)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cts.Token);
        var statusLine = text.Split("\r\n")[0];
        return (int.Parse(statusLine.Split(' ')[1]), text);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync().WaitAsync(Timeout);
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A test of POSIX behaviour (signals): skipped, with the reason, on Windows.</summary>
internal sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "POSIX signals: Windows has no SIGTERM to send";
    }
}
