namespace TraceIde.Testing;

/// <summary>
/// A clock the test sets and moves by hand: "now" for the services that measure "recent" from the host's
/// clock (a poller's floor, the Overview's default range, CodeLens windows), set relative to the fixtures.
/// </summary>
public sealed class ManualClock(long nowMs) : TimeProvider
{
    private long _nowMs = nowMs;
    public long NowMs => Interlocked.Read(ref _nowMs);
    public void Advance(long ms) => Interlocked.Add(ref _nowMs, ms);
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
