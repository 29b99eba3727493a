using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Core.Spans;
using TraceIde.Host.Handlers;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Agent;

/// <summary>What a tool answered: text for the model, and whether it is an error (MCP's tool error).</summary>
public sealed record AgentToolResult(string Text, bool IsError = false);

/// <summary>
/// The agent tools over one <see cref="HostSession"/>: the transport-neutral part of `traceide mcp` and of
/// `agent/callTool`. Each tool calls the same handlers and services the JSON-RPC methods use (traces/search,
/// spans/get, source/locate, overview/*), and turns their answer into compact JSON for a model.
/// </summary>
public sealed class AgentTools(HostSession session, bool allowWrites = false)
{
    /// <summary>
    /// Answers are JSON text for a model, never HTML: only what JSON itself needs is escaped (a quote as \", not
    /// \u0022), since every escape costs tokens and the default encoder escapes most punctuation of a preview.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>Default rows of search_traces: a model rarely needs more to pick a trace, and each row costs tokens.</summary>
    public const int DefaultSearchLimit = 20;

    /// <summary>The tools this session offers: the write tools only when writes were allowed.</summary>
    public IReadOnlyList<AgentToolDefinition> Tools { get; } =
        AgentToolCatalog.All.Where(t => allowWrites || !t.Writes).ToArray();

    /// <summary>
    /// Runs <paramref name="name"/>. Bad arguments and backend failures come back as error results whose text
    /// says what to change (a model reads them); an unknown tool throws <see cref="KeyNotFoundException"/>,
    /// which the transports answer as a protocol error.
    /// </summary>
    public async Task<AgentToolResult> CallAsync(string name, JsonElement? arguments, CancellationToken cancellationToken)
    {
        var tool = Tools.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException(
            AgentToolCatalog.Find(name) is { Writes: true }
                ? $"The tool '{name}' changes the tracking server and is offered only when TraceIde's MCP server is started with --allow-writes."
                : $"There is no tool '{name}'. Tools: {string.Join(", ", Tools.Select(t => t.Name))}.");
        try
        {
            var args = AgentArgs.From(arguments, tool.Properties);
            var answer = await RunAsync(tool.Name, args, cancellationToken).ConfigureAwait(false);
            return new AgentToolResult(answer.ToJsonString(Json));
        }
        catch (AgentArgumentException e)
        {
            return new AgentToolResult($"Invalid arguments for {tool.Name}: {e.Message}", IsError: true);
        }
        catch (BackendException e)
        {
            // Messages of the backends never hold credentials; Redact is the second line (a URL with user:pass@).
            return new AgentToolResult($"{tool.Name} failed ({ErrorKind(e.Code)}): {HostLog.Redact(e.Message)}", IsError: true);
        }
    }

    private Task<JsonObject> RunAsync(string name, AgentArgs a, CancellationToken ct) => name switch
    {
        AgentToolCatalog.ListExperiments => ListExperimentsAsync(a, ct),
        AgentToolCatalog.SearchTraces => SearchAsync(a, ct),
        AgentToolCatalog.GetTrace => GetTraceAsync(a, ct),
        AgentToolCatalog.GetSpan => GetSpanAsync(a, ct),
        AgentToolCatalog.LocateSpanSource => LocateAsync(a, ct),
        AgentToolCatalog.GetOverview => OverviewAsync(a, ct),
        _ => new AgentWrites(session).RunAsync(name, a, ct),
    };

    private async Task<JsonObject> ListExperimentsAsync(AgentArgs a, CancellationToken ct)
    {
        var list = await session.Backend.ListExperimentsAsync(a.String("query", 200), ct).ConfigureAwait(false);
        return new JsonObject
        {
            ["backend"] = Backend(),
            ["experiments"] = new JsonArray(list.Select(e => (JsonNode)new JsonObject
            {
                ["experimentId"] = e.ExperimentId,
                ["name"] = AgentText.Clip(e.Name, 200),
                ["genAi"] = e.IsGenAi,
            }).ToArray()),
        };
    }

