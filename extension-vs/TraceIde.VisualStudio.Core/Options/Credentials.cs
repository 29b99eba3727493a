namespace TraceIde.VisualStudio.Core.Options;

/// <summary>What MLflow accepts: basic auth (user + password) or a bearer token.</summary>
public sealed class TrackingCredential
{
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string? Token { get; set; }
}

/// <summary>Where credentials live: the Windows Credential Manager in Visual Studio (WindowsCredentialStore in the Ui project).</summary>
public interface ICredentialStore
{
    TrackingCredential? Read(string target);
    void Write(string target, TrackingCredential credential);
    void Delete(string target);
}

public static class CredentialTargets
{
    /// <summary>`TraceIde:https://host:port` — one entry per server, never per path or query.</summary>
    public static string For(string trackingUri)
    {
        var uri = new Uri(trackingUri, UriKind.Absolute);
        return "TraceIde:" + uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

/// <summary>The only way credentials travel: into the host's environment, as MLflow's own variables.</summary>
public static class HostEnvironment
{
    public static IDictionary<string, string> For(TrackingCredential? credential)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (credential == null) return env;
        if (!string.IsNullOrEmpty(credential.Token)) env["MLFLOW_TRACKING_TOKEN"] = credential.Token!;
        if (!string.IsNullOrEmpty(credential.Username)) env["MLFLOW_TRACKING_USERNAME"] = credential.Username!;
        if (!string.IsNullOrEmpty(credential.Password)) env["MLFLOW_TRACKING_PASSWORD"] = credential.Password!;
        return env;
    }
}

/// <summary>For tests and for a session without a credential manager.</summary>
public sealed class InMemoryCredentialStore : ICredentialStore
{
    private readonly Dictionary<string, TrackingCredential> _items = new(StringComparer.OrdinalIgnoreCase);

    public TrackingCredential? Read(string target) => _items.TryGetValue(target, out var c) ? c : null;
    public void Write(string target, TrackingCredential credential) => _items[target] = credential;
    public void Delete(string target) => _items.Remove(target);
}
