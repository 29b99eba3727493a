using System.Text.Json;
using System.Text.RegularExpressions;
using TraceIde.Host.Agent;
using TraceIde.Testing;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// VS Code needs its language-model tools declared statically (extension-vscode/package.json); they must be the
/// read tools of <see cref="AgentToolCatalog"/>, word for word, with the tool names VS Code knows them by.
/// </summary>
public sealed class VsCodeToolsTests
{
    [Fact]
    public void Package_json_declares_exactly_the_read_tools_with_their_descriptions_and_schemas()
    {
        using var pkg = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "extension-vscode", "package.json")));
        var declared = pkg.RootElement.GetProperty("contributes").GetProperty("languageModelTools").EnumerateArray().ToList();
        var read = AgentToolCatalog.All.Where(t => !t.Writes).ToList();
        Assert.Equal(
            read.Select(t => "traceide_" + t.Name).Order(StringComparer.Ordinal),
            declared.Select(d => d.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        var names = string.Join("|", read.Select(t => t.Name));
        foreach (var tool in read)
        {
            var d = declared.Single(x => x.GetProperty("name").GetString() == "traceide_" + tool.Name);
            Assert.Equal(tool.Title, d.GetProperty("displayName").GetString());
            // The descriptions name the other tools as VS Code lists them.
            Assert.Equal(Regex.Replace(tool.Description, $@"\b({names})\b", "traceide_$1"), d.GetProperty("modelDescription").GetString());
            Assert.True(
                JsonElement.DeepEquals(tool.InputSchema, d.GetProperty("inputSchema")),
                $"{tool.Name}: package.json's inputSchema differs from the host's");
        }
    }
}
