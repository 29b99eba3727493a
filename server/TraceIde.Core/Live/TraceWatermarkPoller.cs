using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Core.Live;

/// <summary>
/// Finds new and changed traces by polling a backend, without full reloads and without duplicates.
/// <para>
/// Each <see cref="PollAsync"/> searches for traces whose request time is ≥ the <em>floor</em> =
/// max(since, min(newest request time seen, now) − lateness), oldest first, and reports a trace when its
/// ID is new or its state/duration differs from what was last reported. In-progress traces are kept and,
/// once they fall below the floor (where the search no longer sees them), re-read until they finish — by ID,
/// or with a filter by a search at their own request time, so the filter still decides what is reported.
/// Finished traces below the floor are forgotten, so memory holds only the lateness window plus the
/// running traces (at most <see cref="MaxInProgress"/>).
/// </para>
/// <para>
/// Lateness bound: MLflow stamps a trace with its request (start) time but writes it when it ends, so
/// traces appear out of order. A trace with request time T is reported as long as it becomes visible
/// before both (a) a trace newer than T + lateness has been seen and (b) the host clock passed T + lateness;
/// in particular whenever it is visible within lateness − poll interval of T. Later ones are missed.
/// </para>
/// Not thread-safe: one caller polls at a time (the subscription loop).
/// </summary>
public sealed class TraceWatermarkPoller
{
    private const string InProgress = "IN_PROGRESS";

    private readonly ITraceBackend _backend;
    private readonly IReadOnlyList<string> _experimentIds;
    private readonly string? _filter;
    private readonly long _sinceMs;
    private readonly long _latenessMs;
    private readonly TimeProvider _clock;
    private readonly int _maxPerPoll;
    private readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private long _newestSeenMs;

    /// <param name="filter">A user filter (MLflow grammar), ANDed with the floor; validated here.</param>
    /// <param name="maxPerPoll">At most this many traces are read per poll (the rest the next time: the floor only moves to what was read).</param>
    public TraceWatermarkPoller(ITraceBackend backend, IReadOnlyList<string> experimentIds, string? filter, long sinceMs, long latenessMs,
        TimeProvider? clock = null, int maxPerPoll = 10_000)
    {
        ArgumentNullException.ThrowIfNull(backend);
        TraceWindow.RequireExperiments(experimentIds);
        if (latenessMs < 0) throw new BackendException(RpcErrorCodes.InvalidParams, "latenessMs must not be negative.");
        _backend = backend;
        _experimentIds = experimentIds;
        _filter = filter;
        _sinceMs = sinceMs;
        _latenessMs = latenessMs;
        _clock = clock ?? TimeProvider.System;
        _maxPerPoll = maxPerPoll;
        _newestSeenMs = sinceMs;
        _ = TraceWindow.Query(experimentIds, filter, sinceMs, null); // a bad filter fails now, not at the first poll
    }

    /// <summary>Running traces tracked at most; beyond it the oldest are given up (and counted in <see cref="GivenUp"/>).</summary>
    public int MaxInProgress { get; init; } = 1000;

    /// <summary>Traces remembered now (for the memory bound).</summary>
    public int TrackedCount => _seen.Count;

    public int InProgressCount => _inProgress.Count;

    /// <summary>Running traces no longer followed because more than <see cref="MaxInProgress"/> were running.</summary>
    public long GivenUp { get; private set; }

    /// <summary>The lowest request time the next search asks for.</summary>
    public long FloorMs => Math.Max(_sinceMs, Math.Min(_newestSeenMs, _clock.GetUtcNow().ToUnixTimeMilliseconds()) - _latenessMs);

    /// <summary>One poll: the traces that are new or whose state or duration changed, oldest first.</summary>
    public async Task<IReadOnlyList<TraceSummary>> PollAsync(CancellationToken cancellationToken)
    {
        var floor = FloorMs;
        var query = TraceWindow.Query(_experimentIds, _filter, floor, null);
        var (traces, _) = await TraceWindow.ReadAllAsync(_backend, query, _maxPerPoll, cancellationToken).ConfigureAwait(false);

        var changed = new List<TraceSummary>();
        foreach (var t in traces)
        {
            Observe(t, changed);
            if (t.RequestTimeMs > _newestSeenMs) _newestSeenMs = t.RequestTimeMs;
        }

        // Running traces under the floor are invisible to the search: ask for each by ID.
        foreach (var id in _inProgress.Where(id => _seen[id].RequestTimeMs < floor).ToArray())
        {
            var info = await RereadAsync(id, _seen[id].RequestTimeMs, cancellationToken).ConfigureAwait(false);
            if (info is null) Forget(id); // deleted while running, or (with a filter) no longer matching it
            else Observe(info, changed);
        }

        ForgetBelow(FloorMs);
        changed.Sort((a, b) => a.RequestTimeMs != b.RequestTimeMs ? a.RequestTimeMs.CompareTo(b.RequestTimeMs) : string.CompareOrdinal(a.TraceId, b.TraceId));
        return changed;
    }

    /// <summary>
    /// The trace now, or null when it is gone. With a filter the trace is searched for at its own request
    /// time with the filter applied, so a trace that no longer matches (a tag changed, or the filter was on
    /// its state) is dropped like the search drops it, not reported because it was once followed.
    /// </summary>
    private async Task<TraceSummary?> RereadAsync(string id, long requestTimeMs, CancellationToken cancellationToken)
    {
        if (_filter is null)
        {
            try
            {
                return await _backend.GetTraceInfoAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendException e) when (e.Code == RpcErrorCodes.NotFound)
            {
                return null;
            }
        }
        var query = TraceWindow.Query(_experimentIds, _filter, requestTimeMs, requestTimeMs);
        var (atThatTime, _) = await TraceWindow.ReadAllAsync(_backend, query, _maxPerPoll, cancellationToken).ConfigureAwait(false);
        return atThatTime.FirstOrDefault(t => t.TraceId == id);
    }

    private void Observe(TraceSummary t, List<TraceSummary> changed)
    {
        if (_seen.TryGetValue(t.TraceId, out var last) && last.State == t.State && last.DurationMs == t.DurationMs) return;
        _seen[t.TraceId] = new Seen(t.RequestTimeMs, t.State, t.DurationMs);
        if (t.State == InProgress) _inProgress.Add(t.TraceId);
        else _inProgress.Remove(t.TraceId);
        changed.Add(t);
    }

    private void ForgetBelow(long floor)
    {
        foreach (var (id, seen) in _seen.Where(kv => kv.Value.RequestTimeMs < floor && kv.Value.State != InProgress).ToArray())
            _seen.Remove(id);
        if (_inProgress.Count > MaxInProgress)
        {
            // Only those under the floor: one above it would be found again by the search and reported twice.
            var below = _inProgress.Where(id => _seen[id].RequestTimeMs < floor).OrderBy(id => _seen[id].RequestTimeMs);
            foreach (var id in below.Take(_inProgress.Count - MaxInProgress).ToArray())
            {
                Forget(id);
                GivenUp++;
            }
        }
    }

    private void Forget(string id)
    {
        _seen.Remove(id);
        _inProgress.Remove(id);
    }

    private readonly record struct Seen(long RequestTimeMs, string State, long? DurationMs);
}
