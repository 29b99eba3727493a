namespace TraceIde.Core.Overview;

/// <summary>
/// Request-scoped progress for engines that read many traces (the streaming engine). A handler
/// opens a scope around one overview call; engines report to <see cref="Current"/>. An AsyncLocal
/// keeps the reporting out of every metrics signature, where only one engine would use it.
/// </summary>
public static class MetricsProgress
{
    private static readonly AsyncLocal<IProgress<long>?> Slot = new();

    /// <summary>The progress of the request running on this async flow, or null.</summary>
    public static IProgress<long>? Current => Slot.Value;

    /// <summary>Makes <paramref name="progress"/> current until the returned scope is disposed.</summary>
    public static IDisposable Use(IProgress<long>? progress)
    {
        var previous = Slot.Value;
        Slot.Value = progress;
        return new Scope(previous);
    }

    private sealed class Scope(IProgress<long>? previous) : IDisposable
    {
        public void Dispose() => Slot.Value = previous;
    }
}
