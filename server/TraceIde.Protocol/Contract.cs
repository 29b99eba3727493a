// The JSON-RPC contract between the TraceIde host and its clients (VS Code, Visual Studio, browser mode).
// Declared once, here. webview/src/protocol.generated.ts is generated from this assembly
// (`traceide contract --typescript`) and a test fails when the committed file differs.
//
// Conventions: method names are `area/verb`; JSON property names are camelCase; times are
// milliseconds since the Unix epoch as JSON numbers (never nanoseconds); IDs are strings.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TraceIde.Protocol;

/// <summary>Version of this contract. Bump the minor on additions, the major on breaking changes.</summary>
public static class ProtocolInfo
{
    public const string Version = "1.7";
}

/// <summary>Method names. Fixed by the design brief; the extensions' relays allow-list from this list.</summary>
public static partial class RpcMethods
{
    public const string Initialize = "initialize";
    public const string Shutdown = "shutdown";
    public const string Exit = "exit";
    public const string ExperimentsList = "experiments/list";
    public const string TracesSearch = "traces/search";
    public const string TracesGet = "traces/get";
    public const string SpansGet = "spans/get";
    public const string TracesDelete = "traces/delete";
    public const string TracesSetTag = "traces/setTag";
    public const string TracesDeleteTag = "traces/deleteTag";
    /// <summary>Feedback or an expectation written from the IDE (MLflow server ≥ 3.2; a local store is read-only).</summary>
    public const string AssessmentsCreate = "assessments/create";
    public const string AssessmentsUpdate = "assessments/update";
    public const string AssessmentsDelete = "assessments/delete";
    /// <summary>The experiment's sessions (conversations: traces sharing `mlflow.trace.session`) over all its traces.</summary>
    public const string SessionsList = "sessions/list";
    public const string MarkdownRender = "markdown/render";
    public const string OverviewUsage = "overview/usage";
    public const string OverviewQuality = "overview/quality";
    public const string OverviewToolCalls = "overview/toolCalls";
    /// <summary>Host → client notification: progress of a request that carried a progress token.</summary>
    public const string Progress = "$/progress";
    /// <summary>The connection's <see cref="InitializeResult"/> (backend kind and location, MLflow version), for the UI to show.</summary>
    public const string SessionInfo = "session/info";

    // ---- jumping between code and spans (records in Source.cs); IDE-side, not UI-callable
    /// <summary>Ranked workspace locations of a span's code (<see cref="SourceLocateParams"/>).</summary>
    public const string SourceLocate = "source/locate";
    /// <summary>A deployed path (stack frame) → workspace files (<see cref="SourceMapPathParams"/>).</summary>
    public const string SourceMapPath = "source/mapPath";
    /// <summary>CodeLens/hover numbers per span name (<see cref="SourceSpanStatsParams"/>).</summary>
    public const string SourceSpanStats = "source/spanStats";
    /// <summary>Client → host notification: files changed on disk (<see cref="WorkspaceDidChangeFilesParams"/>).</summary>
    public const string WorkspaceDidChangeFiles = "workspace/didChangeFiles";

    /// <summary>Methods a webview may call through an IDE relay (everything but lifecycle).</summary>
    public static readonly IReadOnlyList<string> UiCallable =
    [
        ExperimentsList, TracesSearch, TracesGet, SpansGet, TracesDelete, TracesSetTag, TracesDeleteTag, MarkdownRender,
        AssessmentsCreate, AssessmentsUpdate, AssessmentsDelete, SessionsList, OverviewUsage, OverviewQuality, OverviewToolCalls, SessionInfo,
    ];
}

