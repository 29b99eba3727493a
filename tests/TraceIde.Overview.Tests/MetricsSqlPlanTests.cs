using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>
/// The host engine picks a scan order per query (<see cref="MetricsSql.IsWideRange"/>): through the trace
/// index for narrow ranges, table scans joined by key for wide ones. Both orders must give MLflow's answer.
/// </summary>
public sealed class MetricsSqlPlanTests
{
    public static TheoryData<string> Recorded() => new(MetricRecordings(errors: false).Select(r => r.FileName));

    [Theory]
    [MemberData(nameof(Recorded))]
    public void BothScanOrdersGiveTheRecordedServerAnswer(string file)
    {
        var r = ReplayRecording.Get(file);
        var query = ToQuery(r.RequestBody!.Value);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Fixtures.ServerStore, "mlflow.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        SqlFunctions.Register(connection);
        foreach (var wide in new[] { false, true })
        {
            var plan = MetricsSql.Build(query, MetricsQueryValidator.Validate(query), wide)!;
            AssertSamePoints(Expected(r), MetricsSql.Execute(connection, plan, query, CancellationToken.None), $"{file} (wide range plan: {wide})");
        }
    }

    [Fact]
    public void TheFixturesWeekIsWideAndOneHourIsNarrow()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Fixtures.ServerStore, "mlflow.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var r = ReplayRecording.Get("traces_metrics__latency_percentiles_daily.json");
        var week = ToQuery(r.RequestBody!.Value);
        Assert.True(MetricsSql.IsWideRange(connection, week));
        Assert.False(MetricsSql.IsWideRange(connection, week with { EndTimeMs = week.StartTimeMs + 3_600_000 }));
        Assert.False(MetricsSql.IsWideRange(connection, week with { ExperimentIds = ["999999"] }));
    }
}
