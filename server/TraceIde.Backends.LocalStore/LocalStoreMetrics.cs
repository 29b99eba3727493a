using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Overview;

namespace TraceIde.Backends.LocalStore;

/// <summary>
/// The host engine for MLflow's QueryTraceMetrics over a local SQLite store: the same SQL semantics as
/// MLflow's SQLAlchemy store (docs/mlflow-notes.md#trace-metrics) — inclusive trace-timestamp range for every view type,
/// epoch-aligned buckets, null dimensions and all-null rows dropped, span latency in integer ms,
/// <c>trace_name</c> as an inner join on the <c>mlflow.traceName</c> tag, assessment values mapped
/// true/"yes" → 1, false/"no" → 0, numbers → float, anything else → NULL. Percentiles are MLflow's
/// SQLite <c>percentile(value, p)</c>: linear interpolation between closest ranks (rank = p/100·(n−1), as
/// numpy's default / PERCENTILE_CONT; <see cref="SqlFunctions.PercentileOfSorted"/>), checked against every
/// recorded server answer in the fixtures. They are computed from one ordered pass over the values
/// (SQLite sorts, the host reads each group's sorted values once for all its percentiles) instead of a
/// managed aggregate called per row and per percentile.
/// </summary>
public sealed partial class LocalStoreBackend : ITraceMetricsSource
{
    public string MetricsEngine => "host";

    public Task<IReadOnlyList<MetricsDataPoint>> QueryTraceMetricsAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        var filters = MetricsQueryValidator.Validate(query);
        if (MetricsSql.Build(query, filters, wideRange: false) == null) return Task.FromResult<IReadOnlyList<MetricsDataPoint>>([]);
        IReadOnlyList<MetricsDataPoint> Work(SqliteConnection connection, CancellationToken ct)
        {
            var plan = MetricsSql.Build(query, filters, MetricsSql.IsWideRange(connection, query))!;
            return MetricsSql.Execute(connection, plan, query, ct);
        }
        // Span rows are spread over the whole spans table: no cache holds them and the queries share no pages
        // worth keeping, so each runs on a connection of its own with SQLite's default cache, all at once
        // (limiting them to the shared connections made the tool-calls tab slower, and a large cache only
        // raised the peak: docs/PERFORMANCE.md).
        return query.ViewType == MetricsViewTypes.Spans
            ? RunAsync<IReadOnlyList<MetricsDataPoint>>(Work, cancellationToken)
            : RunOnMetricsConnectionAsync<IReadOnlyList<MetricsDataPoint>>(Work, cancellationToken);
    }

    // An overview tab sends 3–11 queries at once over the same rows (trace_info, trace_metrics, …). At
    // 100k traces each reads ~100k rows by rowid all over the file; with SQLite's default 2 MB page cache
    // per connection every row costs a read() and every query re-reads the same pages. So metrics queries
    // share a few connections with a large cache, one per core (more only interleave on 2 cores), and the
    // connections are closed as soon as no metrics query is running, so an idle host holds no cache.
    private const int MetricsCachePages = 16_384; // × 4 KiB pages = 64 MiB at most per connection: trace_info + trace_metrics at 100k traces
    private static readonly int MetricsParallelism = Math.Clamp(Environment.ProcessorCount, 1, 4);
    private readonly SemaphoreSlim _metricsSlots = new(MetricsParallelism);
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _idleMetricsConnections = [];
    private int _metricsQueriesPending;

    private async Task<T> RunOnMetricsConnectionAsync<T>(Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _metricsQueriesPending);
        try
        {
            await _metricsSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await Task.Run(() =>
                {
                    if (!_idleMetricsConnections.TryTake(out var connection))
                    {
                        connection = Open();
                        using var pragma = connection.CreateCommand();
                        pragma.CommandText = $"PRAGMA cache_size = {MetricsCachePages.ToString(CultureInfo.InvariantCulture)};";
                        pragma.ExecuteNonQuery();
                    }
                    try
                    {
                        var result = Run(connection, work, cancellationToken);
                        _idleMetricsConnections.Add(connection);
                        connection = null;
                        return result;
                    }
                    finally
                    {
                        connection?.Dispose(); // after an error or cancel the connection is not reused
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _metricsSlots.Release();
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _metricsQueriesPending) == 0) CloseIdleMetricsConnections();
        }
    }

    private void CloseIdleMetricsConnections()
    {
        while (_idleMetricsConnections.TryTake(out var connection)) connection.Dispose();
    }
}

