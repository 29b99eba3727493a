using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;
using static TraceIde.Mlflow.Tests.TestSupport;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// QueryTraceMetrics answers → <see cref="MetricsDataPoint"/>s: every recorded answer and the edge cases
/// MLflow's JSON allows (numbers as strings, non-string dimensions, duplicate keys, other timestamp forms)
/// must read exactly as the golden file says — written by the DOM parser the REST backend used before the
/// one-pass reader replaced it (doubles compared bit for bit, dimension order kept).
/// </summary>
public sealed class MetricsAnswerParsingTests
{
    private static readonly string GoldenPath = Path.Combine(Fixtures.RepoRoot, "tests", "TraceIde.Mlflow.Tests", "golden", "metrics-points.json");

    private static readonly MetricsQuery AnyQuery = new()
    {
        ExperimentIds = ["1"], ViewType = MetricsViewTypes.Traces, MetricName = "asked_metric", Aggregations = [MetricsAggregation.Count],
    };

    /// <summary>Answers no recording has, in shapes the old parser accepted.</summary>
    private static readonly (string Name, string Body)[] EdgeCases =
    [
        ("empty-object", "{}"),
        ("empty-points", """{"data_points": []}"""),
        ("no-points-key", """{"other": [1, {"a": 2}], "next_page_token": "x"}"""),
        (
            "duplicate-points-key",
            """{"data_points": [{"metric_name": "a", "values": {"COUNT": 1}}], "data_points": [{"metric_name": "b", "values": {"COUNT": 2}}]}"""),
        (
            "metric-name-missing-number-or-null",
            """{"data_points": [{"values": {"SUM": 1}}, {"metric_name": 7, "values": {}}, {"metric_name": null}, {"metric_name": true}]}"""),
        ("values-as-strings-and-exponents",
            """{"data_points": [{"metric_name": "m", "values": {"AVG": "2.5", "SUM": "1e3", "P50.0": 1.5E-7, "P99.0": -0.0, "COUNT": """ +
            """12345678901234567890}}]}"""),
        ("values-precision",
            """{"data_points": [{"metric_name": "m", "values": {"AVG": 3942.6279069767443, "P90.0": 3538.2000000000003, "P99.9": 0.1, "X": """ +
            """1.7976931348623157e308}}]}"""),
        (
            "values-or-dimensions-not-objects",
            """{"data_points": [{"metric_name": "m", "values": [1, 2], "dimensions": "x"}, {"metric_name": "n", "values": null, "dimensions": null}]}"""),
        ("non-string-dimensions",
            """{"data_points": [{"metric_name": "m", "dimensions": {"n": 5, "f": 4.0, "b": true, "z": null, "o": {"a": [1, 2]}, "l": [1, "x"], "s":""" +
            """ "t\u00e9\"x"}, "values": {"COUNT": 1}}]}"""),
        ("duplicate-keys",
            """{"data_points": [{"metric_name": "a", "metric_name": "b", "dimensions": {"k": "1", "j": "2", "k": "3"}, "values": {"SUM": 1, "AVG": 2,""" +
            """ "SUM": 3}, "dimensions": {"x": "y", "w": "v", "x": "z"}}]}"""),
        ("time-bucket-forms", """
            {"data_points": [
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00+00:00"}, "values": {"COUNT": 1}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00Z", "span_name": "a"}, "values": {"COUNT": 2}},
            {"metric_name": "m", "dimensions": {"span_name": "b", "time_bucket": "2026-11-17T05:30:00+05:30"}, "values": {"COUNT": 3}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00.123456+00:00"}, "values": {"COUNT": 4}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00.9999999-01:00"}, "values": {"COUNT": 5}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00.123456789+00:00"}, "values": {"COUNT": 51}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17t00:00:00z"}, "values": {"COUNT": 52}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00+14:00"}, "values": {"COUNT": 53}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00"}, "values": {"COUNT": 6}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17 00:00:00+00:00"}, "values": {"COUNT": 7}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17"}, "values": {"COUNT": 8}},
            {"metric_name": "m", "dimensions": {"time_bucket": " 2026-11-17T00:00:00+00:00 "}, "values": {"COUNT": 9}},
            {"metric_name": "m", "dimensions": {"time_bucket": "1969-12-31T23:59:59.9995+00:00"}, "values": {"COUNT": 10}},
            {"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00+00:00", "time_bucket": "2026-11-18T00:00:00+00:00"},
             "values": {"COUNT": 11}}
            ]}
            """),
        ("unknown-keys-skipped",
            """{"data_points": [{"extra": {"values": {"X": 1}}, "metric_name": "m", "more": [{"dimensions": {}}], "values": {"COUNT": 1}}], "tail":""" +
            """ {"data_points": 3}}"""),
    ];

