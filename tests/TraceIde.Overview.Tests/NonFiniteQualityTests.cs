using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Host.Tests;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Overview.Tests.MetricsTestSupport;

namespace TraceIde.Overview.Tests;

/// <summary>
/// overview/quality over feedback values that are not ordinary numbers: 1e308 (whose plain sum overflows),
/// and NaN / ±Infinity, which MLflow stores as JSON strings. On the local store (a temp copy of the fixture
/// store with such assessments added) and on a tracking server answering as MLflow does ("Infinity" for the
/// AVG of two 1e308 values).
/// </summary>
public sealed class NonFiniteQualityTests : IAsyncLifetime
{
    private const long End = 1795478400000; // 2026-11-24T00:00Z
    private const long Start = End - 7 * 86_400_000L;
    private static readonly OverviewParams Week = new() { ExperimentIds = ["1"], StartTimeMs = Start, EndTimeMs = End, TimeUnit = OverviewTimeUnits.Day };

    private DirectoryInfo _dir = null!;
    private string _db = null!;
    private long _traceMs;

    public Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("traceide-nonfinite-");
        _db = Path.Combine(_dir.FullName, "mlflow.db");
        File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), _db);
        var trace = FixtureCases.ServerTraceId("s1-paris-t1");
        using var c = new SqliteConnection($"Data Source={_db};Pooling=False");
        c.Open();
        using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT timestamp_ms FROM trace_info WHERE request_id = $t";
            q.Parameters.AddWithValue("$t", trace);
            _traceMs = (long)q.ExecuteScalar()!;
        }
        var n = 0;
        // Copies of one of the trace's feedback rows with another name and value, created 2 min after the trace (as the judges' are).
        foreach (var (name, value) in new[]
        {
            ("huge_score", "1e308"),
            ("huge_score", "1e308"),
            ("wide_score", "-1e308"),
            ("wide_score", "1e308"),
            ("nan_score", "\"NaN\""),
            ("nan_score", "\"Infinity\""),
            ("nan_score", "\"-Infinity\"")
        })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp,
                                         source_type, source_id, run_id, span_id, rationale, overrides, valid, assessment_metadata)
                SELECT $id, trace_id, $name, assessment_type, $value, NULL, $created, $created, source_type, source_id, run_id, NULL, NULL, NULL, 1, NULL
                FROM assessments WHERE trace_id = $t AND assessment_type = 'feedback' LIMIT 1
                """;
            cmd.Parameters.AddWithValue("$id", $"a-nonfinite-{n++}");
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$value", value);
            cmd.Parameters.AddWithValue("$created", _traceMs + 120_000);
            cmd.Parameters.AddWithValue("$t", trace);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private static JsonSerializerOptions WireJson()
    {
        var o = new JsonSerializerOptions();
        ProtocolJson.Configure(o);
        return o;
    }

    [Fact]
    public async Task The_local_store_averages_1e308_values_without_overflowing()
    {
        await using var store = new LocalStoreBackend(_db);
        var avg = await store.QueryTraceMetricsAsync(new MetricsQuery
        {
            ExperimentIds = ["1"], ViewType = MetricsViewTypes.Assessments, MetricName = "assessment_value",
            Aggregations = [MetricsAggregation.Avg], Dimensions = ["assessment_name"], Filters = ["assessment.name = \"huge_score\""],
        }, default);
        Assert.Equal(1e308, Assert.Single(avg).Values["AVG"]);

        var q = await new OverviewService(store).QualityAsync(Week, default);
        var huge = q.Assessments.Single(a => a.Name == "huge_score");
        Assert.Equal(("numeric", 2L), (huge.ValueKind, huge.Count));
        Assert.Equal(1e308, huge.NumericMean);
        Assert.Equal(1e308, huge.AverageValue); // the host's own count-weighted mean
        Assert.Equal(1e308, huge.P50Value);
        var bucket = _traceMs / 86_400_000 * 86_400_000;
        Assert.Equal(1e308, huge.Series.Single(b => b.TimeMs == bucket).AverageValue);
        // The median of −1e308 and 1e308 is 0: interpolating through their difference (2e308) would give +∞.
        var wide = q.Assessments.Single(a => a.Name == "wide_score");
        Assert.Equal((0.0, 0.0), (wide.NumericMean!.Value, wide.P50Value!.Value));
        Assert.Equal(1e308 * 0.98, wide.P99Value!.Value, 1e294); // −1e308·0.01 + 1e308·0.99
        // The streaming engine (servers that cannot aggregate) reads the same assessments one trace at a time.
        var streamed = await new OverviewService(new StreamingMetricsEngine(store)).QualityAsync(Week, default);
        Assert.Equal(1e308, streamed.Assessments.Single(a => a.Name == "huge_score").NumericMean);
        // Unchanged for ordinary values: the fixture's helpfulness mean is MLflow's (ground truth: 5 ×26, 3, 2 ×3).
        Assert.Equal((26 * 5 + 3 + 2 * 3) / 30.0, q.Assessments.Single(a => a.Name == "helpfulness").NumericMean!.Value, 12);
    }

    [Fact]
    public async Task NaN_and_infinity_stored_as_strings_are_string_values_without_a_mean()
    {
        await using var store = new LocalStoreBackend(_db);
        var q = await new OverviewService(store).QualityAsync(Week, default);
        var nan = q.Assessments.Single(a => a.Name == "nan_score");
        Assert.Equal("string", nan.ValueKind);
        Assert.Null(nan.NumericMean); // MLflow maps strings to NULL before AVG
        Assert.Null(nan.AverageValue);
        Assert.Equal(["-Infinity", "Infinity", "NaN"], nan.Distribution.Select(d => d.Label).Order(StringComparer.Ordinal));
        // And the whole answer goes on the wire.
        var json = JsonSerializer.Serialize(q, WireJson());
        Assert.Contains("\"numericMean\":1E+308", json);
    }

    [Fact]
    public void Non_finite_quality_numbers_travel_as_MLflow_writes_them_and_read_back()
    {
        var bucket = new QualityBucket { TimeMs = 0, AverageValue = double.PositiveInfinity };
        var quality = new AssessmentQuality
        {
            Name = "x", ValueKind = "numeric", NumericMean = double.NaN, P50Value = double.NegativeInfinity, AverageValue = 2.5,
            Distribution = [], Series = [bucket],
        };
        var json = JsonSerializer.Serialize(quality, WireJson());
        Assert.Contains($"\"numericMean\":\"{NonFiniteNumbers.NotANumber}\"", json);
        Assert.Contains($"\"p50Value\":\"{NonFiniteNumbers.NegativeInfinity}\"", json);
        Assert.Contains($"\"averageValue\":\"{NonFiniteNumbers.PositiveInfinity}\"", json);
        Assert.Contains("\"averageValue\":2.5", json); // finite values stay JSON numbers
        var back = JsonSerializer.Deserialize<AssessmentQuality>(json, WireJson())!;
        Assert.True(double.IsNaN(back.NumericMean!.Value));
        Assert.Equal(double.PositiveInfinity, back.Series[0].AverageValue);
    }

    /// <summary>
    /// The replay server answers the quality requests as MLflow answers them for two 1e308 values: the count
    /// request with the stored value, the AVG ones with the JSON string "Infinity" (Python's float overflow),
    /// shaped as the recorded answers are.
    /// </summary>
    private MlflowReplayServer ServerWithOverflowingAverage()
    {
        var server = MlflowReplayServer.Start();
        var bucket = DateTimeOffset.FromUnixTimeMilliseconds(_traceMs / 86_400_000 * 86_400_000).ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'");
        server.Override(MetricsPath, async ctx =>
        {
            using var doc = JsonDocument.Parse(ctx.Request.Body);
            var metric = doc.RootElement.GetProperty("metric_name").GetString();
            var bucketed = doc.RootElement.TryGetProperty("time_interval_seconds", out _);
            var body = metric switch
            {
                "assessment_count" when doc.RootElement.GetProperty("dimensions").GetArrayLength() == 2 =>
                        """{"data_points": [{"metric_name": "assessment_count", "dimensions": {"assessment_name": "huge_score", "assessment_value":""" +
                        """ "1e+308"}, "values": {"COUNT": 2.0}}]}""",
                "assessment_count" =>
                    """{"data_points": [{"metric_name": "assessment_count", "dimensions": {"assessment_name": "huge_score"}, "values": {"COUNT": 2.0}}]}""",
                "assessment_value" when bucketed =>
                        $$$"""{"data_points": [{"metric_name": "assessment_value", "dimensions": {"time_bucket": "{{{bucket}}}", "assessment_name":""" +
                        $$$""" "huge_score"}, "values": {"AVG": "Infinity"}}]}""",
                "assessment_value" =>
                        """{"data_points": [{"metric_name": "assessment_value", "dimensions": {"assessment_name": "huge_score"}, "values": {"AVG":""" +
                        """ "Infinity", "P50.0": 1e+308, "P90.0": 1e+308, "P99.0": 1e+308}}]}""",
                _ => """{"data_points": []}""",
            };
            await ReplayFaults.Respond(200, "application/json", body)(ctx);
        });
        return server;
    }

    [Fact]
    public async Task A_server_answering_Infinity_gives_a_quality_answer_that_says_so()
    {
        await using var server = ServerWithOverflowingAverage();
        await using var rest = RestBackend(server);
        var q = await new OverviewService(rest).QualityAsync(Week, default);
        var huge = Assert.Single(q.Assessments);
        Assert.Equal(double.PositiveInfinity, huge.NumericMean); // the server's own number, as it said it
        Assert.Equal(1e308, huge.AverageValue); // the host's mean of the distribution does not overflow
        Assert.Equal(double.PositiveInfinity, huge.Series.Single(b => b.AverageValue != null).AverageValue);
    }

    [Fact]
    public async Task Through_serve_the_quality_answer_carries_Infinity_as_a_string_instead_of_failing()
    {
        await using var server = ServerWithOverflowingAverage();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { trackingUri = server.BaseUri.ToString() }));
        var quality = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewQuality,
            new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "day" }));
        var huge = quality["assessments"]![0]!;
        Assert.Equal(NonFiniteNumbers.PositiveInfinity, (string)huge["numericMean"]!);
        Assert.Equal(1e308, (double)huge["averageValue"]!);
        Assert.Contains(huge["series"]!.AsArray(), b => b!["averageValue"] is JsonValue v && v.TryGetValue<string>(out var s) && s == "Infinity");
    }

    [Fact]
    public async Task Through_serve_the_local_store_answers_quality_over_huge_and_non_finite_feedback()
    {
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = _db }));
        var quality = JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.OverviewQuality,
            new { experimentIds = new[] { "1" }, startTimeMs = Start, endTimeMs = End, timeUnit = "day" }));
        var byName = quality["assessments"]!.AsArray().ToDictionary(a => (string)a!["name"]!);
        Assert.Equal(1e308, (double)byName["huge_score"]!["numericMean"]!);
        Assert.Equal("string", (string)byName["nan_score"]!["valueKind"]!);
    }
}
