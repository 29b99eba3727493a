using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// `traceide traces` as a user runs it (the real CLI process), over a temp copy of the fixture store whose
/// data holds what a terminal must not take literally: control and bidi characters in a span name and a
/// session, a running trace and an OTLP-style trace without a name.
/// </summary>
public sealed class TracesCliTests : IDisposable
{
    private const string EvilName = "evil\0name\twith\nnewline\u202Eesrever";
    private const string EvilSession = "sess\u001b[31m\u2066red";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("traceide-cli-");
    private readonly string _db;
    private readonly string _evilTrace = FixtureCases.ServerTraceId("guardrail-blocked");
    private readonly string _runningTrace = FixtureCases.ServerTraceId("live-s5-t1");
    private readonly string _unnamedTrace = FixtureCases.ServerTraceId("live-healthcheck");
    private readonly string _everyControlTrace = FixtureCases.ServerTraceId("s1-paris-t1");

    /// <summary>Every C0 and C1 control, DEL, the line and paragraph separators and every bidi control, between letters.</summary>
    private static readonly string EveryControl = string.Concat(
        Enumerable.Range(0, 0x20).Concat([0x7F]).Concat(Enumerable.Range(0x80, 0x20))
            .Concat([0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069])
            .Select(c => "x" + (char)c));
    private const string LongSpanType = "A_SPAN_TYPE_OF_THE_TRACERS_OWN";

