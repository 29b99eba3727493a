using System.Globalization;
using TraceIde.Host.Logging;

namespace TraceIde.Host.Services;

/// <summary>
/// The host's one clock. Everything that means "recent" — the Overview's default range, CodeLens
/// windows, live subscriptions, and (through <see cref="TraceIde.Protocol.InitializeResult.NowMs"/>) every
/// client's quick time filters — is measured from it, so that tests can set "now" relative to their
/// fixtures instead of depending on today's date.
/// </summary>
/// <remarks>
/// <c>TRACEIDE_NOW</c> (an ISO 8601 instant, e.g. <c>2026-11-24T12:00:00Z</c>) starts the clock at that
/// instant; it then runs at real speed, so polling and timeouts behave as usual. Unset, it is the system clock.
/// </remarks>
public static class HostClock
{
    public const string NowVariable = "TRACEIDE_NOW";

    private static readonly Lazy<TimeProvider> Process = new(() => FromEnvironment(Environment.GetEnvironmentVariable, TimeProvider.System));

    /// <summary>The process's clock, read from the environment once. Throws <see cref="ArgumentException"/> on a bad <c>TRACEIDE_NOW</c>.</summary>
    public static TimeProvider Current => Process.Value;

    /// <summary>Says in the log when the clock is not the system's (a shifted "now" explains odd "recent" answers).</summary>
    public static void Announce(HostLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (Current != TimeProvider.System)
            log.Info($"clock set by {NowVariable}: now is {Current.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}");
    }

    public static TimeProvider FromEnvironment(Func<string, string?> getEnvironmentVariable, TimeProvider system)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var value = getEnvironmentVariable(NowVariable);
        if (string.IsNullOrWhiteSpace(value)) return system;
        if (!DateTimeOffset.TryParse(
            value.Trim(),
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var start))
            throw new ArgumentException($"{NowVariable}='{value}' is not a date and time; use an ISO 8601 instant such as 2026-11-24T12:00:00Z, or unset it " +
                "for the system clock.");
        return new ShiftedClock(system, start - system.GetUtcNow());
    }

    /// <summary>The system clock moved by a fixed offset: it shows another date but keeps real time's pace.</summary>
    private sealed class ShiftedClock(TimeProvider system, TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => system.GetUtcNow() + offset;

        public override long GetTimestamp() => system.GetTimestamp();

        public override TimeZoneInfo LocalTimeZone => system.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            system.CreateTimer(callback, state, dueTime, period);
    }
}
