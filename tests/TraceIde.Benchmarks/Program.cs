using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace TraceIde.Benchmarks;

public static class Program
{
    /// <summary>
    /// All benchmarks with allocated memory; pass BenchmarkDotNet's own arguments (--filter, --job short, …).
    /// Every job runs with the host's JIT settings (TieredPGO off, TraceIde.Host.csproj): with PGO on, the
    /// same code (and the JsonDocument floor) measured up to 1.5× faster than what the host runs.
    /// </summary>
    public static int Main(string[] args)
    {
        // Whole-path scenarios that are not micro-benchmarks: `rest-huge [--quick]` (RestHugeTraceBench).
        if (args.FirstOrDefault() == "rest-huge") return RestHugeTraceBench.RunAsync(args[1..]).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            .Run(args, DefaultConfig.Instance
                .AddJob(Job.Default.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TieredPGO", "0")).AsMutator())
                .AddDiagnoser(MemoryDiagnoser.Default)
                .WithBuildTimeout(TimeSpan.FromMinutes(10))); // the 2-minute default is too short on a busy 2-core machine
        return 0;
    }
}
