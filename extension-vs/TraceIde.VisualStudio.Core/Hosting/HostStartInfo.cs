using System.Text;
using TraceIde.Protocol;

namespace TraceIde.VisualStudio.Core.Hosting;

/// <summary>How to start one host: evaluated again at every (re)start, so changed options and credentials apply.</summary>
public sealed class HostStartInfo
{
    /// <summary>The `dotnet` muxer (or a full path to it): runs a `.dll` host only.</summary>
    public string DotnetPath { get; set; } = "dotnet";

    /// <summary>
    /// Full path of the host: the VSIX's self-contained host\win-x64\traceide.exe (its own .NET inside, started as
    /// an executable), or a portable traceide.dll (started with <see cref="DotnetPath"/>).
    /// </summary>
    public string HostPath { get; set; } = "";

    /// <summary>
    /// The host to start instead of <see cref="HostPath"/>, from then on, when that one dies before it ever
    /// answered `initialize` (a portable traceide.dll beside the self-contained one, in a layout that has both).
    /// See <see cref="HostLayout"/>.
    /// </summary>
    public string? FallbackHostPath { get; set; }

    /// <summary>The IDE's process id: the host exits by itself when it dies (`serve --parent-pid`).</summary>
    public int? ParentPid { get; set; }

    public string? LogFile { get; set; }

    /// <summary>Variables added to the host's environment (MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN). Only the host sees them.</summary>
    public IDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    /// <summary>Sent as `initialize` (backend choice). Never holds credentials.</summary>
    public InitializeParams Initialize { get; set; } = new();

    /// <summary>Variables removed from the inherited environment so the IDE's own MLflow settings never leak in.</summary>
    public static readonly IReadOnlyList<string> ScrubbedVariables =
    [
        "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
    ];

    /// <summary>A traceide.dll runs under `dotnet`; anything else (traceide.exe) is the host's own executable.</summary>
    public bool RunsOnDotnet => HostPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>The program to start: <see cref="DotnetPath"/> for a .dll host, else the host itself.</summary>
    public string FileName => RunsOnDotnet ? DotnetPath : HostPath;

    /// <summary>The program's arguments: the .dll first when `dotnet` runs it, then `serve` and its options.</summary>
    public IReadOnlyList<string> Arguments()
    {
        var args = new List<string>();
        if (RunsOnDotnet) args.Add(HostPath);
        args.Add("serve");
        if (ParentPid is { } pid) { args.Add("--parent-pid"); args.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (!string.IsNullOrEmpty(LogFile)) { args.Add("--log-file"); args.Add(LogFile!); }
        return args;
    }

    /// <summary>ProcessStartInfo.Arguments text (netstandard2.0 has no ArgumentList): Windows/.NET quoting rules.</summary>
    public static string JoinArguments(IEnumerable<string> args) => string.Join(" ", args.Select(Quote));

    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny([' ', '\t', '\n', '\v', '"']) < 0) return arg;
        var sb = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in arg)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"') { sb.Append('\\', backslashes * 2 + 1); sb.Append('"'); }
            else { sb.Append('\\', backslashes); sb.Append(c); }
            backslashes = 0;
        }
        sb.Append('\\', backslashes * 2);
        sb.Append('"');
        return sb.ToString();
    }
}

/// <summary>Restart delays: initial × 2^(failures-1), capped; a host that ran longer than <see cref="StableAfter"/> resets the count.</summary>
public sealed class RestartPolicy
{
    // The defaults are the contract's HostSupervision, which VS Code's hostProcess.ts follows too; tests shorten them.
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(HostSupervision.FirstRestartDelayMs);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(HostSupervision.MaxRestartDelayMs);
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromMilliseconds(HostSupervision.StableAfterMs);
    /// <summary>After this many quick deaths in a row the manager stops trying until <see cref="HostProcessManager.RestartAsync"/>.</summary>
    public int MaxConsecutiveFailures { get; set; } = HostSupervision.MaxDeathsInARow;
    /// <summary>How long the host may take to answer `initialize`.</summary>
    public TimeSpan InitializeTimeout { get; set; } = TimeSpan.FromMilliseconds(HostSupervision.InitializeTimeoutMs);
    /// <summary>How long a graceful shutdown (shutdown + exit) may take before the host is killed.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromMilliseconds(HostSupervision.ShutdownTimeoutMs);

    /// <summary>
    /// The wait before asking an unreachable tracking server again (attempt 0 first): the first restart delay
    /// × 4, doubling, at most <see cref="MaxDelay"/> — VS Code's hostProcess.ts waits the same.
    /// </summary>
    public TimeSpan ReconnectDelay(int attempt)
    {
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt + 2, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }

    public TimeSpan DelayFor(int consecutiveFailures)
    {
        if (consecutiveFailures <= 0) return TimeSpan.Zero;
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(consecutiveFailures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
