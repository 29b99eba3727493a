using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Overview;

namespace TraceIde.Backends.LocalStore;

/// <summary>
/// The host engine for MLflow's QueryTraceMetrics over a local SQLite store: the same SQL semantics as
/// MLflow's SQLAlchemy store (spec §2.8) — inclusive trace-timestamp range for every view type,
/// epoch-aligned buckets, null dimensions and all-null rows dropped, span latency in integer ms,
/// <c>trace_name</c> as an inner join on the <c>mlflow.traceName</c> tag, assessment values mapped
/// true/"yes" → 1, false/"no" → 0, numbers → float, anything else → NULL. Percentiles use the
/// <c>percentile(value, p)</c> aggregate of <see cref="SqlFunctions"/>: linear interpolation between
/// closest ranks (rank = p/100·(n−1), as numpy's default / PERCENTILE_CONT), which is what MLflow's
/// SQLite store answers (checked against every recorded server answer in the fixtures).
/// </summary>
public sealed partial class LocalStoreBackend : ITraceMetricsSource
{
    public string MetricsEngine => "host";

    public Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        var filters = MetricsQueryValidator.Validate(query);
        var plan = MetricsSql.Build(query, filters);
        if (plan == null) return Task.FromResult<IReadOnlyList<MetricsDataPoint>>([]);
        return RunAsync<IReadOnlyList<MetricsDataPoint>>((connection, ct) => MetricsSql.Execute(connection, plan, query, ct), cancellationToken);
    }
}

internal static class MetricsSql
{
    internal sealed record Plan(string Sql, IReadOnlyList<(string Name, object Value)> Parameters, bool Bucketed, IReadOnlyList<string> Dimensions, IReadOnlyList<string> ValueKeys);

    private const string AssessmentNumericValue =
        "CASE WHEN a.value IN ('true', '\"yes\"') THEN 1.0 " +
        "WHEN a.value IN ('false', '\"no\"') THEN 0.0 " +
        "WHEN json_valid(a.value) AND json_type(a.value) IN ('integer', 'real') THEN CAST(a.value AS REAL) " +
        "ELSE NULL END";