/// <summary>
/// Stable JSON-RPC error codes a client may branch on. -32000..-32099 is JSON-RPC's server range.
/// </summary>
public static class RpcErrorCodes
{
    /// <summary>The tracking server cannot be reached (refused, DNS, TLS, timeout).</summary>
    public const int Unreachable = -32001;
    /// <summary>401: credentials missing or wrong.</summary>
    public const int Unauthorized = -32002;
    /// <summary>403: credentials valid but not allowed.</summary>
    public const int Forbidden = -32003;
    /// <summary>Trace, experiment or store not found.</summary>
    public const int NotFound = -32004;
    /// <summary>The filter string or another parameter is invalid.</summary>
    public const int InvalidFilter = -32005;
    /// <summary>This backend or server version cannot do it.</summary>
    public const int Unsupported = -32006;
    /// <summary>The request was cancelled ($/cancelRequest). Same value as LSP's RequestCancelled.</summary>
    public const int Cancelled = -32800;
    /// <summary>The server answered, but not in a form MLflow answers (truncated, not JSON, unexpected shape).</summary>
    public const int BadResponse = -32007;
    /// <summary>The server reported an error of its own (5xx, INTERNAL_ERROR).</summary>
    public const int ServerError = -32008;
    /// <summary>A method other than initialize was called before initialize.</summary>
    public const int NotInitialized = -32009;
    /// <summary>Invalid parameters (JSON-RPC standard code).</summary>
    public const int InvalidParams = -32602;
    /// <summary>
    /// A failure of the host itself (JSON-RPC standard code): every unexpected exception, including an
    /// answer that could not be serialized, arrives under this code and no other; the details are in the log.
    /// </summary>
    public const int InternalError = -32603;
}

/// <summary>Extra information attached to an RPC error (the JSON-RPC `error.data`).</summary>
public sealed record RpcErrorData(string Kind, int? HttpStatus = null, string? MlflowErrorCode = null);

// ---------------------------------------------------------------- initialize

public sealed record InitializeParams
{
    /// <summary>An MLflow tracking server URL (http/https). Credentials come from the environment, never from here.</summary>
    public string? TrackingUri { get; init; }
    /// <summary>A local store: a mlflow.db file, a folder holding one, or a sqlite:/// URI.</summary>
    public string? Store { get; init; }
    public IReadOnlyList<string>? WorkspaceFolders { get; init; }
    public string? ClientName { get; init; }
    /// <summary>MLflow workspace (multi-tenant servers, `X-MLFLOW-WORKSPACE`).</summary>
    public string? Workspace { get; init; }
    /// <summary>The IDE user's name or e-mail (since 1.6): the default source of the assessments they write.</summary>
    public string? UserName { get; init; }
}

public sealed record InitializeResult
{
    public required string ServerName { get; init; }
    public required string ServerVersion { get; init; }
    public required string ProtocolVersion { get; init; }
    /// <summary>"mlflowServer" or "localStore".</summary>
    public required string BackendKind { get; init; }
    /// <summary>The server URL (without credentials) or the store path.</summary>
    public required string BackendLocation { get; init; }
    public string? MlflowVersion { get; init; }
    public required BackendCapabilities Capabilities { get; init; }
    /// <summary>
    /// The host's clock when it answered, in ms since the Unix epoch (since 1.4). Clients measure "recent"
    /// (quick time filters, Overview ranges, CodeLens windows) from it rather than from their own clock, so
    /// one clock rules them all: the system's, or the instant <c>TRACEIDE_NOW</c> gives in tests.
    /// </summary>
    public long? NowMs { get; init; }
    /// <summary>
    /// Who writes assessments from this session (since 1.6): the IDE's <see cref="InitializeParams.UserName"/>, else
    /// <c>TRACEIDE_USER</c>, else <c>MLFLOW_TRACKING_USERNAME</c>, else the OS account. The UI offers it as the
    /// source of a new assessment; the user may change it there.
    /// </summary>
    public string? UserName { get; init; }
}

public sealed record BackendCapabilities
{
    public bool SearchV3 { get; init; }
    public bool SpanFilters { get; init; }
    public bool Assessments { get; init; }
    public bool TraceMetrics { get; init; }
    public bool DeleteTraces { get; init; }
    public bool EditTags { get; init; }
    /// <summary>assessments/create, /update and /delete work here (since 1.6): an MLflow server ≥ 3.2, not a local store.</summary>
    public bool EditAssessments { get; init; }
    /// <summary>Store type as reported by the server (`SqlStore`, `FileStore`) or the local store kind.</summary>
    public string? StoreType { get; init; }
}

public static class BackendKinds
{
    public const string MlflowServer = "mlflowServer";
    public const string LocalStore = "localStore";
}

