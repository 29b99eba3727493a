namespace TraceIde.Testing;

/// <summary>Paths of the real MLflow fixtures copied into tests/fixtures (found from the test binary upwards).</summary>
public static class Fixtures
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>tests/fixtures/mlflow-3.11.2.dev0</summary>
    public static string Root => RootLazy.Value;

    public static string Http => Path.Combine(Root, "http");
    /// <summary>The tracking server's store (same IDs as the HTTP recordings).</summary>
    public static string ServerStore => Path.Combine(Root, "store");
    /// <summary>The store written without a server (other IDs, same content).</summary>
    public static string LocalStore => Path.Combine(Root, "store-local");
    public static string GroundTruthSmall => Path.Combine(Root, "ground_truth_small.json");
    public static string App => Path.Combine(Root, "app");

    /// <summary>The repository root (holds TraceIde.sln).</summary>
    public static string RepoRoot => Path.GetFullPath(Path.Combine(Root, "..", "..", ".."));

    private static string FindRoot()
    {
        var testsDir = typeof(Fixtures).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TestsDirectory")?.Value;
        if (testsDir != null && Directory.Exists(Path.Combine(testsDir, "fixtures", "mlflow-3.11.2.dev0")))
            return Path.Combine(testsDir, "fixtures", "mlflow-3.11.2.dev0");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "mlflow-3.11.2.dev0");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/mlflow-3.11.2.dev0 not found above " + AppContext.BaseDirectory);
    }
}
