// traceide-replay: serves the recorded MLflow 3.11.2.dev0 exchanges (tests/fixtures/.../http) on
// 127.0.0.1 until stdin closes or SIGTERM/Ctrl+C. Prints one line, `replay: http://127.0.0.1:<port>`,
// then a line per request it could not match (those get Flask's 404, as an unknown URL would).
// `--port N` listens on that port (a test that brings a server back where the host last saw it).
// `--without NAME` (repeatable) leaves a recording out: where MLflow was asked the same thing before and after a
// change (a trace's info before and after an override), the test picks which moment the server is in.
// `--mlflow-version V` plays that MLflow release's endpoint set (MlflowVersionRoutes: 2.14.0 … 3.10.0): routes it
// lacks answer as it would, so they are reported as unmatched like any other request no recording answers.
using TraceIde.Testing;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

var portArg = Array.IndexOf(args, "--port");
int? port = portArg >= 0 && portArg + 1 < args.Length && int.TryParse(args[portArg + 1], out var p) ? p : null;
var versionArg = Array.IndexOf(args, "--mlflow-version");
var version = versionArg >= 0 && versionArg + 1 < args.Length ? args[versionArg + 1] : null;
var without = args.Select((a, i) => (a, i)).Where(x => x.a == "--without" && x.i + 1 < args.Length)
    .Select(x => args[x.i + 1].EndsWith(".json", StringComparison.Ordinal) ? args[x.i + 1] : args[x.i + 1] + ".json").ToHashSet(StringComparer.Ordinal);
var unknown = without.Where(w => ReplayRecording.All.All(r => r.FileName != w)).ToArray();
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"traceide-replay: no recording named {string.Join(", ", unknown)}");
    return 2;
}
await using var server = MlflowReplayServer.Start(new MlflowReplayOptions
{
    Port = port,
    ServerVersion = version,
    Recordings = without.Count == 0 ? null : ReplayRecording.All.Where(r => !without.Contains(r.FileName)).ToArray(),
});
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
        Console.WriteLine(r.MatchedRecording is null ? $"unmatched: {r.Method} {r.Url} {r.Body}" : $"matched: {r.Method} {r.Url} {r.MatchedRecording}");
    }
}
return 0;
