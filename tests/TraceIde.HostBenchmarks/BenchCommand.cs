using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.HostBenchmarks;

/// <summary>
/// `traceide-bench [--quick] [--out FILE]`: whole-path scenarios of the host, each measured in a fresh child
/// process so that time and peak memory are its own. Not a pass/fail test: it prints figures
/// (docs/PERFORMANCE.md says what they are compared against). --quick keeps it under a minute.
/// </summary>
public static class BenchCommand
{
    private static readonly OverviewParams FixtureWindow = new()
    {
        ExperimentIds = [ScaledStores.Experiment],
        StartTimeMs = 1794787200000, // 2026-11-16T00:00Z: the fixtures' week, daily buckets
        EndTimeMs = 1795478400000,   // 2026-11-24T00:00Z
        TimeUnit = OverviewTimeUnits.Day,
    };

    public static async Task<int> RunAsync(BenchOptions options, TextWriter stdout, TextWriter stderr)
    {
        var gz = ScaledStores.StoreFullGz;
        var quick = options.Has("--quick");
        var only = options.Get("--only"); // overview | stdio | bigtrace | overhead: one scenario, e.g. to profile it
        // --host DLL: the `traceide serve` measured by the stdio, bigtrace and overhead scenarios, e.g. the published
        // host the VS Code extension ships (extension-vscode/host/linux-x64/traceide.dll); default: the one built beside this.
        if (options.Get("--host") is { } hostDll) ServedHost = Path.GetFullPath(hostDll);
        bool Runs(string scenario) => only == null || only == scenario;
        var work = Directory.CreateTempSubdirectory("traceide-bench-").FullName;
        var report = new StringBuilder();
        report.AppendLine(
            CultureInfo.InvariantCulture,
            $"traceide-bench{(quick ? " --quick" : "")} — {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
        if (ServedHost != BuiltHost) report.AppendLine(CultureInfo.InvariantCulture, $"`serve` scenarios measure {ServedHost}");
        report.AppendLine();
        try
        {
            if (Runs("overview"))
            {
                report.AppendLine("| overview (all three tabs, host engine, SQL over a local store) | traces | cold ms | warm ms | cold CPU ms (usage / " +
                    "quality / tool calls) | peak working set MB | load average |");
                report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            }
            foreach (var copies in !Runs("overview") ? [] : quick ? new[] { 1, 5 } : [1, 50])
            {
                var clock = Stopwatch.StartNew();
                var db = ScaledStores.Create(gz, Path.Combine(work, $"x{copies}"), copies);
                await stderr.WriteLineAsync($"bench: store with {copies * ScaledStores.TracesPerCopy:N0} traces made in {clock.Elapsed.TotalSeconds:0.0} s")
                    .ConfigureAwait(false);
                var child = await RunChildAsync(["overview-child", "--store", db]).ConfigureAwait(false);
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| store-full ×{copies} | {(long)child["traces"]!:N0} | {(long)child["coldMs"]!:N0} | {(long)child["warmMs"]!:N0} | " +
                    $"{(long)child["coldTabsCpuMs"]!["usage"]!:N0} / {(long)child["coldTabsCpuMs"]!["quality"]!:N0} / " +
                        $"{(long)child["coldTabsCpuMs"]!["toolCalls"]!:N0} | " +
                    $"{(long)child["peakMb"]!} | {child["loadAverage"]} |");
                File.Delete(db);
            }
            report.AppendLine();

            if (Runs("stdio"))
            {
                var fixtureStore = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(gz)!, "..", "store", "mlflow.db"));
                var rpc = await RpcScenarioAsync(fixtureStore, quick ? 200 : 2000, quick).ConfigureAwait(false);
                report.AppendLine("| host over stdio (`traceide serve`, fixture store) | figure |");
                report.AppendLine("|---|---:|");
                foreach (var (name, value) in rpc) report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
                report.AppendLine();
            }

