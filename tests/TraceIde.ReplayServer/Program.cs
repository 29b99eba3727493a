// traceide-replay: serves the recorded MLflow 3.11.2.dev0 exchanges (tests/fixtures/.../http) on
// 127.0.0.1 until stdin closes or SIGTERM/Ctrl+C. Prints one line, `replay: http://127.0.0.1:<port>`,
// then a line per request it could not match (those get Flask's 404, as an unknown URL would).
// `--port N` listens on that port (a test that brings a server back where the host last saw it).
using TraceIde.Testing;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

var portArg = Array.IndexOf(args, "--port");
int? port = portArg >= 0 && portArg + 1 < args.Length && int.TryParse(args[portArg + 1], out var p) ? p : null;
await using var server = MlflowReplayServer.Start(port is null ? null : new MlflowReplayOptions { Port = port });
Console.WriteLine($"replay: {server.BaseUri}");
Console.Out.Flush();

// The parent (a test script) holds our stdin: when it goes away, so do we.
_ = Task.Run(async () =>
{
    var buffer = new char[256];
    while (await Console.In.ReadAsync(buffer, stop.Token) > 0) { }
    await stop.CancelAsync();
});

var reported = 0;
while (!stop.IsCancellationRequested)
{
    try { await Task.Delay(200, stop.Token); } catch (OperationCanceledException) { }
    var requests = server.Requests;
    for (; reported < requests.Count; reported++)
    {
        var r = requests[reported];
        if (r.MatchedRecording is null) Console.WriteLine($"unmatched: {r.Method} {r.Url} {r.Body}");
    }
}
