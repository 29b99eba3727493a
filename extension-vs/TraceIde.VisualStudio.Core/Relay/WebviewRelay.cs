using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Core.Relay;

/// <summary>
/// The bridge between the web UI (webview/src/transport.ts, PostMessageTransport) and the host.
/// In: `{type:"rpc", id, method, params}` and `{type:"rpc-cancel", id}`. Out: `{type:"rpc-result", id, result|error}`.
/// Host methods pass only if they are in <see cref="RpcMethods.UiCallable"/> (never initialize/shutdown/exit:
/// the page cannot choose the backend or stop the host); `ide/*` requests are answered here; anything else
/// gets -32601 without reaching the host. A cancel is forwarded to the host as `$/cancelRequest`.
/// Nothing posted back is built from anything but the host's answers and these fixed messages, so
/// credentials (which live only in the host's environment) never reach the page.
/// </summary>
public sealed class WebviewRelay : IDisposable
{
    private static readonly HashSet<string> Allowed = new(RpcMethods.UiCallable, StringComparer.Ordinal);

    private readonly IHostRpc _host;
    private readonly INavigator _navigator;
    private readonly IClipboard? _clipboard;
    private readonly Func<string, Task> _post;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="postToWebview">Sends one JSON message to the page (the WPF control: CoreWebView2.PostWebMessageAsJson on the UI thread).</param>
    public WebviewRelay(IHostRpc host, INavigator navigator, IClipboard? clipboard, Func<string, Task> postToWebview)
    {
        _host = host;
        _navigator = navigator;
        _clipboard = clipboard;
        _post = postToWebview;
    }

    /// <summary>The host methods a page may call (exactly <see cref="RpcMethods.UiCallable"/>).</summary>
    public static IReadOnlyCollection<string> AllowedHostMethods => Allowed;

    public static bool IsAllowedHostMethod(string method) => Allowed.Contains(method);

    /// <summary>Handles one message from the page (WebMessageReceived's WebMessageAsJson). Never throws.</summary>
    public async Task HandleMessageAsync(string json)
    {
        JsonObject? message;
        try { message = JsonNode.Parse(json) as JsonObject; }
        catch (System.Text.Json.JsonException) { return; }
        if (message == null) return;

        var type = message["type"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
        var id = message["id"];
        if (type == "rpc-cancel")
        {
            if (id != null && _inFlight.TryRemove(Key(id), out var cts))
            {
                try { cts.Cancel(); }
                catch (ObjectDisposedException) { } // finished meanwhile
            }
            return;
        }
        if (type != "rpc") return; // not ours (e.g. state messages): ignore
        if (id is not JsonValue) return; // a request the page cannot match an answer to: nothing to answer

        var method = message["method"] is JsonValue m && m.TryGetValue<string>(out var ms) ? ms : null;
        var parameters = message["params"];
        RpcOutcome outcome;
        if (method == null)
        {
            outcome = RpcOutcome.Failure(new RpcError(RpcError.InvalidRequest, "The request has no method."));
        }
        else if (Allowed.Contains(method))
        {
            var key = Key(id);
            var cts = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            _inFlight[key] = cts;
            try
            {
                outcome = await _host.RequestAsync(method, parameters, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcome = RpcOutcome.Failure(new RpcError(RpcError.InternalError, "The request failed in Visual Studio: " + ex.Message));
            }
            finally
            {
                _inFlight.TryRemove(key, out _);
            }
            // The page already rejected a cancelled request and drops late answers; do not post one.
            if (cts.IsCancellationRequested) { cts.Dispose(); return; }
            cts.Dispose();
        }
        else if (method == IdeMethods.OpenFile)
        {
            outcome = await OpenFileAsync(parameters).ConfigureAwait(false);
        }
        else if (method == IdeMethods.Copy)
        {
            outcome = await CopyAsync(parameters).ConfigureAwait(false);
        }
        else
        {
            outcome = RpcOutcome.Failure(new RpcError(RpcError.MethodNotFound,
                $"'{method}' cannot be called from the TraceIde window.",
                new JsonObject { ["kind"] = "methodNotAllowed" }));
        }
        await PostResultAsync(id, outcome).ConfigureAwait(false);
    }

    private async Task<RpcOutcome> OpenFileAsync(JsonNode? parameters)
    {
        var path = parameters?["path"] is JsonValue p && p.TryGetValue<string>(out var ps) ? ps : null;
        var line = parameters?["line"] is JsonValue l && l.TryGetValue<int>(out var li) ? li : (int?)null;
        int? column = parameters?["column"] is JsonValue c && c.TryGetValue<int>(out var ci) ? ci : null;
        if (string.IsNullOrWhiteSpace(path) || line is null or < 1 || column is < 1)
            return InvalidParams("ide/openFile needs {path: string, line: number ≥ 1, column?: number ≥ 1}.");
        try
        {
            var opened = await _navigator.OpenFileAsync(path!, line.Value, column, _disposed.Token).ConfigureAwait(false);
            return opened
                ? RpcOutcome.Success(new JsonObject { ["opened"] = true })
                : RpcOutcome.Failure(new RpcError(RpcErrorCodes.NotFound, $"{path} was not found.", new JsonObject { ["kind"] = "notFound" }));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return RpcOutcome.Failure(new RpcError(RpcError.InternalError, $"Could not open {path}: {ex.Message}"));
        }
    }

    private async Task<RpcOutcome> CopyAsync(JsonNode? parameters)
    {
        var text = parameters?["text"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
        if (text == null) return InvalidParams("ide/copy needs {text: string}.");
        if (_clipboard == null) return RpcOutcome.Failure(new RpcError(RpcErrorCodes.Unsupported, "Copying is not available here."));
        try
        {
            await _clipboard.SetTextAsync(text, _disposed.Token).ConfigureAwait(false);
            return RpcOutcome.Success(new JsonObject { ["copied"] = true });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return RpcOutcome.Failure(new RpcError(RpcError.InternalError, "Could not copy: " + ex.Message));
        }
    }

    private static RpcOutcome InvalidParams(string message) =>
        RpcOutcome.Failure(new RpcError(RpcErrorCodes.InvalidParams, message, new JsonObject { ["kind"] = "invalidParams" }));

    private Task PostResultAsync(JsonNode id, RpcOutcome outcome)
    {
        var reply = new JsonObject { ["type"] = "rpc-result", ["id"] = id.DeepClone() };
        if (outcome.Error is { } error) reply["error"] = error.ToJson();
        else reply["result"] = outcome.Result?.DeepClone();
        return SafePostAsync(reply.ToJsonString());
    }

    private async Task SafePostAsync(string json)
    {
        try { await _post(json).ConfigureAwait(false); }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The window closed.
        }
    }

    private static string Key(JsonNode id) => id.ToJsonString();

    public void Dispose()
    {
        _disposed.Cancel();
        foreach (var key in _inFlight.Keys)
        {
            if (_inFlight.TryRemove(key, out var cts)) cts.Cancel();
        }
    }
}
