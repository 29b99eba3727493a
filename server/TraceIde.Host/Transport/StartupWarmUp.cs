using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Transport;

/// <summary>
/// Start-up work that does not depend on what the client asks, done on the second core while the first builds the
/// connection and reads `initialize`: loading SQLite and compiling the code that opens and checks a store, the
/// JSON code of `initialize`'s parameters and answer, and the log's redaction. Start → `initialize` answer: docs/PERFORMANCE.md.
/// </summary>
/// <remarks>
/// Best effort: it touches no file and logs nothing, and a failure here changes only the timing, since the
/// real path does the same work again and reports its own errors.
/// </remarks>
public static class StartupWarmUp
{
    public static Task StartAsync() => Task.Run(Run);

    /// <summary>The warm-up itself, on the calling thread. False when a part of it failed.</summary>
    public static bool Run()
    {
        var ok = true;
        try
        {
            LocalStoreBackend.WarmUp();
        }
#pragma warning disable CA1031 // best effort, see remarks
        catch (Exception)
        {
            ok = false;
        }
        try
        {
            var options = new JsonSerializerOptions();
            ProtocolJson.Configure(options);
            JsonSerializer.Deserialize<InitializeParams>("""{"store":"mlflow.db","workspaceFolders":["/"],"clientName":"warm-up"}""", options);
            JsonSerializer.SerializeToUtf8Bytes(new InitializeResult
            {
                ServerName = "traceide", ServerVersion = "", ProtocolVersion = ProtocolInfo.Version,
                BackendKind = "localStore", BackendLocation = "", Capabilities = new BackendCapabilities(),
            }, options);
            // The log's regexes, which the first line with a URL (a tracking server's) runs before the `initialize` answer.
            HostLog.Redact("https://user@localhost authorization: bearer warm-up");
        }
        catch (Exception)
        {
            ok = false;
        }
#pragma warning restore CA1031
        return ok;
    }
}
