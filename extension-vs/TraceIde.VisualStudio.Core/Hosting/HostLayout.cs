namespace TraceIde.VisualStudio.Core.Hosting;

/// <summary>
/// Where the VSIX keeps its host: host\win-x64\traceide.exe, self-contained (its own .NET runtime and ASP.NET Core
/// inside, ReadyToRun; laid out by extension-vs/HostLayout.proj), so no .NET needs installing. Visual Studio 2022
/// runs on x64 Windows and on Arm64 Windows 11, which runs x64 programs under emulation, so that one host serves
/// both. A layout with a portable host\traceide.dll (a developer's) starts that one when there is no .exe, and
/// keeps it as the fallback when there is (<see cref="HostStartInfo.FallbackHostPath"/>).
/// </summary>
public static class HostLayout
{
    public static (string Host, string? FallbackHost) Resolve(string installFolder)
    {
        var portable = Path.Combine(installFolder, "host", "traceide.dll");
        var selfContained = Path.Combine(installFolder, "host", "win-x64", "traceide.exe");
        if (!File.Exists(selfContained)) return (portable, null);
        return (selfContained, File.Exists(portable) ? portable : null);
    }
}
