using System.Collections.Concurrent;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Host.Handlers;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>When the host has to stream a backend's traces itself, the overview reports `$/progress`.</summary>
public sealed class OverviewProgressTests
{
    private static OverviewParams FixtureWeek(string? progressToken) => new()
    {
        ExperimentIds = ["1"],
        StartTimeMs = 1794787200000, // 2026-11-16T00:00Z
        EndTimeMs = 1795478400000,   // 2026-11-24T00:00Z
        TimeUnit = OverviewTimeUnits.Day,
        ProgressToken = progressToken,
    };

    [Fact]
    public async Task A_backend_without_metrics_is_streamed_with_progress_under_the_requests_token()
    {
        using var session = new HostSession(HostLog.Null);
        await session.InitializeAsync(
            new WithoutMetrics(new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db"))),
            "tests",
            CancellationToken.None);
        var sent = new ConcurrentQueue<(string Method, object Argument)>();
        var handler = new OverviewHandler(session, (m, a) => { sent.Enqueue((m, a)); return Task.CompletedTask; });

        var usage = await handler.UsageAsync(FixtureWeek("usage-1"), CancellationToken.None);

        Assert.Equal(43, usage.Totals.Requests);
        Assert.Equal(5, usage.Totals.Errors);
        Assert.Equal("host", usage.Axis.Engine);
        Assert.NotEmpty(sent);
        Assert.All(sent, n =>
        {
            Assert.Equal(RpcMethods.Progress, n.Method);
            var p = Assert.IsType<ProgressParams>(n.Argument);
            Assert.Equal("usage-1", p.Token);
            Assert.InRange(p.Done, 1, 43);
            Assert.Contains("traces read", p.Message);
        });
    }

    [Fact]
    public async Task No_token_no_progress_and_a_store_that_aggregates_itself_needs_none()
    {
        using var session = new HostSession(HostLog.Null);
        await session.InitializeAsync(
            new WithoutMetrics(new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db"))),
            "tests",
            CancellationToken.None);
        var sent = new ConcurrentQueue<object>();
        var handler = new OverviewHandler(session, (_, a) => { sent.Enqueue(a); return Task.CompletedTask; });
        var tools = await handler.ToolCallsAsync(FixtureWeek(null), CancellationToken.None);
        Assert.Equal(30, tools.Totals.Calls);
        Assert.Empty(sent);

        using var sqlSession = new HostSession(HostLog.Null);
        await sqlSession.InitializeAsync(new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db")), "tests", CancellationToken.None);
        var sqlHandler = new OverviewHandler(sqlSession, (_, a) => { sent.Enqueue(a); return Task.CompletedTask; });
        var sqlTools = await sqlHandler.ToolCallsAsync(FixtureWeek("t"), CancellationToken.None);
        Assert.Equal(tools.Totals, sqlTools.Totals);
        Assert.Empty(sent);
    }

    /// <summary>A backend that lists and reads traces but cannot aggregate (like an MLflow server before 3.9).</summary>
    private sealed class WithoutMetrics(ITraceBackend inner) : DelegatingBackend(inner);
}
