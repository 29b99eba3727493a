using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Core.Relay;

/// <summary>
/// The bridge between the web UI (webview/src/transport.ts, PostMessageTransport) and the host.
/// In: `{type:"rpc", id, method, params}` and `{type:"rpc-cancel", id}`. Out: `{type:"rpc-result", id, result|error}`.
/// Host methods pass only if they are in <see cref="RpcMethods.UiCallable"/> (never initialize/shutdown/exit:
/// the page cannot choose the backend or stop the host); the contract's IDE methods (<see cref="IdeMethods"/>,
/// same envelope) are answered here, asking the host's `source/locate` / `source/mapPath` itself where they
/// need it; anything else gets -32601 without reaching the host. A cancel is forwarded to the host as `$/cancelRequest`.
/// Nothing posted back is built from anything but the host's answers and these fixed messages, so
/// credentials (which live only in the host's environment) never reach the page.
/// </summary>
public sealed class WebviewRelay : IDisposable
{
    private static readonly HashSet<string> Allowed = new(RpcMethods.UiCallable, StringComparer.Ordinal);

    private readonly IHostRpc _host;
    private readonly INavigator _navigator;
    private readonly IClipboard? _clipboard;
    private readonly IIdeViews? _views;
    private readonly Dictionary<string, Func<JsonObject, CancellationToken, Task<RpcOutcome>>> _ide;
    private readonly Func<string, Task> _post;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    /// <summary>
    /// Which page is loaded (one more at each reload). A reloaded page numbers its requests from 1 again: an answer
    /// the old page was waiting for must not settle the new page's request with the same id.
    /// </summary>
    private int _page;
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="postToWebview">Sends one JSON message to the page (the WPF control: CoreWebView2.PostWebMessageAsJson on the UI thread).</param>
    /// <param name="views">Choices and TraceIde's own views (the WPF control); without it those IDE methods answer Unsupported.</param>
    public WebviewRelay(IHostRpc host, INavigator navigator, IClipboard? clipboard, Func<string, Task> postToWebview, IIdeViews? views = null)
    {
        _host = host;
        _navigator = navigator;
        _clipboard = clipboard;
        _post = postToWebview;
        _views = views;
        _ide = IdeHandlers();
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
        var page = Volatile.Read(ref _page);

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
        else if (_ide.TryGetValue(method, out var answer))
        {
            try
            {
                outcome = await answer(parameters as JsonObject ?? [], _disposed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcome = RpcOutcome.Failure(new RpcError(RpcError.InternalError, $"{method} failed in Visual Studio: {ex.Message}"));
            }
        }
        else
        {
            outcome = RpcOutcome.Failure(new RpcError(RpcError.MethodNotFound,
                $"'{method}' cannot be called from the TraceIde window.",
                new JsonObject { ["kind"] = "methodNotAllowed" }));
        }
        if (page != Volatile.Read(ref _page)) return; // the page that asked was reloaded meanwhile
        await PostResultAsync(id, outcome).ConfigureAwait(false);
    }

    /// <summary>
    /// The page is about to be loaded again (a reconnected host, Refresh): what the old page asked is cancelled and
    /// its answers are dropped, so none reaches the new page.
    /// </summary>
    public void PageReloading()
    {
        Interlocked.Increment(ref _page);
        foreach (var key in _inFlight.Keys)
        {
            if (_inFlight.TryRemove(key, out var cts))
            {
                try { cts.Cancel(); }
                catch (ObjectDisposedException) { } // finished meanwhile
            }
        }
    }

    // ---- the IDE methods (Ide.cs): the same rules as extension-vscode/src/ideHandlers.ts, checked by the same
    // cases (tests/fixtures/relay/ide-methods.json).

    private Dictionary<string, Func<JsonObject, CancellationToken, Task<RpcOutcome>>> IdeHandlers() => new(StringComparer.Ordinal)
    {
        [IdeMethods.OpenFile] = OpenFileAsync,
        [IdeMethods.OpenSpanSource] = OpenSpanSourceAsync,
        [IdeMethods.OpenTrace] = async (p, ct) =>
        {
            var traceId = Text(p, "traceId");
            if (traceId == null) return InvalidParams("ide/openTrace needs {traceId: string, spanId?: string}.");
            if (_views == null) return NotHere(IdeMethods.OpenTrace);
            await _views.OpenTraceAsync(traceId, Text(p, "spanId"), ct).ConfigureAwait(false);
            return Empty();
        },
        [IdeMethods.OpenOverview] = async (p, ct) =>
        {
            if (_views == null) return NotHere(IdeMethods.OpenOverview);
            var ids = p["experimentIds"] is JsonArray a
                ? a.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList()
                : null;
            await _views.OpenOverviewAsync(ids, ct).ConfigureAwait(false);
            return Empty();
        },
        [IdeMethods.Copy] = async (p, ct) =>
        {
            var text = p["text"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
            if (text == null) return InvalidParams("ide/copy needs {text: string}.");
            if (_clipboard == null) return NotHere(IdeMethods.Copy);
            await _clipboard.SetTextAsync(text, ct).ConfigureAwait(false);
            return Empty();
        },
        [IdeMethods.RevealPanel] = async (_, ct) =>
        {
            if (_views == null) return NotHere(IdeMethods.RevealPanel);
            await _views.RevealPanelAsync(ct).ConfigureAwait(false);
            return Empty();
        },
        [IdeMethods.OpenText] = async (p, ct) =>
        {
            var text = p["text"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
            var fileName = Text(p, "fileName");
            var language = p["language"] is null ? IdeTextLanguages.PlainText : Text(p, "language");
            // The page names the file, never where it goes: a name with a folder in it is refused.
            if (text == null || !IsPlainFileName(fileName) || !TextLanguages.Contains(language))
                return InvalidParams($"ide/openText needs {{text: string, fileName: a file name without folders, language?: " +
                    $"{string.Join(" | ", TextLanguages)}}}.");
            await _navigator.OpenTextAsync(text, fileName!, language!, ct).ConfigureAwait(false);
            return Empty();
        },
    };

    private static readonly string[] TextLanguages = [IdeTextLanguages.Json, IdeTextLanguages.Markdown, IdeTextLanguages.PlainText];

    /// <summary>A file name the page may suggest: no folder, no parent, nothing a file system reads as a path (the same rule as ideHandlers.ts).</summary>
    public static bool IsPlainFileName(string? name) =>
        name is { Length: > 0 and <= 200 } && name.IndexOfAny(['/', '\\', ':', '\0']) < 0 && name is not ("." or "..");

    /// <summary>The IDE methods this relay answers (every one of <see cref="IdeMethods.All"/>: RelayTests checks).</summary>
    public IReadOnlyCollection<string> AnsweredIdeMethods => _ide.Keys;

    private async Task<RpcOutcome> OpenFileAsync(JsonObject p, CancellationToken ct)
    {
        var path = Text(p, "path");
        if (path == null || !OptionalPositive(p, "line", out var line) || !OptionalPositive(p, "column", out var column))
            return InvalidParams("ide/openFile needs {path: string, line?: number ≥ 1, column?: number ≥ 1}.");
        var map = p["mapToWorkspace"] is JsonValue m && m.TryGetValue<bool>(out var mb) && mb;
        if (!map && _navigator.FileExists(path)) return await OpenAsync(path, line, column, ct).ConfigureAwait(false);
        // A path recorded elsewhere (a stack frame, a deployed code.filepath): the host maps it to the workspace.
        var mapped = await HostLocationsAsync(RpcMethods.SourceMapPath, new JsonObject { ["path"] = path, ["line"] = line }, ct).ConfigureAwait(false);
        if (mapped.Error is { } error) return RpcOutcome.Failure(error);
        if (mapped.Locations.Count == 0) return NotFound($"{path} is not in the workspace (no file with that name and path ending).");
        return await OpenBestAsync(mapped.Locations, $"Several workspace files may be {path}", ct).ConfigureAwait(false);
    }

    private async Task<RpcOutcome> OpenSpanSourceAsync(JsonObject p, CancellationToken ct)
    {
        var traceId = Text(p, "traceId");
        var spanId = Text(p, "spanId");
        if (traceId == null || spanId == null) return InvalidParams("ide/openSpanSource needs {traceId: string, spanId: string}.");
        // The host weighs code attributes, stack frames, definitions and the entry script.
        var located = await HostLocationsAsync(RpcMethods.SourceLocate, new JsonObject { ["traceId"] = traceId, ["spanId"] = spanId }, ct)
            .ConfigureAwait(false);
        if (located.Error is { } error) return RpcOutcome.Failure(error);
        if (located.Locations.Count > 0) return await OpenBestAsync(located.Locations, "Several places may be this span's code", ct).ConfigureAwait(false);
        var spanName = Text(p, "spanName");
        var name = FunctionNameOf(Text(p, "functionName"), spanName);
        var found = name != null && _views != null ? await _views.FindDefinitionsAsync(name, ct).ConfigureAwait(false) : [];
        if (found.Count == 0)
            return NotFound($"No source found for span {spanName ?? spanId}: the host found no code location{(name != null ? ", and the workspace has no " +
                $"definition of {name}" : "")}.");
        return await OpenBestAsync(found, $"Several definitions of {name}", ct).ConfigureAwait(false);
    }

    /// <summary>The location to open without asking: the only one, or one that leads the next by <see cref="SourceChoice.ClearWinnerGap"/>.</summary>
    public static SourceLocation? ClearWinner(IReadOnlyList<SourceLocation> locations) => locations.Count switch
    {
        0 => null,
        1 => locations[0],
        _ => locations[0].Confidence - locations[1].Confidence >= SourceChoice.ClearWinnerGap ? locations[0] : null,
    };

    /// <summary>The function name a span stands for, for the IDE's own search: the UI's hint, else the span name's last part.</summary>
    public static string? FunctionNameOf(string? functionName, string? spanName)
    {
        var raw = functionName ?? spanName;
        if (raw == null) return null;
        var last = raw.Split(['.', ':', '/'], StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? raw;
        var name = new string(last.Where(c => char.IsLetterOrDigit(c) || c is '_' or '$').ToArray());
        return name.Length > 0 ? name : null;
    }

    private async Task<RpcOutcome> OpenBestAsync(IReadOnlyList<SourceLocation> locations, string placeholder, CancellationToken ct)
    {
        var chosen = ClearWinner(locations) ?? (_views != null ? await _views.ChooseAsync(locations, placeholder, ct).ConfigureAwait(false) : null);
        if (chosen == null) return RpcOutcome.Success(new JsonObject { ["opened"] = false });
        return await OpenAsync(chosen.Path, chosen.Line, chosen.Column, ct).ConfigureAwait(false);
    }

    private async Task<RpcOutcome> OpenAsync(string path, int? line, int? column, CancellationToken ct)
    {
        var at = line ?? 1;
        return await _navigator.OpenFileAsync(path, at, column, ct).ConfigureAwait(false)
            ? RpcOutcome.Success(new JsonObject { ["opened"] = true, ["path"] = path, ["line"] = at })
            : NotFound($"{path} was not found.");
    }

    /// <summary>The relay's own call to the host (not the page's: never through the allow-list).</summary>
    private async Task<(IReadOnlyList<SourceLocation> Locations, RpcError? Error)> HostLocationsAsync(
        string method,
        JsonObject parameters,
        CancellationToken ct)
    {
        var outcome = await _host.RequestAsync(method, parameters, ct).ConfigureAwait(false);
        if (outcome.Error is { } error) return ([], error);
        var list = new List<SourceLocation>();
        if (outcome.Result?["locations"] is JsonArray array)
        {
            foreach (var item in array.OfType<JsonObject>())
            {
                var path = Text(item, "path");
                if (path == null || item["line"] is not JsonValue l || !l.TryGetValue<int>(out var line)) continue;
                list.Add(new SourceLocation
                {
                    Path = path,
                    Line = line,
                    Column = item["column"] is JsonValue c && c.TryGetValue<int>(out var col) ? col : null,
                    Confidence = item["confidence"] is JsonValue f && f.TryGetValue<double>(out var conf) ? conf : 0,
                    Reason = Text(item, "reason") ?? "",
                    Kind = Text(item, "kind") ?? "",
                });
            }
        }
        return (list, null);
    }

    private static string? Text(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>Absent or null is fine; present, it must be an integer ≥ 1.</summary>
    private static bool OptionalPositive(JsonObject o, string key, out int? value)
    {
        value = null;
        if (o[key] is null) return true;
        if (o[key] is JsonValue v && v.TryGetValue<int>(out var i) && i >= 1)
        {
            value = i;
            return true;
        }
        return false;
    }

    private static RpcOutcome Empty() => RpcOutcome.Success(new JsonObject());

    private static RpcOutcome NotFound(string message) =>
        RpcOutcome.Failure(new RpcError(RpcErrorCodes.NotFound, message, new JsonObject { ["kind"] = "notFound" }));

    private static RpcOutcome NotHere(string method) =>
        RpcOutcome.Failure(new RpcError(
            RpcErrorCodes.Unsupported,
            $"{method} is not available in this Visual Studio window.",
            new JsonObject { ["kind"] = "unsupported" }));

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
