using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Core.Spans;
using TraceIde.Core.Traces;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Services;

/// <summary>
/// Orchestrates trace requests over one backend: validates and combines filters, builds span
/// trees, decides what payload to ship, and keeps recently opened traces' spans for spans/get.
/// </summary>
public sealed class TraceService
{
    private const string InputsKey = "mlflow.spanInputs";
    private const string OutputsKey = "mlflow.spanOutputs";

    private readonly ITraceBackend _backend;
    private readonly HostLog _log;
    private readonly RecentSpans _recent = new(capacity: 8);
    private readonly FirstScreen _firstScreen = new(TimeSpan.FromSeconds(10));

    public TraceService(ITraceBackend backend, HostLog log)
    {
        _backend = backend;
        _log = log;
    }

    public async Task<TracesSearchResult> SearchAsync(TracesSearchParams p, CancellationToken cancellationToken)
    {
        var query = BuildQuery(p);
        var page = await _backend.SearchTracesAsync(query, cancellationToken).ConfigureAwait(false);
        return new TracesSearchResult { Traces = page.Traces, NextPageToken = page.NextPageToken };
    }

    /// <summary>Validates a search request into a backend query; throws InvalidParams/InvalidFilter with the reason.</summary>
    public static TraceQuery BuildQuery(TracesSearchParams p)
    {
        if (p.ExperimentIds is null || p.ExperimentIds.Count == 0 || p.ExperimentIds.Any(string.IsNullOrWhiteSpace))
            throw new BackendException(RpcErrorCodes.InvalidParams, "experimentIds must name at least one experiment.");
        var pageSize = p.PageSize ?? TraceLimits.DefaultPageSize;
        if (pageSize is < 1 or > TraceLimits.MaxPageSize)
            throw new BackendException(RpcErrorCodes.InvalidParams, $"pageSize must be between 1 and {TraceLimits.MaxPageSize} (was {pageSize}).");

        var filter = TraceFilterBuilder.Combine(p.Filter, p.Filters);
        var clauses = TraceFilterParser.Parse(filter);
        // Checked here for every backend, so a tracking server and a local store refuse the same order_by with the same
        // message before any request; MLflow gets the clauses as written (trimmed), the local store parses them again.
        var orderBy = OrderByParser.Parse(p.OrderBy).Select(k => k.Clause).ToArray();
        return new TraceQuery
        {
            ExperimentIds = p.ExperimentIds,
            Filter = filter,
            Clauses = clauses,
            OrderBy = orderBy,
            PageSize = pageSize,
            PageToken = string.IsNullOrEmpty(p.PageToken) ? null : p.PageToken,
        };
    }

