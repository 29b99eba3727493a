using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Host.Tests;

/// <summary>
/// A real backend behind a test double that changes one thing: everything passes through unless
/// overridden. It implements only <see cref="ITraceBackend"/>, so the host sees no server-side metrics.
/// </summary>
internal abstract class DelegatingBackend(ITraceBackend inner) : ITraceBackend
{
    public string Kind => inner.Kind;
    public string DisplayLocation => inner.DisplayLocation;
    public virtual Task<BackendInfo> ConnectAsync(CancellationToken ct) => inner.ConnectAsync(ct);
    public virtual Task<IReadOnlyList<Experiment>> ListExperimentsAsync(string? q, CancellationToken ct) => inner.ListExperimentsAsync(q, ct);
    public virtual Task<TracePage> SearchTracesAsync(TraceQuery q, CancellationToken ct) => inner.SearchTracesAsync(q, ct);
    public virtual Task<TraceSummary> GetTraceInfoAsync(string id, CancellationToken ct) => inner.GetTraceInfoAsync(id, ct);
    public virtual Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, CancellationToken ct) => inner.GetSpansAsync(info, ct);
    public virtual Task<TraceData> GetTraceAsync(string id, CancellationToken ct) => inner.GetTraceAsync(id, ct);
    public virtual Task<int> DeleteTracesAsync(string e, IReadOnlyList<string> ids, CancellationToken ct) => inner.DeleteTracesAsync(e, ids, ct);
    public virtual Task SetTraceTagAsync(string id, string k, string v, CancellationToken ct) => inner.SetTraceTagAsync(id, k, v, ct);
    public virtual Task DeleteTraceTagAsync(string id, string k, CancellationToken ct) => inner.DeleteTraceTagAsync(id, k, ct);
    public virtual Task<Assessment> CreateAssessmentAsync(AssessmentsCreateParams a, CancellationToken ct) => inner.CreateAssessmentAsync(a, ct);
    public virtual Task<Assessment> UpdateAssessmentAsync(AssessmentsUpdateParams c, CancellationToken ct) => inner.UpdateAssessmentAsync(c, ct);
    public virtual Task DeleteAssessmentAsync(string id, string a, CancellationToken ct) => inner.DeleteAssessmentAsync(id, a, ct);
    public virtual ValueTask DisposeAsync() => inner.DisposeAsync();
}
