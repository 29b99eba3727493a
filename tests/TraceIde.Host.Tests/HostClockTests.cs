using System.Text.Json.Nodes;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// The host's one clock (<see cref="HostClock"/>): "recent" follows <c>TRACEIDE_NOW</c> when a test sets it,
/// and the system clock otherwise — through the real process, which is where clients read it.
/// </summary>
public sealed class HostClockTests
{
    // The fixture traces were logged in the week before 2026-11-23 22:58 UTC.
    private static readonly DateTimeOffset FixtureNow = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    private static object InitLocal() => new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db"), clientName = "tests" };

    [Fact]
    public void Unset_means_the_system_clock()
    {
        Assert.Same(TimeProvider.System, HostClock.FromEnvironment(_ => null, TimeProvider.System));
        Assert.Same(TimeProvider.System, HostClock.FromEnvironment(_ => "  ", TimeProvider.System));
    }

    [Fact]
    public void Set_starts_at_the_instant_and_keeps_real_times_pace()
    {
        var system = new ManualClock(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        var clock = HostClock.FromEnvironment(n => n == HostClock.NowVariable ? "2026-11-24T00:00:00Z" : null, system);
        Assert.Equal(FixtureNow, clock.GetUtcNow());
        system.Advance(90_000);
        Assert.Equal(FixtureNow.AddSeconds(90), clock.GetUtcNow());
        // An offset in the value is honoured (…+02:00 is two hours earlier in UTC).
        Assert.Equal(FixtureNow.AddHours(-2), HostClock.FromEnvironment(_ => "2026-11-24T00:00:00+02:00", system).GetUtcNow());
    }

    [Fact]
    public void A_value_that_is_not_an_instant_is_refused_with_the_variable_named()
    {
        var e = Assert.Throws<ArgumentException>(() => HostClock.FromEnvironment(_ => "last tuesday", TimeProvider.System));
        Assert.Contains(HostClock.NowVariable, e.Message);
        Assert.Contains("last tuesday", e.Message);
    }

    [Fact]
    public async Task The_real_clock_path_answers_the_system_time()
    {
        await using var host = HostProcess.Start();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var result = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.Initialize, InitLocal()));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var now = (long)result["nowMs"]!;
        Assert.InRange(now, before, after);
    }

    [Fact]
    public async Task TRACEIDE_NOW_sets_initialize_session_info_and_the_default_windows()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string?> { [HostClock.NowVariable] = "2026-11-24T00:00:00Z" });
        var start = FixtureNow.ToUnixTimeMilliseconds();
        var init = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.Initialize, InitLocal()));
        Assert.InRange((long)init["nowMs"]!, start, start + 120_000);
        var info = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SessionInfo));
        Assert.InRange((long)info["nowMs"]!, (long)init["nowMs"]!, start + 120_000);

        // CodeLens numbers with no range: the 7 days before the host's now, which hold the fixture's calls.
        var stats = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.SourceSpanStats, new { experimentIds = new[] { "1" } }));
        var end = (long)stats["endTimeMs"]!;
        Assert.InRange(end, start, start + 120_000);
        Assert.Equal(end - 7 * 86_400_000L, (long)stats["startTimeMs"]!);
        Assert.Contains(stats["spans"]!.AsArray(), s => (long)s!["calls"]! > 0);
        Assert.Contains("clock set by TRACEIDE_NOW: now is 2026-11-24T00:0", host.Stderr);
    }

    [Fact]
    public async Task A_bad_TRACEIDE_NOW_stops_the_host_with_a_usage_error()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string?> { [HostClock.NowVariable] = "soon" });
        Assert.Equal(2, await host.WaitForExitAsync());
        Assert.Contains("TRACEIDE_NOW='soon' is not a date and time", host.Stderr);
    }
}
