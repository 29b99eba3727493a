using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// <see cref="ITraceBackend"/> over an MLflow tracking server's REST API (spec mlflow-tracing.md §1–§3).
/// One HttpClient per backend; every call has its own timeout; the caller's cancellation propagates as
/// <see cref="OperationCanceledException"/>; every other failure is a <see cref="BackendException"/>
/// whose message never contains credentials.
/// </summary>
public sealed class MlflowRestBackend : ITraceBackend, ITraceMetricsSource
{
    private const string V2 = "api/2.0/mlflow";
    private const string V3 = "api/3.0/mlflow";
    private const string SpansLocationTag = "mlflow.trace.spansLocation";
    private const int ExperimentPageSize = 100;
    private const int MaxErrorBodyChars = 500;

    // Endpoints, with the first MLflow release that serves them (spec §9).
    private static readonly Endpoint EpVersion = new("GET /version", "1.0.0");
    private static readonly Endpoint EpServerInfo = new("GET /api/3.0/mlflow/server-info", "3.10.0");
    private static readonly Endpoint EpExperimentsSearch = new("POST /api/2.0/mlflow/experiments/search", "1.28.0", ReadOnlyPost: true);
    private static readonly Endpoint EpSearchV3 = new("POST /api/3.0/mlflow/traces/search", "3.2.0", ReadOnlyPost: true);
    private static readonly Endpoint EpSearchV2 = new("GET /api/2.0/mlflow/traces", "2.13.0");
    private static readonly Endpoint EpInfoV3 = new("GET /api/3.0/mlflow/traces/{trace_id}", "3.2.0");
    private static readonly Endpoint EpInfoV2 = new("GET /api/2.0/mlflow/traces/{request_id}/info", "2.13.0");
    private static readonly Endpoint EpTracesGet = new("GET /api/3.0/mlflow/traces/get", "3.7.0");
    private static readonly Endpoint EpArtifactV3 = new("GET /ajax-api/3.0/mlflow/get-trace-artifact", "3.9.0");
    private static readonly Endpoint EpArtifactV2 = new("GET /ajax-api/2.0/mlflow/get-trace-artifact", "2.14.0");
    private static readonly Endpoint EpDeleteV3 = new("POST /api/3.0/mlflow/traces/delete-traces", "3.3.0");
    private static readonly Endpoint EpDeleteV2 = new("POST /api/2.0/mlflow/traces/delete-traces", "2.13.0");
    private static readonly Endpoint EpSetTagV3 = new("PATCH /api/3.0/mlflow/traces/{trace_id}/tags", "3.3.2");
    private static readonly Endpoint EpSetTagV2 = new("PATCH /api/2.0/mlflow/traces/{request_id}/tags", "2.13.0");
    private static readonly Endpoint EpDeleteTagV3 = new("DELETE /api/3.0/mlflow/traces/{trace_id}/tags", "3.3.2");
    private static readonly Endpoint EpDeleteTagV2 = new("DELETE /api/2.0/mlflow/traces/{request_id}/tags", "2.13.0");
    private static readonly Endpoint EpAssessmentCreate = new("POST /api/3.0/mlflow/traces/{trace_id}/assessments", "3.2.0");
    private static readonly Endpoint EpAssessmentUpdate = new("PATCH /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}", "3.2.0");
    private static readonly Endpoint EpAssessmentDelete = new("DELETE /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}", "3.2.0");
    private static readonly Endpoint EpTraceMetrics = new("POST /api/3.0/mlflow/traces/metrics", "3.9.0", ReadOnlyPost: true);

    private readonly MlflowBackendOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly bool _sendsCredentials;

