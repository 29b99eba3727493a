using TraceIde.Protocol;

namespace TraceIde.Host.Cli;

/// <summary>The backend of a command that is not started by an IDE (`traces`, `ui`).</summary>
public static class CommandLineBackend
{
    /// <summary>--tracking-uri, --store, MLFLOW_TRACKING_URI, ./mlflow.db, then the sample store beside the executable.</summary>
    public static InitializeParams Choose(Options options, string clientName)
    {
        if (options.Get("--tracking-uri") is { } uri) return new InitializeParams { TrackingUri = uri, ClientName = clientName };
        if (options.Get("--store") is { } store) return new InitializeParams { Store = store, ClientName = clientName };
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI")))
            return new InitializeParams { ClientName = clientName };
        var local = Path.Combine(Environment.CurrentDirectory, "mlflow.db");
        return new InitializeParams { Store = File.Exists(local) ? local : SampleStorePath, ClientName = clientName };
    }

    /// <summary>The sample store copied next to the executable at build time.</summary>
    public static string SampleStorePath => Path.Combine(AppContext.BaseDirectory, "sample-store", "mlflow.db");
}