            if (Runs("bigtrace"))
            {
                var big = await BigTraceScenario.RunAsync(Path.GetDirectoryName(Path.GetDirectoryName(gz))!, work, quick).ConfigureAwait(false);
                report.AppendLine("| one big trace through the host (`traceide serve`) | figure |");
                report.AppendLine("|---|---|");
                foreach (var (name, value) in big) report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
                report.AppendLine();
            }

            if (Runs("overhead"))
            {
                // The server side computes metrics over store-full (2,000 traces), unpacked once more here.
                var serverStore = ScaledStores.Create(gz, Path.Combine(work, "server"), 1);
                var overhead = await HostOverheadScenario.RunAsync(Path.GetDirectoryName(Path.GetDirectoryName(gz))!, serverStore, quick).ConfigureAwait(false);
                report.AppendLine("| host overhead over the raw HTTP call (loopback MLflow stand-in) | p50 |");
                report.AppendLine("|---|---|");
                foreach (var (name, value) in overhead) report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
            }
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"load average at the end: {LoadAverage()}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }

        await stdout.WriteAsync(report.ToString()).ConfigureAwait(false);
        if (options.Get("--out") is { } outPath) await File.WriteAllTextAsync(outPath, report.ToString()).ConfigureAwait(false);
        return Program.Ok;
    }

    /// <summary>`traceide-bench store`: the overview scenario's generated store, kept, for profiling and EXPLAIN QUERY PLAN.</summary>
    public static async Task<int> RunStoreAsync(BenchOptions options, TextWriter stdout, TextWriter stderr)
    {
        var gz = ScaledStores.StoreFullGz;
        if (options.GetInt("--copies") is not ({ } copies and > 0) || options.Get("--out") is not { } folder)
        {
            await stderr.WriteLineAsync("store needs --copies N (≥ 1) and --out DIR.").ConfigureAwait(false);
            return Program.Usage;
        }
        var db = ScaledStores.Create(gz, folder, copies);
        await stdout.WriteLineAsync(db).ConfigureAwait(false);
        return Program.Ok;
    }

    /// <summary>The child side of the overview scenario: two rounds of the three tabs, as JSON on stdout.</summary>
    public static async Task<int> RunOverviewChildAsync(BenchOptions options, TextWriter stdout)
    {
        await using var store = new LocalStoreBackend(options.Get("--store")!);
        var service = new OverviewService(store);
        long coldMs = 0, warmMs = 0, traces = 0;
        var tabs = new JsonObject();
        var cpu = new JsonObject();
        using var self = Process.GetCurrentProcess();
        // CPU time beside wall time: on a shared machine wall time measures the neighbours too.
        double CpuMs()
        {
            self.Refresh();
            return self.TotalProcessorTime.TotalMilliseconds;
        }
        for (var round = 0; round < 2; round++)
        {
            var clock = Stopwatch.StartNew();
            var cpu0 = CpuMs();
            var usage = await service.UsageAsync(FixtureWindow, CancellationToken.None).ConfigureAwait(false);
            var usageMs = clock.ElapsedMilliseconds;
            var cpu1 = CpuMs();
            await service.QualityAsync(FixtureWindow, CancellationToken.None).ConfigureAwait(false);
            var qualityMs = clock.ElapsedMilliseconds - usageMs;
            var cpu2 = CpuMs();
            await service.ToolCallsAsync(FixtureWindow, CancellationToken.None).ConfigureAwait(false);
            var cpu3 = CpuMs();
            if (round == 0)
            {
                coldMs = clock.ElapsedMilliseconds;
                tabs = new JsonObject { ["usage"] = usageMs, ["quality"] = qualityMs, ["toolCalls"] = coldMs - usageMs - qualityMs };
                cpu = new JsonObject { ["usage"] = (long)(cpu1 - cpu0), ["quality"] = (long)(cpu2 - cpu1), ["toolCalls"] = (long)(cpu3 - cpu2) };
            }
            else
            {
                warmMs = clock.ElapsedMilliseconds;
            }
            traces = usage.Totals.Requests;
        }
        self.Refresh();
        await stdout.WriteLineAsync(new JsonObject
        {
            ["traces"] = traces,
            ["coldMs"] = coldMs,
            ["warmMs"] = warmMs,
            ["coldTabsMs"] = tabs,
            ["coldTabsCpuMs"] = cpu,
            ["loadAverage"] = LoadAverage(),
            ["peakMb"] = self.PeakWorkingSet64 / (1024 * 1024),
        }.ToJsonString()).ConfigureAwait(false);
        return Program.Ok;
    }

    /// <summary>The 1-minute load average (Linux), to say how shared the machine was; null elsewhere.</summary>
    internal static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static async Task<JsonNode> RunChildAsync(IEnumerable<string> args)
    {
        using var child = Process.Start(BenchStartInfo(args))!;
        var output = await child.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await child.WaitForExitAsync().ConfigureAwait(false);
        if (child.ExitCode != 0) throw new InvalidOperationException($"bench child failed ({child.ExitCode}): " +
            $"{await child.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
        return JsonNode.Parse(output.Trim().Split('\n')[^1])!;
    }

    /// <summary>The host built with this benchmark (the project reference copies its traceide.dll beside this one).</summary>
    private static string BuiltHost { get; } = Path.Combine(AppContext.BaseDirectory, "traceide.dll");

    /// <summary>The host that `serve` scenarios start (--host); the built one unless told.</summary>
    internal static string ServedHost { get; private set; } = BuiltHost;

    /// <summary>This benchmark again, in a child process (<paramref name="args"/>: a child verb and its options).</summary>
    internal static ProcessStartInfo BenchStartInfo(IEnumerable<string> args) =>
        HostStartInfo(args, Path.Combine(AppContext.BaseDirectory, "traceide-bench.dll"));

    /// <summary>
    /// Starts a host as the extensions do: a traceide.dll with `dotnet`, a self-contained `traceide` (a platform
    /// package's, `--host extension-vscode/host/linux-x64/traceide`) as an executable.
    /// </summary>
    internal static ProcessStartInfo HostStartInfo(IEnumerable<string> args, string host)
    {
        var isDll = host.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var psi = new ProcessStartInfo(isDll ? "dotnet" : host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        if (isDll) psi.ArgumentList.Add(host);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("MLFLOW_TRACKING_URI");
        return psi;
    }

    /// <summary>Start → initialize answer, round trips, a 500-span traces/get, idle memory — over real pipes.</summary>
    private static async Task<List<(string, string)>> RpcScenarioAsync(string store, int roundTrips, bool quick)
    {
        var starts = new List<double>();
        var results = new List<(string, string)>();
        for (var run = 0; run < 5; run++)
        {
            var clock = Stopwatch.StartNew();
            using var host = Process.Start(HostStartInfo(["serve"], ServedHost))!;
            var rpc = new StdioClient(host);
            await rpc.CallAsync("initialize", new JsonObject { ["store"] = store }).ConfigureAwait(false);
            starts.Add(clock.Elapsed.TotalMilliseconds);
            if (run < 4)
            {
                host.Kill();
                await host.WaitForExitAsync().ConfigureAwait(false);
                continue;
            }

            var trips = new List<double>();
            for (var i = 0; i < roundTrips; i++)
            {
                var t = Stopwatch.StartNew();
                await rpc.CallAsync("markdown/render", new JsonObject { ["text"] = "x" }).ConfigureAwait(false);
                trips.Add(t.Elapsed.TotalMilliseconds);
            }
            var page = await rpc.CallAsync(
                "traces/search",
                new JsonObject { ["experimentIds"] = new JsonArray("1"), ["filter"] = "tags.fixture_case = 'batch-digest-500'" }).ConfigureAwait(false);
            var bigTrace = (string)page["traces"]![0]!["traceId"]!;
            var gets = new List<double>();
            for (var i = 0; i < 10; i++)
            {
                var t = Stopwatch.StartNew();
                await rpc.CallAsync("traces/get", new JsonObject { ["traceId"] = bigTrace }).ConfigureAwait(false);
                gets.Add(t.Elapsed.TotalMilliseconds);
            }
            // Idle RSS after each step of the host's IdleTrimmer: the light trim (1 s) and, in the full
            // run, the deep one (30 s) that hands the free pages back to the OS.
            await Task.Delay(2000).ConfigureAwait(false);
            host.Refresh();
            var idleMb = host.WorkingSet64 / (1024 * 1024);
            long? deepIdleMb = null;
            if (!quick)
            {
                await Task.Delay(IdleTrimmer.DefaultDeepDelay + TimeSpan.FromSeconds(1) - TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                host.Refresh();
                deepIdleMb = host.WorkingSet64 / (1024 * 1024);
            }
            host.Kill();
            await host.WaitForExitAsync().ConfigureAwait(false);

            results.Add(("start → `initialize` answer, median of 5", $"{Median(starts):0} ms"));
            results.Add((
                $"JSON-RPC round trip p50 / p90 ({roundTrips} × `markdown/render`)",
                $"{Percentile(trips, 50):0.000} / {Percentile(trips, 90):0.000} ms"));
            results.Add(("`traces/get` of the 500-span trace with payloads, p50 of 10", $"{Percentile(gets, 50):0.0} ms"));
            results.Add(("resident memory after that, 2 s idle (the idle trimmer's light step)", $"{idleMb} MB"));
            if (deepIdleMb is { } deep)
                results.Add((
                    $"resident memory after {IdleTrimmer.DefaultDeepDelay.TotalSeconds + 1:0} s idle (its deep step: free pages back to the OS)",
                    $"{deep} MB"));
        }
        return results;
    }

    private static double Median(List<double> xs) => Percentile(xs, 50);

    internal static double Percentile(List<double> xs, double p)
    {
        var sorted = xs.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    /// <summary>Just enough of a JSON-RPC client over a child's pipes for the bench.</summary>
    internal sealed class StdioClient(Process host)
    {
        private long _id;
        // Reads like an HttpClient reads a body: in large chunks, not a syscall per header byte.
        private readonly BufferedStream _stdout = new(host.StandardOutput.BaseStream, 64 * 1024);

        public async Task<JsonNode> CallAsync(string method, JsonObject parameters)
        {
            var response = JsonNode.Parse(await CallRawAsync(method, parameters).ConfigureAwait(false))!;
            if (response["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return response["result"]!;
        }

        /// <summary>
        /// The whole response message, unparsed — what timed calls use, so the figure is the host's and
        /// not this client's DOM building — after checking it is not an error answer.
        /// </summary>
        public async Task<byte[]> CallRawAsync(string method, JsonObject parameters)
        {
            var id = ++_id;
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString());
            var stdin = host.StandardInput.BaseStream;
            await stdin.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n")).ConfigureAwait(false);
            await stdin.WriteAsync(body).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);

            var header = new StringBuilder();
            while (header.Length < 4 || header[^1] != '\n' || header[^2] != '\r' || header[^3] != '\n' || header[^4] != '\r')
            {
                var b = _stdout.ReadByte(); // from the buffer; a pipe read only when it is empty
                if (b < 0) throw new EndOfStreamException("the host closed stdout");
                header.Append((char)b);
            }
            var length = int.Parse(header.ToString().Split(':')[1].Trim(), CultureInfo.InvariantCulture);
            var buffer = new byte[length];
            await _stdout.ReadExactlyAsync(buffer).ConfigureAwait(false);
            if (IsError(buffer)) throw new InvalidOperationException($"{method} failed: {Encoding.UTF8.GetString(buffer)}");
            return buffer;
        }

        /// <summary>
        /// An answer has either "result" or "error" (JSON-RPC 2.0), so the check stops at the first of
        /// them: walking the whole result would be this client's cost, counted as the host's.
        /// </summary>
        private static bool IsError(byte[] message)
        {
            var reader = new Utf8JsonReader(message);
            reader.Read(); // the message object
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error")) return true;
                if (reader.ValueTextEquals("result")) return false;
                reader.Read();
                reader.Skip(); // the value, unread
            }
            return false;
        }
    }
}
