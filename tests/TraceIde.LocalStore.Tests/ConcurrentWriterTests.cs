using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

/// <summary>
/// A local store written by "MLflow" while TraceIde reads it. The writer is what MLflow's SQLAlchemy
/// store does: its own connection, a 5 s busy timeout (pysqlite's default), one transaction per logged
/// trace (trace_info + its tags + its metadata), in the store's rollback journal or in WAL. Readers
/// search and fetch continuously. Asserted: every writer commit succeeds and none waits anywhere near
/// its busy timeout (TraceIde holds no lock that blocks MLflow), and no read is torn (every new trace
/// is seen whole, with all its tags, and counts only grow by whole traces).
/// </summary>
public sealed class ConcurrentWriterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan WriteFor = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan WriteAtMost = TimeSpan.FromSeconds(30);
    private const int MinReads = 6;
    private static readonly TimeSpan WriterBusyTimeout = TimeSpan.FromSeconds(5);
    private const string SourceTrace = "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4"; // s1-paris-t1: a trace with tags and metadata

    [Theory]
    [InlineData("delete")]
    [InlineData("wal")]
    public async Task Mlflow_writing_while_traceide_reads_is_never_blocked_and_reads_are_never_torn(string journalMode)
    {
        using var tmp = new TempDir();
        tmp.CopyStore(Fixtures.ServerStore);
        var db = Path.Combine(tmp.Path, "mlflow.db");
        using var writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = db,
            Pooling = false,
            DefaultTimeout = (int)WriterBusyTimeout.TotalSeconds
        }.ToString());
        writer.Open();
        Exec(writer, $"PRAGMA journal_mode = {journalMode}; PRAGMA busy_timeout = {(int)WriterBusyTimeout.TotalMilliseconds};");
        var sourceTags = Scalar(writer, $"SELECT COUNT(*) FROM trace_tags WHERE request_id = '{SourceTrace}'");
        Assert.True(sourceTags > 0);

        await using var backend = new LocalStoreBackend(db);
        await backend.ConnectAsync(CancellationToken.None);
        var baseline = (await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 500 }, CancellationToken.None)).Traces.Count;
        Assert.Equal(43, baseline);

        var clock = Stopwatch.StartNew();
        var commits = new ConcurrentBag<TimeSpan>();
        var readErrors = new ConcurrentQueue<string>();
        var reads = 0;

        var writing = Task.Run(() =>
        {
            // Writes for WriteFor, and on a slow machine longer, until the readers have done MinReads
            // reads during writing, so the torn-read check always has teeth. 43 + 400 fits one page of 500.
            for (var n = 0; n < 400 && clock.Elapsed < WriteAtMost && (clock.Elapsed < WriteFor || Volatile.Read(ref reads) < MinReads); n++)
            {
                var id = $"tr-{n:x32}";
                var t = Stopwatch.StartNew();
                using var tx = writer.BeginTransaction();
                Exec(writer, $"""
                    INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview,
                        response_preview)
                      SELECT '{id}', experiment_id, timestamp_ms + {n + 1}, execution_time_ms, status, client_request_id, request_preview, response_preview
                      FROM trace_info WHERE request_id = '{SourceTrace}';
                    INSERT INTO trace_tags (key, value, request_id) SELECT key, value, '{id}' FROM trace_tags WHERE request_id = '{SourceTrace}';
                    INSERT INTO trace_tags (key, value, request_id) VALUES ('load.writer', '{n}', '{id}');
                    INSERT INTO trace_request_metadata (key, value, request_id)
                      SELECT key, value, '{id}' FROM trace_request_metadata WHERE request_id = '{SourceTrace}';
                    """, tx);
                tx.Commit();
                commits.Add(t.Elapsed);
                // MLflow logs a trace per finished request, not in a tight loop; in the rollback journal a
                // writer committing every few ms would starve readers whatever the reader does.
                Thread.Sleep(15);
            }
        });

        async Task Reader()
        {
            var last = baseline;
            while (!writing.IsCompleted)
            {
                try
                {
                    var page = await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 500 }, CancellationToken.None);
                    var count = page.Traces.Count;
                    if (count < last) readErrors.Enqueue($"count went back from {last} to {count}");
                    last = count;
                    foreach (var t in page.Traces.Where(t => t.Tags.ContainsKey("load.writer")))
                    {
                        if (t.Tags.Count < sourceTags + 1) readErrors.Enqueue($"{t.TraceId} seen with {t.Tags.Count} of {sourceTags + 1} tags");
                    }
                    var newest = page.Traces.FirstOrDefault(t => t.Tags.ContainsKey("load.writer"));
                    if (newest != null)
                    {
                        var info = await backend.GetTraceInfoAsync(newest.TraceId, CancellationToken.None);
                        if (info.Tags.Count != newest.Tags.Count) readErrors.Enqueue($"{newest.TraceId}: info has {info.Tags.Count} tags, search " +
                            $"{newest.Tags.Count}");
                    }
                    Interlocked.Increment(ref reads);
                }
                catch (BackendException ex)
                {
                    readErrors.Enqueue(ex.Message);
                }
            }
        }

        await Task.WhenAll(writing, Reader(), Reader());

        Assert.Empty(readErrors);
        Assert.True(reads >= MinReads, $"only {reads} reads finished while writing");
        Assert.True(commits.Count > 10, $"only {commits.Count} commits in {WriteFor}");
        var slowest = commits.Max();
        output.WriteLine($"{journalMode}: {commits.Count} commits, slowest {slowest.TotalMilliseconds:0.0} ms, median " +
            $"{commits.Order().ElementAt(commits.Count / 2).TotalMilliseconds:0.0} ms; {reads} reads");
        // Not blocked: a reader's shared lock lasts one statement, so no commit waits long (bound: a fifth of the busy timeout).
        Assert.True(slowest < WriterBusyTimeout / 5, $"a commit waited {slowest.TotalMilliseconds:0} ms");
        var finalCount = (await backend.SearchTracesAsync(new TraceQuery { ExperimentIds = ["1"], PageSize = 500 }, CancellationToken.None)).Traces.Count;
        Assert.Equal(43 + commits.Count, finalCount);
    }

    private static void Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }
}
