using System.Globalization;
using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Core.Overview;

/// <summary>
/// The Overview tab (docs/mlflow-notes.md#overview-tab): issues the QueryTraceMetrics requests the MLflow UI
/// issues (docs/mlflow-notes.md#overview-tab) to an <see cref="ITraceMetricsSource"/> and composes cards, zero-filled series and
/// tables from the answers. No I/O of its own.
/// </summary>
public sealed class OverviewService(ITraceMetricsSource source, TimeProvider? clock = null)
{
    private const string FeedbackFilter = "assessment.type = \"feedback\"";
    private const string ToolFilter = "span.type = \"TOOL\"";
    private const string IgnoredAssessment = "_issue_discovery_judge";
    private static readonly MetricsAggregation[] Percentiles = [MetricsAggregation.P(50), MetricsAggregation.P(90), MetricsAggregation.P(99)];

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public static long UnitSeconds(string unit) => unit switch
    {
        OverviewTimeUnits.Second => 1,
        OverviewTimeUnits.Minute => 60,
        OverviewTimeUnits.Hour => 3600,
        OverviewTimeUnits.Day => 86_400,
        OverviewTimeUnits.Month => 2_592_000,
        OverviewTimeUnits.Year => 31_536_000,
        _ => throw Invalid($"Unknown timeUnit '{unit}'; use second, minute, hour, day, month (30 days) or year (365 days)."),
    };

    /// <summary>The unit the MLflow UI picks for a range (docs/mlflow-notes.md#overview-tab).</summary>
    public static string DefaultUnit(long rangeMs) => rangeMs switch
    {
        <= 3_600_000L => OverviewTimeUnits.Minute,
        <= 86_400_000L => OverviewTimeUnits.Hour,
        <= 30 * 86_400_000L => OverviewTimeUnits.Day,
        <= 365 * 86_400_000L => OverviewTimeUnits.Month,
        _ => OverviewTimeUnits.Year,
    };