internal static class MetricsSql
{
    /// <param name="Sql">The GROUP BY query for COUNT/SUM/AVG; null when only percentiles are asked.</param>
    /// <param name="SortedValuesSql">Group columns and the value, non-null values only, ordered by group then value; null without percentiles.</param>
    /// <param name="Percentiles">Value key and p (0..100) of each percentile asked.</param>
    /// <param name="Averages">Value keys of the AVG aggregations when those are the only non-percentile
    /// ones: the ordered pass can then compute them too (see <see cref="Execute"/>).</param>
    /// <param name="StableSql"><paramref name="Sql"/> with every AVG taken over values scaled by 2^-64 and scaled back:
    /// the same result bit for bit (a power of two scales exactly) except that a sum beyond double's range no
    /// longer overflows. Run only when an AVG came back non-finite.</param>
    internal sealed record Plan(string? Sql, string? SortedValuesSql, IReadOnlyList<(string Name, object Value)> Parameters, bool Bucketed,
        IReadOnlyList<string> Dimensions, IReadOnlyList<string> ValueKeys, IReadOnlyList<(string Key, double P)> Percentiles,
        IReadOnlyList<string>? Averages = null, string? StableSql = null);

    /// <summary><see cref="FiniteMean.Scale"/> (2^64) as an SQL literal: dividing and multiplying by it is exact.</summary>
    private const string Scale = "18446744073709551616.0";

    private const string AssessmentNumericValue =
        "CASE WHEN a.value IN ('true', '\"yes\"') THEN 1.0 " +
        "WHEN a.value IN ('false', '\"no\"') THEN 0.0 " +
        "WHEN json_valid(a.value) AND json_type(a.value) IN ('integer', 'real') THEN CAST(a.value AS REAL) " +
        "ELSE NULL END";

