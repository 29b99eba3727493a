using TraceIde.Host.Services;

namespace TraceIde.Host.Tests;

/// <summary>
/// The start-up warm-up swallows its errors (it must never stop a host), so a part that breaks would only make
/// start-up slower without anyone noticing: here every part must succeed, and leave no file behind.
/// </summary>
public class StartupWarmUpTests
{
    [Fact]
    public void EveryPartSucceeds_AndNoFileIsWritten()
    {
        var cwd = Directory.GetCurrentDirectory();
        var before = Directory.GetFileSystemEntries(cwd).Order(StringComparer.Ordinal).ToList();
        Assert.True(StartupWarmUp.Run());
        Assert.True(StartupWarmUp.WarmTracePath(rounds: 2));
        Assert.Equal(before, Directory.GetFileSystemEntries(cwd).Order(StringComparer.Ordinal).ToList());
    }
}
