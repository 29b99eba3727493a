using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// `traceide mcp` started as an MCP client starts it from a config snippet (`dotnet traceide.dll mcp …`, a real
/// process), spoken to by the official SDK's client over its real stdin/stdout. Every call has a timeout.
/// </summary>
public sealed class McpHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _stderr;

    private McpHost(McpClient client, StringBuilder stderr)
    {
        Client = client;
        _stderr = stderr;
    }

    public McpClient Client { get; }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "traceide.dll");

    /// <summary>GPT-4o's tokenizer: the budget checks count real tokens, not the host's own estimate.</summary>
    public static Tokenizer Tokens { get; } = TiktokenTokenizer.CreateForModel("gpt-4o");

    public static async Task<McpHost> StartAsync(IReadOnlyList<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var env = new Dictionary<string, string?>
        {
            // The backend is the test's choice: nothing from the machine's environment.
            ["MLFLOW_TRACKING_URI"] = null,
            ["MLFLOW_TRACKING_USERNAME"] = null,
            ["MLFLOW_TRACKING_PASSWORD"] = null,
            ["MLFLOW_TRACKING_TOKEN"] = null,
            ["TRACEIDE_NOW"] = null,
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) env[k] = v;
        var stderr = new StringBuilder();
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "traceide",
            Command = "dotnet",
            Arguments = [HostDll, "mcp", .. args],
            EnvironmentVariables = env,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
            StandardErrorLines = line => { lock (stderr) stderr.AppendLine(line); },
        });
        using var cts = new CancellationTokenSource(Timeout);
        var client = await McpClient.CreateAsync(
            transport,
            new McpClientOptions { ClientInfo = new Implementation { Name = "traceide-tests", Version = "1" } },
            cancellationToken: cts.Token);
        return new McpHost(client, stderr);
    }

    /// <summary>Calls a tool; returns its text and whether it is a tool error.</summary>
    public async Task<(string Text, bool IsError)> CallAsync(string tool, object? arguments = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var args = arguments is null
            ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments))!;
        var result = await Client.CallToolAsync(tool, args, cancellationToken: cts.Token);
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        return (text, result.IsError == true);
    }

    /// <summary>A tool's answer, which must be a success, parsed (every TraceIde tool answers JSON).</summary>
    public async Task<JsonElement> JsonAsync(string tool, object? arguments = null)
    {
        var (text, isError) = await CallAsync(tool, arguments);
        Assert.False(isError, $"{tool} answered an error: {text}\n{Stderr}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync() => await Client.DisposeAsync();
}