    /// <summary>
    /// True when the query's experiments and time range hold at least half of the store's traces. Then a
    /// sequential scan of trace_info / trace_metrics / assessments, joined to traces by key, is faster than
    /// finding the traces through the (experiment_id, timestamp_ms) index and reading each row by rowid all over
    /// the file (docs/PERFORMANCE.md). A narrow range (or a small experiment in a big store) keeps the index.
    /// </summary>
    public static bool IsWideRange(SqliteConnection connection, MetricsQuery q)
    {
        var ids = q.ExperimentIds
            .Select(e => long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (long?)null)
            .OfType<long>().ToList();
        if (ids.Count == 0) return false;
        using var cmd = connection.CreateCommand();
        // Both counts are cheap: the first reads only the (experiment_id, timestamp_ms) index, the second the last rowid.
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM trace_info WHERE experiment_id IN " +
            $"({string.Join(", ", ids.Select((_, i) => "@e" + i.ToString(CultureInfo.InvariantCulture)))})" +
                          " AND timestamp_ms >= @start AND timestamp_ms <= @end), (SELECT MAX(rowid) FROM trace_info)";
        for (var i = 0; i < ids.Count; i++) cmd.Parameters.AddWithValue("@e" + i.ToString(CultureInfo.InvariantCulture), ids[i]);
        cmd.Parameters.AddWithValue("@start", q.StartTimeMs ?? long.MinValue);
        cmd.Parameters.AddWithValue("@end", q.EndTimeMs ?? long.MaxValue);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read() || reader.IsDBNull(1)) return false;
        return reader.GetInt64(0) * 2 >= reader.GetInt64(1);
    }

    /// <summary>Builds the SQL; null when no experiment id can match (ids are integers in the store).</summary>
    /// <param name="wideRange">See <see cref="IsWideRange"/>: scan the tables instead of going through the trace index.</param>
    public static Plan? Build(MetricsQuery q, IReadOnlyList<MetricsFilter> filters, bool wideRange)
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
                timeSource = "t.timestamp_ms";
                valueExpr = q.MetricName switch
                {
                    "trace_count" => null,
                    "latency" => "t.execution_time_ms",
                    _ => "m.value",
                };
                // CROSS JOIN pins the scan order (SQLite would otherwise go through the trace index anyway).
                if (valueExpr != "m.value") from.Append(wideRange ? "trace_info t NOT INDEXED" : "trace_info t");
                else if (wideRange) from.Append("trace_metrics m CROSS JOIN trace_info t ON t.request_id = m.request_id AND m.\"key\" = ")
                    .Append(P(q.MetricName));
                else from.Append("trace_info t JOIN trace_metrics m ON m.request_id = t.request_id AND m.\"key\" = ").Append(P(q.MetricName));
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
                from.Append(wideRange
                    ? "assessments a CROSS JOIN trace_info t ON t.request_id = a.trace_id"
                    : "assessments a JOIN trace_info t ON t.request_id = a.trace_id");
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
                ("trace", "metadata") =>
                    $"EXISTS (SELECT 1 FROM trace_request_metadata fm WHERE fm.request_id = t.request_id AND fm.\"key\" = {P(f.Key!)} AND fm.value = {v})",
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
        var groupColumns = select.ToList();
        var keys = new List<string>();
        var percentiles = new List<(string, double)>();
        var aggregates = 0;
        var averages = new List<string>();
        var stableSelect = new List<string>();
        foreach (var a in q.Aggregations)
        {
            if (keys.Contains(a.ValueKey)) continue;
            keys.Add(a.ValueKey);
            if (a.AggregationType == MetricsAggregationTypes.Percentile)
            {
                if (valueExpr == null) throw new InvalidOperationException("unvalidated percentile of a count");
                percentiles.Add((a.ValueKey, a.PercentileValue!.Value));
                continue;
            }
            aggregates++;
            if (a.AggregationType == MetricsAggregationTypes.Avg) averages.Add(a.ValueKey);
            select.Add(a.AggregationType switch
            {
                MetricsAggregationTypes.Count => valueExpr == null ? "COUNT(*)" : $"COUNT({valueExpr})",
                MetricsAggregationTypes.Sum => $"SUM({valueExpr})",
                _ => $"AVG({valueExpr})",
            });
            stableSelect.Add(a.AggregationType == MetricsAggregationTypes.Avg ? $"(AVG(({valueExpr}) / {Scale}) * {Scale})" : select[^1]);
        }

        var whereSql = string.Join(" AND ", where);
        string? sql = null;
        string? stableSql = null;
        if (aggregates > 0)
        {
            string Build(IEnumerable<string> columns)
            {
                var b = new StringBuilder("SELECT ").Append(string.Join(", ", columns))
                    .Append(" FROM ").Append(from)
                    .Append(" WHERE ").Append(whereSql);
                if (group.Count > 0)
                {
                    b.Append(" GROUP BY ").Append(string.Join(", ", group));
                    b.Append(" ORDER BY ").Append(string.Join(", ", group));
                }
                return b.ToString();
            }
            sql = Build(select);
            if (averages.Count > 0) stableSql = Build(groupColumns.Concat(stableSelect));
        }
        string? sortedSql = null;
        if (percentiles.Count > 0)
        {
            // One ordered pass serves every percentile of every group: SQLite sorts natively, the host
            // walks each group's run of sorted values once.
            var order = group.Append((groupColumns.Count + 1).ToString(CultureInfo.InvariantCulture));
            sortedSql = new StringBuilder("SELECT ").Append(string.Join(", ", groupColumns.Append(valueExpr!)))
                .Append(" FROM ").Append(from)
                .Append(" WHERE ").Append(whereSql).Append(" AND (").Append(valueExpr).Append(") IS NOT NULL")
                .Append(" ORDER BY ").Append(string.Join(", ", order))
                .ToString();
        }
        return new Plan(sql, sortedSql, parameters, bucketed, q.Dimensions, keys, percentiles,
            aggregates > 0 && averages.Count == aggregates ? averages : null, stableSql);
    }

    private static bool SpanTypeFiltered(IReadOnlyList<MetricsFilter> filters) =>
        filters.Any(f => f.Entity == "span" && f.Field == "type");

    /// <remarks>
    /// AVG asked beside percentiles (the tool-calls tab's per-tool latency) comes from the ordered pass as
    /// well when every value is an SQLite INTEGER (span latency in whole ms): SQLite then sums exactly in
    /// 64 bits and answers (double)sum / count, which the host reproduces bit for bit, so one read of the
    /// rows serves both. A REAL value, or a sum that would overflow, falls back to the SQL aggregate
    /// (SQLite's compensated float summation is its own).
    /// </remarks>
    public static IReadOnlyList<MetricsDataPoint> Execute(SqliteConnection connection, Plan plan, MetricsQuery q, CancellationToken ct)
    {
        var rows = new List<GroupRow>();
        var byGroup = new Dictionary<string, GroupRow>(StringComparer.Ordinal);
        if (plan.Averages != null && plan.SortedValuesSql != null)
        {
            if (AddPercentiles(connection, plan, rows, byGroup, plan.Averages, ct)) return Limit(rows, q);
            rows.Clear();
        }
        if (plan.Sql != null)
        {
            var aggregateKeys = plan.ValueKeys.Where(k => !plan.Percentiles.Any(p => p.Key == k)).ToList();
            var overflowed = ReadAggregates(connection, plan, plan.Sql, aggregateKeys, rows, byGroup, ct);
            // SQLite's AVG sums first: two 1e308 values give +∞ although their mean is 1e308.
            if (overflowed && plan.StableSql != null)
            {
                rows.Clear();
                byGroup.Clear();
                ReadAggregates(connection, plan, plan.StableSql, aggregateKeys, rows, byGroup, ct);
            }
        }
        if (plan.SortedValuesSql != null) AddPercentiles(connection, plan, rows, byGroup, null, ct);
        return Limit(rows, q);
    }

    /// <summary>Reads the GROUP BY rows; true when an aggregate came back non-finite.</summary>
    private static bool ReadAggregates(SqliteConnection connection, Plan plan, string sql, List<string> aggregateKeys,
        List<GroupRow> rows, Dictionary<string, GroupRow> byGroup, CancellationToken ct)
    {
        var nonFinite = false;
        using var cmd = Command(connection, sql, plan);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            ct.ThrowIfCancellationRequested();
            if (!ReadGroup(reader, plan, out var bucket, out var dims)) continue;
            var col = (plan.Bucketed ? 1 : 0) + plan.Dimensions.Count;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var key in aggregateKeys)
            {
                if (!reader.IsDBNull(col))
                {
                    var v = reader.GetDouble(col);
                    nonFinite |= !double.IsFinite(v);
                    values[key] = v;
                }
                col++;
            }
            var row = new GroupRow(bucket, dims.Count == 0 ? new(StringComparer.Ordinal) : dims, values);
            rows.Add(row);
            byGroup[GroupKey(bucket, dims, plan.Dimensions)] = row;
        }
        return nonFinite;
    }

    /// <summary>MLflow drops rows whose aggregations are all null, then limits.</summary>
    private static List<MetricsDataPoint> Limit(List<GroupRow> rows, MetricsQuery q)
    {
        return rows.Where(r => r.Values.Count > 0)
            .Take(q.MaxResults ?? MetricsQueryValidator.DefaultMaxResults)
            .Select(r => new MetricsDataPoint { MetricName = q.MetricName, TimeBucketMs = r.Bucket, Dimensions = r.Dims, Values = r.Values })
            .ToList();
    }

    private sealed record GroupRow(long? Bucket, Dictionary<string, string> Dims, Dictionary<string, double> Values);

    /// <summary>
    /// Walks the ordered (group, value) rows and sets each group's percentiles; percentile-only plans (and
    /// <paramref name="averages"/>) create their rows here. False when averages were asked but a value was
    /// not an integer or the sum overflowed: the caller then asks SQL for them.
    /// </summary>
    private static bool AddPercentiles(SqliteConnection connection, Plan plan, List<GroupRow> rows,
        Dictionary<string, GroupRow> byGroup, IReadOnlyList<string>? averages, CancellationToken ct)
    {
        var createRows = plan.Sql == null || averages != null;
        long sum = 0;
        using var cmd = Command(connection, plan.SortedValuesSql!, plan);
        using var reader = cmd.ExecuteReader();
        var valueCol = (plan.Bucketed ? 1 : 0) + plan.Dimensions.Count;
        var values = new List<double>();
        long? bucket = null;
        Dictionary<string, string>? dims = null;

        void Flush()
        {
            if (dims == null || values.Count == 0) return;
            GroupRow? row;
            if (createRows)
            {
                row = new GroupRow(bucket, dims.Count == 0 ? new(StringComparer.Ordinal) : dims, new Dictionary<string, double>(StringComparer.Ordinal));
                rows.Add(row);
            }
            else if (!byGroup.TryGetValue(GroupKey(bucket, dims, plan.Dimensions), out row))
            {
                values.Clear();
                return; // cannot happen: both queries read the same rows
            }
            foreach (var (key, p) in plan.Percentiles) row.Values[key] = SqlFunctions.PercentileOfSorted(values, p);
            foreach (var key in averages ?? []) row.Values[key] = (double)sum / values.Count;
            values.Clear();
            sum = 0;
        }

        while (reader.Read())
        {
            ct.ThrowIfCancellationRequested();
            if (!ReadGroup(reader, plan, out var rowBucket, out var rowDims)) continue;
            if (dims == null || rowBucket != bucket || !SameDims(rowDims, dims, plan.Dimensions))
            {
                Flush();
                bucket = rowBucket;
                dims = rowDims;
            }
            if (averages != null)
            {
                if (reader.GetFieldType(valueCol) != typeof(long)) return false;
                var v = reader.GetInt64(valueCol);
                if (long.MaxValue - Math.Abs(v) < Math.Abs(sum)) return false; // SQLite would switch to approximate sums
                sum += v;
                values.Add(v);
            }
            else
            {
                values.Add(reader.GetDouble(valueCol));
            }
        }
        Flush();
        return true;
    }

    /// <summary>The bucket and dimensions of the current row; false when any is null (MLflow drops such rows).</summary>
    private static bool ReadGroup(SqliteDataReader reader, Plan plan, out long? bucket, out Dictionary<string, string> dims)
    {
        var col = 0;
        bucket = null;
        dims = EmptyDims;
        if (plan.Bucketed)
        {
            if (reader.IsDBNull(col)) return false;
            bucket = reader.GetInt64(col);
            col++;
        }
        if (plan.Dimensions.Count == 0) return true;
        dims = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in plan.Dimensions)
        {
            if (reader.IsDBNull(col)) return false;
            dims[d] = Convert.ToString(reader.GetValue(col), CultureInfo.InvariantCulture)!;
            col++;
        }
        return true;
    }

    private static readonly Dictionary<string, string> EmptyDims = new(StringComparer.Ordinal);

    private static bool SameDims(Dictionary<string, string> a, Dictionary<string, string> b, IReadOnlyList<string> names)
    {
        foreach (var n in names)
            if (!string.Equals(a[n], b[n], StringComparison.Ordinal)) return false;
        return true;
    }

    private static string GroupKey(long? bucket, Dictionary<string, string> dims, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder().Append(bucket?.ToString(CultureInfo.InvariantCulture)).Append('|');
        foreach (var n in names) sb.Append(dims[n].Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(dims[n]);
        return sb.ToString();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, Plan plan)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in plan.Parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }
}
