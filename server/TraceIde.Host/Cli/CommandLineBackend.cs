using TraceIde.Protocol;

namespace TraceIde.Host.Cli;

/// <summary>The backend of a command that is not started by an IDE (`traces`, `ui`).</summary>
public static class CommandLineBackend
{
    /// <summary>
    /// --tracking-uri, --store, MLFLOW_TRACKING_URI, ./mlflow.db, then the sample store beside the executable.
    /// <paramref name="environment"/> and <paramref name="currentDirectory"/> are the process's unless a test gives its own.
    /// </summary>
    public static InitializeParams Choose(Options options, string clientName, Func<string, string?>? environment = null, string? currentDirectory = null)
    {
        if (options.Get("--tracking-uri") is { } uri) return new InitializeParams { TrackingUri = uri, ClientName = clientName };
        if (options.Get("--store") is { } store) return new InitializeParams { Store = store, ClientName = clientName };
        // Neither given: the session reads MLFLOW_TRACKING_URI itself, as MLflow's own client does.
        if (!string.IsNullOrWhiteSpace((environment ?? Environment.GetEnvironmentVariable)("MLFLOW_TRACKING_URI")))
            return new InitializeParams { ClientName = clientName };
        var local = Path.Combine(currentDirectory ?? Environment.CurrentDirectory, "mlflow.db");
        return new InitializeParams { Store = File.Exists(local) ? local : SampleStorePath, ClientName = clientName };
    }

    /// <summary>The sample store copied next to the executable at build time.</summary>
    public static string SampleStorePath => Path.Combine(AppContext.BaseDirectory, "sample-store", "mlflow.db");
}
