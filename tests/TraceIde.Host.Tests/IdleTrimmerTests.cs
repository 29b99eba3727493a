using TraceIde.Host.Services;

namespace TraceIde.Host.Tests;

public class IdleTrimmerTests
{
    [Fact]
    public async Task TheDefaultDeepStepLetsTheConnectionsCachesGo()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trims = 0;
        using var idle = new IdleTrimmer(TimeSpan.FromMilliseconds(10), () => Interlocked.Increment(ref trims), TimeSpan.FromMilliseconds(60),
            releaseCaches: () => released.TrySetResult());
        idle.RequestStarted();
        idle.RequestEnded();
        await released.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Volatile.Read(ref trims)); // after the light step, as the deep one's first act
    }

    [Fact]
    public async Task TrimsOnceAfterTheLastRequestEnds_ThenDeeplyOnceAfterTheLongerDelay()
    {
        var steps = new List<string>();
        var deep = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var idle = new IdleTrimmer(
            TimeSpan.FromMilliseconds(20), () => { lock (steps) steps.Add("trim"); },
            TimeSpan.FromMilliseconds(120), () => { lock (steps) steps.Add("deep"); deep.TrySetResult(); });

        idle.RequestStarted();
        idle.RequestStarted();
        idle.RequestEnded(); // one still running: no timer yet
        await Task.Delay(60);
        lock (steps) Assert.Empty(steps);
        idle.RequestEnded();

        await deep.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200); // both timers are one-shot: nothing more without a request in between
        lock (steps) Assert.Equal(["trim", "deep"], steps);
    }

    [Fact]
    public void DoesNotTrimWhileARequestRuns_AndARequestStartsTheStepsAgain()
    {
        var steps = new List<string>();
        using var idle = new IdleTrimmer(TimeSpan.FromHours(1), () => steps.Add("trim"), TimeSpan.FromHours(2), () => steps.Add("deep"));
        Assert.False(idle.TryTrim()); // no request yet: nothing to give back
        idle.RequestStarted();
        Assert.False(idle.TryTrim());
        idle.RequestEnded();
        Assert.True(idle.TryTrim());
        idle.RequestStarted(); // a request between the steps: the next idle period starts with the light trim
        Assert.False(idle.TryTrim());
        idle.RequestEnded();
        Assert.True(idle.TryTrim());
        Assert.True(idle.TryTrim());
        Assert.False(idle.TryTrim());
        Assert.Equal(["trim", "trim", "deep"], steps);
    }

    [Fact]
    public void A_timer_that_fires_after_dispose_does_nothing()
    {
        var trims = 0;
        var idle = new IdleTrimmer(TimeSpan.FromHours(1), () => trims++, TimeSpan.FromHours(2), () => trims++);
        idle.RequestStarted();
        idle.RequestEnded();
        idle.Dispose();
        Assert.False(idle.TryTrim()); // as the timer callback would, racing the dispose
        idle.RequestStarted();
        idle.RequestEnded();
        Assert.Equal(0, trims);
    }
}
