using Microsoft.Extensions.Time.Testing;
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
    public void TrimsOnceAfterTheLastRequestEnds_ThenDeeplyOnceAfterTheLongerDelay()
    {
        // A fake clock: Advance runs the timers that fall due, so "nothing yet" and "nothing more" are facts, not sleeps.
        var time = new FakeTimeProvider();
        var steps = new List<string>();
        using var idle = new IdleTrimmer(
            TimeSpan.FromMilliseconds(20), () => steps.Add("trim"),
            TimeSpan.FromMilliseconds(120), () => steps.Add("deep"),
            time: time);

        idle.RequestStarted();
        idle.RequestStarted();
        idle.RequestEnded(); // one still running: no timer yet
        time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(steps);
        idle.RequestEnded();

        time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Empty(steps);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["trim"], steps);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(["trim"], steps);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["trim", "deep"], steps);
        time.Advance(TimeSpan.FromDays(1)); // both timers are one-shot: nothing more without a request in between
        Assert.Equal(["trim", "deep"], steps);
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
