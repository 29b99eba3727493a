using TraceIde.Backends.LocalStore;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Services;

/// <summary>
/// Picks the backend, in this order: `initialize`'s trackingUri, its store, MLFLOW_TRACKING_URI,
/// then a mlflow.db in the first workspace folder. Nothing found is a NotFound error saying how to fix it.
/// </summary>
public static class BackendSelector
{
    public static ITraceBackend Create(InitializeParams p, Func<string, string?> env, HostLog log)
    {
        if (!string.IsNullOrWhiteSpace(p.TrackingUri)) return FromUri(p.TrackingUri, p.Workspace, env, "initialize.trackingUri", log);
        if (!string.IsNullOrWhiteSpace(p.Store)) return Local(p.Store, "initialize.store", log);

        var envUri = env("MLFLOW_TRACKING_URI");
        if (!string.IsNullOrWhiteSpace(envUri)) return FromUri(envUri, p.Workspace ?? env("MLFLOW_WORKSPACE"), env, "MLFLOW_TRACKING_URI", log);

        var folder = p.WorkspaceFolders?.FirstOrDefault();
        if (folder != null)
        {
            var db = Path.Combine(LocalPath(folder), "mlflow.db");
            if (File.Exists(db)) return Local(db, "the workspace's mlflow.db", log);
        }

        throw new BackendException(RpcErrorCodes.NotFound,
            "No MLflow backend configured: pass `trackingUri` (e.g. http://127.0.0.1:5000) or `store` (a mlflow.db) to initialize, " +
            "set MLFLOW_TRACKING_URI, or open a folder that holds mlflow.db.");
    }

    /// <summary>http(s) → the REST backend; sqlite:///, file:// or a path → the local store.</summary>
    public static ITraceBackend FromUri(string uri, string? workspace, Func<string, string?> env, string source, HostLog log)
    {
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            log.Info($"backend: MLflow tracking server from {source}");
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
                throw new BackendException(RpcErrorCodes.InvalidParams, $"Not a valid tracking server URL: {HostLog.Redact(uri)}");
            return new MlflowRestBackend(MlflowBackendOptions.FromEnvironment(parsed, workspace, env));
        }
        if (uri.StartsWith("databricks", StringComparison.OrdinalIgnoreCase))
        {
            throw BackendException.Unsupported("Databricks tracking URIs are not supported yet: use an MLflow tracking server URL or a local store.");
        }
        return Local(uri, source, log);
    }

    private static ITraceBackend Local(string store, string source, HostLog log)
    {
        log.Info($"backend: local store from {source}");
        return new LocalStoreBackend(store);
    }

    /// <summary>Workspace folders may arrive as file:// URIs (VS Code) or paths.</summary>
    private static string LocalPath(string folder) =>
        Uri.TryCreate(folder, UriKind.Absolute, out var u) && u.IsFile ? u.LocalPath : folder;
}
