using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;
using TraceIde.Core.Traces;
using TraceIde.Protocol;

namespace TraceIde.Backends.LocalStore;

/// <summary>
/// Reads a local MLflow SQL store (mlflow.db, SQLAlchemy schema, docs/mlflow-notes.md#local-store) strictly read-only:
/// every call opens its own <c>Mode=ReadOnly</c> connection (no pooling, private cache), so the
/// file is never locked for writing nor modified. Spans come from the <c>spans</c> table or from
/// traces.json in the artifact store (found relative to the store when the project moved).
/// </summary>
public sealed partial class LocalStoreBackend : ITraceBackend
{
    private const string SpansLocationTag = "mlflow.trace.spansLocation";
    private const string ArtifactLocationTag = "mlflow.artifactLocation";
    private const string ReadOnlyMessage = "The local store is opened read-only; use an MLflow tracking server (mlflow server --backend-store-uri ...) to " +
        "change traces.";

    private readonly string _dbPath;
    private readonly string _storeDir;

    /// <param name="store">A mlflow.db file, a folder holding mlflow.db, or a <c>sqlite:///</c> URI.</param>
    public LocalStoreBackend(string store)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(store);
        _dbPath = ResolveDbPath(store);
        _storeDir = Path.GetDirectoryName(_dbPath) ?? Directory.GetCurrentDirectory();
    }

    public string Kind => BackendKinds.LocalStore;

    public string DisplayLocation => _dbPath;

    /// <summary>Turns the user's store argument into the absolute path of the database file.</summary>
    public static string ResolveDbPath(string store)
    {
        var s = store.Trim();
        if (s.StartsWith("sqlite:///", StringComparison.OrdinalIgnoreCase))
        {
            s = s["sqlite:///".Length..];
            var q = s.IndexOf('?');
            if (q >= 0) s = s[..q];
            s = Uri.UnescapeDataString(s);
        }
        else if (s.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            s = FileUriToPath(s);
        }
        var full = Path.GetFullPath(s);
        if (Directory.Exists(full)) full = Path.Combine(full, "mlflow.db");
        return full;
    }

    private static string FileUriToPath(string uri)
    {
        try
        {
            return new Uri(uri).LocalPath;
        }
        catch (UriFormatException)
        {
            return uri["file://".Length..];
        }
    }

    // ------------------------------------------------------------------ connection plumbing

    private SqliteConnection Open()
    {
        if (!File.Exists(_dbPath))
        {
            var dir = Path.GetDirectoryName(_dbPath);
            if (dir != null && Directory.Exists(Path.Combine(dir, "mlruns")) && !File.Exists(_dbPath))
                throw BackendException.Unsupported(
                    $"No mlflow.db at '{_dbPath}'; the folder holds a legacy ./mlruns file store, which the local-store backend does not read yet. " +
                    "Point TraceIde at an MLflow tracking server started on that folder (mlflow server --backend-store-uri ./mlruns) instead.");
            throw BackendException.NotFound(
                $"MLflow store not found: '{_dbPath}' does not exist. Pass the path of a mlflow.db file, a folder that holds one, " +
                "or a sqlite:///<absolute path> URI (the default store is mlflow.db in the folder where MLflow ran).");
        }
        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = _dbPath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(csb.ToString());
        try
        {
            connection.Open();
            SqlFunctions.Register(connection);
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA query_only = ON;";
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw BackendException.BadResponse($"Cannot open the MLflow store '{_dbPath}' read-only: {ex.Message}", ex);
        }
        return connection;
    }

    /// <summary>
    /// Loads SQLite and compiles the code that opens and checks a store, on an in-memory database: a host calls this on
    /// another core while it starts, so that the `initialize` that names a store does not wait for its JIT
    /// and native loading. Touches no file.
    /// </summary>
    public static void WarmUp()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = ":memory:", Pooling = false }.ToString());
        connection.Open();
        SqlFunctions.Register(connection);
        using (var pragma = Command(connection, "PRAGMA query_only = ON;")) pragma.ExecuteNonQuery();
        TableExists(connection, "trace_info");
    }

    /// <summary>Runs blocking SQLite work on the thread pool on a connection of its own; cancellation interrupts the running statement.</summary>
    internal Task<T> RunAsync<T>(Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() =>
        {
            using var connection = Open();
            return Run(connection, work, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="connection"/>: interrupt on cancel, SQLite errors as backend errors.</summary>
    private T Run<T>(SqliteConnection connection, Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var registration = cancellationToken.Register(static state =>
        {
            try
            {
                var c = (SqliteConnection)state!;
                if (c.Handle != null) SQLitePCL.raw.sqlite3_interrupt(c.Handle);
            }
            catch (ObjectDisposedException)
            {
            }
        }, connection);
        try
        {
            return work(connection, cancellationToken);
        }
        catch (SqliteException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SqliteException ex)
        {
            throw BackendException.BadResponse($"Reading the MLflow store '{_dbPath}' failed: {ex.Message}", ex);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, IEnumerable<SqliteParameter>? parameters = null)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (parameters != null)
            foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter(p.ParameterName, p.Value));
        return cmd;
    }

    private static bool TableExists(SqliteConnection connection, string table)
    {
        using var cmd = Command(connection, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $n");
        cmd.Parameters.AddWithValue("$n", table);
        return cmd.ExecuteScalar() != null;
    }

    // ------------------------------------------------------------------ ITraceBackend

    public Task<BackendInfo> ConnectAsync(CancellationToken cancellationToken) =>
        RunAsync((connection, _) =>
        {
            foreach (var table in new[] { "alembic_version", "trace_info" })
            {
                if (!TableExists(connection, table))
                    throw BackendException.NotFound(
                        $"'{_dbPath}' is not an MLflow tracking store with traces (table '{table}' is missing). " +
                        "Point TraceIde at the mlflow.db that MLflow (3.x) wrote.");
            }
            return new BackendInfo(null, new BackendCapabilities
            {
                SearchV3 = true,
                SpanFilters = true,
                Assessments = true,
                TraceMetrics = false,
                DeleteTraces = false,
                EditTags = false,
                EditAssessments = false,
                StoreType = "sqlite",
            });
        }, cancellationToken);

    public Task<IReadOnlyList<Experiment>> ListExperimentsAsync(string? nameQuery, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<Experiment>>((connection, ct) =>
        {
            var tags = new Dictionary<long, Dictionary<string, string>>();
            using (var cmd = Command(connection, "SELECT experiment_id, key, value FROM experiment_tags"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    var id = r.GetInt64(0);
                    if (!tags.TryGetValue(id, out var d)) tags[id] = d = new Dictionary<string, string>();
                    d[r.GetString(1)] = r.IsDBNull(2) ? "" : r.GetString(2);
                }
            }
            var withTraces = new HashSet<long>();
            using (var cmd = Command(connection, "SELECT DISTINCT experiment_id FROM trace_info"))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) withTraces.Add(r.GetInt64(0));

            var list = new List<Experiment>();
            using (var cmd = Command(connection,
                       "SELECT experiment_id, name, creation_time, last_update_time, lifecycle_stage FROM experiments " +
                       "WHERE lifecycle_stage IS NULL OR lifecycle_stage = 'active'"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    ct.ThrowIfCancellationRequested();
                    var id = r.GetInt64(0);
                    var name = r.GetString(1);
                    if (!string.IsNullOrEmpty(nameQuery) && name.IndexOf(nameQuery, StringComparison.OrdinalIgnoreCase) < 0) continue;
                    var t = tags.GetValueOrDefault(id) ?? new Dictionary<string, string>();
                    list.Add(new Experiment
                    {
                        ExperimentId = id.ToString(CultureInfo.InvariantCulture),
                        Name = name,
                        IsGenAi = t.GetValueOrDefault("mlflow.experimentKind") == "genai_development" || withTraces.Contains(id),
                        CreationTimeMs = r.IsDBNull(2) ? null : r.GetInt64(2),
                        LastUpdateTimeMs = r.IsDBNull(3) ? null : r.GetInt64(3),
                        LifecycleStage = r.IsDBNull(4) ? "active" : r.GetString(4),
                        Tags = t,
                    });
                }
            }
            return list.OrderBy(e => e.IsGenAi ? 0 : 1)
                .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
                .ThenBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
        }, cancellationToken);

    public Task<TracePage> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = query.PageSize;
        if (pageSize < 1 || pageSize > TraceLimits.MaxPageSize)
            throw new BackendException(RpcErrorCodes.InvalidParams, $"Page size must be between 1 and {TraceLimits.MaxPageSize}, got {pageSize}.");
        if (query.ExperimentIds.Count == 0) // as MLflow: "Missing value for required parameter 'locations'"
            throw new BackendException(RpcErrorCodes.InvalidParams, "A trace search needs at least one experiment ID (MLflow's required 'locations').");
        var offset = DecodePageToken(query.PageToken);

        var translator = new TraceSqlTranslator();
        var conditions = new List<string>();
        var experimentIds = new List<string>();
        foreach (var e in query.ExperimentIds)
        {
            if (long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) experimentIds.Add(translator.AddParameter(id));
        }
        if (experimentIds.Count == 0) return Task.FromResult(new TracePage([], null));
        conditions.Add($"t.experiment_id IN ({string.Join(", ", experimentIds)})");
        conditions.AddRange(translator.Where(query.Clauses));
        var orderBy = translator.OrderBy(query.OrderBy);
        var limit = translator.AddParameter((long)pageSize);
        var off = translator.AddParameter((long)offset);

        return RunAsync((connection, ct) =>
        {
            RequireTablesFor(connection, query.Clauses);
            var sql = $"SELECT {TraceColumns(connection)} FROM trace_info t WHERE {string.Join(" AND ", conditions)} ORDER BY {orderBy} LIMIT {limit} OFFSET " +
                $"{off}";
            var rows = new List<TraceRow>();
            using (var cmd = Command(connection, sql, translator.Parameters))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    ct.ThrowIfCancellationRequested();
                    rows.Add(ReadTraceRow(r));
                }
            }
            var summaries = BuildSummaries(connection, rows, ct);
            var next = rows.Count == pageSize ? EncodePageToken(offset + rows.Count) : null;
            return new TracePage(summaries, next);
        }, cancellationToken);
    }

    /// <summary>Older schemas lack the spans (3.3.0+), assessments (3.2.0+) or entity_associations tables.</summary>
    private void RequireTablesFor(SqliteConnection connection, IReadOnlyList<Core.Filtering.FilterClause> clauses)
    {
        foreach (var c in clauses)
        {
            var table = c.Entity switch
            {
                "span" => "spans",
                "feedback" or "expectation" or "issue" => "assessments",
                "attribute" when c.Key == "text" => "spans",
                "attribute" when c.Key is "prompt" or "run_id" => "entity_associations",
                _ => null,
            };
            if (table != null && !TableExists(connection, table))
                throw BackendException.Unsupported(
                    $"The store '{_dbPath}' has no '{table}' table (its MLflow schema is older), so '{c.Entity}.{c.Key}' filters cannot be used; " +
                    "upgrade the store with `mlflow db upgrade` on a copy, or remove that condition.");
        }
    }

    public Task<TraceSummary> GetTraceInfoAsync(string traceId, CancellationToken cancellationToken) =>
        RunAsync((connection, ct) =>
        {
            TraceRow? row = null;
            using (var cmd = Command(connection, $"SELECT {TraceColumns(connection)} FROM trace_info t WHERE t.request_id = $id"))
            {
                cmd.Parameters.AddWithValue("$id", traceId);
                using var r = cmd.ExecuteReader();
                if (r.Read()) row = ReadTraceRow(r);
            }
            if (row == null)
                throw BackendException.NotFound($"Trace '{traceId}' not found in the MLflow store '{_dbPath}'.");
            return BuildSummaries(connection, [row], ct)[0];
        }, cancellationToken);

    public async Task<TraceData> GetTraceAsync(string traceId, CancellationToken cancellationToken)
    {
        var info = await GetTraceInfoAsync(traceId, cancellationToken).ConfigureAwait(false);
        return new TraceData(info, await GetSpansAsync(info, cancellationToken).ConfigureAwait(false));
    }

    public Task<IReadOnlyList<RawSpan>> GetSpansAsync(TraceSummary info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        return RunAsync<IReadOnlyList<RawSpan>>((connection, ct) =>
        {
            var tags = info.Tags;
            if (!tags.ContainsKey(ArtifactLocationTag) && !tags.ContainsKey(SpansLocationTag))
                tags = ReadKeyValues(connection, "trace_tags", [info.TraceId]).GetValueOrDefault(info.TraceId) ?? tags;

            if (tags.GetValueOrDefault(SpansLocationTag) == "TRACKING_STORE" && TableExists(connection, "spans"))
            {
                var spans = ReadSpanRows(connection, info.TraceId, AnnouncedSize(info), ct);
                if (spans.Count > 0) return spans;
            }
            var inTrackingStore = tags.GetValueOrDefault(SpansLocationTag) == "TRACKING_STORE";
            // A trace whose spans belong in the spans table but has none (yet): no spans rather than an error,
            // unless a traces.json happens to exist.
            return ReadTracesJson(info.TraceId, tags.GetValueOrDefault(ArtifactLocationTag), ct, allowMissing: inTrackingStore);
        }, cancellationToken);
    }

    /// <summary>The spans table's rows of one trace: parsed as one document (see <see cref="SpanRows"/>), else row by row.</summary>
    private static IReadOnlyList<RawSpan> ReadSpanRows(SqliteConnection connection, string traceId, (long Bytes, int Rows) announced, CancellationToken ct)
    {
        const string sql = "SELECT content FROM spans WHERE trace_id = $id";
        var rows = new SpanRows(announced.Bytes, announced.Rows);
        try
        {
            var nullRow = false;
            if (!TryReadRowsDirect(connection, sql, traceId, rows, ct))
            {
                ct.ThrowIfCancellationRequested();
                rows.Dispose();
                rows = new SpanRows(announced.Bytes, announced.Rows);
                using var cmd = Command(connection, sql);
                cmd.Parameters.AddWithValue("$id", traceId);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    ct.ThrowIfCancellationRequested();
                    if (nullRow = r.IsDBNull(0)) break; // the row-by-row read reports it
                    rows.Add(r.GetFieldValue<byte[]>(0)); // TEXT as its UTF-8 bytes
                }
            }
            if (!nullRow && rows.TryDecode(out var joined)) return joined;
        }
        finally
        {
            rows.Dispose();
        }

        // Some row is not exactly one JSON document: read them one by one, which names the problem.
        var spans = new List<RawSpan>();
        using var cmd2 = Command(connection, sql);
        cmd2.Parameters.AddWithValue("$id", traceId);
        using var r2 = cmd2.ExecuteReader();
        while (r2.Read())
        {
            ct.ThrowIfCancellationRequested();
            spans.Add(SpanDecoder.DecodeMlflowSpan(ParseJson(r2.GetString(0), $"span of trace '{traceId}'")));
        }
        return spans;
    }

    /// <summary>The trace's size as MLflow recorded it (<see cref="TraceSizeStats"/>: bytes and spans), or (0, 0).</summary>
    internal static (long Bytes, int Rows) AnnouncedSize(TraceSummary info) =>
        TraceSizeStats.Of(info.Metadata) is { TotalBytes: { } bytes, Spans: { } rows } ? (bytes, rows) : (0, 0);

    /// <summary>
    /// The rows' UTF-8 straight from SQLite's own buffer into <paramref name="rows"/>. Microsoft.Data.Sqlite's
    /// reader makes a byte[] of every row (20,000 for a big trace, all garbage, on fresh pages after the host's
    /// idle trim), which took about three times as long (docs/PERFORMANCE.md). False when a row is NULL
    /// or the statement does not simply run to its end (busy, interrupted, an error): the caller then reads with
    /// the ordinary reader, which waits for a busy store and reports errors as before.
    /// </summary>
    private static bool TryReadRowsDirect(SqliteConnection connection, string sql, string traceId, SpanRows rows, CancellationToken ct)
    {
        if (SQLitePCL.raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement) != SQLitePCL.raw.SQLITE_OK)
        {
            statement.Dispose();
            return false;
        }
        using (statement)
        {
            if (SQLitePCL.raw.sqlite3_bind_text(statement, SQLitePCL.raw.sqlite3_bind_parameter_index(statement, "$id"), traceId) != SQLitePCL.raw.SQLITE_OK)
                return false;
            int rc;
            while ((rc = SQLitePCL.raw.sqlite3_step(statement)) == SQLitePCL.raw.SQLITE_ROW)
            {
                if (ct.IsCancellationRequested || SQLitePCL.raw.sqlite3_column_type(statement, 0) == SQLitePCL.raw.SQLITE_NULL) return false;
                rows.Add(SQLitePCL.raw.sqlite3_column_blob(statement, 0)); // TEXT as its UTF-8 bytes, as GetFieldValue<byte[]> reads it
            }
            return rc == SQLitePCL.raw.SQLITE_DONE;
        }
    }

    public Task<int> DeleteTracesAsync(string experimentId, IReadOnlyList<string> traceIds, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public Task SetTraceTagAsync(string traceId, string key, string value, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public Task DeleteTraceTagAsync(string traceId, string key, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public Task<Assessment> CreateAssessmentAsync(AssessmentsCreateParams assessment, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public Task<Assessment> UpdateAssessmentAsync(AssessmentsUpdateParams change, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken cancellationToken) =>
        throw BackendException.Unsupported(ReadOnlyMessage);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // ------------------------------------------------------------------ traces.json

    private IReadOnlyList<RawSpan> ReadTracesJson(string traceId, string? artifactLocation, CancellationToken ct, bool allowMissing)
    {
        var candidates = TracesJsonCandidates(artifactLocation).ToList();
        foreach (var path in candidates)
        {
            ct.ThrowIfCancellationRequested();
            if (!File.Exists(path)) continue;
            var bytes = File.ReadAllBytes(path);
            var utf8 = bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);
            // Valid UTF-8 (always, from MLflow) is parsed as it is; otherwise as text, which replaces bad bytes as before.
            return System.Text.Unicode.Utf8.IsValid(utf8.Span)
                ? SpanDecoder.DecodeTraceData(utf8, path)
                : SpanDecoder.DecodeTraceData(ParseJson(File.ReadAllText(path), path));
        }
        if (allowMissing) return [];
        throw BackendException.NotFound(
            $"The spans of trace '{traceId}' are not in the store's spans table and no traces.json was found " +
            $"(artifact location '{artifactLocation ?? "(none)"}'; looked in: {string.Join(", ", candidates.Take(6))}). " +
            "If the project moved, keep the artifact folder (mlruns/ or artifacts/) next to mlflow.db.");
    }

    /// <summary>
    /// The recorded location first, then — for a moved project — the store folder joined with
    /// successively shorter tails of the recorded path (…/mlruns/1/traces/&lt;id&gt;/artifacts, …).
    /// </summary>
    internal IEnumerable<string> TracesJsonCandidates(string? artifactLocation)
    {
        if (string.IsNullOrWhiteSpace(artifactLocation)) yield break;
        var location = artifactLocation.Trim();
        string pathPart;
        if (location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            pathPart = FileUriToPath(location);
        else if (location.Contains("://", StringComparison.Ordinal) || location.StartsWith("mlflow-artifacts:", StringComparison.OrdinalIgnoreCase))
        {
            // mlflow-artifacts:/1/traces/<id>/artifacts (server-proxied) or a remote URI: only the tail is usable.
            var colon = location.IndexOf(':');
            pathPart = location[(colon + 1)..].TrimStart('/');
            var schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd >= 0)
            {
                var afterHost = location.IndexOf('/', schemeEnd + 3);
                pathPart = afterHost >= 0 ? location[(afterHost + 1)..] : "";
            }
        }
        else
            pathPart = location;

        if (Path.IsPathRooted(pathPart))
            yield return Path.Combine(pathPart, "traces.json");

        var segments = pathPart.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            if (i == 0 && segments[0].EndsWith(':')) continue; // Windows drive letter
            yield return Path.Combine([_storeDir, .. segments[i..], "traces.json"]);
        }
    }

    private static JsonElement ParseJson(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(json);
        }
        catch (JsonException ex)
        {
            throw BackendException.BadResponse($"Unreadable JSON in {what}: {ex.Message}", ex);
        }
    }

    // ------------------------------------------------------------------ rows

    /// <summary>The trace_info columns; client_request_id and the previews are NULL on schemas before MLflow 3.2.</summary>
    private static string TraceColumns(SqliteConnection connection)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var cmd = Command(connection, "SELECT name FROM pragma_table_info('trace_info')"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) columns.Add(r.GetString(0));
        string Optional(string name) => columns.Contains(name) ? "t." + name : "NULL";
        return "t.request_id, t.experiment_id, t.timestamp_ms, t.execution_time_ms, t.status, " +
               $"{Optional("client_request_id")}, {Optional("request_preview")}, {Optional("response_preview")}";
    }

    private sealed record TraceRow(string Id, long ExperimentId, long TimestampMs, long? ExecutionTimeMs, string Status,
        string? ClientRequestId, string? RequestPreview, string? ResponsePreview);

    private static TraceRow ReadTraceRow(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7));

    private static List<TraceSummary> BuildSummaries(SqliteConnection connection, List<TraceRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.Id).ToList();
        var tags = ReadKeyValues(connection, "trace_tags", ids);
        var metadata = ReadKeyValues(connection, "trace_request_metadata", ids);
        ct.ThrowIfCancellationRequested();
        var assessments = ReadAssessments(connection, ids);
        var empty = new Dictionary<string, string>();
        return rows.Select(r => TraceSummaries.Create(
            r.Id,
            r.ExperimentId.ToString(CultureInfo.InvariantCulture),
            NormalizeState(r.Status),
            r.TimestampMs,
            r.ExecutionTimeMs,
            r.RequestPreview,
            r.ResponsePreview,
            r.ClientRequestId,
            tags.GetValueOrDefault(r.Id) ?? empty,
            metadata.GetValueOrDefault(r.Id) ?? empty,
            assessments.GetValueOrDefault(r.Id) ?? [])).ToList();
    }

    private static string NormalizeState(string status) => status switch
    {
        "OK" or "ERROR" or "IN_PROGRESS" => status,
        "TRACE_STATUS_UNSPECIFIED" or "" => "STATE_UNSPECIFIED",
        _ => status,
    };

    private static (string Sql, List<SqliteParameter> Parameters) InList(List<string> ids)
    {
        var ps = ids.Select((id, i) => new SqliteParameter("$i" + i.ToString(CultureInfo.InvariantCulture), id)).ToList();
        return (string.Join(", ", ps.Select(p => p.ParameterName)), ps);
    }

    private static Dictionary<string, Dictionary<string, string>> ReadKeyValues(SqliteConnection connection, string table, List<string> ids)
    {
        var result = new Dictionary<string, Dictionary<string, string>>();
        var (inSql, ps) = InList(ids);
        using var cmd = Command(connection, $"SELECT request_id, key, value FROM {table} WHERE request_id IN ({inSql}) ORDER BY request_id, key", ps);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var id = r.GetString(0);
            if (!result.TryGetValue(id, out var d)) result[id] = d = new Dictionary<string, string>(StringComparer.Ordinal);
            d[r.GetString(1)] = r.IsDBNull(2) ? "" : r.GetString(2);
        }
        return result;
    }

    private static Dictionary<string, List<Assessment>> ReadAssessments(SqliteConnection connection, List<string> ids)
    {
        var result = new Dictionary<string, List<Assessment>>();
        if (!TableExists(connection, "assessments")) return result;
        var (inSql, ps) = InList(ids);
        using var cmd = Command(connection,
            "SELECT assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, " +
            "source_type, source_id, span_id, rationale, overrides, valid, assessment_metadata " +
            $"FROM assessments WHERE trace_id IN ({inSql}) ORDER BY trace_id, created_timestamp, assessment_id", ps);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var traceId = r.GetString(1);
            if (!result.TryGetValue(traceId, out var list)) result[traceId] = list = [];
            list.Add(ReadAssessment(r));
        }
        return result;
    }

    private static Assessment ReadAssessment(SqliteDataReader r)
    {
        string? Str(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        JsonElement? value = null;
        var rawValue = Str(4);
        if (rawValue != null)
        {
            try
            {
                var el = JsonSerializer.Deserialize<JsonElement>(rawValue);
                if (el.ValueKind != JsonValueKind.Null) value = el;
            }
            catch (JsonException)
            {
                value = JsonSerializer.SerializeToElement(rawValue);
            }
        }
        AssessmentError? error = null;
        var rawError = Str(5);
        if (!string.IsNullOrWhiteSpace(rawError))
        {
            try
            {
                var el = JsonSerializer.Deserialize<JsonElement>(rawError);
                if (el.ValueKind == JsonValueKind.Object)
                    error = new AssessmentError(JsonString(el, "error_code"), JsonString(el, "error_message"), JsonString(el, "stack_trace"));
                else if (el.ValueKind != JsonValueKind.Null)
                    error = new AssessmentError(null, el.ToString());
            }
            catch (JsonException)
            {
                error = new AssessmentError(null, rawError);
            }
        }
        var metadata = new Dictionary<string, string>();
        var rawMeta = Str(14);
        if (!string.IsNullOrWhiteSpace(rawMeta))
        {
            try
            {
                var el = JsonSerializer.Deserialize<JsonElement>(rawMeta);
                if (el.ValueKind == JsonValueKind.Object)
                    foreach (var p in el.EnumerateObject())
                        metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
            catch (JsonException)
            {
                // unreadable metadata must not fail the page
            }
        }
        return new Assessment
        {
            AssessmentId = r.GetString(0),
            Name = r.GetString(2),
            Kind = r.GetString(3),
            Value = value,
            Error = error,
            Rationale = Str(11),
            SourceType = Str(8),
            SourceId = Str(9),
            SpanId = Str(10),
            CreateTimeMs = r.IsDBNull(6) ? null : r.GetInt64(6),
            LastUpdateTimeMs = r.IsDBNull(7) ? null : r.GetInt64(7),
            Overrides = Str(12),
            Valid = r.IsDBNull(13) || r.GetInt64(13) != 0,
            Metadata = metadata,
        };
    }

    private static string? JsonString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
            : null;

    // ------------------------------------------------------------------ paging

    /// <summary>MLflow's token: base64 of <c>{"offset": N}</c> (Python json.dumps spacing).</summary>
    public static string EncodePageToken(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"offset\": " + offset.ToString(CultureInfo.InvariantCulture) + "}"));

    public static int DecodePageToken(string? token)
    {
        if (string.IsNullOrEmpty(token)) return 0;
        try
        {
            var json = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                doc.RootElement.TryGetProperty("offset", out var o) && o.TryGetInt32(out var offset) && offset >= 0)
                return offset;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
        }
        throw new BackendException(RpcErrorCodes.InvalidParams, "Invalid page token; start the search again without a page token.");
    }
}
