using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace TraceIde.Benchmarks;

public static class Program
{
    /// <summary>All benchmarks with allocated memory; pass BenchmarkDotNet's own arguments (--filter, --job short, …).</summary>
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            .Run(args, DefaultConfig.Instance
                .AddDiagnoser(MemoryDiagnoser.Default)
                .WithBuildTimeout(TimeSpan.FromMinutes(10))); // the 2-minute default is too short on a busy 2-core machine
}
