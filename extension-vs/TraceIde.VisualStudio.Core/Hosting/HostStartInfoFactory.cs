using TraceIde.VisualStudio.Core.Options;

namespace TraceIde.VisualStudio.Core.Hosting;

/// <summary>Builds a <see cref="HostStartInfo"/> from the options and the credential store, at every (re)start.</summary>
public static class HostStartInfoFactory
{
    public static HostStartInfo Create(
        TraceIdeOptions options,
        ICredentialStore credentials,
        string hostPath,
        int parentPid,
        IReadOnlyList<string>? workspaceFolders,
        string dotnetPath = "dotnet",
        string? logFile = null,
        string? fallbackHostPath = null)
    {
        var initialize = options.ToInitializeParams(workspaceFolders);
        var credential = initialize.TrackingUri != null ? credentials.Read(CredentialTargets.For(initialize.TrackingUri)) : null;
        return new HostStartInfo
        {
            DotnetPath = dotnetPath,
            HostPath = hostPath,
            FallbackHostPath = fallbackHostPath,
            ParentPid = parentPid,
            LogFile = logFile,
            Initialize = initialize,
            Environment = HostEnvironment.For(credential),
        };
    }
}
