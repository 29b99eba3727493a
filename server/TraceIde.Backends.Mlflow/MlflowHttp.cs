using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// The HTTP plumbing of <see cref="MlflowRestBackend"/>: one HttpClient with the credentials, sending
/// with the retry policy (<see cref="MlflowRetryPolicy"/>), reading and decoding answers, and mapping
/// every failure to a <see cref="BackendException"/> whose message never holds credentials or markup.
/// Which endpoint to send is not decided here (<see cref="MlflowRoutes"/>).
/// </summary>
internal sealed class MlflowHttp : IDisposable
{
    private const int MaxErrorBodyChars = 500;

    private readonly MlflowBackendOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly bool _sendsCredentials;

    public MlflowHttp(MlflowBackendOptions options, HttpMessageHandler? handler)
    {
        _options = options;
        var uri = options.TrackingUri;
        var path = uri.GetComponents(UriComponents.Path, UriFormat.UriEscaped).Trim('/');
        var server = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
        DisplayLocation = path.Length == 0 ? server : server + "/" + path;
        _base = new Uri(DisplayLocation + "/");

        // Credentials: explicit options first, then user info in the URI; basic wins over bearer.
        var user = options.Username;
        var password = options.Password;
        if (user == null && !string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        }

        handler ??= new SocketsHttpHandler
        {
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            UseCookies = false,
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        if (user != null)
        {
            var raw = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + (password ?? "")));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", raw);
            _sendsCredentials = true;
        }
        else if (!string.IsNullOrEmpty(options.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
            _sendsCredentials = true;
        }
        if (!string.IsNullOrEmpty(options.Workspace))
            _http.DefaultRequestHeaders.TryAddWithoutValidation("X-MLFLOW-WORKSPACE", options.Workspace);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("TraceIde/0.1");
    }

    /// <summary>The tracking URI without user info, query or trailing slash.</summary>
    public string DisplayLocation { get; }

    public void Dispose() => _http.Dispose();