// ---------------------------------------------------------------- experiments

public sealed record ExperimentsListParams
{
    /// <summary>Case-insensitive substring of the experiment name.</summary>
    public string? Query { get; init; }
}

public sealed record ExperimentsListResult(IReadOnlyList<Experiment> Experiments);

public sealed record Experiment
{
    public required string ExperimentId { get; init; }
    public required string Name { get; init; }
    /// <summary>True when tagged `mlflow.experimentKind=genai_development` or when it holds traces.</summary>
    public bool IsGenAi { get; init; }
    public long? CreationTimeMs { get; init; }
    public long? LastUpdateTimeMs { get; init; }
    public string? LifecycleStage { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

// ---------------------------------------------------------------- traces/search

public sealed record TracesSearchParams
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    /// <summary>An MLflow filter string (docs/mlflow-notes.md#search-grammar), ANDed with <see cref="Filters"/>.</summary>
    public string? Filter { get; init; }
    public TraceFilters? Filters { get; init; }
    /// <summary>MLflow order-by clauses, e.g. "timestamp_ms DESC", "execution_time_ms DESC". Default newest first.</summary>
    public IReadOnlyList<string>? OrderBy { get; init; }
    /// <summary>1..500, default 100.</summary>
    public int? PageSize { get; init; }
    public string? PageToken { get; init; }
}

/// <summary>Structured filters, turned into the same MLflow filter grammar for every backend.</summary>
public sealed record TraceFilters
{
    /// <summary>Any of "OK", "ERROR", "IN_PROGRESS".</summary>
    public IReadOnlyList<string>? States { get; init; }
    public long? StartTimeMs { get; init; }
    public long? EndTimeMs { get; init; }
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public string? Session { get; init; }
    public string? User { get; init; }
}

public sealed record TracesSearchResult
{
    public required IReadOnlyList<TraceSummary> Traces { get; init; }
    public string? NextPageToken { get; init; }
}

/// <summary>One row of the trace list.</summary>
public sealed record TraceSummary
{
    public required string TraceId { get; init; }
    public required string ExperimentId { get; init; }
    public string? Name { get; init; }
    /// <summary>"OK", "ERROR", "IN_PROGRESS" or "STATE_UNSPECIFIED".</summary>
    public required string State { get; init; }
    public long RequestTimeMs { get; init; }
    /// <summary>Null while in progress.</summary>
    public long? DurationMs { get; init; }
    public string? RequestPreview { get; init; }
    public string? ResponsePreview { get; init; }
    public string? ClientRequestId { get; init; }
    public string? Session { get; init; }
    public string? User { get; init; }
    public TokenUsage? Tokens { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<Assessment> Assessments { get; init; } = [];
}

public sealed record TokenUsage(long? InputTokens, long? OutputTokens, long? TotalTokens, long? CacheReadInputTokens = null);

// ---------------------------------------------------------------- sessions/list

/**
 * Sessions as MLflow's <c>search_sessions()</c> finds them (MLflow 3.11 has no REST endpoint for them): every trace
 * matching the filter is read, newest first, and grouped by its session. Open one with traces/search and
 * <see cref="TraceFilters.Session"/>.
 */
public sealed record SessionsListParams
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    public string? Filter { get; init; }
    public TraceFilters? Filters { get; init; }
}

public sealed record SessionsListResult
{
    /// <summary>Most recent session first (MLflow's order).</summary>
    public required IReadOnlyList<SessionSummary> Sessions { get; init; }
    /// <summary>Traces read to find them (with and without a session).</summary>
    public int TracesRead { get; init; }
    /// <summary>True when the experiment has more than <see cref="TraceLimits.MaxSessionScanTraces"/> matching traces: only the newest were read.</summary>
    public bool Truncated { get; init; }
}

public sealed record SessionSummary
{
    public required string SessionId { get; init; }
    /// <summary>Its traces: one per turn of the conversation.</summary>
    public int Turns { get; init; }
    public long FirstTimeMs { get; init; }
    public long LastTimeMs { get; init; }
    public int Errors { get; init; }
    public int InProgress { get; init; }
    /// <summary>Sum over the turns that report tokens; null when none does.</summary>
    public long? TotalTokens { get; init; }
    /// <summary>Distinct users, in the order they first spoke.</summary>
    public IReadOnlyList<string> Users { get; init; } = [];
    /// <summary>The first turn's request preview: what the conversation opened with.</summary>
    public string? FirstRequestPreview { get; init; }
    /// <summary>The state of the last turn ("ERROR" when the conversation ended on a failure).</summary>
    public string? LastState { get; init; }
}

// ---------------------------------------------------------------- traces/get, spans/get

public sealed record TracesGetParams
{
    public required string TraceId { get; init; }
    /// <summary>
    /// Ship inputs, outputs, attributes and events with every span. When null the host decides:
    /// yes for ordinary traces, no above <see cref="TraceLimits.InlinePayloadSpanLimit"/> spans
    /// (then fetch them per span with spans/get).
    /// </summary>
    public bool? IncludePayloads { get; init; }
    /// <summary>
    /// Send at most this many spans: the first in tree pre-order, a first screenful of a big trace that the
    /// viewer paints while it asks again without a limit (<see cref="TracesGetResult.TotalSpans"/> says whether
    /// it must). Null: every span.
    /// </summary>
    public int? MaxSpans { get; init; }
}

public static class TraceLimits
{
    public const int InlinePayloadSpanLimit = 2000;
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 100;
    /// <summary>sessions/list reads at most this many traces (newest first) and says when there were more.</summary>
    public const int MaxSessionScanTraces = 20_000;
}

public sealed record TracesGetResult
{
    public required TraceSummary Info { get; init; }
    /// <summary>Spans in tree pre-order (children by start time).</summary>
    public required IReadOnlyList<Span> Spans { get; init; }
    /// <summary>How many spans the trace has: more than <see cref="Spans"/> holds when <see cref="TracesGetParams.MaxSpans"/> cut it.</summary>
    public int TotalSpans { get; init; }
    public IReadOnlyList<Assessment> Assessments { get; init; } = [];
    public bool PayloadsIncluded { get; init; }
    /// <summary>Things the reader should know: orphaned spans, broken cycles, partial traces.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record Span
{
    public required string SpanId { get; init; }
    /// <summary>The parent as recorded (null for a root), even when that parent is missing.</summary>
    public string? ParentSpanId { get; init; }
    public required string Name { get; init; }
    public required string SpanType { get; init; }
    /// <summary>"OK", "ERROR" or "UNSET".</summary>
    public required string Status { get; init; }
    public string? StatusMessage { get; init; }
    public double StartMs { get; init; }
    /// <summary>Null while the span runs; negative when the span ends before it starts (clock skew), as recorded.</summary>
    public double? DurationMs { get; init; }
    public int Depth { get; init; }
    public double SelfTimeMs { get; init; }
    // The next three are left out of the JSON when false or 0, as almost every span of a big trace has them:
    // a fifth of what a span takes on the wire, to send and to parse (figures: docs/PERFORMANCE.md).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool OnCriticalPath { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int ChildCount { get; init; }
    /// <summary>Recorded parent is missing (or made a cycle); the span hangs under the root instead.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Orphaned { get; init; }
    public SpanPayload? Payload { get; init; }
}

public sealed record SpanPayload
{
    public JsonElement? Inputs { get; init; }
    public JsonElement? Outputs { get; init; }
    /// <summary>
    /// Attributes, JSON-decoded; inputs and outputs are not repeated here. A non-finite number is the string
    /// "NaN", "Infinity" or "-Infinity" (<see cref="NonFiniteNumbers"/>), never a JSON number; a value whose
    /// stored JSON holds such a token inside (MLflow's Python writes bare NaN) is that text, as a string.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = new Dictionary<string, JsonElement>();
    public IReadOnlyList<SpanEvent> Events { get; init; } = [];
}

public sealed record SpanEvent
{
    public required string Name { get; init; }
    public double TimeMs { get; init; }
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = new Dictionary<string, JsonElement>();
}

public sealed record SpansGetParams
{
    public required string TraceId { get; init; }
    public required IReadOnlyList<string> SpanIds { get; init; }
}

public sealed record SpansGetResult(IReadOnlyDictionary<string, SpanPayload> Payloads);

// ---------------------------------------------------------------- assessments

public sealed record Assessment
{
    public required string AssessmentId { get; init; }
    public required string Name { get; init; }
    /// <summary>"feedback", "expectation" or "issue".</summary>
    public required string Kind { get; init; }
    /// <summary>The stored JSON value; NaN and ±Infinity as MLflow stores them, the strings of <see cref="NonFiniteNumbers"/>.</summary>
    public JsonElement? Value { get; init; }
    public AssessmentError? Error { get; init; }
    public string? Rationale { get; init; }
    public string? SourceType { get; init; }
    public string? SourceId { get; init; }
    public string? SpanId { get; init; }
    public long? CreateTimeMs { get; init; }
    public long? LastUpdateTimeMs { get; init; }
    /// <summary>The assessment this one overrides.</summary>
    public string? Overrides { get; init; }
    /// <summary>False when another assessment overrides this one.</summary>
    public bool Valid { get; init; } = true;
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

public sealed record AssessmentError(string? Code, string? Message, string? StackTrace = null);

// ---------------------------------------------------------------- edits

public sealed record TracesDeleteParams
{
    public required string ExperimentId { get; init; }
    public required IReadOnlyList<string> TraceIds { get; init; }
}

public sealed record TracesDeleteResult(int Deleted);

public sealed record TracesSetTagParams
{
    public required string TraceId { get; init; }
    public required string Key { get; init; }
    public required string Value { get; init; }
}

public sealed record TracesDeleteTagParams
{
    public required string TraceId { get; init; }
    public required string Key { get; init; }
}

public sealed record EmptyResult;

/// <summary>
/// A new assessment (docs/mlflow-notes.md#assessments). Feedback values are a bool, a number or a string (a text or a category);
/// expectations may also be JSON objects or arrays. The source is HUMAN (a person writing from the IDE) unless
/// <see cref="SourceType"/> says otherwise (an agent's log_feedback tool).
/// </summary>
public sealed record AssessmentsCreateParams
{
    public required string TraceId { get; init; }
    /// <summary>The span it judges; null for the whole trace.</summary>
    public string? SpanId { get; init; }
    public required string Name { get; init; }
    /// <summary>"feedback" or "expectation".</summary>
    public required string Kind { get; init; }
    public required JsonElement Value { get; init; }
    public string? Rationale { get; init; }
    /// <summary>An assessment (a judge's feedback) this one overrides: MLflow marks that one not valid.</summary>
    public string? Overrides { get; init; }
    /// <summary>Who writes it; default <see cref="InitializeResult.UserName"/>.</summary>
    public string? SourceId { get; init; }
    /// <summary>"HUMAN" (default), "LLM_JUDGE" or "CODE".</summary>
    public string? SourceType { get; init; }
}

/// <summary>A new value and/or rationale for an assessment; its name, kind, source and span stay (MLflow's rule).</summary>
public sealed record AssessmentsUpdateParams
{
    public required string TraceId { get; init; }
    public required string AssessmentId { get; init; }
    /// <summary>"feedback" or "expectation": the kind it already has (MLflow refuses a change of kind).</summary>
    public required string Kind { get; init; }
    /// <summary>Null keeps the value.</summary>
    public JsonElement? Value { get; init; }
    /// <summary>Null keeps the rationale; "" clears it.</summary>
    public string? Rationale { get; init; }
}

public sealed record AssessmentsDeleteParams
{
    public required string TraceId { get; init; }
    public required string AssessmentId { get; init; }
}

/// <summary>The assessment as the server stored it (its ID, times and normalised value, e.g. 3 → 3.0).</summary>
public sealed record AssessmentsWriteResult(Assessment Assessment);

// ---------------------------------------------------------------- markdown

public sealed record MarkdownRenderParams
{
    public required string Text { get; init; }
}

public sealed record MarkdownRenderResult(string Html);

// ---------------------------------------------------------------- progress (host → client)

/// <summary>`$/progress`: how far a long request has got. <see cref="Done"/> counts traces read.</summary>
public sealed record ProgressParams
{
    public required string Token { get; init; }
    public required string Message { get; init; }
    public long Done { get; init; }
}
