namespace TraceIde.Host.Transport;

/// <summary>
/// Gives memory back after a burst of requests, as language servers do: once no request has been
/// running for <see cref="DefaultDelay"/>, one aggressive (blocking, compacting, decommitting) GC, so an
/// idle host holds what it keeps and not its last answers' garbage or a grown gen0 budget. Once per idle
/// period: the next trim needs a request in between. Costs a few ms of one core per idle period.
/// </summary>
public sealed class IdleTrimmer : IDisposable
{
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(1);

    private readonly Timer _timer;
    private readonly TimeSpan _delay;
    private readonly Action _trim;
    private int _active;

    public IdleTrimmer(TimeSpan? delay = null, Action? trim = null)
    {
        _delay = delay ?? DefaultDelay;
        _trim = trim ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
        _timer = new Timer(_ => TryTrim(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void RequestStarted()
    {
        Interlocked.Increment(ref _active);
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
    }

    public void RequestEnded()
    {
        if (Interlocked.Decrement(ref _active) == 0) _timer.Change(_delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Trims unless a request is running (one may have started as the timer fired). True when it trimmed.</summary>
    public bool TryTrim()
    {
        if (Volatile.Read(ref _active) != 0) return false;
        _trim();
        return true;
    }

    public void Dispose() => _timer.Dispose();
}
