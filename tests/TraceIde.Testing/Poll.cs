namespace TraceIde.Testing;

/// <summary>
/// Waits for something that has no event to wait on (a notification the host applies, a process that ends, rows
/// the host pushes): checks the condition every 20 ms and fails with <c>what</c> after the timeout (30 s by default).
/// Only for a positive outcome: a test that must prove that something did *not* happen waits for an event that
/// comes after it instead (a later notification, a drained queue, a closed stream).
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0} s waiting until {what}");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }
}