    /// <summary>Resolves range, unit and the client-side buckets; rejects units giving more than 1,000 buckets.</summary>
    public OverviewTimeAxis ResolveAxis(OverviewParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.ExperimentIds is not { Count: > 0 }) throw Invalid("experimentIds must name at least one experiment.");
        var end = p.EndTimeMs ?? _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var start = p.StartTimeMs ?? end - 7 * 86_400_000L;
        if (start < 0 || end < start) throw Invalid($"Invalid time range: startTimeMs ({start}) must be ≥ 0 and ≤ endTimeMs ({end}).");
        var unit = string.IsNullOrEmpty(p.TimeUnit) ? DefaultUnit(end - start) : p.TimeUnit;
        var interval = UnitSeconds(unit);
        var rangeSeconds = (end - start) / 1000.0;
        var needed = (long)Math.Ceiling(rangeSeconds / interval);
        if (needed > OverviewTimeUnits.MaxBuckets)
            throw Invalid($"timeUnit '{unit}' would give {needed.ToString(CultureInfo.InvariantCulture)} buckets for this range; at most " +
                $"{OverviewTimeUnits.MaxBuckets} are allowed — choose a larger unit or a shorter range.");
        var intervalMs = interval * 1000;
        var buckets = new List<long>();
        for (var b = Math.DivRem(start, intervalMs).Quotient * intervalMs; b <= end; b += intervalMs) buckets.Add(b);
        return new OverviewTimeAxis
        {
            StartTimeMs = start,
            EndTimeMs = end,
            TimeUnit = unit,
            IntervalSeconds = interval,
            BucketsMs = buckets,
            Engine = source.MetricsEngine
        };
    }

    /// <summary>The trace-level filters of <paramref name="p"/> in MLflow's metrics filter syntax.</summary>
    public static IReadOnlyList<string> TraceFilters(OverviewParams p)
    {
        var list = new List<string>();
        if (!string.IsNullOrEmpty(p.TraceName)) list.Add($"trace.tag.`mlflow.traceName` = {Quote(p.TraceName)}");
        if (p.Tags != null)
            foreach (var (k, v) in p.Tags.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (string.IsNullOrEmpty(k) || k.Contains('`')) throw Invalid($"Invalid tag key '{k}'.");
                list.Add($"trace.tag.`{k}` = {Quote(v ?? "")}");
            }
        if (!string.IsNullOrEmpty(p.User)) list.Add($"trace.metadata.`mlflow.trace.user` = {Quote(p.User)}");
        if (!string.IsNullOrEmpty(p.Session)) list.Add($"trace.metadata.`mlflow.trace.session` = {Quote(p.Session)}");
        return list;
    }

    private static string Quote(string value) =>
        !value.Contains('"') ? "\"" + value + "\""
        : !value.Contains('\'') ? "'" + value + "'"
        : throw Invalid("A filter value cannot contain both single and double quotes.");

    private MetricsQuery Query(OverviewTimeAxis axis, OverviewParams p, string view, string metric, IReadOnlyList<MetricsAggregation> aggs,
        bool bucketed, IReadOnlyList<string>? dims = null, string? extraFilter = null, bool timeRange = true) => new()
        {
            ExperimentIds = p.ExperimentIds,
            ViewType = view,
            MetricName = metric,
            Aggregations = aggs,
            Dimensions = dims ?? [],
            Filters = extraFilter == null ? TraceFilters(p) : [extraFilter, .. TraceFilters(p)],
            TimeIntervalSeconds = bucketed ? axis.IntervalSeconds : null,
            StartTimeMs = timeRange ? axis.StartTimeMs : null,
            EndTimeMs = timeRange ? axis.EndTimeMs : null,
        };

    private Task<IReadOnlyList<MetricsDataPoint>> RunAsync(MetricsQuery q, CancellationToken ct) => source.QueryTraceMetricsAsync(q, ct);

    // ------------------------------------------------------------------ usage (docs/mlflow-notes.md#overview-tab)

    public async Task<OverviewUsageResult> UsageAsync(OverviewParams p, CancellationToken ct)
    {
        var axis = ResolveAxis(p);
        const string T = MetricsViewTypes.Traces;
        var counts = RunAsync(Query(axis, p, T, "trace_count", [MetricsAggregation.Count], true, ["trace_status"]), ct);
        var latBuckets = RunAsync(Query(axis, p, T, "latency", Percentiles, true), ct);
        var latAvg = RunAsync(Query(axis, p, T, "latency", [MetricsAggregation.Avg], false), ct); // as the UI asks
        var latTotal = RunAsync(Query(axis, p, T, "latency", Percentiles, false), ct);
        var input = RunAsync(Query(axis, p, T, "input_tokens", [MetricsAggregation.Sum], true), ct);
        var output = RunAsync(Query(axis, p, T, "output_tokens", [MetricsAggregation.Sum], true), ct);
        var cacheRead = RunAsync(Query(axis, p, T, "cache_read_input_tokens", [MetricsAggregation.Sum], true), ct);
        var cacheWrite = RunAsync(Query(axis, p, T, "cache_creation_input_tokens", [MetricsAggregation.Sum], true), ct);
        var tokTotal = RunAsync(Query(axis, p, T, "total_tokens", [MetricsAggregation.Sum, MetricsAggregation.Avg], false), ct); // as the UI asks
        var tokPct = RunAsync(Query(axis, p, T, "total_tokens", Percentiles, false), ct);
        var tokBuckets = RunAsync(Query(axis, p, T, "total_tokens", Percentiles, true), ct);
        await Task.WhenAll(counts, latBuckets, latAvg, latTotal, input, output, cacheRead, cacheWrite, tokTotal, tokPct, tokBuckets).ConfigureAwait(false);
        var latAvgR = await latAvg.ConfigureAwait(false);
        var tokPctR = await tokPct.ConfigureAwait(false);
        var countsR = await counts.ConfigureAwait(false);
        var latBucketsR = await latBuckets.ConfigureAwait(false);
        var latTotalR = await latTotal.ConfigureAwait(false);
        var inputR = await input.ConfigureAwait(false);
        var outputR = await output.ConfigureAwait(false);
        var cacheReadR = await cacheRead.ConfigureAwait(false);
        var cacheWriteR = await cacheWrite.ConfigureAwait(false);
        var tokTotalR = await tokTotal.ConfigureAwait(false);
        var tokBucketsR = await tokBuckets.ConfigureAwait(false);

        var series = new List<UsageBucket>();
        foreach (var b in axis.BucketsMs)
        {
            var inBucket = countsR.Where(x => x.TimeBucketMs == b).ToList();
            var requests = (long)inBucket.Sum(x => x.Value("COUNT") ?? 0);
            var errors = (long)inBucket.Where(x => x.Dim("trace_status") == "ERROR").Sum(x => x.Value("COUNT") ?? 0);
            var lat = latBucketsR.FirstOrDefault(x => x.TimeBucketMs == b);
            var tok = tokBucketsR.FirstOrDefault(x => x.TimeBucketMs == b);
            series.Add(new UsageBucket
            {
                TimeMs = b,
                Requests = requests,
                Errors = errors,
                ErrorRate = Rate(errors, requests),
                P50LatencyMs = lat?.Value("P50.0"),
                P90LatencyMs = lat?.Value("P90.0"),
                P99LatencyMs = lat?.Value("P99.0"),
                InputTokens = SumAt(inputR, b),
                OutputTokens = SumAt(outputR, b),
                CacheReadInputTokens = SumAt(cacheReadR, b),
                CacheCreationInputTokens = SumAt(cacheWriteR, b),
                P50TokensPerTrace = tok?.Value("P50.0"),
                P90TokensPerTrace = tok?.Value("P90.0"),
                P99TokensPerTrace = tok?.Value("P99.0"),
            });
        }

        var totalRequests = series.Sum(s => s.Requests);
        var totalErrors = series.Sum(s => s.Errors);
        var lt = latTotalR.FirstOrDefault();
        var tt = tokTotalR.FirstOrDefault();
        var la = latAvgR.FirstOrDefault();
        var tp = tokPctR.FirstOrDefault();
        return new OverviewUsageResult
        {
            Axis = axis with { Engine = source.MetricsEngine }, // the engine that answered (a fallback may have taken over)
            Series = series,
            Totals = new UsageTotals
            {
                Requests = totalRequests,
                Errors = totalErrors,
                ErrorRate = Rate(totalErrors, totalRequests),
                AvgBucketErrorRate = series.Count == 0 ? 0 : series.Average(s => s.ErrorRate),
                AvgRequestsPerBucket = series.Count == 0 ? 0 : (double)totalRequests / series.Count,
                AvgLatencyMs = la?.Value("AVG"),
                P50LatencyMs = lt?.Value("P50.0"),
                P90LatencyMs = lt?.Value("P90.0"),
                P99LatencyMs = lt?.Value("P99.0"),
                InputTokens = series.Sum(s => s.InputTokens),
                OutputTokens = series.Sum(s => s.OutputTokens),
                CacheReadInputTokens = series.Sum(s => s.CacheReadInputTokens),
                CacheCreationInputTokens = series.Sum(s => s.CacheCreationInputTokens),
                TotalTokens = tt?.Value("SUM") ?? 0,
                AvgTokensPerTrace = tt?.Value("AVG"),
                P50TokensPerTrace = tp?.Value("P50.0"),
                P90TokensPerTrace = tp?.Value("P90.0"),
                P99TokensPerTrace = tp?.Value("P99.0"),
            },
        };
    }

    private static double SumAt(IReadOnlyList<MetricsDataPoint> points, long bucket) =>
        points.Where(x => x.TimeBucketMs == bucket).Sum(x => x.Value("SUM") ?? 0);

    private static double Rate(long part, long all) => all == 0 ? 0 : part * 100.0 / all;

    // ------------------------------------------------------------------ quality (docs/mlflow-notes.md#overview-tab)

    public async Task<OverviewQualityResult> QualityAsync(OverviewParams p, CancellationToken ct)
    {
        var axis = ResolveAxis(p);
        const string A = MetricsViewTypes.Assessments;
        var counts = RunAsync(
            Query(axis, p, A, "assessment_count", [MetricsAggregation.Count], false, ["assessment_name", "assessment_value"], FeedbackFilter),
            ct);
        var trend = RunAsync(Query(axis, p, A, "assessment_value", [MetricsAggregation.Avg], true, ["assessment_name"], FeedbackFilter), ct);
        var stats = RunAsync(Query(axis, p, A, "assessment_value", [MetricsAggregation.Avg, .. Percentiles], false, ["assessment_name"], FeedbackFilter), ct);
        await Task.WhenAll(counts, trend, stats).ConfigureAwait(false);
        var countsR = await counts.ConfigureAwait(false);
        var trendR = await trend.ConfigureAwait(false);
        var statsR = await stats.ConfigureAwait(false);

        var list = new List<AssessmentQuality>();
        foreach (var group in countsR.Where(x => x.Dim("assessment_name") is { } n && n != IgnoredAssessment)
                     .GroupBy(x => x.Dim("assessment_name")!).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var dist = group
                .Select(x => new AssessmentValueCount
                {
                    RawValue = x.Dim("assessment_value") ?? "null",
                    Label = Label(x.Dim("assessment_value")),
                    Count = (long)(x.Value("COUNT") ?? 0)
                })
                .OrderBy(v => v.Label, StringComparer.Ordinal).ToList();
            var valued = dist.Where(v => v.RawValue != "null").ToList();
            var kind = Kind(valued.Select(v => v.RawValue));
            double? average = null;
            if (kind == "numeric" && valued.Sum(v => v.Count) > 0)
                average = WeightedMean(valued.Select(v => (double.Parse(v.RawValue, CultureInfo.InvariantCulture), v.Count)).ToList());
            double? passRate = null;
            if (kind == "boolean")
            {
                var all = valued.Sum(v => v.Count);
                var pass = valued.Where(v => v.RawValue is "true" or "\"yes\"").Sum(v => v.Count);
                passRate = all == 0 ? null : pass * 100.0 / all;
            }
            var s = statsR.FirstOrDefault(x => x.Dim("assessment_name") == group.Key);
            list.Add(new AssessmentQuality
            {
                Name = group.Key,
                Count = dist.Sum(v => v.Count),
                NullValues = dist.Where(v => v.RawValue == "null").Sum(v => v.Count),
                ValueKind = kind,
                AverageValue = average,
                NumericMean = s?.Value("AVG"),
                P50Value = s?.Value("P50.0"),
                P90Value = s?.Value("P90.0"),
                P99Value = s?.Value("P99.0"),
                PassRate = passRate,
                Distribution = dist,
                Series = QualitySeries(axis, trendR.Where(x => x.Dim("assessment_name") == group.Key && x.TimeBucketMs is not null).ToList()),
            });
        }

        var outside = false;
        if (list.Count == 0)
        {
            var anywhere = await RunAsync(
                Query(axis, p, A, "assessment_count", [MetricsAggregation.Count], false, ["assessment_name"], FeedbackFilter, timeRange: false),
                ct).ConfigureAwait(false);
            outside = anywhere.Any(x => x.Dim("assessment_name") != IgnoredAssessment && (x.Value("COUNT") ?? 0) > 0);
        }
        return new OverviewQualityResult { Axis = axis with { Engine = source.MetricsEngine }, Assessments = list, HasAssessmentsOutsideRange = outside };
    }

    /// <summary>
    /// Every axis bucket (null where the server answered none), plus the server's buckets off the axis,
    /// labelled: assessment values are bucketed by creation time, not by the trace time the range selects.
    /// </summary>
    private static List<QualityBucket> QualitySeries(OverviewTimeAxis axis, List<MetricsDataPoint> points)
    {
        var onAxis = axis.BucketsMs.ToHashSet();
        return axis.BucketsMs
            .Select(b => new QualityBucket { TimeMs = b, AverageValue = points.FirstOrDefault(x => x.TimeBucketMs == b)?.Value("AVG") })
            .Concat(points.Where(x => !onAxis.Contains(x.TimeBucketMs!.Value))
                .Select(x => new QualityBucket { TimeMs = x.TimeBucketMs!.Value, AverageValue = x.Value("AVG"), OutsideRange = true }))
            .OrderBy(b => b.TimeMs)
            .ToList();
    }

    /// <summary>Σ value·count ÷ Σ count, the UI's formula, without overflowing where the mean does not (<see cref="FiniteMean"/>).</summary>
    public static double WeightedMean(IReadOnlyList<(double Value, long Count)> values) =>
        FiniteMean.Of(values.Sum(v => v.Value * v.Count), values.Sum(v => v.Value / FiniteMean.Scale * v.Count), values.Sum(v => v.Count));

    private static string Label(string? raw)
    {
        if (raw == null) return "null";
        try
        {
            using var doc = JsonDocument.Parse(raw);
            return doc.RootElement.ValueKind == JsonValueKind.String ? doc.RootElement.GetString()! : raw;
        }
        catch (JsonException)
        {
            return raw;
        }
    }

    private static string Kind(IEnumerable<string> raws)
    {
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in raws)
        {
            kinds.Add(r switch
            {
                "true" or "false" or "\"yes\"" or "\"no\"" => "boolean",
                _ when double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => "numeric",
                _ when r.StartsWith('"') => "string",
                _ => "mixed",
            });
        }
        return kinds.Count switch
        {
            0 => "none",
            1 => kinds.First(),
            _ => "mixed",
        };
    }

    // ------------------------------------------------------------------ tool calls (docs/mlflow-notes.md#overview-tab)

    public async Task<OverviewToolCallsResult> ToolCallsAsync(OverviewParams p, CancellationToken ct)
    {
        var axis = ResolveAxis(p);
        const string S = MetricsViewTypes.Spans;
        string[] nameStatus = ["span_name", "span_status"];
        var counts = RunAsync(Query(axis, p, S, "span_count", [MetricsAggregation.Count], false, nameStatus, ToolFilter), ct);
        var avg = RunAsync(Query(axis, p, S, "latency", [MetricsAggregation.Avg], false, null, ToolFilter), ct);
        var perTool = RunAsync(Query(axis, p, S, "latency", [MetricsAggregation.Avg, .. Percentiles], false, ["span_name"], ToolFilter), ct);
        var countSeries = RunAsync(Query(axis, p, S, "span_count", [MetricsAggregation.Count], true, nameStatus, ToolFilter), ct);
        var latSeries = RunAsync(Query(axis, p, S, "latency", [MetricsAggregation.Avg], true, ["span_name"], ToolFilter), ct);
        await Task.WhenAll(counts, avg, perTool, countSeries, latSeries).ConfigureAwait(false);
        var countsR = await counts.ConfigureAwait(false);
        var avgR = await avg.ConfigureAwait(false);
        var perToolR = await perTool.ConfigureAwait(false);
        var countSeriesR = await countSeries.ConfigureAwait(false);
        var latSeriesR = await latSeries.ConfigureAwait(false);

        static long Count(IEnumerable<MetricsDataPoint> points) => (long)points.Sum(x => x.Value("COUNT") ?? 0);

        var tools = new List<ToolSummary>();
        foreach (var g in countsR.GroupBy(x => x.Dim("span_name")!))
        {
            var calls = Count(g);
            var failures = Count(g.Where(x => x.Dim("span_status") == "ERROR"));
            var lat = perToolR.FirstOrDefault(x => x.Dim("span_name") == g.Key);
            tools.Add(new ToolSummary
            {
                Name = g.Key,
                Calls = calls,
                Failures = failures,
                ErrorRate = Rate(failures, calls),
                AvgLatencyMs = lat?.Value("AVG"),
                P50LatencyMs = lat?.Value("P50.0"),
                P90LatencyMs = lat?.Value("P90.0"),
                P99LatencyMs = lat?.Value("P99.0"),
            });
        }
        tools = tools.OrderByDescending(t => t.Calls).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();

        var series = new List<ToolSeries>();
        foreach (var name in tools.Select(t => t.Name).Order(StringComparer.Ordinal))
        {
            series.Add(new ToolSeries
            {
                Name = name,
                Points = axis.BucketsMs.Select(b =>
                {
                    var here = countSeriesR.Where(x => x.TimeBucketMs == b && x.Dim("span_name") == name).ToList();
                    var calls = Count(here);
                    var failures = Count(here.Where(x => x.Dim("span_status") == "ERROR"));
                    return new ToolBucket
                    {
                        TimeMs = b,
                        Calls = calls,
                        Failures = failures,
                        ErrorRate = Rate(failures, calls),
                        AvgLatencyMs = latSeriesR.FirstOrDefault(x => x.TimeBucketMs == b && x.Dim("span_name") == name)?.Value("AVG"),
                    };
                }).ToList(),
            });
        }

        var totalCalls = tools.Sum(t => t.Calls);
        var ok = Count(countsR.Where(x => x.Dim("span_status") == "OK"));
        return new OverviewToolCallsResult
        {
            Axis = axis with { Engine = source.MetricsEngine }, // the engine that answered (a fallback may have taken over)
            Tools = tools,
            Series = series,
            Totals = new ToolCallTotals
            {
                Calls = totalCalls,
                FailedCalls = tools.Sum(t => t.Failures),
                SuccessRate = totalCalls == 0 ? null : ok * 100.0 / totalCalls,
                AvgLatencyMs = avgR.FirstOrDefault()?.Value("AVG"),
            },
        };
    }

    private static BackendException Invalid(string message) => new(RpcErrorCodes.InvalidParams, message);
}
