using Microsoft.Data.Sqlite;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// A private copy of the fixture server store (tests/fixtures/…/store) that a test appends traces to
/// and finishes running traces in, writing rows exactly as MLflow's SQL store does (trace_info,
/// trace_tags, trace_request_metadata). Also the oracle: what the store holds, read with plain SQL.
/// </summary>
public sealed class AppendableStore : IDisposable
{
    public AppendableStore()
    {
        Folder = Path.Combine(Path.GetTempPath(), "traceide-live-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(Fixtures.ServerStore, Folder);
    }

    public string Folder { get; }
    public string DbPath => Path.Combine(Folder, "mlflow.db");

    /// <summary>A new trace ID in MLflow's form (tr- + 32 hex).</summary>
    public static string NewTraceId() => "tr-" + Guid.NewGuid().ToString("N");

    /// <summary>Inserts a trace as MLflow's SQL store does when a trace starts (IN_PROGRESS, no duration) or is logged whole.</summary>
    public void Insert(string traceId, long timestampMs, string status, long? executionTimeMs, string name = "live_test", long experimentId = 1)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        Exec(c, "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, request_preview) VALUES ($id, $e, $t, $d, $s, $p)",
            ("$id", traceId), ("$e", experimentId), ("$t", timestampMs), (
                "$d",
                (object?)executionTimeMs ?? DBNull.Value), ("$s", status), ("$p", "{\"question\": \"live\"}"));
        Exec(c, "INSERT INTO trace_tags (key, value, request_id) VALUES ('mlflow.traceName', $n, $id)", ("$n", name), ("$id", traceId));
        Exec(c, "INSERT INTO trace_request_metadata (key, value, request_id) VALUES ('mlflow.trace_schema.version', '3', $id)", ("$id", traceId));
        tx.Commit();
    }

    /// <summary>A running trace ends, as MLflow's end-trace update writes it.</summary>
    public void Finish(string traceId, string status, long executionTimeMs)
    {
        using var c = Open();
        Exec(c, "UPDATE trace_info SET status = $s, execution_time_ms = $d WHERE request_id = $id", ("$s", status), ("$d", executionTimeMs), ("$id", traceId));
    }

    /// <summary>Every trace of the experiment with request time ≥ <paramref name="sinceMs"/>, as stored now.</summary>
    public Dictionary<string, (long TimestampMs, string Status, long? DurationMs)> Rows(long sinceMs, long? untilMs = null, long experimentId = 1)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT request_id, timestamp_ms, status, execution_time_ms FROM trace_info WHERE experiment_id = $e AND timestamp_ms >= $s AND " +
            "timestamp_ms <= $u";
        cmd.Parameters.AddWithValue("$e", experimentId);
        cmd.Parameters.AddWithValue("$s", sinceMs);
        cmd.Parameters.AddWithValue("$u", untilMs ?? long.MaxValue);
        var rows = new Dictionary<string, (long, string, long?)>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) rows[r.GetString(0)] = (r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3));
        return rows;
    }

    /// <summary>Request times of the fixture's traces, oldest first.</summary>
    public IReadOnlyList<long> Timestamps(long experimentId = 1) =>
        Rows(long.MinValue, null, experimentId).Values.Select(v => v.TimestampMs).Order().ToArray();

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        c.Open();
        // A throwaway copy: no need to wait for the disk on every write (the readers see the same file either way).
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;";
        cmd.ExecuteNonQuery();
        return c;
    }

    private static void Exec(SqliteConnection c, string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        cmd.ExecuteNonQuery();
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
