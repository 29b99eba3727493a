using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "traceide-local-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Copies a store folder (mlflow.db + artifacts) here.</summary>
    public string CopyStore(string storeDir)
    {
        foreach (var file in Directory.GetFiles(storeDir, "*", SearchOption.AllDirectories))
        {
            var target = System.IO.Path.Combine(Path, System.IO.Path.GetRelativePath(storeDir, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return Path;
    }
}

public class LocalStoreBackendTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    public static IEnumerable<object[]> Stores() => [["store"], ["store-local"]];

    private static string StoreDir(string name) => Path.Combine(Fixtures.Root, name);

    private static JsonElement GroundTruth(string store) =>
        JsonDocument.Parse(File.ReadAllText(store == "store" ? Fixtures.GroundTruthSmall : Path.Combine(Fixtures.LocalStore, "ground_truth.json"))).RootElement;

    private static async Task<List<TraceSummary>> AllTraces(LocalStoreBackend backend, string? filter = null, int pageSize = 500)
    {
        var all = new List<TraceSummary>();
        string? token = null;
        do
        {
            var page = await backend.SearchTracesAsync(new TraceQuery
            {
                ExperimentIds = ["1"],
                Filter = filter,
                Clauses = TraceFilterParser.Parse(filter),
                PageSize = pageSize,
                PageToken = token,
            }, Ct);
            all.AddRange(page.Traces);
            token = page.NextPageToken;
        } while (token != null);
        return all;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ConnectReportsCapabilities(string store)
    {
        await using var backend = new LocalStoreBackend(StoreDir(store));
        Assert.Equal(BackendKinds.LocalStore, backend.Kind);
        Assert.Equal(Path.Combine(StoreDir(store), "mlflow.db"), backend.DisplayLocation);
        var info = await backend.ConnectAsync(Ct);
        Assert.Null(info.MlflowVersion);
        Assert.True(info.Capabilities.SearchV3);
        Assert.True(info.Capabilities.SpanFilters);
        Assert.True(info.Capabilities.Assessments);
        Assert.False(info.Capabilities.DeleteTraces);
        Assert.False(info.Capabilities.EditTags);
        Assert.Equal("sqlite", info.Capabilities.StoreType);
    }

    [Fact]
    public void StorePathForms()
    {
        var db = Path.Combine(Fixtures.ServerStore, "mlflow.db");
        Assert.Equal(db, new LocalStoreBackend(Fixtures.ServerStore).DisplayLocation);
        Assert.Equal(db, new LocalStoreBackend(db).DisplayLocation);
        Assert.Equal(db, new LocalStoreBackend("sqlite:///" + db).DisplayLocation); // sqlite:////abs
        Assert.Equal(db, new LocalStoreBackend(new Uri(db).AbsoluteUri).DisplayLocation);
    }

    [Fact]
    public async Task MissingStoreIsNotFoundWithAHint()
    {
        using var tmp = new TempDir();
        var missing = Path.Combine(tmp.Path, "nope", "mlflow.db");
        await using var backend = new LocalStoreBackend(missing);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ConnectAsync(Ct));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains(missing, ex.Message);
        Assert.Contains("mlflow.db", ex.Message);
        Assert.False(File.Exists(missing)); // read-only open must not create it
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
    }

    [Fact]
    public async Task LegacyFileStoreFolderIsExplained()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(Path.Combine(tmp.Path, "mlruns", "0"));
        await using var backend = new LocalStoreBackend(tmp.Path);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ConnectAsync(Ct));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("mlruns", ex.Message);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "mlflow.db")));
    }

    [Fact]
    public async Task TrackingStoreTraceWithoutSpanRowsHasNoSpans()
    {
        using var tmp = new TempDir();
        tmp.CopyStore(Fixtures.ServerStore);
        var db = Path.Combine(tmp.Path, "mlflow.db");
        const string id = "tr-68d5ad2b70b863337a21963d80477789"; // live-healthcheck, no traces.json artifact
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"DELETE FROM spans WHERE trace_id = '{id}'";
            Assert.Equal(2, cmd.ExecuteNonQuery());
        }
        await using var backend = new LocalStoreBackend(db);
        var info = await backend.GetTraceInfoAsync(id, Ct);
        Assert.Empty(await backend.GetSpansAsync(info, Ct));
    }

    [Fact]
    public async Task SpansOfAStoreLockedByAWriterArriveOnceTheWriterCommits()
    {
        // MLflow's store is in rollback-journal mode: while a writer holds the exclusive lock, SQLite answers a reader
        // SQLITE_BUSY. Reading a trace's spans (the schema check, the rows read straight from SQLite's buffers, the
        // ordinary reader they fall back to) must wait for the writer (DefaultTimeout) instead of failing.
        using var tmp = new TempDir();
        tmp.CopyStore(Fixtures.ServerStore);
        var db = Path.Combine(tmp.Path, "mlflow.db");
        const string id = "tr-aa52338cda224408bebee3d66a76039d"; // batch-digest-500
        await using var backend = new LocalStoreBackend(db);
        var info = await backend.GetTraceInfoAsync(id, Ct);

        using var writer = new SqliteConnection($"Data Source={db};Pooling=False");
        writer.Open();
        using (var begin = writer.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }
        // The order of events proves the wait, not a sleep: the read's end is recorded after the commit's. A read that
        // failed with SQLITE_BUSY instead of waiting throws below. The pause only lets the read reach the lock first;
        // the outcome does not depend on its length.
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var read = backend.GetSpansAsync(info, Ct);
        var readEnded = read.ContinueWith(_ => order.Enqueue("read ended"), TaskScheduler.Default);
        await Task.Delay(200);
        using (var commit = writer.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            order.Enqueue("writer committed");
            commit.ExecuteNonQuery();
        }
        var spans = await read.WaitAsync(TimeSpan.FromSeconds(30));
        await readEnded;
        Assert.Equal(["writer committed", "read ended"], order);
        Assert.Equal(500, spans.Count);
        Assert.Single(spans, s => s.ParentSpanId == null);
    }

    [Fact]
    public async Task NonMlflowDatabaseIsRejected()
    {
        using var tmp = new TempDir();
        var db = Path.Combine(tmp.Path, "other.db");
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE x(a)";
            cmd.ExecuteNonQuery();
        }
        await using var backend = new LocalStoreBackend(db);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.ConnectAsync(Ct));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains("alembic_version", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ExperimentsGenAiFirst(string store)
    {
        await using var backend = new LocalStoreBackend(StoreDir(store));
        var experiments = await backend.ListExperimentsAsync(null, Ct);
        Assert.Equal(["genai-fixture-small", "Default"], experiments.Select(e => e.Name));
        Assert.True(experiments[0].IsGenAi);
        Assert.False(experiments[1].IsGenAi);
        Assert.Equal("1", experiments[0].ExperimentId);
        Assert.Equal("genai_development", experiments[0].Tags["mlflow.experimentKind"]);
        Assert.Equal("active", experiments[0].LifecycleStage);
        Assert.NotNull(experiments[0].CreationTimeMs);

        Assert.Equal(["genai-fixture-small"], (await backend.ListExperimentsAsync("FIXTURE", Ct)).Select(e => e.Name));
        Assert.Empty(await backend.ListExperimentsAsync("zzz", Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TracesMatchGroundTruth(string store)
    {
        var truth = GroundTruth(store);
        await using var backend = new LocalStoreBackend(StoreDir(store));
        var traces = await AllTraces(backend, pageSize: 7);

        Assert.Equal(truth.GetProperty("trace_count").GetInt32(), traces.Count);
        Assert.Equal(traces.Count, traces.Select(t => t.TraceId).Distinct().Count());
        foreach (var s in truth.GetProperty("traces_by_state").EnumerateObject())
            Assert.Equal(s.Value.GetInt32(), traces.Count(t => t.State == s.Name));
        Assert.Equal(38, traces.Count(t => t.State == "OK"));
        Assert.Equal(5, traces.Count(t => t.State == "ERROR"));
        Assert.Equal(25, traces.Count(t => t.Name == "support_agent"));
        Assert.Equal(14, traces.Count(t => t.Name == "rag_answer"));

        // default order: timestamp_ms DESC, request_id ASC
        var expectedOrder = traces.OrderByDescending(t => t.RequestTimeMs).ThenBy(t => t.TraceId, StringComparer.Ordinal).Select(t => t.TraceId);
        Assert.Equal(expectedOrder, traces.Select(t => t.TraceId));

        Assert.Equal(truth.GetProperty("assessment_count_total").GetInt32(), traces.Sum(t => t.Assessments.Count));
        Assert.Equal(135, traces.Sum(t => t.Assessments.Count));

        var byId = traces.ToDictionary(t => t.TraceId);
        foreach (var row in truth.GetProperty("traces").EnumerateArray())
        {
            var t = byId[row.GetProperty("trace_id").GetString()!];
            Assert.Equal(row.GetProperty("name").GetString(), t.Name);
            Assert.Equal(row.GetProperty("state").GetString(), t.State);
            Assert.Equal(row.GetProperty("request_time_ms").GetInt64(), t.RequestTimeMs);
            Assert.Equal(row.GetProperty("execution_duration_ms").GetInt64(), t.DurationMs);
            Assert.Equal(row.GetProperty("assessment_count").GetInt32(), t.Assessments.Count);
            Assert.Equal(row.GetProperty("fixture_case").GetString(), t.Tags["fixture_case"]);
            Assert.Equal(NullIfEmpty(row, "session"), t.Session);
            Assert.Equal(NullIfEmpty(row, "user"), t.User);
            Assert.Equal(
                row.GetProperty("total_tokens").ValueKind == JsonValueKind.Number ? row.GetProperty("total_tokens").GetInt64() : null,
                t.Tokens?.TotalTokens);
            Assert.Equal("1", t.ExperimentId);
        }

        var sessions = truth.GetProperty("sessions");
        Assert.Equal(5, sessions.EnumerateObject().Count());
        foreach (var s in sessions.EnumerateObject())
        {
            var found = await AllTraces(backend, $"metadata.`mlflow.trace.session` = {TraceFilterBuilder.Quote(s.Name)}");
            Assert.Equal(s.Value.GetProperty("trace_count").GetInt32(), found.Count);
            Assert.Equal(s.Value.GetProperty("trace_ids").EnumerateArray().Select(x => x.GetString()).Order(), found.Select(f => f.TraceId).Order());
        }
    }

    private static string? NullIfEmpty(JsonElement row, string name) =>
        row.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() != "" ? v.GetString() : null;

    [Fact]
    public async Task AssessmentsAreMappedLikeTheRestApi()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var seatFee = await backend.GetTraceInfoAsync("tr-fb807449394ec739305d545e23edd61b", Ct);
        Assert.Equal(7, seatFee.Assessments.Count);
        var invalid = Assert.Single(seatFee.Assessments, a => !a.Valid);
        Assert.Equal("correctness", invalid.Name);
        Assert.Equal(JsonValueKind.False, invalid.Value!.Value.ValueKind);
        var human = Assert.Single(seatFee.Assessments, a => a.Overrides == invalid.AssessmentId);
        Assert.Equal("HUMAN", human.SourceType);
        Assert.Equal("reviewer.kim@example.com", human.SourceId);
        Assert.True(human.Valid);
        Assert.Equal(JsonValueKind.True, human.Value!.Value.ValueKind);

        var noDocs = await backend.GetTraceInfoAsync("tr-db78c90da194dc0442cf6124486cedaf", Ct);
        var errored = Assert.Single(noDocs.Assessments, a => a.Error != null);
        Assert.Null(errored.Value);
        Assert.Equal("TIMEOUT", errored.Error!.Code);
        Assert.Equal("Judge call timed out after 30 s", errored.Error.Message);
        Assert.Null(errored.Error.StackTrace);

        var paris = await backend.GetTraceInfoAsync("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4", Ct);
        var relevance = Assert.Single(paris.Assessments, a => a.Name == "relevance_to_query");
        Assert.Equal("feedback", relevance.Kind);
        Assert.Equal("yes", relevance.Value!.Value.GetString());
        Assert.Equal("698", relevance.Metadata["mlflow.assessment.judgeInputTokens"]);
        Assert.Equal("The response addresses the user's question directly.", relevance.Rationale);
        Assert.Equal(1794891006738, relevance.CreateTimeMs);
        Assert.Equal("LLM_JUDGE", relevance.SourceType);

        // compare with the REST recording of the same trace
        using var rec = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Http, "traces_get_info_v3__rag-seat-fee.json")));
        var restAssessments = rec.RootElement.GetProperty("response")
            .GetProperty("body")
            .GetProperty("trace")
            .GetProperty("trace_info")
            .GetProperty("assessments");
        foreach (var ra in restAssessments.EnumerateArray())
        {
            var mine = Assert.Single(seatFee.Assessments, a => a.AssessmentId == ra.GetProperty("assessment_id").GetString());
            Assert.Equal(ra.GetProperty("assessment_name").GetString(), mine.Name);
            Assert.Equal(ra.TryGetProperty("valid", out var v) ? v.GetBoolean() : true, mine.Valid);
            Assert.Equal(ra.TryGetProperty("span_id", out var s) ? s.GetString() : null, mine.SpanId);
            Assert.Equal(ra.TryGetProperty("feedback", out _) ? "feedback" : ra.TryGetProperty("expectation", out _) ? "expectation" : "issue", mine.Kind);
        }

        var div0 = await backend.GetTraceInfoAsync("tr-7ad524cb585a01fae2b413380fe1e5e9", Ct);
        var spanLevel = Assert.Single(div0.Assessments, a => a.Name == "tool_call_correct");
        Assert.Matches("^[0-9a-f]{16}$", spanLevel.SpanId!);
    }

    [Fact]
    public async Task UnknownTraceIsNotFound()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetTraceInfoAsync("tr-00000000000000000000000000000000", Ct));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains("tr-00000000000000000000000000000000", ex.Message);
    }

    [Fact]
    public async Task EditsAreUnsupported()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTracesAsync("1", ["tr-x"], Ct));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("read-only", ex.Message);
        Assert.Equal(RpcErrorCodes.Unsupported, (await Assert.ThrowsAsync<BackendException>(() => backend.SetTraceTagAsync("t", "k", "v", Ct))).Code);
        Assert.Equal(RpcErrorCodes.Unsupported, (await Assert.ThrowsAsync<BackendException>(() => backend.DeleteTraceTagAsync("t", "k", Ct))).Code);
    }

    [Theory]
    [InlineData("trace.name LIKE '%AGENT%'", 0)]           // LIKE is case-sensitive
    [InlineData("trace.name ILIKE '%AGENT%'", 25)]         // ILIKE is not
    [InlineData("trace.name LIKE 'rag_answer'", 14)]
    [InlineData("trace.name LIKE 'rag_answe_'", 14)]       // '_' = one char
    [InlineData("trace.name RLIKE '^(rag|trip)_'", 15)]
    [InlineData("trace.name RLIKE '^(rag_answer|trip_planner)$'", 15)] // MLflow refuses IN / NOT IN on the name (RejectedFiltersTests)
    [InlineData("trace.name != 'rag_answer' AND trace.name != 'support_agent'", 4)]
    [InlineData("trace.name != 'support_agent'", 18)]
    [InlineData("name = 'nightly_digest'", 1)]
    [InlineData("tag.triage IS NOT NULL", 4)]
    [InlineData("tag.triage IS NULL", 39)]
    [InlineData("tags.triage != 'needs_review'", 1)]
    [InlineData("metadata.`mlflow.trace.session` IS NOT NULL", 15)]
    [InlineData("request_metadata.mlflow.trace.session IS NULL", 28)]
    [InlineData("metadata.`mlflow.trace.user` ILIKE 'ALICE@%'", 5)]
    [InlineData("span.type = 'TOOL' AND span.name = 'calculator' AND span.status = 'ERROR'", 1)]
    [InlineData("span.name ILIKE '%WEATHER%'", 9)]
    [InlineData("span.attributes.mlflow.spanType LIKE '%TOOL%'", 24)]      // = traces with a TOOL span
    [InlineData("span.attributes.`mlflow.spanType` RLIKE '^RERANKER$'", 3)]
    [InlineData("feedback.user_satisfaction IS NOT NULL", 10)]
    [InlineData("feedback.correctness = 'true'", 28)]
    [InlineData("feedback.correctness != 'true'", 2)]
    [InlineData("feedback.relevance_to_query = 'yes'", 29)]
    [InlineData("feedback.contains_pii = 'true'", 1)]
    [InlineData("expectation.expected_facts IS NOT NULL", 1)]
    [InlineData("trace.execution_time_ms >= 78608", 1)]
    [InlineData("trace.end_time_ms > 0", 43)]
    [InlineData("trace.status IN ('OK', 'ERROR')", 43)]
    [InlineData("trace.status NOT IN ('OK')", 5)]
    [InlineData("trace.client_request_id LIKE 'req-live-%'", 4)]
    [InlineData("trace.text ILIKE '%lisbon%'", 3)]
    [InlineData("span.content ILIKE '%lisbon%'", 3)]
    [InlineData("span.content LIKE '%lisbon%'", 0)]
    public async Task FilterSemantics(string filter, int expected)
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var traces = await AllTraces(backend, filter);
        Assert.Equal(expected, traces.Count);
    }

    [Theory]
    [InlineData("no_such_column DESC")]
    [InlineData("foo.bar")]
    public async Task BadOrderByIsRejected(string orderBy)
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], OrderBy = [orderBy] }, Ct));
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
    }

    [Fact]
    public async Task OrderByTagAndMetadataAndBadToken()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var page = await backend.SearchTracesAsync(
            new TraceQuery { ExperimentIds = ["1"], OrderBy = ["tag.`channel` DESC", "request_metadata.mlflow.trace.user ASC"], PageSize = 500 },
            Ct);
        var channels = page.Traces.Select(t => t.Tags["channel"]).ToList();
        Assert.Equal(channels.OrderByDescending(c => c, StringComparer.Ordinal), channels);
        Assert.Null(page.NextPageToken);

        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(
            new TraceQuery { ExperimentIds = ["1"], PageToken = "not a token" },
            Ct));
        Assert.Equal(RpcErrorCodes.InvalidParams, ex.Code);

        // a full last page still returns a token, and the page after it is empty
        var p1 = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 43 }, Ct);
        Assert.NotNull(p1.NextPageToken);
        var p2 = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 43, PageToken = p1.NextPageToken }, Ct);
        Assert.Empty(p2.Traces);
        Assert.Null(p2.NextPageToken);
    }

    // ------------------------------------------------------------------ read-only

    private static string Sha256(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public async Task StoreStaysByteForByteUnchanged()
    {
        using var tmp = new TempDir();
        tmp.CopyStore(Fixtures.ServerStore);
        var db = Path.Combine(tmp.Path, "mlflow.db");
        var before = Sha256(db);
        var filesBefore = Directory.GetFiles(tmp.Path).Order().ToList();
        var originalBefore = Sha256(Path.Combine(Fixtures.ServerStore, "mlflow.db"));

        await using (var backend = new LocalStoreBackend(tmp.Path))
        {
            await backend.ConnectAsync(Ct);
            await backend.ListExperimentsAsync(null, Ct);
            var traces = await AllTraces(backend, pageSize: 10);
            foreach (var t in traces.Take(10))
            {
                var info = await backend.GetTraceInfoAsync(t.TraceId, Ct);
                await backend.GetSpansAsync(info, Ct);
            }
            await AllTraces(backend, "span.type = 'TOOL' AND feedback.correctness = 'true' AND trace.name RLIKE 'agent'");
            await Assert.ThrowsAsync<BackendException>(() => backend.SetTraceTagAsync(traces[0].TraceId, "k", "v", Ct));
        }
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, Sha256(db));
        Assert.Equal(filesBefore, Directory.GetFiles(tmp.Path).Order().ToList()); // no -journal/-wal/-shm left behind
        Assert.Equal(originalBefore, Sha256(Path.Combine(Fixtures.ServerStore, "mlflow.db")));
    }

    [Fact]
    public async Task ReadsWhileAnotherProcessHoldsAWriteTransaction()
    {
        using var tmp = new TempDir();
        tmp.CopyStore(Fixtures.ServerStore);
        var db = Path.Combine(tmp.Path, "mlflow.db");
        using var writer = new SqliteConnection($"Data Source={db};Pooling=False");
        writer.Open();
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "BEGIN IMMEDIATE; UPDATE trace_tags SET value = 'changed' WHERE key = 'environment';";
            cmd.ExecuteNonQuery();
        }
        await using var backend = new LocalStoreBackend(db);
        await backend.ConnectAsync(Ct);
        var traces = await AllTraces(backend);
        Assert.Equal(43, traces.Count);
        Assert.DoesNotContain(traces, t => t.Tags["environment"] == "changed"); // uncommitted data is not seen
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "ROLLBACK";
            cmd.ExecuteNonQuery();
        }
    }

    [Fact]
    public async Task CancellationStopsAQuery()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"] }, cts.Token));

        // a long-running statement (regex over every span, many times) is interrupted
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var filter = string.Join(" AND ", Enumerable.Range(0, 40).Select(i => $"trace.text ILIKE '%zz{i}%never%'"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var task = Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
                await backend.SearchTracesAsync(
                    new TraceQuery { ExperimentIds = ["1"], Filter = filter, Clauses = TraceFilterParser.Parse(filter) },
                    cts2.Token);
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
    }

    [Fact]
    public async Task CancellationInterruptsARunningStatement()
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        // ~10^11 rows: would run for hours unless sqlite3_interrupt stops it
        var task = backend.RunAsync((connection, _) =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000000) SELECT max(x) FROM c";
            return cmd.ExecuteScalar();
        }, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), sw.Elapsed.ToString());
    }

    [Fact]
    public void PythonJsonDumpsMatchesPython()
    {
        // json.dumps('é\n"\\🚀\x7f') and json.dumps(..., ensure_ascii=False)
        Assert.Equal("\"\\u00e9\\n\\\"\\\\\\ud83d\\ude80\\u007f\"", PythonJson.DumpsString("é\n\"\\🚀\x7f", ensureAscii: true));
        Assert.Equal("\"é\\n\\\"\\\\🚀\x7f\"", PythonJson.DumpsString("é\n\"\\🚀\x7f", ensureAscii: false));
    }

    [Fact]
    public async Task OlderSchemaWithoutSpansOrPreviewColumns()
    {
        using var tmp = new TempDir();
        var db = Path.Combine(tmp.Path, "mlflow.db");
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
                INSERT INTO alembic_version VALUES ('867495a8f9d4');
                CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT, artifact_location TEXT, lifecycle_stage TEXT, creation_time BIGINT,
                    last_update_time BIGINT);
                CREATE TABLE experiment_tags (key TEXT, value TEXT, experiment_id INTEGER);
                INSERT INTO experiments VALUES (0, 'Default', '/x/0', 'active', 1, 1), (3, 'old-genai', '/x/3', 'active', 1, 1),
                    (4, 'gone', '/x/4', 'deleted', 1, 1);
                CREATE TABLE trace_info (request_id VARCHAR(50) PRIMARY KEY, experiment_id INTEGER, timestamp_ms BIGINT, execution_time_ms BIGINT,
                    status VARCHAR(50));
                CREATE TABLE trace_tags (key TEXT, value TEXT, request_id TEXT);
                CREATE TABLE trace_request_metadata (key TEXT, value TEXT, request_id TEXT);
                INSERT INTO trace_info VALUES ('aaaa', 3, 100, 5, 'OK'), ('bbbb', 3, 200, NULL, 'IN_PROGRESS');
                INSERT INTO trace_tags VALUES ('mlflow.traceName', 'old', 'aaaa');
                """;
            cmd.ExecuteNonQuery();
        }
        await using var backend = new LocalStoreBackend(db);
        await backend.ConnectAsync(Ct);
        var experiments = await backend.ListExperimentsAsync(null, Ct);
        Assert.Equal(["old-genai", "Default"], experiments.Select(e => e.Name)); // has traces → GenAI; deleted hidden
        var page = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["3"] }, Ct);
        Assert.Equal(["bbbb", "aaaa"], page.Traces.Select(t => t.TraceId));
        Assert.Null(page.Traces[1].RequestPreview);
        Assert.Null(page.Traces[0].DurationMs);
        Assert.Equal("old", page.Traces[1].Name);
        Assert.Empty(page.Traces[1].Assessments);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.SearchTracesAsync(
            new TraceQuery { ExperimentIds = ["3"], Clauses = TraceFilterParser.Parse("span.type = 'TOOL'") }, Ct));
        Assert.Equal(RpcErrorCodes.Unsupported, ex.Code);
        Assert.Contains("spans", ex.Message);
    }

    // ------------------------------------------------------------------ spans

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SpansMatchGroundTruth(string store)
    {
        var truth = GroundTruth(store);
        await using var backend = new LocalStoreBackend(StoreDir(store));
        var traces = await AllTraces(backend);
        var expectedPerTrace = truth.GetProperty("traces").EnumerateArray()
            .ToDictionary(r => r.GetProperty("trace_id").GetString()!, r => r.GetProperty("span_count").GetInt32());
        var total = 0;
        var byType = new Dictionary<string, int>();
        foreach (var t in traces)
        {
            var spans = await backend.GetSpansAsync(t, Ct);
            Assert.Equal(expectedPerTrace[t.TraceId], spans.Count);
            Assert.Single(spans, s => s.ParentSpanId == null);
            total += spans.Count;
            foreach (var s in spans) byType[s.SpanType] = byType.GetValueOrDefault(s.SpanType) + 1;
        }
        Assert.Equal(truth.GetProperty("span_count_total").GetInt32(), total);
        Assert.Equal(770, total);
        foreach (var ty in truth.GetProperty("spans_by_type").EnumerateObject())
            Assert.Equal(ty.Value.GetInt32(), byType.GetValueOrDefault(ty.Name));
        var digest = traces.Single(t => t.Tags["fixture_case"] == "batch-digest-500");
        Assert.Equal(500, (await backend.GetSpansAsync(digest, Ct)).Count);
    }

    /// <summary>
    /// MLflow's recorded sizeStats announce every trace's size (read to join its span rows in place): on the real
    /// store each announces its span count, and the rows are within the quarter SpanRows adds to the announced bytes
    /// (they can be more than the trace's JSON: 469,188 vs 443,277 for the 500-span trace); a missing or malformed
    /// one announces nothing.
    /// </summary>
    [Fact]
    public async Task RecordedSizeStatsAnnounceAtLeastTheRows()
    {
        await using var backend = new LocalStoreBackend(StoreDir("store"));
        var traces = await AllTraces(backend);
        using var c = new SqliteConnection($"Data Source={Path.Combine(StoreDir("store"), "mlflow.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        var announced = 0;
        foreach (var t in traces)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT coalesce(sum(length(CAST(content AS BLOB))), 0), count(*) FROM spans WHERE trace_id = $id";
            cmd.Parameters.AddWithValue("$id", t.TraceId);
            using var r = cmd.ExecuteReader();
            r.Read();
            var (bytes, rows) = LocalStoreBackend.AnnouncedSize(t);
            if (bytes == 0 || r.GetInt32(1) == 0) continue;
            Assert.Equal(r.GetInt32(1), rows);
            Assert.True(bytes + bytes / 4 >= r.GetInt64(0), $"{t.TraceId}: announced {bytes}, rows {r.GetInt64(0)}");
            announced++;
        }
        Assert.True(announced >= 20, $"only {announced} traces announce their size");

        var any = traces[0];
        Assert.Equal((0, 0), LocalStoreBackend.AnnouncedSize(any with { Metadata = new Dictionary<string, string>() }));
        Assert.Equal(
            (0, 0),
            LocalStoreBackend.AnnouncedSize(any with { Metadata = new Dictionary<string, string> { ["mlflow.trace.sizeStats"] = "{not json" } }));
        Assert.Equal((0, 0), LocalStoreBackend.AnnouncedSize(any with { Metadata = new Dictionary<string, string> { ["mlflow.trace.sizeStats"] = "[1,2]" } }));
        Assert.Equal(
            (0, 0),
            LocalStoreBackend.AnnouncedSize(any with { Metadata = new Dictionary<string, string> { ["mlflow.trace.sizeStats"] = """{"num_spans": 3}""" } }));
    }

    /// <summary>
    /// Traces whose spans live only in traces.json (no TRACKING_STORE tag), written where the project no
    /// longer is: the copy's artifact locations are moved under a folder of the test's own that does not
    /// exist (the recorded /srv/mlflow/… and /home/dev/agent-app/… may well exist on some machine), so the
    /// backend must find the files relative to the store (artifacts/1/… for the server store, mlruns/1/…
    /// for the local one).
    /// </summary>
    [Theory]
    [InlineData("store", "artifacts", 11)]
    [InlineData("store-local", "mlruns", 18)]
    public async Task SpansFromTracesJsonViaRelativeFallback(string store, string artifactDir, int expectedFiles)
    {
        using var tmp = new TempDir();
        tmp.CopyStore(StoreDir(store));
        var files = Directory.GetFiles(Path.Combine(tmp.Path, artifactDir), "traces.json", SearchOption.AllDirectories);
        Assert.Equal(expectedFiles, files.Length);
        var ids = files.Select(f => Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(f))!)).ToList();

        // Make these traces artifact-only, like traces logged before MLflow 3.6 (on the COPY).
        var db = Path.Combine(tmp.Path, "mlflow.db");
        var spanCounts = new Dictionary<string, long>();
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            foreach (var id in ids)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT count(*) FROM spans WHERE trace_id = $id; ";
                cmd.Parameters.AddWithValue("$id", id);
                spanCounts[id] = (long)cmd.ExecuteScalar()!;
                cmd.CommandText = "DELETE FROM trace_tags WHERE request_id = $id AND key = 'mlflow.trace.spansLocation'; DELETE FROM spans WHERE trace_id = " +
                    "$id;";
                cmd.ExecuteNonQuery();
            }
            // The recorded location, moved to a folder that is sure not to exist: same tail, new root.
            var marker = $"/{artifactDir}/";
            using var moved = c.CreateCommand();
            moved.CommandText = "UPDATE trace_tags SET value = $gone || substr(value, instr(value, $marker)) WHERE key = 'mlflow.artifactLocation' AND " +
                "instr(value, $marker) > 0";
            moved.Parameters.AddWithValue("$gone", Path.Combine(tmp.Path, "moved-away").Replace('\\', '/'));
            moved.Parameters.AddWithValue("$marker", marker);
            Assert.True(moved.ExecuteNonQuery() >= ids.Count);
        }

        await using var backend = new LocalStoreBackend(db);
        foreach (var id in ids)
        {
            var info = await backend.GetTraceInfoAsync(id, Ct);
            Assert.False(info.Tags.ContainsKey("mlflow.trace.spansLocation"));
            Assert.StartsWith(Path.Combine(tmp.Path, "moved-away").Replace('\\', '/'), info.Tags["mlflow.artifactLocation"], StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(info.Tags["mlflow.artifactLocation"], "traces.json"))); // the written path is gone
            var spans = await backend.GetSpansAsync(info, Ct);
            Assert.Equal(spanCounts[id], spans.Count);
        }

        // without the artifact folder: a NotFound that says where it looked
        Directory.Delete(Path.Combine(tmp.Path, artifactDir), recursive: true);
        var missing = await backend.GetTraceInfoAsync(ids[0], Ct);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.GetSpansAsync(missing, Ct));
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
        Assert.Contains(ids[0], ex.Message);
    }
}