    [Fact]
    public async Task Recorded_and_edge_case_answers_read_exactly_as_the_golden_file()
    {
        var actual = new JsonObject();
        foreach (var rec in ReplayRecording.All.Where(r => r.Path == "/api/3.0/mlflow/traces/metrics" && r.Status == 200)
            .OrderBy(r => r.FileName, StringComparer.Ordinal))
            actual[rec.FileName] = Serialise(await ParseAsync(rec.ResponseBytes()));
        foreach (var (name, body) in EdgeCases)
            actual["edge:" + name] = Serialise(await ParseAsync(Encoding.UTF8.GetBytes(body)));
        var text = actual.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        }) + "\n";
        await Golden.AssertMatchesAsync(GoldenPath, text);
        Assert.Equal(66 + EdgeCases.Length, actual.Count);
        Assert.Contains("\"P99.0\": \"3685.62\"", text, StringComparison.Ordinal); // the golden file is not trivially empty
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""{"data_points": {}}""")]
    [InlineData("""{"data_points": [3]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "values": {"COUNT": "many"}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "values": {"COUNT": null}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "values": {"COUNT": [1]}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "dimensions": {"time_bucket": "yesterday"}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "dimensions": {"time_bucket": 1795478400000}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "dimensions": {"time_bucket": "2026-02-30T00:00:00+00:00"}}]}""")]
    [InlineData("""{"data_points": [{"metric_name": "m", "dimensions": {"time_bucket": "2026-11-17T00:00:00+15:00"}}]}""")]
    public async Task Answers_not_in_mlflows_shape_are_bad_responses(string body)
    {
        var ex = await Assert.ThrowsAsync<BackendException>(() => ParseAsync(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("was not in the form MLflow answers", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data_points": [{"metric_name": "m"}""")]
    [InlineData("""{"data_points": []} {""")]
    [InlineData("""{"data_points": [3], "x": tru}""")]
    [InlineData("""{"data_points": {}, "x": [}""")]
    public async Task Answers_that_are_not_json_are_bad_responses(string body)
    {
        var ex = await Assert.ThrowsAsync<BackendException>(() => ParseAsync(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("was not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_body_or_a_byte_order_mark_reads_as_a_dom_parse_reads_it()
    {
        Assert.Empty(await ParseAsync([]));
        var points = await ParseAsync([0xEF, 0xBB, 0xBF, .. """{"data_points": [{"values": {"COUNT": 2}}]}"""u8.ToArray()]);
        Assert.Equal("asked_metric", Assert.Single(points).MetricName);
        Assert.Equal(2.0, points[0].Value("COUNT"));
    }

    private static async Task<IReadOnlyList<MetricsDataPoint>> ParseAsync(byte[] body)
    {
        await using var backend = BackendAnswering(body);
        return await backend.QueryTraceMetricsAsync(AnyQuery, CancellationToken.None);
    }

    /// <summary>Points as JSON with every double written as its round-trip text, so the comparison is exact.</summary>
    private static JsonArray Serialise(IReadOnlyList<MetricsDataPoint> points) =>
        new(points.Select(p => (JsonNode)new JsonObject
        {
            ["metric"] = p.MetricName,
            ["bucket"] = p.TimeBucketMs,
            ["dimensions"] = new JsonObject(p.Dimensions.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
            ["values"] = new JsonObject(p.Values.Select(v => KeyValuePair.Create(
                v.Key,
                (JsonNode?)v.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))),
        }).ToArray());
}
