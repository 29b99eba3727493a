using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// <see cref="ITraceBackend"/> over an MLflow tracking server's REST API (docs/mlflow-notes.md#versions-and-endpoints).
/// One HttpClient per backend; every call has its own timeout; the caller's cancellation propagates as
/// <see cref="OperationCanceledException"/>; every other failure is a <see cref="BackendException"/>
/// whose message never contains credentials.
/// </summary>
public sealed class MlflowRestBackend : ITraceBackend, ITraceMetricsSource
{
    private const string SpansLocationTag = "mlflow.trace.spansLocation";
    private const int ExperimentPageSize = 100;

    private readonly MlflowHttp _http;
    private readonly long _artifactRouteFromBytes;
    /// <summary>
    /// Trace ID → its JSON's size, from the sizeStats of the traces searches and info reads returned: what
    /// picks the route of a later click on it (<see cref="MlflowBackendOptions.ArtifactRouteFromBytes"/>).
    /// Bounded: emptied when full (a hint missing only costs the default route).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _traceBytes = new(StringComparer.Ordinal);
    private const int MaxSizeHints = 20_000;
    /// <summary>The capability table for the connected server; <see cref="MlflowRoutes.Unknown"/> until <see cref="ConnectAsync"/>.</summary>
    private volatile MlflowRoutes _routes = MlflowRoutes.Unknown;
    /// <summary>
    /// Endpoints this server answered that it does not serve, learned where the version is unknown, so a
    /// fallback is paid for once per backend, not on every click.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Endpoint, byte> _unserved = new();

    public MlflowRestBackend(MlflowBackendOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var uri = options.TrackingUri;
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException("The tracking URI must be an absolute http(s) URI.", nameof(options));
        _http = new MlflowHttp(options, handler);
        _artifactRouteFromBytes = options.ArtifactRouteFromBytes;
    }

    private void Remember(IEnumerable<TraceSummary> traces)
    {
        foreach (var t in traces)
        {
            if (TraceIde.Core.Traces.TraceSizeStats.Of(t.Metadata).TotalBytes is not { } bytes) continue;
            if (_traceBytes.Count >= MaxSizeHints) _traceBytes.Clear();
            _traceBytes[t.TraceId] = bytes;
        }
    }

    /// <summary>The server would send this trace through traces/get as a much larger answer than its artifact.</summary>
    private bool KnownToBeLarge(string traceId) => _traceBytes.TryGetValue(traceId, out var bytes) && bytes >= _artifactRouteFromBytes;

    /// <summary>A backend for <paramref name="trackingUri"/> with credentials from MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN.</summary>
    public static MlflowRestBackend FromEnvironment(string trackingUri, string? workspace) =>
        new(MlflowBackendOptions.FromEnvironment(new Uri(trackingUri, UriKind.Absolute), workspace));

    public string Kind => BackendKinds.MlflowServer;

    /// <summary>The tracking URI without user info, query or trailing slash.</summary>
    public string DisplayLocation => _http.DisplayLocation;

    // ------------------------------------------------------------------ connect

