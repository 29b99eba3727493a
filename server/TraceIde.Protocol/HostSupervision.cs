// Contract: how an IDE keeps its host running. Both extensions (extension-vscode/src/hostProcess.ts,
// extension-vs/…/Hosting/HostProcessManager.cs) take these numbers from here (VS Code through the generated
// TypeScript), so the two behave alike; docs/ARCHITECTURE.md ("Host supervision") says the policy in words.
namespace TraceIde.Protocol;

public static class HostSupervision
{
    /// <summary>The delay before restarting a host that died; it doubles for each death in a row.</summary>
    public const int FirstRestartDelayMs = 500;
    public const int MaxRestartDelayMs = 30_000;
    /// <summary>A host that ran this long before dying starts the count of deaths in a row anew.</summary>
    public const int StableAfterMs = 60_000;
    /// <summary>After this many deaths in a row the IDE stops restarting the host and says so, until the user restarts it.</summary>
    public const int MaxDeathsInARow = 8;
    /// <summary>A host that has not answered `initialize` by then is killed, and counted as a death.</summary>
    public const int InitializeTimeoutMs = 60_000;
    /// <summary>How long `shutdown` + `exit` may take before the host is killed.</summary>
    public const int ShutdownTimeoutMs = 3_000;
}