    public MlflowRestBackend(MlflowBackendOptions options, HttpMessageHandler? handler = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var uri = options.TrackingUri;
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException("The tracking URI must be an absolute http(s) URI.", nameof(options));

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

    /// <summary>A backend for <paramref name="trackingUri"/> with credentials from MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN.</summary>
    public static MlflowRestBackend FromEnvironment(string trackingUri, string? workspace) =>
        new(MlflowBackendOptions.FromEnvironment(new Uri(trackingUri, UriKind.Absolute), workspace));

    public string Kind => BackendKinds.MlflowServer;

    /// <summary>The tracking URI without user info, query or trailing slash.</summary>
    public string DisplayLocation { get; }

    // ------------------------------------------------------------------ connect

    public async Task<BackendInfo> ConnectAsync(CancellationToken cancellationToken)
    {
        string? version = null;
        try
        {
            var text = await SendAsync(HttpMethod.Get, "version", null, null, EpVersion, ReadTextAsync, cancellationToken).ConfigureAwait(false);
            text = text.Trim();
            if (text.Length is > 0 and < 64 && !text.StartsWith('<')) version = text;
        }
        catch (BackendException ex) when (ex.Code is RpcErrorCodes.Unsupported or RpcErrorCodes.NotFound)
        {
            // Very old or proxied server without /version: capabilities stay conservative.
        }

        string? storeType = null;
        try
        {
            storeType = await SendJsonAsync(HttpMethod.Get, V3 + "/server-info", null, null, EpServerInfo,
                root => MlflowJson.Str(root, "store_type"), cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
        {
            // Optional (≥ 3.10.0).
        }

        return new BackendInfo(version, CapabilitiesFor(version, storeType));
    }

    /// <summary>Capabilities by server version (spec §9). Unknown version: only what has a fallback.</summary>
    public static BackendCapabilities CapabilitiesFor(string? version, string? storeType)
    {
        var v = ParseVersion(version);
        bool AtLeast(int major, int minor) => v is { } x && (x.Major > major || (x.Major == major && x.Minor >= minor));
        return new BackendCapabilities
        {
            SearchV3 = AtLeast(3, 2),
            SpanFilters = AtLeast(3, 6),
            Assessments = AtLeast(3, 2),
            // server-info exists only from 3.10.0, so an unknown store type on 3.9 counts as SQL (spec §9).
            TraceMetrics = AtLeast(3, 9) && !string.Equals(storeType, "FileStore", StringComparison.OrdinalIgnoreCase),
            DeleteTraces = true,
            EditTags = true,
            EditAssessments = AtLeast(3, 2),
            StoreType = storeType,
        };
    }

    internal static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var numbers = new List<int>();
        foreach (var part in text.Trim().Split('.'))
        {
            var digits = new string(part.TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0) break;
            numbers.Add(int.Parse(digits, CultureInfo.InvariantCulture));
            if (digits.Length != part.Length || numbers.Count == 3) break;
        }
        return numbers.Count switch
        {
            0 => null,
            1 => new Version(numbers[0], 0),
            2 => new Version(numbers[0], numbers[1]),
            _ => new Version(numbers[0], numbers[1], numbers[2]),
        };
    }

    // ------------------------------------------------------------------ experiments

    public async Task<IReadOnlyList<Experiment>> ListExperimentsAsync(string? nameQuery, CancellationToken cancellationToken)
    {
        var all = new List<Experiment>();
        string? pageToken = null;
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var body = new JsonObject { ["max_results"] = ExperimentPageSize };
            if (pageToken != null) body["page_token"] = pageToken;
            var (experiments, next) = await SendJsonAsync(HttpMethod.Post, V2 + "/experiments/search", null, body, EpExperimentsSearch, root =>
            {
                var list = new List<Experiment>();
                if (root.TryGetProperty("experiments", out var arr))
                {
                    if (arr.ValueKind != JsonValueKind.Array) throw new FormatException("experiments is not an array");
                    foreach (var e in arr.EnumerateArray()) list.Add(MlflowJson.ParseExperiment(e));
                }
                return (list, MlflowJson.Str(root, "next_page_token"));
            }, cancellationToken).ConfigureAwait(false);
            all.AddRange(experiments);
            pageToken = string.IsNullOrEmpty(next) || !seenTokens.Add(next) ? null : next;
        }
        while (pageToken != null);

        IEnumerable<Experiment> result = all
            .Where(e => e.LifecycleStage is null or "active")
            .GroupBy(e => e.ExperimentId).Select(g => g.First());
        if (!string.IsNullOrWhiteSpace(nameQuery))
        {
            var q = nameQuery.Trim();
            result = result.Where(e => e.Name.Contains(q, StringComparison.OrdinalIgnoreCase));
        }
        return result
            .OrderByDescending(e => e.IsGenAi)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
            .ThenBy(e => e.ExperimentId, StringComparer.Ordinal)
            .ToList();
    }

    // ------------------------------------------------------------------ search

    public async Task<TracePage> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var body = new JsonObject();
        if (query.ExperimentIds.Count > 0) // an empty repeated field is omitted, as protobuf JSON does
        {
            body["locations"] = new JsonArray(query.ExperimentIds.Select(id => (JsonNode)new JsonObject
            {
                ["type"] = "MLFLOW_EXPERIMENT",
                ["mlflow_experiment"] = new JsonObject { ["experiment_id"] = id },
            }).ToArray());
        }
        if (!string.IsNullOrWhiteSpace(query.Filter)) body["filter"] = query.Filter;
        body["max_results"] = query.PageSize;
        if (query.OrderBy.Count > 0) body["order_by"] = new JsonArray(query.OrderBy.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray());
        if (!string.IsNullOrEmpty(query.PageToken)) body["page_token"] = query.PageToken;

        try
        {
            return await SendUtf8Async(HttpMethod.Post, V3 + "/traces/search", null, body, EpSearchV3, json =>
            {
                var (traces, next) = MlflowJson.ReadSearchPageV3(json.Span);
                return new TracePage(traces, string.IsNullOrEmpty(next) ? null : next);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
            // Server < 3.2: the deprecated V2 search (same filter grammar, same cap).
        }

        var q = new List<KeyValuePair<string, string>>();
        foreach (var id in query.ExperimentIds) q.Add(new("experiment_ids", id));
        if (!string.IsNullOrWhiteSpace(query.Filter)) q.Add(new("filter", query.Filter));
        q.Add(new("max_results", query.PageSize.ToString(CultureInfo.InvariantCulture)));
        foreach (var o in query.OrderBy) q.Add(new("order_by", o));
        if (!string.IsNullOrEmpty(query.PageToken)) q.Add(new("page_token", query.PageToken));
        return await SendJsonAsync(HttpMethod.Get, V2 + "/traces", q, null, EpSearchV2,
            root => ParsePage(root, MlflowJson.ParseTraceInfoV2), cancellationToken).ConfigureAwait(false);
    }

    private static TracePage ParsePage(JsonElement root, Func<JsonElement, TraceSummary> parse)
    {
        var traces = new List<TraceSummary>();
        if (root.TryGetProperty("traces", out var arr))
        {
            if (arr.ValueKind != JsonValueKind.Array) throw new FormatException("traces is not an array");
            foreach (var t in arr.EnumerateArray()) traces.Add(parse(t));
        }
        var next = MlflowJson.Str(root, "next_page_token");
        return new TracePage(traces, string.IsNullOrEmpty(next) ? null : next);
    }

    // ------------------------------------------------------------------ trace info

    public async Task<TraceSummary> GetTraceInfoAsync(string traceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        var id = Uri.EscapeDataString(traceId);
        try
        {
            return await SendJsonAsync(HttpMethod.Get, $"{V3}/traces/{id}", null, null, EpInfoV3, root =>
                MlflowJson.ParseTraceInfoV3(Required(Required(root, "trace"), "trace_info")), cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
        }
        return await SendJsonAsync(HttpMethod.Get, $"{V2}/traces/{id}/info", null, null, EpInfoV2, root =>
            MlflowJson.ParseTraceInfoV2(Required(root, "trace_info")), cancellationToken).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ spans

    /// <summary>
    /// One round trip when the server can (traces/get, ≥ 3.7, spans in the DB: info and spans
    /// together); otherwise, or when that fails for any reason but reachability or auth, info then
    /// spans by the spec's algorithm (§2.4). Unknown IDs end as NotFound from the info call.
    /// </summary>
    public async Task<TraceData> GetTraceAsync(string traceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        var tracesGetCanServe = true;
        try
        {
            var whole = await SendUtf8Async(HttpMethod.Get, V3 + "/traces/get", [new("trace_id", traceId)], null, EpTracesGet,
                body => MlflowJson.ReadTraceGet(body, withInfo: true), cancellationToken, keepBody: true).ConfigureAwait(false);
            if (whole.Spans.Count > 0) return whole;
        }
        catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
        {
            // Older server, spans in the artifact store, or not fully exported yet: the long way — without
            // asking traces/get again when the server said it cannot serve this trace that way, or kept
            // failing with a 5xx through the retries.
            tracesGetCanServe = !CannotServe(ex) && ex.HttpStatus is not >= 500;
        }
        var traceInfo = await GetTraceInfoAsync(traceId, cancellationToken).ConfigureAwait(false);
        return new TraceData(traceInfo, await GetSpansAsync(traceInfo, tracesGetCanServe, cancellationToken).ConfigureAwait(false));
    }

    public Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, CancellationToken cancellationToken) =>
        GetSpansAsync(info, tryTracesGet: true, cancellationToken);

    private async Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, bool tryTracesGet, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        var id = info.TraceId;

        // Spans in the DB: traces/get is one round trip with OTel JSON. Complete traces are asked
        // for in full (the server waits for late span batches); running ones with allow_partial.
        if (tryTracesGet && info.Tags.TryGetValue(SpansLocationTag, out var where) && where == "TRACKING_STORE")
        {
            var q = new List<KeyValuePair<string, string>> { new("trace_id", id) };
            if (info.State == "IN_PROGRESS") q.Add(new("allow_partial", "true"));
            try
            {
                var spans = await SendUtf8Async(HttpMethod.Get, V3 + "/traces/get", q, null, EpTracesGet,
                    body => MlflowJson.ReadTraceGet(body, withInfo: false).Spans, cancellationToken, keepBody: true).ConfigureAwait(false);
                if (spans.Count > 0) return spans;
            }
            catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
            {
                // Not stored in the DB after all, not supported by this version, or not fully exported: use the artifact route.
            }
        }

        // The artifact is traces.json: decoded from its bytes in one pass, no DOM (the spans keep the body).
        var artifactQuery = new List<KeyValuePair<string, string>> { new("request_id", id) };
        static IReadOnlyList<RawSpan> DecodeArtifact(ReadOnlyMemory<byte> body) => SpanDecoder.DecodeTraceData(body, "the trace artifact");
        try
        {
            return await SendUtf8Async(HttpMethod.Get, "ajax-api/3.0/mlflow/get-trace-artifact", artifactQuery, null, EpArtifactV3,
                DecodeArtifact, cancellationToken, keepBody: true).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
            // < 3.9.0: only the 2.0 form exists.
        }
        return await SendUtf8Async(HttpMethod.Get, "ajax-api/2.0/mlflow/get-trace-artifact", artifactQuery, null, EpArtifactV2,
            DecodeArtifact, cancellationToken, keepBody: true).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ edits

    public async Task<int> DeleteTracesAsync(string experimentId, IReadOnlyList<string> traceIds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentId);
        ArgumentNullException.ThrowIfNull(traceIds);
        if (traceIds.Count == 0) return 0;
        JsonObject Body() => new()
        {
            ["experiment_id"] = experimentId,
            ["request_ids"] = new JsonArray(traceIds.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        };
        static int Parse(JsonElement root) => (int)(MlflowJson.Long(root, "traces_deleted") ?? 0);
        try
        {
            return await SendJsonAsync(HttpMethod.Post, V3 + "/traces/delete-traces", null, Body(), EpDeleteV3, Parse, cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
        }
        return await SendJsonAsync(HttpMethod.Post, V2 + "/traces/delete-traces", null, Body(), EpDeleteV2, Parse, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetTraceTagAsync(string traceId, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var id = Uri.EscapeDataString(traceId);
        JsonObject Body() => new() { ["key"] = key, ["value"] = value };
        try
        {
            await SendJsonAsync(HttpMethod.Patch, $"{V3}/traces/{id}/tags", null, Body(), EpSetTagV3, _ => 0, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
        }
        await SendJsonAsync(HttpMethod.Patch, $"{V2}/traces/{id}/tags", null, Body(), EpSetTagV2, _ => 0, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteTraceTagAsync(string traceId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var id = Uri.EscapeDataString(traceId);
        // The key goes in a JSON body: MLflow ignores the query string of DELETE (spec §2.6).
        JsonObject Body() => new() { ["key"] = key };
        try
        {
            await SendJsonAsync(HttpMethod.Delete, $"{V3}/traces/{id}/tags", null, Body(), EpDeleteTagV3, _ => 0, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.Unsupported)
        {
        }
        await SendJsonAsync(HttpMethod.Delete, $"{V2}/traces/{id}/tags", null, Body(), EpDeleteTagV2, _ => 0, cancellationToken).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ assessments (spec §2.7)

    public Task<Assessment> CreateAssessmentAsync(AssessmentsCreateParams a, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        var body = new JsonObject
        {
            ["assessment_name"] = a.Name,
            ["trace_id"] = a.TraceId,
        };
        if (!string.IsNullOrEmpty(a.SpanId)) body["span_id"] = a.SpanId;
        body["source"] = new JsonObject { ["source_type"] = a.SourceType ?? "HUMAN", ["source_id"] = a.SourceId };
        body[a.Kind] = new JsonObject { ["value"] = JsonNode.Parse(a.Value.GetRawText()) };
        if (!string.IsNullOrEmpty(a.Rationale)) body["rationale"] = a.Rationale;
        if (!string.IsNullOrEmpty(a.Overrides)) body["overrides"] = a.Overrides;
        return SendUtf8Async(HttpMethod.Post, $"{V3}/traces/{Uri.EscapeDataString(a.TraceId)}/assessments", null,
            new JsonObject { ["assessment"] = body }, EpAssessmentCreate, json => MlflowJson.ReadAssessmentAnswer(json.Span), cancellationToken);
    }

    public Task<Assessment> UpdateAssessmentAsync(AssessmentsUpdateParams change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var body = new JsonObject { ["assessment_id"] = change.AssessmentId, ["trace_id"] = change.TraceId };
        // The mask names what changes (lowerCamelCase field paths); MLflow leaves the rest as it is.
        var mask = new List<string>();
        if (change.Value is { } value)
        {
            body[change.Kind] = new JsonObject { ["value"] = JsonNode.Parse(value.GetRawText()) };
            mask.Add(change.Kind);
        }
        if (change.Rationale is not null)
        {
            body["rationale"] = change.Rationale;
            mask.Add("rationale");
        }
        var path = $"{V3}/traces/{Uri.EscapeDataString(change.TraceId)}/assessments/{Uri.EscapeDataString(change.AssessmentId)}";
        return SendUtf8Async(HttpMethod.Patch, path, null, new JsonObject { ["assessment"] = body, ["update_mask"] = string.Join(',', mask) },
            EpAssessmentUpdate, json => MlflowJson.ReadAssessmentAnswer(json.Span), cancellationToken);
    }

    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(assessmentId);
        var path = $"{V3}/traces/{Uri.EscapeDataString(traceId)}/assessments/{Uri.EscapeDataString(assessmentId)}";
        return SendJsonAsync(HttpMethod.Delete, path, null, null, EpAssessmentDelete, _ => 0, cancellationToken);
    }

    // ------------------------------------------------------------------ metrics (spec §2.8)

    public string MetricsEngine => "server";

    /// <summary>
    /// QueryTraceMetrics on the tracking server (MLflow ≥ 3.9, SQL store). The server computes; its
    /// percentiles are its database's (SQLite: MLflow's linear-interpolation aggregate; PostgreSQL/MSSQL:
    /// PERCENTILE_CONT; MySQL: a PERCENT_RANK approximation). Invalid queries → InvalidParams with the
    /// server's message; no endpoint (older server) or FileStore (FEATURE_DISABLED) → Unsupported.
    /// </summary>
    public async Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var body = new JsonObject
        {
            ["experiment_ids"] = new JsonArray(query.ExperimentIds.Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
            ["view_type"] = query.ViewType,
            ["metric_name"] = query.MetricName,
            ["aggregations"] = new JsonArray(query.Aggregations.Select(a =>
            {
                var o = new JsonObject { ["aggregation_type"] = a.AggregationType };
                if (a.PercentileValue is { } p)
                    o["percentile_value"] = p == Math.Floor(p) && Math.Abs(p) < 1e15 ? JsonValue.Create((long)p) : JsonValue.Create(p);
                return (JsonNode)o;
            }).ToArray()),
        };
        if (query.Dimensions.Count > 0) body["dimensions"] = new JsonArray(query.Dimensions.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray());
        if (query.Filters.Count > 0) body["filters"] = new JsonArray(query.Filters.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
        if (query.TimeIntervalSeconds is { } interval) body["time_interval_seconds"] = interval;
        if (query.StartTimeMs is { } start) body["start_time_ms"] = start;
        if (query.EndTimeMs is { } end) body["end_time_ms"] = end;
        if (query.MaxResults is { } max) body["max_results"] = max;

        try
        {
            return await SendUtf8Async(HttpMethod.Post, V3 + "/traces/metrics", null, body, EpTraceMetrics,
                json => MlflowJson.ReadMetricsAnswer(json.Span, query.MetricName), cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (ex.MlflowErrorCode == "FEATURE_DISABLED")
        {
            throw new BackendException(RpcErrorCodes.Unsupported,
                $"The tracking server at {DisplayLocation} cannot aggregate trace metrics for its store (FEATURE_DISABLED; a file store?): {ex.Message}",
                ex, ex.HttpStatus, ex.MlflowErrorCode);
        }
        catch (BackendException ex) when (ex.Code == RpcErrorCodes.InvalidFilter)
        {
            throw new BackendException(RpcErrorCodes.InvalidParams, ex.Message, ex, ex.HttpStatus, ex.MlflowErrorCode);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    // ------------------------------------------------------------------ transport

    /// <summary>An endpoint; <paramref name="ReadOnlyPost"/> marks a POST that only reads (a search), which is retried like a GET.</summary>
    private sealed record Endpoint(string Name, string MinVersion, bool ReadOnlyPost = false)
    {
        /// <summary>Sending it twice changes nothing on the server (GET, or a read-only POST).</summary>
        public bool Idempotent => ReadOnlyPost || Name.StartsWith("GET ", StringComparison.Ordinal);
    }

    private static JsonElement Required(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v
            : throw new FormatException($"'{name}' is missing");

    private static async Task<string> ReadTextAsync(HttpResponseMessage response, Endpoint endpoint, CancellationToken ct) =>
        await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);

    /// <summary>A JSON answer as a DOM, handed to <paramref name="parse"/> (every answer but search pages).</summary>
    private Task<T> SendJsonAsync<T>(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Endpoint endpoint, Func<JsonElement, T> parse, CancellationToken cancellationToken) =>
        SendAsync(method, path, query, body, endpoint, async (response, ep, ct) =>
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
    private Task<T> SendUtf8Async<T>(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Endpoint endpoint, Func<ReadOnlyMemory<byte>, T> parse, CancellationToken cancellationToken, bool keepBody = false) =>
        SendAsync(method, path, query, body, endpoint, async (response, ep, ct) =>
        {
            if (response.Content.Headers.ContentLength == 0)
                return Parse("{}"u8.ToArray()); // MLflow answers an empty message with {} — tolerate a bare empty body too
            var (buffer, length) = await ReadBodyAsync(response, pooled: !keepBody, ct).ConfigureAwait(false);
            if (keepBody) return Parse(buffer.AsMemory(0, length));
            try
            {
                return Parse(buffer.AsMemory(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            T Parse(ReadOnlyMemory<byte> json)
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
        }, cancellationToken);

    /// <summary>
    /// The whole body in one array, read straight into an array of the announced length: rented from the
    /// shared pool (the caller returns it) or, not <paramref name="pooled"/>, an array of its own that a
    /// parse result may keep (a 70 MB trace is not read into a pooled buffer and copied). Grown when there is
    /// no length or more arrives.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, bool pooled, CancellationToken ct)
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
    private async Task<T> SendAsync<T>(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Endpoint endpoint, Func<HttpResponseMessage, Endpoint, CancellationToken, Task<T>> onSuccess,
        CancellationToken cancellationToken)
    {
        var policy = _options.Retry;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var failure = new AttemptFailure();
            try
            {
                return await SendOnceAsync(method, path, query, body, endpoint, onSuccess, failure, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException ex) when (failure.Transient)
            {
                var wait = RetryWait(policy, endpoint, failure, attempt, clock.Elapsed);
                if (wait is not { } delay)
                {
                    if (attempt == 1) throw;
                    throw new BackendException(ex.Code, $"{ex.Message} (gave up after {attempt} attempts)", ex.InnerException, ex.HttpStatus, ex.MlflowErrorCode);
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
    private static bool CannotServe(BackendException ex) =>
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

    private async Task<T> SendOnceAsync<T>(HttpMethod method, string path, IReadOnlyList<KeyValuePair<string, string>>? query,
        JsonNode? body, Endpoint endpoint, Func<HttpResponseMessage, Endpoint, CancellationToken, Task<T>> onSuccess,
        AttemptFailure failure, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var ct = timeout.Token;
        var stage = "request";
        try
        {
            using var request = new HttpRequestMessage(method, BuildUri(path, query));
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
                    ? $"The tracking server at {DisplayLocation} rejected the credentials (401 Unauthorized); check MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN."
                    : $"The tracking server at {DisplayLocation} requires authentication (401 Unauthorized); set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.");
            case 403:
                return Make(RpcErrorCodes.Forbidden,
                    $"The tracking server at {DisplayLocation} denied access to {endpoint.Name} (403 Forbidden)" +
                    (string.IsNullOrEmpty(serverText) ? "." : ": " + serverText));
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
                    (retryAfter is { } wait ? $"; it asks to wait {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s." : "; try again shortly."));
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
