using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TraceIde.Testing;

namespace TraceIde.HostBenchmarks;

/// <summary>
/// Issue 7: one trace of 10k (and 100k) spans opened through the real host, end to end — from a local
/// store (spans rows, as MLflow's SQL store keeps them) and from a loopback MLflow stand-in answering
/// `GET traces/get` in the recorded OTel shape. Reports the host's `traces/get` time beside the raw HTTP
/// fetch of the same answer, and the host's peak resident memory beside the span JSON's size.
/// </summary>
internal static class BigTraceScenario
{
    public static async Task<List<(string, string)>> RunAsync(string fixturesRoot, string work, bool quick)
    {
        var results = new List<(string, string)>();
        foreach (var spans in quick ? new[] { 10_000 } : [10_000, 100_000])
        {
            var rounds = spans >= 100_000 ? 3 : quick ? 3 : 10;
            var traceId = "tr-" + spans.ToString("x32", CultureInfo.InvariantCulture);
            var facts = SyntheticTraces.Generate(spans);

            // Local store: a copy of the fixture store with the trace's spans rows added.
            var db = Path.Combine(work, $"big-{spans}.db");
            File.Copy(Path.Combine(fixturesRoot, "store", "mlflow.db"), db, overwrite: true);
            var contentBytes = SyntheticTraces.AddToStore(db, traceId, facts);
            var (storeMs, storePeak, storeGrowth) = await TimeHostAsync(new JsonObject { ["store"] = db }, traceId, rounds).ConfigureAwait(false);
            results.Add(($"`traces/get` of a {spans:N0}-span trace, local store ({contentBytes / 1e6:0.0} MB of span JSON), p50 of {rounds}",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{storeMs:0} ms; host peak RSS {storePeak} MB, +{storeGrowth} MB over its idle RSS = {storeGrowth * 1e6 / contentBytes:0.0}× the JSON")));
            File.Delete(db);

            // Loopback HTTP: the stand-in answers traces/get with the trace in OTel JSON.
            var answer = SyntheticTraces.TraceGetAnswer(traceId, facts);
            await using var server = MlflowStandIn.Start(fixturesRoot, metricsStore: null, rows: 0);
            server.ServeTrace(traceId, answer);
            using var http = new HttpClient();
            var raw = new List<double>();
            for (var i = 0; i < rounds + 1; i++)
            {
                var clock = Stopwatch.StartNew();
                var bytes = await http.GetByteArrayAsync(new Uri(server.BaseUri, $"api/3.0/mlflow/traces/get?trace_id={traceId}")).ConfigureAwait(false);
                if (i > 0) raw.Add(clock.Elapsed.TotalMilliseconds); // the first warms the connection up
                if (bytes.Length != answer.Length) throw new InvalidOperationException("the stand-in answered a different body");
            }
            var (httpMs, httpPeak, httpGrowth) = await TimeHostAsync(new JsonObject { ["trackingUri"] = server.BaseUri.ToString() }, traceId, rounds)
                .ConfigureAwait(false);
            results.Add(($"`traces/get` of a {spans:N0}-span trace over loopback HTTP ({answer.Length / 1e6:0.0} MB answer), p50 of {rounds}",
                string.Create(CultureInfo.InvariantCulture, $"{httpMs:0} ms (raw HTTP fetch {BenchCommand.Percentile(raw, 50):0} ms); host peak RSS " +
                    $"{httpPeak} MB, +{httpGrowth} MB over its idle RSS = {httpGrowth * 1e6 / answer.Length:0.0}× the answer")));
        }
        return results;
    }

    /// <summary>
    /// p50 of `traces/get` through a fresh `traceide serve` (after one warm-up call), its peak RSS and the
    /// peak's growth over its RSS after `initialize`, in MB.
    /// </summary>
    private static async Task<(double P50Ms, long PeakMb, long GrowthMb)> TimeHostAsync(JsonObject initialize, string traceId, int rounds)
    {
        using var host = Process.Start(BenchCommand.HostStartInfo(["serve"], BenchCommand.ServedHost))!;
        try
        {
            var rpc = new BenchCommand.StdioClient(host);
            await rpc.CallAsync("initialize", initialize).ConfigureAwait(false);
            host.Refresh();
            var idle = host.WorkingSet64 / (1024 * 1024);
            var times = new List<double>();
            for (var i = 0; i < rounds + 1; i++)
            {
                var clock = Stopwatch.StartNew();
                var answer = await rpc.CallRawAsync("traces/get", new JsonObject { ["traceId"] = traceId }).ConfigureAwait(false);
                if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds);
                if (answer.Length < 1000) throw new InvalidOperationException($"traces/get answered {answer.Length} bytes");
            }
            host.Refresh();
            var peak = host.PeakWorkingSet64 / (1024 * 1024); // VmHWM on Linux
            return (BenchCommand.Percentile(times, 50), peak, peak - idle);
        }
        finally
        {
            host.Kill();
            await host.WaitForExitAsync().ConfigureAwait(false);
        }
    }
}