    private async Task<JsonObject> SearchAsync(AgentArgs a, CancellationToken ct)
    {
        var experiments = await ExperimentIdsAsync(a, ct).ConfigureAwait(false);
        var filter = a.String("filter", 4000);
        if (a.String("text", 500) is { Length: > 0 } text)
        {
            // The web UI's search box does the same for plain words (MLflow UI's own text search).
            if (!TraceFilterBuilder.CanQuote(text))
                throw new AgentArgumentException("'text' cannot hold both ' and \" nor end with a backslash (MLflow's filter grammar cannot quote it).");
            var clause = $"trace.text ILIKE {TraceFilterBuilder.Quote("%" + text + "%")}";
            filter = string.IsNullOrWhiteSpace(filter) ? clause : $"{filter.Trim()} AND {clause}"; // the grammar has AND only, and no parentheses
        }
        var states = a.StringList("states", 3);
        if (states?.FirstOrDefault(s => s is not ("OK" or "ERROR" or "IN_PROGRESS")) is { } badState)
            throw new AgentArgumentException($"'states' holds \"{AgentText.Clip(badState, 40)}\"; use OK, ERROR or IN_PROGRESS.");
        var p = new TracesSearchParams
        {
            ExperimentIds = experiments,
            Filter = filter,
            Filters = new TraceFilters { States = states, StartTimeMs = a.Time("startTime"), EndTimeMs = a.Time("endTime") },
            OrderBy = a.StringList("orderBy", 5),
            PageSize = a.Int("limit", 1, 100) ?? DefaultSearchLimit,
            PageToken = a.String("pageToken", 10_000),
        };
        var page = await new TracesHandler(session).SearchAsync(p, ct).ConfigureAwait(false);
        var rows = new JsonArray(page.Traces.Select(t => (JsonNode)new JsonObject
        {
            ["traceId"] = t.TraceId,
            ["name"] = AgentText.Clip(t.Name, 120),
            ["state"] = t.State,
            ["requestTime"] = AgentText.Time(t.RequestTimeMs),
            ["durationMs"] = t.DurationMs,
            ["totalTokens"] = t.Tokens?.TotalTokens,
            ["session"] = AgentText.Clip(t.Session, 120),
            ["user"] = AgentText.Clip(t.User, 120),
            ["request"] = AgentText.Clip(t.RequestPreview, 160),
            ["assessments"] = t.Assessments.Count,
            ["experimentId"] = experiments.Count > 1 ? t.ExperimentId : null,
        }.WithoutNulls()).ToArray());
        return new JsonObject { ["traces"] = rows, ["nextPageToken"] = page.NextPageToken }.WithoutNulls();
    }

    private async Task<JsonObject> GetTraceAsync(AgentArgs a, CancellationToken ct)
    {
        var traceId = a.RequiredString("traceId");
        var maxTokens = a.Int("maxTokens", TraceDigest.MinTokens, TraceDigest.MaxTokens) ?? TraceDigest.DefaultTokens;
        var expand = a.String("expandSpanId", 100);
        var trace = await session.Backend.GetTraceAsync(traceId, ct).ConfigureAwait(false);
        var tree = SpanTreeBuilder.Build(trace.Spans);
        if (expand != null && !tree.Nodes.Any(n => string.Equals(n.Span.SpanId, expand, StringComparison.OrdinalIgnoreCase)))
            throw new AgentArgumentException($"Trace {traceId} has no span '{AgentText.Clip(expand, 40)}' to expand (span IDs are 16 hex characters, as " +
                "get_trace lists them).");
        return TraceDigest.Build(trace.Info, tree, maxTokens, expand);
    }

