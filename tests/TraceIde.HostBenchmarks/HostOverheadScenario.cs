using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using TraceIde.Backends.LocalStore;
using TraceIde.Testing;

namespace TraceIde.HostBenchmarks;

/// <summary>
/// Issue 7 / issue 10: what the host adds over the raw HTTP call. An <see cref="MlflowStandIn"/> on
/// loopback in a process of its own (`traceide-bench server-child`), so the server's CPU is measured alone; (a) an
/// HttpClient sends exactly the request bodies the host sent and reads the answers, (b) the same through the
/// real host (`traceide serve` over stdio JSON-RPC). Interleaved rounds; p50 wall of each, (b − a) / a, and
/// per call the CPU of the server, of the host and of each client. Paths: a 100-row `traces/search` page, and
/// the three Overview tabs against the server's `traces/metrics` (the server computes every answer over
/// store-full with the SQL engine).
/// </summary>
internal static class HostOverheadScenario
{
    private static readonly JsonObject FixtureWeek = new()
    {
        ["experimentIds"] = new JsonArray(ScaledStores.Experiment),
        ["startTimeMs"] = 1794787200000,
        ["endTimeMs"] = 1795478400000,
        ["timeUnit"] = "day",
    };

    public static async Task<List<(string, string)>> RunAsync(string fixturesRoot, string metricsStore, bool quick)
    {
        using var server = await StandIn.StartAsync(fixturesRoot, metricsStore).ConfigureAwait(false);
        using var host = Process.Start(BenchCommand.HostStartInfo(["serve"], BenchCommand.ServedHost))!;
        var rpc = new BenchCommand.StdioClient(host);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.All });
        var results = new List<(string, string)>();
        try
        {
            await rpc.CallAsync("initialize", new JsonObject { ["trackingUri"] = server.BaseUri.ToString() }).ConfigureAwait(false);

            var search = new JsonObject { ["experimentIds"] = new JsonArray("1"), ["pageSize"] = 100 };
            // Steady state: the JIT re-compiles the path's methods (tiered compilation) over the first few
            // hundred calls; those calls are reported apart, as the first-calls figure.
            var s = await MeasureAsync(server, http, host, quick ? 30 : 300, warmUp: quick ? 200 : 1000,
                () => rpc.CallRawAsync("traces/search", (JsonObject)search.DeepClone())).ConfigureAwait(false);
            results.Add(Row($"`traces/search`, 100 rows ({s.Requests} HTTP request per call)", s,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"; first {s.First.Count} warm-up calls: host p50 {BenchCommand.Percentile(s.First, 50):0.00} ms")));
            results.Add(CpuRow("`traces/search`", s.Cpu));

            // The tool-calls tab's server work is ~10× the others' (span rows), so it gets fewer rounds.
            foreach (var (method, tab, rounds) in new[]
            {
                ("overview/usage", "usage", 150),
                ("overview/quality", "quality", 150),
                ("overview/toolCalls", "tool calls", 50)
            })
            {
                // Warm-up for half as many rounds as measured, so tiered compilation has settled in every process.
                var m = await MeasureAsync(server, http, host, quick ? 5 : rounds, warmUp: quick ? 3 : rounds / 2,
                    () => rpc.CallRawAsync(method, (JsonObject)FixtureWeek.DeepClone())).ConfigureAwait(false);
                results.Add(Row(
                    $"`{method}` ({tab} tab) over the server's `traces/metrics` (store-full, {m.Requests} requests per call, sent concurrently by both)",
                    m));
                results.Add(CpuRow($"`{method}`", m.Cpu));
            }
        }
        finally
        {
            host.Kill();
            await host.WaitForExitAsync().ConfigureAwait(false);
        }
        return results;
    }

    private static (string, string) Row(string what, Measured m, string more = "")
    {
        var r = BenchCommand.Percentile(m.Raw, 50);
        var h = BenchCommand.Percentile(m.Host, 50);
        return (what, string.Create(CultureInfo.InvariantCulture, $"wall: raw HTTP {r:0.00} ms, host {h:0.00} ms: " +
            $"**{Math.Round((h - r) / r * 100):+0;-0;0}%** (p50 of {m.Raw.Count}, load {BenchCommand.LoadAverage()}){more}"));
    }

    /// <summary>
    /// CPU per call, steadier than wall time on a shared machine. The primary overhead figure is the host's
    /// CPU over the server's CPU for the same requests; beside it what the host path costs beyond a plain
    /// HTTP client (host + the stdio client − the raw HTTP client), which is the host's own share.
    /// </summary>
    private static (string, string) CpuRow(string what, CpuPerCall c) =>
        ($"{what}: CPU per call", string.Create(CultureInfo.InvariantCulture,
            $"server {c.ServerRawMs:0.00} ms (raw rounds) / {c.ServerHostMs:0.00} ms (host rounds); host {c.HostMs:0.00} ms = " +
            $"**{c.HostMs / c.ServerHostMs * 100:0.0} % of the server's**; clients: raw HTTP {c.RawClientMs:0.00} ms, stdio {c.StdioClientMs:0.00} ms; " +
            $"host + stdio − raw = {c.HostMs + c.StdioClientMs - c.RawClientMs:0.00} ms = " +
                $"{(c.HostMs + c.StdioClientMs - c.RawClientMs) / c.ServerHostMs * 100:0.0} %"));

    internal readonly record struct CpuPerCall(double ServerRawMs, double ServerHostMs, double RawClientMs, double StdioClientMs, double HostMs);

    private sealed record Measured(List<double> Raw, List<double> Host, int Requests, List<double> First, CpuPerCall Cpu);

    /// <summary>
    /// Learns the HTTP requests one host call makes (the server records their bodies), then alternates a
    /// raw replay of those requests and a host call, after <paramref name="warmUp"/> rounds of both (the
    /// host's times of up to the first 100 of them are returned as First).
    /// </summary>
    private static async Task<Measured> MeasureAsync(StandIn server, HttpClient http, Process hostProcess, int rounds, int warmUp, Func<Task<byte[]>> hostCall)
    {
        await server.RecordAsync(http).ConfigureAwait(false);
        await hostCall().ConfigureAwait(false);
        var requests = await server.ReceivedAsync(http).ConfigureAwait(false);
        if (requests.Count == 0) throw new InvalidOperationException("the host sent no request to the bench server");

        async Task RawAsync() => await Task.WhenAll(requests.Select(async r =>
        {
            using var content = new StringContent(r.Body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(new Uri(server.BaseUri, r.Path), content).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        })).ConfigureAwait(false);

        // Warm-up long enough for tiered compilation to settle in every process (a method is re-compiled
        // after 30 calls, and again once its tier-1 code is ready).
        var first = new List<double>();
        for (var i = 0; i < warmUp; i++)
        {
            await RawAsync().ConfigureAwait(false);
            var warm = Stopwatch.StartNew();
            await hostCall().ConfigureAwait(false);
            if (first.Count < 100) first.Add(warm.Elapsed.TotalMilliseconds);
        }
        var raw = new List<double>();
        var host = new List<double>();
        using var bench = Process.GetCurrentProcess();
        static double Cpu(Process p)
        {
            p.Refresh();
            return p.TotalProcessorTime.TotalMilliseconds;
        }
        double serverRaw = 0, serverHost = 0, rawClient = 0, stdioClient = 0, hostCpu = 0;
        for (var i = 0; i < rounds; i++)
        {
            var (s0, b0) = (Cpu(server.Process), Cpu(bench));
            var clock = Stopwatch.StartNew();
            await RawAsync().ConfigureAwait(false);
            raw.Add(clock.Elapsed.TotalMilliseconds);
            var (s1, b1, h1) = (Cpu(server.Process), Cpu(bench), Cpu(hostProcess));
            clock.Restart();
            await hostCall().ConfigureAwait(false);
            host.Add(clock.Elapsed.TotalMilliseconds);
            var (s2, b2, h2) = (Cpu(server.Process), Cpu(bench), Cpu(hostProcess));
            serverRaw += s1 - s0;
            rawClient += b1 - b0;
            serverHost += s2 - s1;
            stdioClient += b2 - b1;
            hostCpu += h2 - h1;
        }
        return new Measured(raw, host, requests.Count, first,
            new CpuPerCall(serverRaw / rounds, serverHost / rounds, rawClient / rounds, stdioClient / rounds, hostCpu / rounds));
    }

    /// <summary>The stand-in server in a child process (`traceide-bench server-child`), so its CPU time is its own.</summary>
    private sealed class StandIn : IDisposable
    {
        public required Process Process { get; init; }
        public required Uri BaseUri { get; init; }

        public static async Task<StandIn> StartAsync(string fixturesRoot, string metricsStore)
        {
            var process = Process.Start(BenchCommand.BenchStartInfo(["server-child", "--fixtures", fixturesRoot, "--store", metricsStore]))!;
            var line = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false)
                ?? throw new InvalidOperationException("the stand-in server did not start: " +
                    $"{await process.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
            return new StandIn { Process = process, BaseUri = new Uri(line) };
        }

        public async Task RecordAsync(HttpClient http)
        {
            using var response = await http.PostAsync(new Uri(BaseUri, MlflowStandIn.RecordPath), null).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }

        public async Task<List<(string Path, string Body)>> ReceivedAsync(HttpClient http)
        {
            using var response = await http.PostAsync(new Uri(BaseUri, MlflowStandIn.ReceivedPath), null).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var received = JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))!.AsArray();
            return received.Select(r => ((string)r!["path"]!, (string)r["body"]!)).ToList();
        }

        public void Dispose()
        {
            Process.StandardInput.Close(); // the child ends when its stdin closes
            if (!Process.WaitForExit(5000)) Process.Kill();
            Process.Dispose();
        }
    }

    /// <summary>
    /// `traceide-bench server-child --fixtures DIR --store DB`, the child side of the scenario: the stand-in on
    /// loopback; prints its base URL, serves until stdin closes.
    /// </summary>
    public static async Task<int> RunServerChildAsync(BenchOptions options, TextWriter stdout)
    {
        await using var store = new LocalStoreBackend(options.Get("--store")!);
        await using var server = MlflowStandIn.Start(options.Get("--fixtures")!, store, rows: 100);
        await stdout.WriteLineAsync(server.BaseUri.ToString()).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        return Program.Ok;
    }
}
