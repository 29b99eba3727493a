using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using TraceIde.Backends.LocalStore;

namespace TraceIde.Host.Bench;

/// <summary>
/// Issue 7 / issue 10: what the host adds over the raw HTTP call. A <see cref="BenchMlflowServer"/> on
/// loopback; (a) an HttpClient sends exactly the request bodies the host sent and reads the answers,
/// (b) the same through the real host (`traceide serve` over stdio JSON-RPC). Interleaved rounds, p50 of
/// each, overhead = (b − a) / a. Two paths: a 100-row `traces/search` page, and `overview/usage` against
/// the server's `traces/metrics` (the server computes every answer over store-full with the SQL engine).
/// </summary>
internal static class HostOverheadScenario
{
    public static async Task<List<(string, string)>> RunAsync(string fixturesRoot, string metricsStore, bool quick)
    {
        await using var store = new LocalStoreBackend(metricsStore);
        await using var server = await BenchMlflowServer.StartAsync(fixturesRoot, store, rows: 100).ConfigureAwait(false);
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
            var (searchRaw, searchHost, searchCalls, searchFirst, searchCpu) = await MeasureAsync(server, http, host, quick ? 30 : 300, warmUp: quick ? 200 : 1000,
                () => rpc.CallRawAsync("traces/search", (JsonObject)search.DeepClone())).ConfigureAwait(false);
            results.Add(Row($"`traces/search`, 100 rows ({searchCalls} HTTP request per call)", searchRaw, searchHost,
                string.Create(CultureInfo.InvariantCulture, $"; first {searchFirst.Count} warm-up calls: host p50 {BenchCommand.Percentile(searchFirst, 50):0.00} ms")));
            results.Add(CpuRow("`traces/search`", searchCpu));

            var usage = new JsonObject
            {
                ["experimentIds"] = new JsonArray(BenchStores.Experiment),
                ["startTimeMs"] = 1794787200000,
                ["endTimeMs"] = 1795478400000,
                ["timeUnit"] = "day",
            };
            // Warm-up for half as many rounds as measured, so tiered compilation has settled in both processes.
            var (metricsRaw, metricsHost, metricsCalls, _, metricsCpu) = await MeasureAsync(server, http, host, quick ? 5 : 60, warmUp: quick ? 3 : 30,
                () => rpc.CallRawAsync("overview/usage", (JsonObject)usage.DeepClone())).ConfigureAwait(false);
            results.Add(Row($"`overview/usage` over the server's `traces/metrics` (store-full, {metricsCalls} requests per call, sent concurrently by both)", metricsRaw, metricsHost));
            results.Add(CpuRow("`overview/usage`", metricsCpu));
        }
        finally
        {
            host.Kill();
            await host.WaitForExitAsync().ConfigureAwait(false);
        }
        return results;
    }

    private static (string, string) Row(string what, List<double> raw, List<double> host, string more = "")
    {
        var r = BenchCommand.Percentile(raw, 50);
        var h = BenchCommand.Percentile(host, 50);
        return (what, string.Create(CultureInfo.InvariantCulture, $"raw HTTP {r:0.00} ms, host {h:0.00} ms: **{(h - r) / r * 100:+0;-0}%** (p50 of {raw.Count}, load {BenchCommand.LoadAverage()}){more}"));
    }

    /// <summary>
    /// CPU per call, steadier than wall time on a shared machine: the bench process (stand-in server +
    /// the raw client, or + the stdio client) and the host process, each summed over the measured rounds.
    /// </summary>
    private static (string, string) CpuRow(string what, CpuPerCall c) =>
        ($"{what}: CPU per call (bench process = stand-in server + client; host process)", string.Create(CultureInfo.InvariantCulture,
            $"raw: bench {c.BenchRawMs:0.00} ms; via the host: bench {c.BenchHostMs:0.00} ms + host {c.HostMs:0.00} ms"));

    internal readonly record struct CpuPerCall(double BenchRawMs, double BenchHostMs, double HostMs);

    /// <summary>
    /// Learns the HTTP requests one host call makes (the server records their bodies), then alternates a
    /// host call and a raw replay of those requests, after <paramref name="warmUp"/> rounds of both (the
    /// host's times of up to the first 100 of them are returned as First).
    /// </summary>
    private static async Task<(List<double> Raw, List<double> Host, int Requests, List<double> First, CpuPerCall Cpu)> MeasureAsync(
        BenchMlflowServer server, HttpClient http, Process hostProcess, int rounds, int warmUp, Func<Task<byte[]>> hostCall)
    {
        server.Received.Clear();
        server.Recording = true;
        await hostCall().ConfigureAwait(false);
        server.Recording = false;
        var requests = server.Received.ToArray();
        if (requests.Length == 0) throw new InvalidOperationException("the host sent no request to the bench server");

        async Task RawAsync() => await Task.WhenAll(requests.Select(async r =>
        {
            using var content = new StringContent(r.Body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(new Uri(server.BaseUri, r.Path), content).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        })).ConfigureAwait(false);

        // Warm-up long enough for tiered compilation to settle in both processes (a method is re-compiled
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
        double Cpu(Process p)
        {
            p.Refresh();
            return p.TotalProcessorTime.TotalMilliseconds;
        }
        double benchRaw = 0, benchHost = 0, hostCpu = 0;
        for (var i = 0; i < rounds; i++)
        {
            var b0 = Cpu(bench);
            var clock = Stopwatch.StartNew();
            await RawAsync().ConfigureAwait(false);
            raw.Add(clock.Elapsed.TotalMilliseconds);
            var b1 = Cpu(bench);
            var h1 = Cpu(hostProcess);
            clock.Restart();
            await hostCall().ConfigureAwait(false);
            host.Add(clock.Elapsed.TotalMilliseconds);
            benchRaw += b1 - b0;
            benchHost += Cpu(bench) - b1;
            hostCpu += Cpu(hostProcess) - h1;
        }
        return (raw, host, requests.Length, first, new CpuPerCall(benchRaw / rounds, benchHost / rounds, hostCpu / rounds));
    }
}