    public static async Task<string> ReadTextAsync(HttpResponseMessage response, Endpoint endpoint, CancellationToken ct) =>
        await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);

    /// <summary>A JSON answer as a DOM, handed to <paramref name="parse"/> (every answer but search pages).</summary>
    public Task<T> SendJsonAsync<T>(EndpointCall call, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Func<JsonElement, T> parse, CancellationToken cancellationToken) =>
        SendAsync(call, query, body, async (response, ep, ct) =>
        {
            JsonDocument doc;
            if (response.Content.Headers.ContentLength == 0)
            {
                doc = JsonDocument.Parse("{}"); // MLflow answers an empty message with {} — tolerate a bare empty body too
            }
            else
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                try
                {
                    doc = await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    throw NotJson(response, ep, ex);
                }
            }
            try
            {
                try
                {
                    return parse(doc.RootElement);
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException)
                {
                    throw NotMlflowShape(response, ep, ex);
                }
            }
            finally
            {
                doc.Dispose(); // parsers clone what they keep (SpanDecoder builds standalone documents)
            }
        }, cancellationToken);

    /// <summary>
    /// A JSON answer as its UTF-8 bytes, for parsers that read in one pass without a DOM (search pages,
    /// traces/get). The bytes are one pooled buffer, returned after <paramref name="parse"/>; with
    /// <paramref name="keepBody"/> an array of their own that <paramref name="parse"/>'s result may keep
    /// (decoded spans do). Invalid JSON and a shape MLflow does not answer fail as with <see cref="SendJsonAsync"/>.
    /// </summary>
    public Task<T> SendUtf8Async<T>(EndpointCall call, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Func<ReadOnlyMemory<byte>, T> parse, CancellationToken cancellationToken, bool keepBody = false) =>
        SendAsync(call, query, body, async (response, ep, ct) =>
        {
            if (response.Content.Headers.ContentLength == 0)
                return ParseBody(response, ep, "{}"u8.ToArray(), parse); // MLflow answers an empty message with {} — tolerate a bare empty body too
            var (buffer, length) = await ReadBodyAsync(response, pooled: !keepBody, null, ct).ConfigureAwait(false);
            if (keepBody) return ParseBody(response, ep, buffer.AsMemory(0, length), parse);
            try
            {
                return ParseBody(response, ep, buffer.AsMemory(0, length), parse);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, cancellationToken);

    /// <summary>
    /// A traces.json answer (the trace artifact) as spans, decoded while the body arrives
    /// (<see cref="SpanDecoder.TraceDataStream"/>): once the last byte is in, only the last read's spans are
    /// left to decode. The spans keep the body's array. Failures as with <see cref="SendUtf8Async"/>.
    /// </summary>
    public Task<IReadOnlyList<RawSpan>> SendTraceDataAsync(EndpointCall call, IReadOnlyList<KeyValuePair<string, string>>? query,
        string what, CancellationToken cancellationToken) =>
        SendAsync(call, query, null, async (response, ep, ct) =>
        {
            var stream = new SpanDecoder.TraceDataStream();
            if (response.Content.Headers.ContentLength == 0)
                return ParseBody(response, ep, "{}"u8.ToArray(), json => stream.Complete(json, what));
            var (buffer, length) = await ReadBodyAsync(response, pooled: false, stream.Advance, ct).ConfigureAwait(false);
            return ParseBody(response, ep, buffer.AsMemory(0, length), json => stream.Complete(json, what));
        }, cancellationToken);

    /// <summary><paramref name="parse"/> over a whole body, its failures mapped to what the client is told.</summary>
    private static T ParseBody<T>(HttpResponseMessage response, Endpoint ep, ReadOnlyMemory<byte> json, Func<ReadOnlyMemory<byte>, T> parse)
    {
        if (json.Span.StartsWith("\uFEFF"u8)) json = json[3..]; // a UTF-8 BOM, which JsonDocument skips too
        try
        {
            return parse(json);
        }
        catch (JsonException ex)
        {
            throw NotJson(response, ep, ex);
        }
        catch (BackendException ex) when (ex.InnerException is JsonException unreadable)
        {
            throw NotJson(response, ep, unreadable); // a parser that reports unreadable JSON itself (SpanDecoder)
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw NotMlflowShape(response, ep, ex);
        }
    }

    /// <summary>
    /// The whole body in one array, read straight into an array of the announced length: rented from the
    /// shared pool (the caller returns it) or, not <paramref name="pooled"/>, an array of its own that a
    /// parse result may keep (a 70 MB trace is not read into a pooled buffer and copied). Grown when there is
    /// no length or more arrives.
    /// </summary>
    /// <param name="received">Told every byte so far after each read (a new array when it grew), e.g. to decode while reading.</param>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, bool pooled,
        Action<ReadOnlyMemory<byte>>? received, CancellationToken ct)
    {
        // One byte more than announced, so a body of the announced length ends in one read.
        var buffer = NewBuffer(response.Content.Headers.ContentLength is > 0 and < int.MaxValue / 2 and var announced ? (int)announced + 1 : 64 * 1024);
        var length = 0;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
            {
                length += read;
                received?.Invoke(buffer.AsMemory(0, length));
                if (length < buffer.Length) continue;
                var larger = NewBuffer(checked(buffer.Length * 2));
                buffer.AsSpan(0, length).CopyTo(larger);
                if (pooled) ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            return (buffer, length);
        }
        catch
        {
            if (pooled) ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        byte[] NewBuffer(int size) => pooled ? ArrayPool<byte>.Shared.Rent(size) : new byte[size];
    }

    private static BackendException NotJson(HttpResponseMessage response, Endpoint endpoint, JsonException ex) =>
        IsHtml(response)
            ? new BackendException(RpcErrorCodes.BadResponse,
                $"The tracking server's answer to {endpoint.Name} was an HTML page, not valid JSON (a proxy or login page? check the tracking URI).",
                ex, (int)response.StatusCode)
            : new BackendException(RpcErrorCodes.BadResponse,
                $"The tracking server's answer to {endpoint.Name} was not valid JSON (truncated or not an MLflow server?): {ex.Message}",
                ex, (int)response.StatusCode);

    private static BackendException NotMlflowShape(HttpResponseMessage response, Endpoint endpoint, Exception ex) =>
        new(RpcErrorCodes.BadResponse,
            $"The tracking server's answer to {endpoint.Name} was not in the form MLflow answers: {ex.Message}",
            ex, (int)response.StatusCode);

    /// <summary>
    /// One request with the retry policy (<see cref="MlflowRetryPolicy"/>; the one place that decides
    /// whether a failure is sent again). Each attempt has its own timeout; the caller's cancellation
    /// also ends a backoff wait.
    /// </summary>
    public async Task<T> SendAsync<T>(EndpointCall call, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Func<HttpResponseMessage, Endpoint, CancellationToken, Task<T>> onSuccess,
        CancellationToken cancellationToken)
    {
        var policy = _options.Retry;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var failure = new AttemptFailure();
            try
            {
                return await SendOnceAsync(call, query, body, onSuccess, failure, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException ex) when (failure.Transient)
            {
                var wait = RetryWait(policy, call.Endpoint, failure, attempt, clock.Elapsed);
                if (wait is not { } delay)
                {
                    if (attempt == 1) throw;
                    throw new BackendException(
                        ex.Code,
                        $"{ex.Message} (gave up after {attempt} attempts)",
                        ex.InnerException,
                        ex.HttpStatus,
                        ex.MlflowErrorCode);
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>MLflow error codes of a 500 that the same request gets again every time.</summary>
    private static readonly string[] DeterministicErrorCodes = ["FEATURE_DISABLED", "NOT_IMPLEMENTED", "INVALID_STATE"];

    /// <summary>
    /// What MLflow's 500 says when it cannot serve this request this way, whatever the retry: the spans
    /// are not in the tracking store, or rendering them exceeds Python's recursion limit (a deep or cyclic
    /// span tree). Another route (the artifact) can serve it.
    /// </summary>
    private static readonly string[] CannotServeMessages = ["not stored in tracking store", "RecursionError", "maximum recursion depth exceeded"];

    /// <summary>
    /// True for a server error that is not transient: the same request fails the same way again, so it is
    /// neither retried nor asked again by a fallback; only another route can help.
    /// </summary>
    public static bool CannotServe(BackendException ex) =>
        ex.HttpStatus == 500 &&
        (ex.MlflowErrorCode is { } code && DeterministicErrorCodes.Contains(code, StringComparer.Ordinal)
         || CannotServeMessages.Any(m => ex.Message.Contains(m, StringComparison.OrdinalIgnoreCase)));

    /// <summary>How long to wait before sending again, or null when this failure is final.</summary>
    private static TimeSpan? RetryWait(MlflowRetryPolicy policy, Endpoint endpoint, AttemptFailure failure, int attempt, TimeSpan elapsed)
    {
        if (attempt >= policy.MaxAttempts) return null;
        // A write is sent again only when it certainly never reached the server.
        if (!endpoint.Idempotent && !failure.Refused) return null;
        TimeSpan delay;
        if (failure.RetryAfter is { } asked)
        {
            if (asked > policy.MaxRetryAfter) return null; // honoured by not coming back sooner than asked
            delay = asked;
        }
        else
        {
            delay = policy.Backoff(attempt, Random.Shared.NextDouble());
        }
        return elapsed + delay > policy.MaxTotal ? null : delay;
    }

    /// <summary>What one failed attempt says about sending again.</summary>
    private sealed class AttemptFailure
    {
        /// <summary>429, 502, 503, 504, a 500 other than one that <see cref="CannotServe"/>, or a refused connection.</summary>
        public bool Transient;
        /// <summary>The connection was refused: the request never reached the server.</summary>
        public bool Refused;
        /// <summary>The server's Retry-After (429/503), from now.</summary>
        public TimeSpan? RetryAfter;
    }

    private async Task<T> SendOnceAsync<T>(EndpointCall call, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Func<HttpResponseMessage, Endpoint, CancellationToken, Task<T>> onSuccess,
        AttemptFailure failure, CancellationToken cancellationToken)
    {
        var endpoint = call.Endpoint;
        cancellationToken.ThrowIfCancellationRequested();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var ct = timeout.Token;
        var stage = "request";
        try
        {
            using var request = new HttpRequestMessage(endpoint.HttpMethod, BuildUri(call.Path, query));
            if (body != null)
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            stage = "body";
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                failure.RetryAfter = RetryAfter(response);
                var error = await ErrorFromResponseAsync(response, endpoint, failure.RetryAfter, ct).ConfigureAwait(false);
                failure.Transient = status is 429 or 502 or 503 or 504 || (status == 500 && !CannotServe(error));
                throw error;
            }
            return await onSuccess(response, endpoint, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the caller's own cancellation, as is
        }
        catch (OperationCanceledException ex)
        {
            // Our per-request timeout (or the handler's connect timeout): never a bare cancellation.
            throw new BackendException(RpcErrorCodes.Unreachable,
                $"The tracking server at {DisplayLocation} did not answer within {FormatSeconds(_options.Timeout)} s ({endpoint.Name}).", ex);
        }
        catch (HttpRequestException ex) when (stage == "request" && IsUnreachable(ex))
        {
            failure.Refused = IsRefused(ex);
            failure.Transient = failure.Refused;
            throw new BackendException(RpcErrorCodes.Unreachable,
                $"Cannot reach the tracking server at {DisplayLocation} — is `mlflow server` running?", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new BackendException(RpcErrorCodes.BadResponse,
                stage == "request"
                    ? $"The tracking server at {DisplayLocation} closed the connection without a valid answer to {endpoint.Name}."
                    : $"The tracking server's answer to {endpoint.Name} was cut off (connection closed mid-body); it was not valid JSON.",
                ex);
        }
    }

    /// <summary>Retry-After in either form (delta seconds or an HTTP date), as a wait from now; null when absent.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static bool IsRefused(HttpRequestException ex) =>
        ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    private static bool IsUnreachable(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
        || ex.InnerException is SocketException;

    private static string FormatSeconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private Uri BuildUri(string path, IReadOnlyList<KeyValuePair<string, string>>? query)
    {
        var sb = new StringBuilder(path);
        if (query is { Count: > 0 })
        {
            sb.Append('?');
            for (var i = 0; i < query.Count; i++)
            {
                if (i > 0) sb.Append('&');
                sb.Append(Uri.EscapeDataString(query[i].Key)).Append('=').Append(Uri.EscapeDataString(query[i].Value));
            }
        }
        return new Uri(_base, sb.ToString());
    }

    private async Task<BackendException> ErrorFromResponseAsync(HttpResponseMessage response, Endpoint endpoint, TimeSpan? retryAfter, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            text = "";
        }

        string? errorCode = null;
        string? message = null;
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                errorCode = MlflowJson.Str(doc.RootElement, "error_code");
                message = MlflowJson.Str(doc.RootElement, "message") ?? MlflowJson.Str(doc.RootElement, "detail");
            }
            catch (JsonException)
            {
            }
        }
        // An HTML error page (a proxy's 502, Flask's 500) is never shown: it is markup, not a message.
        var isHtml = trimmed.StartsWith('<') || IsHtml(response);
        var serverText = message ?? (isHtml ? null : Clip(text.Trim()));

        BackendException Make(int code, string msg) => new(code, msg, null, status, errorCode);

        switch (status)
        {
            case 401:
                return Make(RpcErrorCodes.Unauthorized, _sendsCredentials
                    ? $"The tracking server at {DisplayLocation} rejected the credentials (401 Unauthorized); check " +
                        "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN."
                    : $"The tracking server at {DisplayLocation} requires authentication (401 Unauthorized); set " +
                        "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.");
            case 403:
                return Make(RpcErrorCodes.Forbidden,
                    $"The tracking server at {DisplayLocation} denied access to {endpoint.Name} (403 Forbidden)" +
                    (string.IsNullOrEmpty(serverText) ? "." : ": " + serverText));
            // Before 3.7 traces/get is taken for trace info of the trace "get" (docs/mlflow-notes.md#versions-and-endpoints): the route is missing.
            case 404 when endpoint == MlflowEndpoints.TracesGet && message != null && message.Contains("'get'", StringComparison.Ordinal):
                return Make(RpcErrorCodes.Unsupported,
                    $"The tracking server at {DisplayLocation} does not support {endpoint.Name}; MLflow ≥ {endpoint.MinVersion} needed.");
            case 404 when errorCode is "RESOURCE_DOES_NOT_EXIST" or "NOT_FOUND" && message != null:
                return Make(RpcErrorCodes.NotFound, message);
            case 404 or 405:
                return Make(RpcErrorCodes.Unsupported,
                    $"The tracking server at {DisplayLocation} does not support {endpoint.Name}; MLflow ≥ {endpoint.MinVersion} needed.");
            case 501:
                return Make(RpcErrorCodes.Unsupported,
                    $"The tracking server at {DisplayLocation} does not implement {endpoint.Name} for its store" +
                    (string.IsNullOrEmpty(serverText) ? "." : ": " + serverText));
            case 400 or 409 or 422:
                return Make(RpcErrorCodes.InvalidFilter, serverText is { Length: > 0 }
                    ? serverText
                    : $"The tracking server rejected the request to {endpoint.Name} (HTTP {status}).");
            case 429:
                return Make(RpcErrorCodes.ServerError,
                    $"The tracking server at {DisplayLocation} is rate limiting requests (HTTP 429 Too Many Requests on {endpoint.Name})" +
                    (retryAfter is { } wait
                        ? $"; it asks to wait {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s."
                        : "; try again shortly."));
            default:
                return Make(RpcErrorCodes.ServerError,
                    $"The tracking server at {DisplayLocation} failed on {endpoint.Name} (HTTP {status}{(errorCode != null ? " " + errorCode : "")})" +
                    (string.IsNullOrEmpty(serverText) ? "." : ": " + serverText));
        }
    }

    private static bool IsHtml(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType?.Contains("html", StringComparison.OrdinalIgnoreCase) ?? false;

    private static string Clip(string s) => s.Length <= MaxErrorBodyChars ? s : s[..MaxErrorBodyChars] + "…";
}