    private async Task<JsonObject> GetSpanAsync(AgentArgs a, CancellationToken ct)
    {
        var traceId = a.RequiredString("traceId");
        var spanId = a.RequiredString("spanId", 100);
        var maxChars = a.Int("maxChars", 100, 50_000) ?? 2000;
        var span = await session.Traces.GetSpanAsync(traceId, spanId, ct).ConfigureAwait(false);
        var payload = TraceService.ToPayload(span);
        var attributes = new JsonObject();
        foreach (var (key, value) in payload.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            attributes[AgentText.Clip(key, 200)!] = AgentText.Value(value, maxChars);
        return new JsonObject
        {
            ["traceId"] = traceId,
            ["spanId"] = span.SpanId,
            ["parentSpanId"] = span.ParentSpanId,
            ["name"] = AgentText.Clip(span.Name, 300),
            ["type"] = span.SpanType,
            ["status"] = span.Status,
            ["statusMessage"] = AgentText.Clip(span.StatusMessage, maxChars),
            ["startTime"] = AgentText.Time(span.StartTimeNs / 1_000_000),
            ["durationMs"] = span.EndTimeNs is { } end ? Math.Round((end - span.StartTimeNs) / 1e6, 3) : null,
            ["inputs"] = payload.Inputs is { } i ? AgentText.Value(i, maxChars) : null,
            ["outputs"] = payload.Outputs is { } o ? AgentText.Value(o, maxChars) : null,
            ["attributes"] = attributes,
            ["events"] = new JsonArray(payload.Events.Take(50).Select(e =>
            {
                var attrs = new JsonObject();
                foreach (var (key, value) in e.Attributes) attrs[AgentText.Clip(key, 200)!] = AgentText.Value(value, maxChars);
                return (JsonNode)new JsonObject { ["name"] = AgentText.Clip(e.Name, 200), ["time"] = AgentText.Time((long)e.TimeMs), ["attributes"] = attrs };
            }).ToArray()),
            ["eventsOmitted"] = payload.Events.Count > 50 ? payload.Events.Count - 50 : null,
            ["note"] = "Values longer than maxChars are objects {\"text\": the first maxChars characters of the JSON, \"chars\": its full length, " +
                "\"truncated\": true}.",
        }.WithoutNulls();
    }

    private async Task<JsonObject> LocateAsync(AgentArgs a, CancellationToken ct)
    {
        var traceId = a.RequiredString("traceId");
        var spanId = a.RequiredString("spanId", 100);
        var result = await new SourceHandler(session).LocateAsync(new SourceLocateParams { TraceId = traceId, SpanId = spanId }, ct).ConfigureAwait(false);
        var roots = session.Workspace.Roots;
        return new JsonObject
        {
            ["workspaceRoots"] = new JsonArray(roots.Select(r => (JsonNode)r).ToArray()),
            ["locations"] = new JsonArray(result.Locations.Take(10).Select(l => (JsonNode)new JsonObject
            {
                ["path"] = l.Path,
                ["relativePath"] = Relative(roots, l.Path),
                ["line"] = l.Line,
                ["column"] = l.Column,
                ["confidence"] = l.Confidence,
                ["kind"] = l.Kind,
                ["reason"] = AgentText.Clip(l.Reason, 300),
            }.WithoutNulls()).ToArray()),
            ["note"] = roots.Count == 0
                ? "No workspace folder is known, so no file can match: start TraceIde's MCP server with --workspace <folder>."
                : result.Locations.Count == 0 ? "Nothing in the workspace matched this span's name, code attributes or stack frames." : null,
        }.WithoutNulls();
    }

    private async Task<JsonObject> OverviewAsync(AgentArgs a, CancellationToken ct)
    {
        var p = new OverviewParams
        {
            ExperimentIds = await ExperimentIdsAsync(a, ct).ConfigureAwait(false),
            StartTimeMs = a.Time("startTime"),
            EndTimeMs = a.Time("endTime"),
            TraceName = a.String("traceName", 500),
            User = a.String("user", 500),
            Session = a.String("session", 500),
        };
        var handler = new OverviewHandler(session, static (_, _) => Task.CompletedTask);
        var usage = await handler.UsageAsync(p, ct).ConfigureAwait(false);
        var quality = await handler.QualityAsync(p, ct).ConfigureAwait(false);
        var tools = await handler.ToolCallsAsync(p, ct).ConfigureAwait(false);
        var u = usage.Totals;
        return new JsonObject
        {
            ["range"] = new JsonObject { ["start"] = AgentText.Time(usage.Axis.StartTimeMs), ["end"] = AgentText.Time(usage.Axis.EndTimeMs) },
            ["usage"] = new JsonObject
            {
                ["requests"] = u.Requests,
                ["errors"] = u.Errors,
                ["errorRatePercent"] = Math.Round(u.ErrorRate, 2),
                ["latencyMs"] = new JsonObject
                {
                    ["avg"] = R(u.AvgLatencyMs),
                    ["p50"] = R(u.P50LatencyMs),
                    ["p90"] = R(u.P90LatencyMs),
                    ["p99"] = R(u.P99LatencyMs)
                }.WithoutNulls(),
                ["tokens"] = new JsonObject
                {
                    ["input"] = u.InputTokens,
                    ["output"] = u.OutputTokens,
                    ["total"] = u.TotalTokens,
                    ["cacheReadInput"] = u.CacheReadInputTokens
                },
            },
            ["quality"] = new JsonArray(quality.Assessments.Select(q => (JsonNode)new JsonObject
            {
                ["name"] = AgentText.Clip(q.Name, 200),
                ["count"] = q.Count,
                ["valueKind"] = q.ValueKind,
                ["mean"] = R(Finite(q.NumericMean)),
                ["passRatePercent"] = R(Finite(q.PassRate)),
                ["values"] = new JsonArray(q.Distribution.OrderByDescending(d => d.Count).Take(5)
                    .Select(d => (JsonNode)new JsonObject { ["value"] = AgentText.Clip(d.Label, 80), ["count"] = d.Count }).ToArray()),
            }.WithoutNulls()).ToArray()),
            ["toolCalls"] = new JsonObject
            {
                ["calls"] = tools.Totals.Calls,
                ["failed"] = tools.Totals.FailedCalls,
                ["successRatePercent"] = R(tools.Totals.SuccessRate),
                ["tools"] = new JsonArray(tools.Tools.Take(20).Select(t => (JsonNode)new JsonObject
                {
                    ["name"] = AgentText.Clip(t.Name, 200),
                    ["calls"] = t.Calls,
                    ["failures"] = t.Failures,
                    ["p50LatencyMs"] = R(t.P50LatencyMs),
                }.WithoutNulls()).ToArray()),
            }.WithoutNulls(),
        };
    }

    /// <summary>The experiments asked for, or every experiment of the backend (a model rarely knows IDs up front).</summary>
    private async Task<IReadOnlyList<string>> ExperimentIdsAsync(AgentArgs a, CancellationToken ct)
    {
        if (a.StringList("experimentIds", 100) is { Count: > 0 } ids) return ids;
        var all = await session.Backend.ListExperimentsAsync(null, ct).ConfigureAwait(false);
        if (all.Count == 0) throw BackendException.NotFound("The backend has no experiment.");
        return all.Take(100).Select(e => e.ExperimentId).ToArray();
    }

    private JsonObject Backend()
    {
        var info = session.Info;
        return new JsonObject { ["kind"] = info.BackendKind, ["location"] = info.BackendLocation, ["mlflowVersion"] = info.MlflowVersion }.WithoutNulls();
    }

    private static string? Relative(IReadOnlyList<string> roots, string path)
    {
        foreach (var root in roots)
        {
            var rel = Path.GetRelativePath(root, path);
            if (!rel.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(rel)) return rel.Replace('\\', '/');
        }
        return null;
    }

    private static double? R(double? v) => v is { } x ? Math.Round(x, 3) : null;

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static string ErrorKind(int code) => code switch
    {
        RpcErrorCodes.NotFound => "not found",
        RpcErrorCodes.InvalidFilter or RpcErrorCodes.InvalidParams => "invalid argument",
        RpcErrorCodes.Unreachable => "tracking server unreachable",
        RpcErrorCodes.Unauthorized => "unauthorized: check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN",
        RpcErrorCodes.Forbidden => "forbidden",
        RpcErrorCodes.Unsupported => "not supported",
        RpcErrorCodes.NotInitialized => "no backend",
        _ => "backend error",
    };
}

/// <summary>Shared shaping of trace content for a model: bounded strings, sizes stated, UTC times.</summary>
public static class AgentText
{
    public static string? Clip(string? s, int max) =>
        s is null ? null : s.Length <= max ? s : string.Concat(s.AsSpan(0, max), $"… [{s.Length:N0} chars]");

    public static string Time(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A JSON value as is when short; else {text: its first <paramref name="max"/> characters, chars, truncated}.</summary>
    public static JsonNode? Value(JsonElement value, int max)
    {
        var raw = value.GetRawText();
        if (raw.Length <= max) return JsonNode.Parse(raw);
        return new JsonObject { ["text"] = raw[..max], ["chars"] = raw.Length, ["truncated"] = true };
    }

    /// <summary>Removes null members (absent is shorter than null, and a model learns nothing from null).</summary>
    public static JsonObject WithoutNulls(this JsonObject o)
    {
        foreach (var key in o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) o.Remove(key);
        return o;
    }
}
