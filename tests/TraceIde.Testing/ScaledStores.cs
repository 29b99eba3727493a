using System.IO.Compression;
using Microsoft.Data.Sqlite;

namespace TraceIde.Testing;

/// <summary>
/// MLflow-shaped stores at scale for benchmarks: the fixtures' store-full (2,000 real traces in
/// experiment 2, 17k spans) unpacked, and copies of it multiplied in place — every trace, tag,
/// metadata row, span, assessment and metric of experiment 2 repeated with new IDs and the same
/// timestamps, so the numbers scale exactly (N copies ⇒ N × the ground truth).
/// </summary>
public static class ScaledStores
{
    public const string Experiment = "2";
    public const int TracesPerCopy = 2000;

    /// <summary>store-full/mlflow.db.gz of the fixtures: 2,000 real traces in experiment 2.</summary>
    public static string StoreFullGz => Path.Combine(Fixtures.Root, "store-full", "mlflow.db.gz");

    /// <summary>Unpacks store-full into <paramref name="folder"/> and multiplies experiment 2 to <paramref name="copies"/> × 2,000 traces.</summary>
    public static string Create(string storeFullGz, string folder, int copies)
    {
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "mlflow.db");
        using (var input = File.OpenRead(storeFullGz))
        using (var gz = new GZipStream(input, CompressionMode.Decompress))
        using (var output = File.Create(db))
        {
            gz.CopyTo(output);
        }
        if (copies > 1) Multiply(db, copies);
        return db;
    }

    private static void Multiply(string db, int copies)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        Exec(connection, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
        Exec(connection, $"CREATE TEMP TABLE original AS SELECT request_id FROM trace_info WHERE experiment_id = {Experiment};");
        for (var k = 1; k < copies; k++)
        {
            // New IDs keep MLflow's shapes, tr- + 32 hex and a- + 32 hex: the copy number, then the first
            // 28 hex digits of the original (replacing the last digits instead could recreate an original).
            var tid = $"'tr-' || printf('%04x', {k}) || substr({{0}}, 4, 28)";
            var aid = $"'a-' || printf('%04x', {k}) || substr({{0}}, 3, 28)";
            string T(string column) => string.Format(tid, column);
            string A(string column) => string.Format(aid, column);
            using var tx = connection.BeginTransaction();
            Exec(connection, $"""
                INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview,
                    response_preview)
                  SELECT {T("request_id")}, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview, response_preview
                  FROM trace_info WHERE request_id IN (SELECT request_id FROM original);
                INSERT INTO trace_tags (key, value, request_id)
                  SELECT key, value, {T("request_id")} FROM trace_tags WHERE request_id IN (SELECT request_id FROM original);
                INSERT INTO trace_request_metadata (key, value, request_id)
                  SELECT key, value, {T("request_id")} FROM trace_request_metadata WHERE request_id IN (SELECT request_id FROM original);
                INSERT INTO spans (trace_id, experiment_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, end_time_unix_nano, content,
                    dimension_attributes)
                  SELECT {T("trace_id")}, experiment_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, end_time_unix_nano, content,
                         dimension_attributes
                  FROM spans WHERE trace_id IN (SELECT request_id FROM original);
                INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, source_type,
                    source_id, run_id, span_id, rationale, overrides, valid, assessment_metadata)
                  SELECT {A("assessment_id")}, {T("trace_id")}, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, source_type,
                         source_id, run_id, span_id, rationale,
                         CASE WHEN overrides IS NULL THEN NULL ELSE {A("overrides")} END, valid, assessment_metadata
                  FROM assessments WHERE trace_id IN (SELECT request_id FROM original);
                INSERT INTO trace_metrics (request_id, key, value)
                  SELECT {T("request_id")}, key, value FROM trace_metrics WHERE request_id IN (SELECT request_id FROM original);
                INSERT INTO span_metrics (trace_id, span_id, key, value)
                  SELECT {T("trace_id")}, span_id, key, value FROM span_metrics WHERE trace_id IN (SELECT request_id FROM original);
                """, tx);
            tx.Commit();
        }
        Exec(connection, "ANALYZE;");
    }

    /// <summary>One statement (or several) on a generated store, no timeout, with named parameters.</summary>
    public static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }
}