    /// <summary>Builds the SQL; null when no experiment id can match (ids are integers in the store).</summary>
    public static Plan? Build(MetricsQuery q, IReadOnlyList<MetricsFilter> filters)
    {
        var parameters = new List<(string, object)>();
        string P(object value)
        {
            var name = "@p" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameters.Add((name, value));
            return name;
        }

        var ids = new List<string>();
        foreach (var e in q.ExperimentIds)
            if (long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) ids.Add(P(id));
        if (ids.Count == 0) return null;

        var from = new StringBuilder();
        string? valueExpr; // null = COUNT of rows
        string timeSource;
        var dimExpr = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (q.ViewType)
        {
            case MetricsViewTypes.Traces:
                from.Append("trace_info t");
                timeSource = "t.timestamp_ms";
                valueExpr = q.MetricName switch
                {
                    "trace_count" => null,
                    "latency" => "t.execution_time_ms",
                    _ => "m.value",
                };
                if (valueExpr == "m.value")
                    from.Append(" JOIN trace_metrics m ON m.request_id = t.request_id AND m.\"key\" = ").Append(P(q.MetricName));
                if (q.Dimensions.Contains("trace_name"))
                    from.Append(" JOIN trace_tags tn ON tn.request_id = t.request_id AND tn.\"key\" = 'mlflow.traceName'");
                dimExpr["trace_name"] = "tn.value";
                dimExpr["trace_status"] = "t.status";
                break;
            case MetricsViewTypes.Spans:
                // With a span type (the tool-calls tab) the few matching spans are found through MLflow's
                // (experiment_id, type, status) index and their traces by key: CROSS JOIN pins that order.
                // Without one, every span in range is read anyway and trace-first is the faster order;
                // left to itself SQLite may pick a per-span rescan of trace_info on un-analysed stores.
                from.Append(SpanTypeFiltered(filters)
                    ? "spans s CROSS JOIN trace_info t ON t.request_id = s.trace_id"
                    : "spans s JOIN trace_info t ON t.request_id = s.trace_id");
                timeSource = "(s.start_time_unix_nano / 1000000)";
                valueExpr = q.MetricName switch
                {
                    "span_count" => null,
                    "latency" => "((s.end_time_unix_nano - s.start_time_unix_nano) / 1000000)",
                    _ => "sm.value",
                };
                if (valueExpr == "sm.value")
                    from.Append(" JOIN span_metrics sm ON sm.trace_id = s.trace_id AND sm.span_id = s.span_id AND sm.\"key\" = ").Append(P(q.MetricName));
                dimExpr["span_name"] = "s.name";
                dimExpr["span_type"] = "s.type";
                dimExpr["span_status"] = "s.status";
                dimExpr["span_model_name"] = "json_extract(s.dimension_attributes, '$.\"mlflow.llm.model\"')";
                dimExpr["span_model_provider"] = "json_extract(s.dimension_attributes, '$.\"mlflow.llm.provider\"')";
                break;
            default:
                from.Append("assessments a JOIN trace_info t ON t.request_id = a.trace_id");
                timeSource = "a.created_timestamp";
                valueExpr = q.MetricName == "assessment_count" ? null : AssessmentNumericValue;
                dimExpr["assessment_name"] = "a.name";
                dimExpr["assessment_value"] = "a.value";
                break;
        }

        var where = new List<string> { $"t.experiment_id IN ({string.Join(", ", ids)})" };
        if (q.ViewType == MetricsViewTypes.Spans && SpanTypeFiltered(filters)) where.Add($"s.experiment_id IN ({string.Join(", ", ids)})");
        if (q.StartTimeMs is { } start) where.Add("t.timestamp_ms >= " + P(start));
        if (q.EndTimeMs is { } end) where.Add("t.timestamp_ms <= " + P(end));
        foreach (var f in filters)
        {
            var v = P(f.Value);
            where.Add((f.Entity, f.Field) switch
            {
                ("trace", "status") => "t.status = " + v,
                ("trace", "tag") => $"EXISTS (SELECT 1 FROM trace_tags ft WHERE ft.request_id = t.request_id AND ft.\"key\" = {P(f.Key!)} AND ft.value = {v})",
                ("trace", "metadata") => $"EXISTS (SELECT 1 FROM trace_request_metadata fm WHERE fm.request_id = t.request_id AND fm.\"key\" = {P(f.Key!)} AND fm.value = {v})",
                ("span", "name") => "s.name = " + v,
                ("span", "status") => "s.status = " + v,
                ("span", "type") => "s.type = " + v,
                ("assessment", "name") => "a.name = " + v,
                ("assessment", "type") => "a.assessment_type = " + v,
                _ => throw new InvalidOperationException("unvalidated filter"),
            });
        }

        var select = new List<string>();
        var group = new List<string>();
        var bucketed = q.TimeIntervalSeconds is not null;
        if (bucketed)
        {
            var interval = P(q.TimeIntervalSeconds!.Value * 1000L);
            select.Add($"(({timeSource}) / {interval}) * {interval}");
            group.Add((select.Count).ToString(CultureInfo.InvariantCulture));
        }
        foreach (var d in q.Dimensions)
        {
            select.Add(dimExpr[d]);
            group.Add((select.Count).ToString(CultureInfo.InvariantCulture));
        }
        var keys = new List<string>();
        foreach (var a in q.Aggregations)
        {
            if (keys.Contains(a.ValueKey)) continue;
            keys.Add(a.ValueKey);
            select.Add(a.AggregationType switch
            {
                MetricsAggregationTypes.Count => valueExpr == null ? "COUNT(*)" : $"COUNT({valueExpr})",
                MetricsAggregationTypes.Sum => $"SUM({valueExpr})",
                MetricsAggregationTypes.Avg => $"AVG({valueExpr})",
                _ => $"{SqlFunctions.Percentile}({valueExpr}, {P(a.PercentileValue!.Value)})",
            });
        }

        var sql = new StringBuilder("SELECT ").Append(string.Join(", ", select))
            .Append(" FROM ").Append(from)
            .Append(" WHERE ").Append(string.Join(" AND ", where));
        if (group.Count > 0)
        {
            sql.Append(" GROUP BY ").Append(string.Join(", ", group));
            sql.Append(" ORDER BY ").Append(string.Join(", ", group));
        }
        return new Plan(sql.ToString(), parameters, bucketed, q.Dimensions, keys);
    }

    private static bool SpanTypeFiltered(IReadOnlyList<MetricsFilter> filters) =>
        filters.Any(f => f.Entity == "span" && f.Field == "type");

    public static IReadOnlyList<MetricsDataPoint> Execute(SqliteConnection connection, Plan plan, MetricsQuery q, CancellationToken ct)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = plan.Sql;
        foreach (var (name, value) in plan.Parameters) cmd.Parameters.AddWithValue(name, value);
        var max = q.MaxResults ?? MetricsQueryValidator.DefaultMaxResults;
        var result = new List<MetricsDataPoint>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read() && result.Count < max)
        {
            ct.ThrowIfCancellationRequested();
            var col = 0;
            long? bucket = null;
            if (plan.Bucketed)
            {
                if (reader.IsDBNull(col)) continue;
                bucket = reader.GetInt64(col);
                col++;
            }
            var dims = new Dictionary<string, string>(StringComparer.Ordinal);
            var nullDim = false;
            foreach (var d in plan.Dimensions)
            {
                if (reader.IsDBNull(col)) nullDim = true;
                else dims[d] = Convert.ToString(reader.GetValue(col), CultureInfo.InvariantCulture)!;
                col++;
            }
            if (nullDim) continue; // MLflow drops rows with any null dimension
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var key in plan.ValueKeys)
            {
                if (!reader.IsDBNull(col)) values[key] = reader.GetDouble(col);
                col++;
            }
            if (values.Count == 0) continue; // ... and rows whose aggregations are all null
            result.Add(new MetricsDataPoint { MetricName = q.MetricName, TimeBucketMs = bucket, Dimensions = dims, Values = values });
        }
        return result;
    }
}
