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

    /// <summary>
    /// Per-tool latency AVG + percentiles comes from the one ordered pass (integer ms); it must equal,
    /// bit for bit, SQLite's own AVG asked alone — on store-full, 2,000 traces.
    /// </summary>
    [Fact]
    public void AverageFromTheOrderedPassEqualsSqlitesOwnExactly()
    {
        var folder = Directory.CreateTempSubdirectory("traceide-plan-").FullName;
        try
        {
            var db = ScaledStores.Create(ScaledStores.StoreFullGz, folder, copies: 1);
            using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            connection.Open();
            SqlFunctions.Register(connection);
            MetricsQuery Query(params MetricsAggregation[] aggregations) => new()
            {
                ExperimentIds = ["2"],
                ViewType = MetricsViewTypes.Spans,
                MetricName = "latency",
                Aggregations = aggregations,
                Dimensions = ["span_name"],
                Filters = ["span.type = \"TOOL\""],
                TimeIntervalSeconds = 86_400,
                StartTimeMs = 0,
                EndTimeMs = 4_000_000_000_000,
            };
            IReadOnlyList<MetricsDataPoint> Run(MetricsQuery q) =>
                MetricsSql.Execute(connection, MetricsSql.Build(q, MetricsQueryValidator.Validate(q), wideRange: false)!, q, CancellationToken.None);

            var together = Run(Query(MetricsAggregation.Avg, MetricsAggregation.P(50), MetricsAggregation.P(99)));
            var sqlOnly = Run(Query(MetricsAggregation.Avg));
            var percentilesOnly = Run(Query(MetricsAggregation.P(50), MetricsAggregation.P(99)));

            Assert.True(together.Count > 20, "store-full has tool spans on several days");
            Assert.Equal(sqlOnly.Count, together.Count);
            for (var i = 0; i < together.Count; i++)
            {
                Assert.Equal(sqlOnly[i].TimeBucketMs, together[i].TimeBucketMs);
                Assert.Equal(sqlOnly[i].Dimensions, together[i].Dimensions);
                Assert.Equal(sqlOnly[i].Values["AVG"], together[i].Values["AVG"]); // exact, not within a tolerance
                Assert.Equal(percentilesOnly[i].Values["P50.0"], together[i].Values["P50.0"]);
                Assert.Equal(percentilesOnly[i].Values["P99.0"], together[i].Values["P99.0"]);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
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
