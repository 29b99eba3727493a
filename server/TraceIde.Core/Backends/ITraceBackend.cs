using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Core.Backends;

/// <summary>
/// Where traces come from: an MLflow tracking server or a local store. Implementations are
/// stateless apart from connection state, thread-safe, and honour every CancellationToken.
/// They throw <see cref="BackendException"/> for every failure a user can act on.
/// </summary>
public interface ITraceBackend : IAsyncDisposable
{
    /// <summary><see cref="BackendKinds"/> value.</summary>
    string Kind { get; }

    /// <summary>Server URL without credentials, or the store path. Safe to log and show.</summary>
    string DisplayLocation { get; }

    /// <summary>Checks the backend is there and discovers what it can do.</summary>
    Task<BackendInfo> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Active experiments, GenAI ones first, then by name; <paramref name="nameQuery"/> is a case-insensitive substring.</summary>
    Task<IReadOnlyList<Experiment>> ListExperimentsAsync(string? nameQuery, CancellationToken cancellationToken);

    /// <summary>One page of traces. <see cref="TraceQuery.Filter"/> is already validated.</summary>
    Task<TracePage> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken);

    /// <summary>Trace info with tags, metadata and assessments. Throws NotFound when absent.</summary>
    Task<TraceSummary> GetTraceInfoAsync(string traceId, CancellationToken cancellationToken);

    /// <summary>All spans of the trace, decoded, in any order.</summary>
    Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, CancellationToken cancellationToken);

    /// <summary>Info and spans together, in as few round trips as the backend allows. Throws NotFound when absent.</summary>
    Task<TraceData> GetTraceAsync(string traceId, CancellationToken cancellationToken);

    Task<int> DeleteTracesAsync(string experimentId, IReadOnlyList<string> traceIds, CancellationToken cancellationToken);

    Task SetTraceTagAsync(string traceId, string key, string value, CancellationToken cancellationToken);

    Task DeleteTraceTagAsync(string traceId, string key, CancellationToken cancellationToken);
}

public sealed record BackendInfo(string? MlflowVersion, BackendCapabilities Capabilities);

/// <summary>A validated search request, backend-neutral.</summary>
public sealed record TraceQuery
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    /// <summary>Complete MLflow filter string (user filter ANDed with structured filters), or null.</summary>
    public string? Filter { get; init; }
    /// <summary>The parsed form of <see cref="Filter"/> (empty when no filter).</summary>
    public IReadOnlyList<Filtering.FilterClause> Clauses { get; init; } = [];
    /// <summary>MLflow order-by clauses; empty = newest first.</summary>
    public IReadOnlyList<string> OrderBy { get; init; } = [];
    public int PageSize { get; init; } = TraceLimits.DefaultPageSize;
    public string? PageToken { get; init; }
}

/// <summary>A whole trace as a backend delivers it: info (with assessments) and undecoded-tree spans.</summary>
public sealed record TraceData(TraceSummary Info, IReadOnlyList<RawSpan> Spans);

public sealed record TracePage(IReadOnlyList<TraceSummary> Traces, string? NextPageToken);

/// <summary>
/// A backend that can record assessments (the agent tools' log_feedback / log_expectation): an MLflow
/// tracking server. Apart from <see cref="ITraceBackend"/> because only writable backends have it.
/// </summary>
public interface IAssessmentWriter
{
    /// <summary>Creates the assessment and returns it as the backend stored it.</summary>
    Task<Assessment> CreateAssessmentAsync(NewAssessment assessment, CancellationToken cancellationToken);
}

/// <summary>An assessment to create: a feedback or an expectation on a trace or one of its spans.</summary>
public sealed record NewAssessment
{
    public required string TraceId { get; init; }
    public required string Name { get; init; }
    /// <summary>"feedback" or "expectation".</summary>
    public required string Kind { get; init; }
    public required System.Text.Json.JsonElement Value { get; init; }
    public string? Rationale { get; init; }
    public string? SpanId { get; init; }
    /// <summary>HUMAN, LLM_JUDGE or CODE.</summary>
    public required string SourceType { get; init; }
    public required string SourceId { get; init; }
}