    public async Task<BackendInfo> ConnectAsync(CancellationToken cancellationToken)
    {
        string? version = null;
        try
        {
            var text = await _http.SendAsync(MlflowEndpoints.Version, null, null, MlflowHttp.ReadTextAsync, cancellationToken).ConfigureAwait(false);
            text = text.Trim();
            if (text.Length is > 0 and < 64 && !text.StartsWith('<')) version = text;
        }
        catch (BackendException ex) when (ex.Code is RpcErrorCodes.Unsupported or RpcErrorCodes.NotFound)
        {
            // Very old or proxied server without /version: capabilities stay conservative.
        }

        var parsed = MlflowEndpoints.ParseVersion(version);
        string? storeType = null;
        if (MlflowRoutes.For(parsed, null).AskServerInfo)
        {
            try
            {
                storeType = await _http.SendJsonAsync(MlflowEndpoints.ServerInfo, null, null,
                    root => MlflowJson.Str(root, "store_type"), cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
            {
                // Optional (≥ 3.10.0), and only asked where it may exist.
            }
        }

        var routes = MlflowRoutes.For(parsed, storeType);
        _routes = routes;
        return new BackendInfo(version, routes.Capabilities(storeType));
    }

    /// <summary>Capabilities by server version (docs/mlflow-notes.md#versions-and-endpoints). Unknown version: only what has a fallback.</summary>
    public static BackendCapabilities CapabilitiesFor(string? version, string? storeType) =>
        MlflowRoutes.For(MlflowEndpoints.ParseVersion(version), storeType).Capabilities(storeType);

    /// <summary>
    /// Sends along <paramref name="chain"/> (a <see cref="MlflowRoutes"/> entry): the first endpoint the
    /// server serves; the next only when one answers that it does not serve it (Unsupported). An empty
    /// chain fails without a request.
    /// </summary>
    private async Task<T> FirstServedAsync<T>(IReadOnlyList<Endpoint> chain, string what, Func<Endpoint, Task<T>> send)
    {
        if (chain.Count == 0)
            throw new BackendException(RpcErrorCodes.Unsupported,
                $"The tracking server at {DisplayLocation} (MLflow {_routes.ServerVersion}) cannot {what}.");
        for (var i = 0; ; i++)
        {
            var endpoint = chain[i];
            var last = i == chain.Count - 1;
            if (!last && _unserved.ContainsKey(endpoint)) continue;
            try
            {
                return await send(endpoint).ConfigureAwait(false);
            }
            catch (BackendException ex) when (!last && ex.Code == RpcErrorCodes.Unsupported)
            {
                Learn(endpoint, ex);
            }
        }
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
            var (experiments, next) = await _http.SendJsonAsync(MlflowEndpoints.ExperimentsSearch, null, body, root =>
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

        var page = await FirstServedAsync(_routes.Search, "search traces (MLflow ≥ 2.13 needed)", endpoint =>
        {
            if (endpoint == MlflowEndpoints.SearchV3)
            {
                return _http.SendUtf8Async(endpoint, null, body, json =>
                {
                    var (traces, next) = MlflowJson.ReadSearchPageV3(json.Span);
                    return new TracePage(traces, string.IsNullOrEmpty(next) ? null : next);
                }, cancellationToken);
            }
            // Server < 3.2: the deprecated V2 search (same filter grammar, same cap).
            var q = new List<KeyValuePair<string, string>>();
            foreach (var id in query.ExperimentIds) q.Add(new("experiment_ids", id));
            if (!string.IsNullOrWhiteSpace(query.Filter)) q.Add(new("filter", query.Filter));
            q.Add(new("max_results", query.PageSize.ToString(CultureInfo.InvariantCulture)));
            foreach (var o in query.OrderBy) q.Add(new("order_by", o));
            if (!string.IsNullOrEmpty(query.PageToken)) q.Add(new("page_token", query.PageToken));
            return _http.SendJsonAsync(endpoint, q, null, root => ParsePage(root, MlflowJson.ParseTraceInfoV2), cancellationToken);
        }).ConfigureAwait(false);
        Remember(page.Traces);
        return page;
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
        var info = await FirstServedAsync(_routes.Info, "read trace info (MLflow ≥ 2.13 needed)", endpoint => endpoint == MlflowEndpoints.InfoV3
            ? _http.SendJsonAsync(endpoint.For(traceId), null, null, root =>
                MlflowJson.ParseTraceInfoV3(Required(Required(root, "trace"), "trace_info")), cancellationToken)
            : _http.SendJsonAsync(endpoint.For(traceId), null, null, root =>
                MlflowJson.ParseTraceInfoV2(Required(root, "trace_info")), cancellationToken)).ConfigureAwait(false);
        Remember([info]);
        return info;
    }

    // ------------------------------------------------------------------ spans

    /// <summary>
    /// One round trip where the server can (traces/get, ≥ 3.7, spans in the DB: info and spans
    /// together). Otherwise info and the trace artifact, asked together as MLflow's own UI does — also
    /// when traces/get cannot serve this trace (spans in the artifact store, a RecursionError), without
    /// asking traces/get again; when traces/get answered the info but no spans yet (a running trace),
    /// only the artifact, which reads the DB's partial spans from 3.6. A trace a search or info read showed to
    /// be large (<see cref="MlflowBackendOptions.ArtifactRouteFromBytes"/>) goes to info and artifact at once.
    /// Unknown IDs end as NotFound.
    /// </summary>
    public async Task<TraceData> GetTraceAsync(string traceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        // A trace a search has shown to be large goes the cheaper way at once (two requests, sent together).
        if (Served(_routes.TraceGet) && !KnownToBeLarge(traceId))
        {
            try
            {
                var whole = await _http.SendUtf8Async(MlflowEndpoints.TracesGet, [new("trace_id", traceId)], null,
                    body => MlflowJson.ReadTraceGet(body, withInfo: true), cancellationToken, keepBody: true).ConfigureAwait(false);
                if (whole.Spans.Count > 0) return whole;
                return new TraceData(whole.Info, await ArtifactSpansAsync(traceId, cancellationToken).ConfigureAwait(false));
            }
            catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
            {
                // Older server (learned once), spans in the artifact store, or not fully exported yet: info and artifact.
                Learn(MlflowEndpoints.TracesGet, ex);
            }
        }

        var info = GetTraceInfoAsync(traceId, cancellationToken);
        var spans = ArtifactSpansAsync(traceId, cancellationToken);
        try
        {
            await Task.WhenAll(info, spans).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Both have ended; the info's failure is the one to report (an unknown trace is NotFound there).
        }
        return new TraceData(await info.ConfigureAwait(false), await spans.ConfigureAwait(false));
    }

    public async Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        var id = info.TraceId;

        // Spans in the DB: traces/get is one round trip with OTel JSON. Complete traces are asked
        // for in full (the server waits for late span batches); running ones with allow_partial.
        if (Served(_routes.TraceGet) && info.Tags.TryGetValue(SpansLocationTag, out var where) && where == "TRACKING_STORE"
            && !(TraceIde.Core.Traces.TraceSizeStats.Of(info.Metadata).TotalBytes >= _artifactRouteFromBytes))
        {
            var q = new List<KeyValuePair<string, string>> { new("trace_id", id) };
            if (info.State == "IN_PROGRESS") q.Add(new("allow_partial", "true"));
            try
            {
                var spans = await _http.SendUtf8Async(MlflowEndpoints.TracesGet, q, null,
                    body => MlflowJson.ReadTraceGet(body, withInfo: false).Spans, cancellationToken, keepBody: true).ConfigureAwait(false);
                if (spans.Count > 0) return spans;
            }
            catch (BackendException ex) when (ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden))
            {
                // Not stored in the DB after all, not supported by this version, or not fully exported: use the artifact route.
                Learn(MlflowEndpoints.TracesGet, ex);
            }
        }
        return await ArtifactSpansAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The artifact is traces.json: decoded while it arrives, no DOM (the spans keep the body).</summary>
    private Task<IReadOnlyList<RawSpan>> ArtifactSpansAsync(string traceId, CancellationToken cancellationToken) =>
        FirstServedAsync(_routes.Artifact, "serve trace spans (MLflow ≥ 2.14 needed)", endpoint =>
            _http.SendTraceDataAsync(endpoint, [new("request_id", traceId)], "the trace artifact", cancellationToken));

    /// <summary>
    /// Remembers that a server of unknown version lacks <paramref name="endpoint"/>. A known version's table
    /// is not second-guessed: a 404 there is about the request (a proxy, an unmatched path), not the release.
    /// </summary>
    private void Learn(Endpoint endpoint, BackendException ex)
    {
        if (ex.Code == RpcErrorCodes.Unsupported && _routes.ServerVersion is null) _unserved.TryAdd(endpoint, 0);
    }

    /// <summary>The chain has an endpoint this server has not said it lacks.</summary>
    private bool Served(IReadOnlyList<Endpoint> chain) => chain.Any(e => !_unserved.ContainsKey(e));

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
        return await FirstServedAsync(_routes.Delete, "delete traces (MLflow ≥ 2.13 needed)", endpoint =>
            _http.SendJsonAsync(endpoint, null, Body(), Parse, cancellationToken)).ConfigureAwait(false);
    }

    public async Task SetTraceTagAsync(string traceId, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        JsonObject Body() => new() { ["key"] = key, ["value"] = value };
        await FirstServedAsync(_routes.SetTag, "set trace tags (MLflow ≥ 2.13 needed)", endpoint =>
            _http.SendJsonAsync(endpoint.For(traceId), null, Body(), _ => 0, cancellationToken)).ConfigureAwait(false);
    }

    public async Task DeleteTraceTagAsync(string traceId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        // The key goes in a JSON body: MLflow ignores the query string of DELETE (docs/mlflow-notes.md#tags-and-metadata).
        JsonObject Body() => new() { ["key"] = key };
        await FirstServedAsync(_routes.DeleteTag, "delete trace tags (MLflow ≥ 2.13 needed)", endpoint =>
            _http.SendJsonAsync(endpoint.For(traceId), null, Body(), _ => 0, cancellationToken)).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ assessments (docs/mlflow-notes.md#assessments)

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
        return _http.SendUtf8Async(MlflowEndpoints.AssessmentCreate.For(a.TraceId), null,
            new JsonObject { ["assessment"] = body }, json => MlflowJson.ReadAssessmentAnswer(json.Span), cancellationToken);
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
        return _http.SendUtf8Async(MlflowEndpoints.AssessmentUpdate.For(change.TraceId, change.AssessmentId), null,
            new JsonObject { ["assessment"] = body, ["update_mask"] = string.Join(',', mask) },
            json => MlflowJson.ReadAssessmentAnswer(json.Span), cancellationToken);
    }

    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        ArgumentException.ThrowIfNullOrEmpty(assessmentId);
        return _http.SendJsonAsync(MlflowEndpoints.AssessmentDelete.For(traceId, assessmentId), null, null, _ => 0, cancellationToken);
    }

    // ------------------------------------------------------------------ metrics (docs/mlflow-notes.md#trace-metrics)

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
            return await FirstServedAsync(_routes.Metrics, "aggregate trace metrics (MLflow ≥ 3.9 with a SQL store needed)", endpoint =>
                _http.SendUtf8Async(endpoint, null, body,
                    json => MlflowJson.ReadMetricsAnswer(json.Span, query.MetricName), cancellationToken)).ConfigureAwait(false);
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

    private static JsonElement Required(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v
            : throw new FormatException($"'{name}' is missing");
}
