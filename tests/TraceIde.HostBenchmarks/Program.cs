namespace TraceIde.HostBenchmarks;

/// <summary>
/// `traceide-bench [--quick] [--out FILE] [--only overview|stdio|bigtrace|overhead] [--host TRACEIDE]`, and
/// `traceide-bench store --copies N --out DIR` (the overview scenario's generated store, kept for profiling).
/// The verbs `overview-child` and `server-child` are the child processes the scenarios start.
/// </summary>
public static class Program
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    public static async Task<int> Main(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "bench";
        var options = BenchOptions.Parse(command == "bench" ? args : args[1..]);
        if (options == null)
        {
            await Console.Error.WriteLineAsync("usage: traceide-bench [--quick] [--out FILE] [--only overview|stdio|bigtrace|overhead] [--host TRACEIDE]\n" +
                "       traceide-bench store --copies N --out DIR").ConfigureAwait(false);
            return Usage;
        }
        return command switch
        {
            "bench" => await BenchCommand.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false),
            "store" => await BenchCommand.RunStoreAsync(options, Console.Out, Console.Error).ConfigureAwait(false),
            // one scenario per process, for honest peak memory
            "overview-child" => await BenchCommand.RunOverviewChildAsync(options, Console.Out).ConfigureAwait(false),
            // the stand-in MLflow server of the overhead scenario, in its own process so its CPU is its own
            "server-child" => await HostOverheadScenario.RunServerChildAsync(options, Console.Out).ConfigureAwait(false),
            _ => Usage,
        };
    }
}

/// <summary>`--flag value` pairs and `--switch`es.</summary>
public sealed class BenchOptions
{
    private static readonly HashSet<string> Switches = ["--quick"];
    private readonly Dictionary<string, string?> _flags = new(StringComparer.Ordinal);

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) return null;
            if (Switches.Contains(args[i])) options._flags[args[i]] = null;
            else if (i + 1 < args.Length) options._flags[args[i]] = args[++i];
            else return null;
        }
        return options;
    }

    public bool Has(string flag) => _flags.ContainsKey(flag);
    public string? Get(string flag) => _flags.GetValueOrDefault(flag);
    public int? GetInt(string flag) => int.TryParse(Get(flag), out var n) ? n : null;
}
