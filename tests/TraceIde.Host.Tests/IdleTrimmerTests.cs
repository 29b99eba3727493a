using TraceIde.Host.Transport;

namespace TraceIde.Host.Tests;

public class IdleTrimmerTests
{
    [Fact]
    public async Task TrimsOnceAfterTheLastRequestEnds()
    {
        var trims = 0;
        var trimmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var idle = new IdleTrimmer(TimeSpan.FromMilliseconds(20), () =>
        {
            Interlocked.Increment(ref trims);
            trimmed.TrySetResult();
        });

        idle.RequestStarted();
        idle.RequestStarted();
        idle.RequestEnded(); // one still running: no timer yet
        Assert.False(trimmed.Task.IsCompleted);
        idle.RequestEnded();

        await trimmed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200); // the timer is one-shot: no second trim without a request in between
        Assert.Equal(1, Volatile.Read(ref trims));
    }

    [Fact]
    public void DoesNotTrimWhileARequestRuns()
    {
        var trims = 0;
        using var idle = new IdleTrimmer(TimeSpan.FromHours(1), () => trims++);
        idle.RequestStarted();
        Assert.False(idle.TryTrim());
        idle.RequestEnded();
        Assert.True(idle.TryTrim());
        Assert.Equal(1, trims);
    }
}