    public TracesCliTests()
    {
        _db = Path.Combine(_dir.FullName, "mlflow.db");
        File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), _db);
        using var c = new SqliteConnection($"Data Source={_db};Pooling=False");
        c.Open();
        // The root span's name, in the column and in the stored span JSON.
        string spanId, content;
        using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT span_id, content FROM spans WHERE trace_id = $t AND parent_span_id IS NULL";
            q.Parameters.AddWithValue("$t", _evilTrace);
            using var r = q.ExecuteReader();
            Assert.True(r.Read());
            (spanId, content) = (r.GetString(0), r.GetString(1));
        }
        var json = JsonNode.Parse(content)!;
        json["name"] = EvilName;
        Exec(c, "UPDATE spans SET name = $n, content = $c WHERE trace_id = $t AND span_id = $s",
            ("$n", EvilName), ("$c", json.ToJsonString()), ("$t", _evilTrace), ("$s", spanId));
        Exec(c, "INSERT OR REPLACE INTO trace_request_metadata (key, value, request_id) VALUES ('mlflow.trace.session', $v, $t)",
            ("$v", EvilSession), ("$t", _evilTrace));
        Exec(c, "UPDATE trace_info SET status = 'IN_PROGRESS', execution_time_ms = NULL WHERE request_id = $t", ("$t", _runningTrace));
        SetRootSpan(c, _everyControlTrace, EveryControl, LongSpanType);
        Exec(c, "DELETE FROM trace_tags WHERE request_id = $t AND key = 'mlflow.traceName'", ("$t", _unnamedTrace));
    }

    private static void SetRootSpan(SqliteConnection c, string traceId, string name, string? spanType = null)
    {
        string spanId, content;
        using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT span_id, content FROM spans WHERE trace_id = $t AND parent_span_id IS NULL";
            q.Parameters.AddWithValue("$t", traceId);
            using var r = q.ExecuteReader();
            Assert.True(r.Read());
            (spanId, content) = (r.GetString(0), r.GetString(1));
        }
        var json = JsonNode.Parse(content)!;
        json["name"] = name;
        if (spanType != null) json["attributes"]!["mlflow.spanType"] = JsonSerializer.Serialize(spanType);
        Exec(c, "UPDATE spans SET name = $n, type = coalesce($y, type), content = $c WHERE trace_id = $t AND span_id = $s",
            ("$n", name), ("$y", (object?)spanType ?? DBNull.Value), ("$c", json.ToJsonString()), ("$t", traceId), ("$s", spanId));
    }

    private static void Exec(SqliteConnection c, string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(HostProcess.HostDll);
        psi.ArgumentList.Add("traces");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("MLFLOW_TRACKING_URI");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(HostProcess.Timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Nothing a terminal would act on: no control character but the line breaks, no bidi control.</summary>
    private static void AssertTerminalSafe(string text)
    {
        foreach (var c in text)
        {
            Assert.False(char.IsControl(c) && c != '\n', $"control character U+{(int)c:X4} in the output");
            Assert.False(c is '\u202A' or '\u202B' or '\u202C' or '\u202D' or '\u202E' or '\u2066' or '\u2067' or '\u2068' or '\u2069' or '\u200E' or '\u200F',
                $"bidi control U+{(int)c:X4} in the output");
        }
    }

    [Fact]
    public async Task Control_and_bidi_characters_in_span_names_and_sessions_are_printed_as_visible_escapes()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "1", "--limit", "50", "--trace", _evilTrace);
        Assert.True(exit == 0, stderr);
        AssertTerminalSafe(stdout);
        Assert.Contains(@"evil\0name\twith\nnewline\u202Eesrever", stdout); // the span tree
        var row = stdout.Split('\n').Single(l => l.Contains(_evilTrace, StringComparison.Ordinal) && !l.StartsWith("trace ", StringComparison.Ordinal));
        Assert.Contains(@"sess\u001B[31m\u2066red", row); // the session column
    }

    [Fact]
    public async Task A_running_trace_fits_the_state_column()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "1", "--limit", "50", "--trace", _evilTrace);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n');
        var header = lines.Single(l => l.StartsWith("request time", StringComparison.Ordinal));
        var running = lines.Single(l => l.Contains(_runningTrace, StringComparison.Ordinal));
        var done = lines.First(l => l.Contains(" OK ", StringComparison.Ordinal));
        Assert.Contains(" IN_PROGRESS ", running);
        // The duration column ends where its header ends, for a running trace as for a finished one.
        var durationEnd = header.IndexOf("duration", StringComparison.Ordinal) + "duration".Length;
        Assert.Equal(durationEnd, running.IndexOf("running", StringComparison.Ordinal) + "running".Length);
        Assert.Equal(' ', done[durationEnd]);
        Assert.NotEqual(' ', done[durationEnd - 1]);
    }

    [Fact]
    public async Task A_trace_without_a_name_is_named_by_its_root_span()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "1", "--limit", "50", "--trace", _unnamedTrace);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("—  —", stdout);
        Assert.Contains($"trace {_unnamedTrace} — (no name), root span health_check — 2 spans", stdout);
        Assert.Contains(
            "(no name)",
            stdout.Split('\n').Single(l => l.Contains(_unnamedTrace, StringComparison.Ordinal) && !l.StartsWith("trace ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_bad_option_exits_2_with_the_reason_then_the_usage_and_prints_nothing()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--colour", "red");
        Assert.Equal(TraceIde.Host.Cli.CommandLine.Usage, exit);
        Assert.StartsWith("Unknown option '--colour' for 'traces'.", stderr);
        Assert.Contains("traceide traces", stderr); // the usage follows
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task A_tracking_server_nobody_answers_exits_3_naming_it()
    {
        using var dead = new DeadPort();
        var port = dead.Port;
        var (exit, stdout, stderr) = await RunAsync("--tracking-uri", dead.Url);
        Assert.Equal(TraceIde.Host.Cli.CommandLine.BackendError, exit);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains($"127.0.0.1:{port}", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task An_unknown_experiment_is_an_error_with_a_non_zero_exit()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "99");
        Assert.NotEqual(0, exit);
        Assert.Contains("no experiment with ID 99", stderr);
        Assert.Contains("1 (genai-fixture-small)", stderr); // says which ones exist
        Assert.DoesNotContain("0 traces", stdout);
    }

    [Fact]
    public async Task Every_control_character_of_a_span_name_is_escaped_and_a_long_span_type_keeps_the_columns()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "1", "--limit", "50", "--trace", _everyControlTrace);
        Assert.True(exit == 0, stderr);
        AssertTerminalSafe(stdout);
        var expected = string.Concat(EveryControl.Where((_, i) => i % 2 == 1).Select(c => "x" + c switch
        {
            '\0' => "\\0", '\t' => "\\t", '\n' => "\\n", '\r' => "\\r",
            _ => $"\\u{(int)c:X4}",
        }));
        var rows = stdout.Split('\n').SkipWhile(l => !l.StartsWith("trace ", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0).ToList();
        // The root span's row holds the escaped name (clipped to the label column) and the long type in full.
        Assert.StartsWith(expected[..43] + "…", rows[0]);
        Assert.Contains(" " + LongSpanType + " ", rows[0]);
        // Every row's bar starts in the same column, the long type's row too.
        Assert.Single(rows.Where(l => l.Contains('|')).Select(l => l.IndexOf('|')).Distinct());
    }

    [Fact]
    public async Task An_unknown_trace_is_an_error_with_a_non_zero_exit_and_its_id_printed_safely()
    {
        var (exit, stdout, stderr) = await RunAsync("--store", _db, "--experiment", "1", "--trace", "tr-nope\u001b[31m\u202E");
        Assert.NotEqual(0, exit);
        Assert.Contains("error: ", stderr);
        Assert.Contains(@"tr-nope\u001B[31m\u202E", stderr);
        AssertTerminalSafe(stderr);
        Assert.DoesNotContain("trace tr-nope", stdout);
    }
}
