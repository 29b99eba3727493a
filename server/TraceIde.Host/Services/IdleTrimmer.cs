namespace TraceIde.Host.Services;

/// <summary>
/// Gives memory back after a burst of requests, in two steps, as language servers do.
/// <list type="number">
/// <item>Once no request has been running for <see cref="DefaultDelay"/>: one full compacting GC. The
/// burst's garbage goes, but the heap keeps its pages, so the next click of a user reading one trace after
/// another does not run on fresh pages from the OS, which are dear (docs/PERFORMANCE.md).</item>
/// <item>Once idle for <see cref="DefaultDeepDelay"/>: one aggressive (decommitting) GC that also hands
/// the free pages and a grown gen0 budget back, after dropping the connection's kept traces (span clicks) and
/// the span-row chunks kept for the next open (<see cref="TraceIde.Core.Spans.SpanRows"/>), so a host nobody
/// uses holds only what it must.</item>
/// </list>
/// Each step once per idle period: the next needs a request in between. Each costs a few ms of one core.
/// </summary>
public sealed class IdleTrimmer : IDisposable
{
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultDeepDelay = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private readonly TimeSpan _delay;
    private readonly TimeSpan _deepDelay;
    private readonly Action _trim;
    private readonly Action _deepTrim;
    private int _active;
    private bool _disposed;
    private Step _next = Step.None;

    private enum Step { None, Trim, DeepTrim }

    /// <param name="releaseCaches">Run before the default deep step: the connection's caches (kept traces) go too.</param>
    /// <param name="time">The timers' clock (tests advance a fake one).</param>
    public IdleTrimmer(
        TimeSpan? delay = null,
        Action? trim = null,
        TimeSpan? deepDelay = null,
        Action? deepTrim = null,
        Action? releaseCaches = null,
        TimeProvider? time = null)
    {
        _delay = delay ?? DefaultDelay;
        _deepDelay = deepDelay ?? DefaultDeepDelay;
        if (_deepDelay < _delay) throw new ArgumentOutOfRangeException(nameof(deepDelay), "The deep trim comes after the first.");
        _trim = trim ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true));
        _deepTrim = deepTrim ?? (() =>
        {
            releaseCaches?.Invoke();
            TraceIde.Core.Spans.SpanRows.ReleasePooledChunks();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        });
        _timer = (time ?? TimeProvider.System).CreateTimer(_ => TryTrim(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void RequestStarted()
    {
        lock (_gate)
        {
            _active++;
            _next = Step.None;
            if (!_disposed) _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void RequestEnded()
    {
        lock (_gate)
        {
            if (--_active != 0 || _disposed) return;
            _next = Step.Trim;
            _timer.Change(_delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Runs the idle period's next step unless a request is running (one may have started as the timer
    /// fired). True when it trimmed.
    /// </summary>
    public bool TryTrim()
    {
        lock (_gate) // a request that starts meanwhile waits for the GC, which stops its thread anyway
        {
            if (_active != 0 || _disposed) return false;
            switch (_next)
            {
                case Step.Trim:
                    _trim();
                    _next = Step.DeepTrim;
                    _timer.Change(_deepDelay - _delay, Timeout.InfiniteTimeSpan);
                    return true;
                case Step.DeepTrim:
                    _deepTrim();
                    _next = Step.None;
                    return true;
                default:
                    return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }
}
