using System.Runtime.InteropServices;

namespace TraceIde.VisualStudio.Core.Hosting;

/// <summary>
/// Where the VSIX keeps its hosts: host\traceide.dll, portable (any .NET 10), and host\win-x64\traceide.dll, the
/// same host precompiled (ReadyToRun) for x64 Windows, which starts with less JIT work (docs/PERFORMANCE.md). .NET
/// refuses an image precompiled for another architecture, so the precompiled host is chosen only on x64, with the
/// portable one as its fallback (<see cref="HostStartInfo.FallbackHostDllPath"/>).
/// </summary>
public static class HostLayout
{
    public static (string HostDll, string? FallbackHostDll) Resolve(string installFolder, Architecture osArchitecture)
    {
        var portable = Path.Combine(installFolder, "host", "traceide.dll");
        var precompiled = Path.Combine(installFolder, "host", "win-x64", "traceide.dll");
        return osArchitecture == Architecture.X64 && File.Exists(precompiled) ? (precompiled, portable) : (portable, null);
    }
}