    public async Task<TracesGetResult> GetAsync(TracesGetParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        if (p.MaxSpans is < 1) throw new BackendException(RpcErrorCodes.InvalidParams, "maxSpans must be at least 1 (leave it out for every span).");
        // The viewer asks for a first screenful of a big trace and at once for all of it: the second request
        // takes the trace and tree the first one read, which are milliseconds old.
        var (info, spans, tree) = _firstScreen.Take(p.TraceId) is { } kept
            ? kept
            : await ReadTreeAsync(p.TraceId, cancellationToken).ConfigureAwait(false);
        _recent.Put(p.TraceId, spans);
        var cut = p.MaxSpans is { } max && max < tree.Nodes.Count;
        if (cut) _firstScreen.Keep(p.TraceId, (info, spans, tree));

        var includePayloads = p.IncludePayloads ?? spans.Count <= TraceLimits.InlinePayloadSpanLimit;
        var warnings = tree.Warnings.ToList();
        if (TraceSizeStats.Of(info.Metadata).Spans is { } expected && expected > spans.Count)
        {
            warnings.Add($"This trace is partial: {spans.Count} of {expected} spans have arrived.");
        }

        return new TracesGetResult
        {
            Info = info,
            Spans = (cut ? tree.Nodes.Take(p.MaxSpans!.Value) : tree.Nodes).Select(n => ToDto(n, includePayloads)).ToArray(),
            TotalSpans = tree.Nodes.Count,
            Assessments = info.Assessments,
            PayloadsIncluded = includePayloads,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Lets go of the traces kept for span clicks and for the rest of a head (the host's deep idle trim): a host
    /// nobody has used for 30 s holds no trace; the next spans/get reads its trace again.
    /// </summary>
    public void ReleaseCaches()
    {
        _recent.Clear();
        _firstScreen.Clear();
    }

    private async Task<(TraceSummary Info, IReadOnlyList<RawSpan> Spans, SpanTree Tree)> ReadTreeAsync(string traceId, CancellationToken cancellationToken)
    {
        TraceData data;
        try
        {
            data = await _backend.GetTraceAsync(traceId, cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException ex) when (
            ex.Code is not (RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.Forbidden or RpcErrorCodes.Cancelled))
        {
            // The spans are unreadable (an artifact store that lost the file, a span batch the server cannot
            // parse) but the trace may still be there: show what is — its info and assessments, which a
            // reviewer can still read and add to — and say why the tree is empty. No trace at all: the first error.
            TraceSummary info;
            try
            {
                info = await _backend.GetTraceInfoAsync(traceId, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException)
            {
                throw ex;
            }
            _log.Warn($"trace {traceId}: spans unreadable, showing its info only: {ex.Message}");
            var empty = SpanTreeBuilder.Build([]);
            return (info, [], empty with { Warnings = [$"The spans of this trace could not be read: {ex.Message}"] });
        }
        return (data.Info, data.Spans, SpanTreeBuilder.Build(data.Spans));
    }

    /// <summary>Payloads of some spans of a trace; uses the spans kept from the last traces/get when possible.</summary>
    public async Task<SpansGetResult> GetSpanPayloadsAsync(SpansGetParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        if (!_recent.TryGet(p.TraceId, out var spans))
        {
            spans = (await _backend.GetTraceAsync(p.TraceId, cancellationToken).ConfigureAwait(false)).Spans;
            _recent.Put(p.TraceId, spans);
        }
        var wanted = new HashSet<string>(p.SpanIds, StringComparer.OrdinalIgnoreCase);
        var payloads = new Dictionary<string, SpanPayload>();
        foreach (var span in spans)
        {
            if (wanted.Contains(span.SpanId)) payloads[span.SpanId] = ToPayload(span);
        }
        var missing = wanted.Where(id => !payloads.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
            throw BackendException.NotFound($"Trace {p.TraceId} has no span {string.Join(", ", missing)}.");
        return new SpansGetResult(payloads);
    }

    /// <summary>One span of a trace, decoded (the agent tools' get_span); uses the spans kept from the last reads like spans/get.</summary>
    public async Task<RawSpan> GetSpanAsync(string traceId, string spanId, CancellationToken cancellationToken)
    {
        RequireTraceId(traceId);
        if (!_recent.TryGet(traceId, out var spans))
        {
            spans = (await _backend.GetTraceAsync(traceId, cancellationToken).ConfigureAwait(false)).Spans;
            _recent.Put(traceId, spans);
        }
        return spans.FirstOrDefault(s => string.Equals(s.SpanId, spanId, StringComparison.OrdinalIgnoreCase))
            ?? throw BackendException.NotFound($"Trace {traceId} has no span {spanId}.");
    }

    public Task<int> DeleteAsync(TracesDeleteParams p, CancellationToken cancellationToken)
    {
        if (p.TraceIds is null || p.TraceIds.Count == 0)
            throw new BackendException(RpcErrorCodes.InvalidParams, "traceIds must name at least one trace.");
        foreach (var id in p.TraceIds) RequireTraceId(id);
        foreach (var id in p.TraceIds)
        {
            _recent.Remove(id);
            _firstScreen.Forget(id); // an edit makes the kept copy stale
        }
        return _backend.DeleteTracesAsync(p.ExperimentId, p.TraceIds, cancellationToken);
    }

    public Task SetTagAsync(TracesSetTagParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        RequireTagKey(p.Key);
        _firstScreen.Forget(p.TraceId);
        return _backend.SetTraceTagAsync(p.TraceId, p.Key, p.Value ?? "", cancellationToken);
    }

    public Task DeleteTagAsync(TracesDeleteTagParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        RequireTagKey(p.Key);
        _firstScreen.Forget(p.TraceId);
        return _backend.DeleteTraceTagAsync(p.TraceId, p.Key, cancellationToken);
    }

    // ---------------------------------------------------------------- sessions

    /// <summary>The order and page size of MLflow's own <c>search_sessions()</c>: a server answers it as it answers MLflow's client.</summary>
    private static readonly string[] NewestFirst = ["timestamp DESC"];
    private const int SessionScanPageSize = 100;

    /// <summary>
    /// sessions/list: reads every matching trace, newest first (capped at <see cref="TraceLimits.MaxSessionScanTraces"/>),
    /// and groups them by <c>mlflow.trace.session</c> in order of their newest turn, as MLflow's client does.
    /// </summary>
    public async Task<SessionsListResult> ListSessionsAsync(SessionsListParams p, CancellationToken cancellationToken)
    {
        var query = BuildQuery(new TracesSearchParams
        {
            ExperimentIds = p.ExperimentIds,
            Filter = p.Filter,
            Filters = p.Filters,
            PageSize = SessionScanPageSize
        })
            with
        { OrderBy = NewestFirst };
        var bySession = new Dictionary<string, List<TraceSummary>>(StringComparer.Ordinal);
        var order = new List<string>();
        var read = 0;
        string? token = null;
        do
        {
            var page = await _backend.SearchTracesAsync(query with { PageToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var t in page.Traces)
            {
                read++;
                if (string.IsNullOrEmpty(t.Session)) continue;
                if (!bySession.TryGetValue(t.Session, out var turns)) bySession[t.Session] = turns = [];
                if (turns.Count == 0) order.Add(t.Session);
                turns.Add(t);
            }
            token = page.NextPageToken;
        }
        while (token != null && read < TraceLimits.MaxSessionScanTraces);

        return new SessionsListResult
        {
            Sessions = order.Select(id => Summarize(id, bySession[id])).ToArray(),
            TracesRead = read,
            Truncated = token != null,
        };
    }

    private static SessionSummary Summarize(string id, List<TraceSummary> newestFirst)
    {
        var turns = newestFirst.OrderBy(t => t.RequestTimeMs).ToArray();
        var tokens = turns.Select(t => t.Tokens?.TotalTokens).Where(n => n.HasValue).ToArray();
        return new SessionSummary
        {
            SessionId = id,
            Turns = turns.Length,
            FirstTimeMs = turns[0].RequestTimeMs,
            LastTimeMs = turns[^1].RequestTimeMs,
            Errors = turns.Count(t => t.State == "ERROR"),
            InProgress = turns.Count(t => t.State == "IN_PROGRESS"),
            TotalTokens = tokens.Length == 0 ? null : tokens.Sum(),
            Users = turns.Select(t => t.User).OfType<string>().Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).ToArray(),
            FirstRequestPreview = turns[0].RequestPreview,
            LastState = turns[^1].State,
        };
    }

    // ---------------------------------------------------------------- assessments (docs/mlflow-notes.md#assessments)

    /// <summary>assessments/create: a HUMAN assessment by <paramref name="userName"/> unless the request names its writer.</summary>
    public async Task<AssessmentsWriteResult> CreateAssessmentAsync(AssessmentsCreateParams p, string? userName, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        if (string.IsNullOrWhiteSpace(p.Name) || p.Name.Length > 250)
            throw new BackendException(RpcErrorCodes.InvalidParams, "An assessment name must be 1 to 250 characters.");
        RequireValue(p.Kind, p.Value);
        if (p.SourceType is not (null or "HUMAN" or "LLM_JUDGE" or "CODE"))
            throw new BackendException(RpcErrorCodes.InvalidParams, $"sourceType is HUMAN, LLM_JUDGE or CODE (was \"{p.SourceType}\").");
        var source = string.IsNullOrWhiteSpace(p.SourceId) ? userName : p.SourceId.Trim();
        if (string.IsNullOrEmpty(source))
            throw new BackendException(RpcErrorCodes.InvalidParams, "Say who writes this assessment (sourceId): the host knows no user name.");
        _firstScreen.Forget(p.TraceId); // an edit makes the kept copy stale
        var written = await _backend.CreateAssessmentAsync(p with { Name = p.Name.Trim(), SourceId = source }, cancellationToken).ConfigureAwait(false);
        return new AssessmentsWriteResult(written);
    }

    public async Task<AssessmentsWriteResult> UpdateAssessmentAsync(AssessmentsUpdateParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        RequireAssessmentId(p.AssessmentId);
        if (p.Value is null && p.Rationale is null)
            throw new BackendException(RpcErrorCodes.InvalidParams, "Nothing to change: give a new value, a new rationale, or both.");
        if (p.Value is { } value) RequireValue(p.Kind, value);
        else RequireKind(p.Kind);
        _firstScreen.Forget(p.TraceId);
        return new AssessmentsWriteResult(await _backend.UpdateAssessmentAsync(p, cancellationToken).ConfigureAwait(false));
    }

    public Task DeleteAssessmentAsync(AssessmentsDeleteParams p, CancellationToken cancellationToken)
    {
        RequireTraceId(p.TraceId);
        RequireAssessmentId(p.AssessmentId);
        _firstScreen.Forget(p.TraceId);
        return _backend.DeleteAssessmentAsync(p.TraceId, p.AssessmentId, cancellationToken);
    }

    private static void RequireKind(string? kind)
    {
        if (kind is not ("feedback" or "expectation"))
            throw new BackendException(RpcErrorCodes.InvalidParams, $"kind must be \"feedback\" or \"expectation\" (was \"{kind}\").");
    }

    /// <summary>MLflow's value rules: feedback is a bool, a number or a text; an expectation may also be JSON.</summary>
    private static void RequireValue(string? kind, JsonElement value)
    {
        RequireKind(kind);
        var ok = value.ValueKind switch
        {
            JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => true,
            JsonValueKind.String => value.GetString()!.Trim().Length > 0,
            JsonValueKind.Object or JsonValueKind.Array => kind == "expectation",
            _ => false,
        };
        if (!ok)
        {
            throw new BackendException(RpcErrorCodes.InvalidParams, kind == "feedback"
                ? "A feedback value is true or false, a number, or a non-empty text."
                : "An expectation value is true or false, a number, a non-empty text, or a JSON object or array.");
        }
    }

    private static void RequireAssessmentId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new BackendException(RpcErrorCodes.InvalidParams, "assessmentId is required.");
    }

    private static void RequireTraceId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new BackendException(RpcErrorCodes.InvalidParams, "traceId is required.");
    }

    private static void RequireTagKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 250)
            throw new BackendException(RpcErrorCodes.InvalidParams, "A tag key must be 1 to 250 characters.");
    }

    public static Span ToDto(SpanNode node, bool includePayload) => new()
    {
        SpanId = node.Span.SpanId,
        ParentSpanId = node.Span.ParentSpanId,
        Name = node.Span.Name,
        SpanType = node.Span.SpanType,
        Status = node.Span.Status,
        StatusMessage = string.IsNullOrEmpty(node.Span.StatusMessage) ? null : node.Span.StatusMessage,
        StartMs = node.StartMs,
        DurationMs = node.DurationMs,
        Depth = node.Depth,
        SelfTimeMs = node.SelfTimeMs,
        OnCriticalPath = node.OnCriticalPath,
        ChildCount = node.ChildCount,
        Orphaned = node.Orphaned,
        Payload = includePayload ? ToPayload(node.Span) : null,
    };

    public static SpanPayload ToPayload(RawSpan span)
    {
        var attributes = new Dictionary<string, JsonElement>(span.Attributes.Count);
        foreach (var (key, value) in span.Attributes)
        {
            if (key is not (InputsKey or OutputsKey)) attributes[key] = value;
        }
        return new SpanPayload
        {
            Inputs = span.Attributes.TryGetValue(InputsKey, out var i) ? i : null,
            Outputs = span.Attributes.TryGetValue(OutputsKey, out var o) ? o : null,
            Attributes = attributes,
            Events = span.Events.Select(e => new SpanEvent { Name = e.Name, TimeMs = e.TimeNs / 1e6, Attributes = e.Attributes }).ToArray(),
        };
    }
}

/// <summary>
/// The trace a `traces/get` with `maxSpans` read, kept for the request for the rest that follows it: one trace,
/// taken once, and only for <c>freshFor</c> (a later open reads the trace again, as it may have changed).
/// </summary>
internal sealed class FirstScreen(TimeSpan freshFor)
{
    private readonly Lock _gate = new();
    private (string TraceId, long At, (TraceSummary, IReadOnlyList<RawSpan>, SpanTree) Trace)? _kept;

    public void Keep(string traceId, (TraceSummary, IReadOnlyList<RawSpan>, SpanTree) trace)
    {
        lock (_gate) _kept = (traceId, Environment.TickCount64, trace);
    }

    public void Clear()
    {
        lock (_gate) _kept = null;
    }

    public void Forget(string traceId)
    {
        lock (_gate)
        {
            if (_kept?.TraceId == traceId) _kept = null;
        }
    }

    public (TraceSummary Info, IReadOnlyList<RawSpan> Spans, SpanTree Tree)? Take(string traceId)
    {
        lock (_gate)
        {
            if (_kept is not { } kept || kept.TraceId != traceId) return null;
            _kept = null;
            return Environment.TickCount64 - kept.At <= (long)freshFor.TotalMilliseconds ? kept.Trace : null;
        }
    }
}

/// <summary>A tiny LRU of decoded spans of the last traces opened, so spans/get does not refetch.</summary>
internal sealed class RecentSpans(int capacity)
{
    private readonly LinkedList<(string Id, IReadOnlyList<RawSpan> Spans)> _items = new();
    private readonly Lock _gate = new();

    public void Put(string traceId, IReadOnlyList<RawSpan> spans)
    {
        lock (_gate)
        {
            RemoveLocked(traceId);
            _items.AddFirst((traceId, spans));
            while (_items.Count > capacity) _items.RemoveLast();
        }
    }

    public bool TryGet(string traceId, out IReadOnlyList<RawSpan> spans)
    {
        lock (_gate)
        {
            for (var n = _items.First; n != null; n = n.Next)
            {
                if (n.Value.Id == traceId)
                {
                    _items.Remove(n);
                    _items.AddFirst(n);
                    spans = n.Value.Spans;
                    return true;
                }
            }
        }
        spans = [];
        return false;
    }

    public void Remove(string traceId)
    {
        lock (_gate) RemoveLocked(traceId);
    }

    public void Clear()
    {
        lock (_gate) _items.Clear();
    }

    private void RemoveLocked(string traceId)
    {
        for (var n = _items.First; n != null; n = n.Next)
        {
            if (n.Value.Id == traceId)
            {
                _items.Remove(n);
                return;
            }
        }
    }
}
