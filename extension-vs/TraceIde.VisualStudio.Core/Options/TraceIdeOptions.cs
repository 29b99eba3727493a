using System.Text.RegularExpressions;
using TraceIde.Protocol;

namespace TraceIde.VisualStudio.Core.Options;

/// <summary>The options page (Tools › Options › TraceIde), validated here so the page stays a thin grid.</summary>
public sealed class TraceIdeOptions
{
    public const int MinPageSize = 1;
    public const int MaxPageSize = 500;
    public const int MaxPollIntervalSeconds = 3600;

    /// <summary>An MLflow tracking server (http/https, no credentials in it). Empty: use <see cref="Store"/> or the workspace's mlflow.db.</summary>
    public string? TrackingUri { get; set; }
    /// <summary>A local store: a mlflow.db file, a folder holding one, or a sqlite:/// URI.</summary>
    public string? Store { get; set; }
    /// <summary>The experiment to open first (MLflow experiment IDs are numbers).</summary>
    public string? ExperimentId { get; set; }
    /// <summary>MLflow workspace (multi-tenant servers).</summary>
    public string? Workspace { get; set; }
    /// <summary>Seconds between live refreshes; 0 turns live polling off.</summary>
    public int PollIntervalSeconds { get; set; } = 5;
    /// <summary>Traces per page, 1..500 (the host's limit).</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Messages a person can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var uri = Trim(TrackingUri);
        var store = Trim(Store);
        if (uri != null && store != null)
            errors.Add("Set either a tracking server URI or a local store, not both.");
        if (uri != null)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
                errors.Add($"Tracking URI '{uri}' is not an http:// or https:// URL.");
            else if (!string.IsNullOrEmpty(parsed.UserInfo))
                errors.Add("Do not put a user name or password in the tracking URI; use TraceIde: Sign In (stored in the Windows Credential Manager).");
        }
        var experiment = Trim(ExperimentId);
        if (experiment != null && !Regex.IsMatch(experiment, "^[0-9]{1,19}$"))
            errors.Add($"Experiment ID '{experiment}' must be a number (MLflow experiment IDs are numeric).");
        if (PollIntervalSeconds < 0 || PollIntervalSeconds > MaxPollIntervalSeconds)
            errors.Add($"Poll interval must be between 0 (off) and {MaxPollIntervalSeconds} seconds.");
        if (PageSize < MinPageSize || PageSize > MaxPageSize)
            errors.Add($"Page size must be between {MinPageSize} and {MaxPageSize}.");
        return errors;
    }

    public bool IsValid => Validate().Count == 0;

    /// <summary>The `initialize` parameters for the host (backend choice only; credentials travel in the host's environment).</summary>
    public InitializeParams ToInitializeParams(IReadOnlyList<string>? workspaceFolders, string clientName = "Visual Studio")
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
        return new InitializeParams
        {
            TrackingUri = Trim(TrackingUri),
            Store = Trim(Store),
            Workspace = Trim(Workspace),
            WorkspaceFolders = workspaceFolders,
            ClientName = clientName,
        };
    }

    private static string? Trim(string? s) => string.IsNullOrWhiteSpace(s) ? null : s!.Trim();
}
