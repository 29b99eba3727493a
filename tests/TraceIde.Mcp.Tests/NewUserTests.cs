using System.Text.Json;
using TraceIde.Testing;

namespace TraceIde.Mcp.Tests;

/// <summary>As the README's snippet starts it: `traceide mcp` and nothing else, in a folder without mlflow.db → the sample store.</summary>
public sealed class NewUserTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("traceide-mcp-new-");

    [Fact]
    public async Task With_no_backend_named_the_tools_answer_from_the_sample_store()
    {
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.LocalStore, "ground_truth.json"))).RootElement;
        await using var host = await McpHost.StartAsync([], workingDirectory: _dir.FullName);
        var experiments = await host.JsonAsync("list_experiments");
        Assert.Equal("localStore", experiments.GetProperty("backend").GetProperty("kind").GetString());
        Assert.EndsWith(Path.Combine("sample-store", "mlflow.db"), experiments.GetProperty("backend").GetProperty("location").GetString());
        var all = await host.JsonAsync("search_traces", new { limit = 100 });
        Assert.Equal(truth.GetProperty("trace_count").GetInt32(), all.GetProperty("traces").GetArrayLength());
        var failed = await host.JsonAsync("search_traces", new { states = new[] { "ERROR" }, limit = 100 });
        Assert.Equal(truth.GetProperty("traces_by_state").GetProperty("ERROR").GetInt32(), failed.GetProperty("traces").GetArrayLength());
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
