using System.Text.Json;
using System.Text.RegularExpressions;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Spans;
using TraceIde.Testing;

namespace TraceIde.Source.Tests;

/// <summary>
/// A temporary workspace holding the fixtures' app at `app/gen_traces.py` (the program that made the
/// traces), plus whatever a test adds. Deleted on dispose.
/// </summary>
public sealed class TempWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("traceide-ws-").FullName;

    public TempWorkspace(bool withApp = true)
    {
        if (withApp) Write("app/gen_traces.py", File.ReadAllText(AppFile));
    }

    public static string AppFile => Path.Combine(Fixtures.App, "gen_traces.py");

    public string AppPath => Path.Combine(Root, "app", "gen_traces.py");

    public string Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>What the tests read independently of the code under test: the app's text and the fixture store's traces.</summary>
public static partial class Evidence
{
    public static readonly string[] AppLines = File.ReadAllLines(TempWorkspace.AppFile);

    /// <summary>The one line of the app that starts `def name(` (asserted unique), 1-based.</summary>
    public static int DefinitionLine(string functionName)
    {
        var lines = AppLines.Select((text, i) => (text, line: i + 1))
            .Where(x => Regex.IsMatch(x.text, $@"^\s*(async\s+)?def\s+{Regex.Escape(functionName)}\s*\(")).ToList();
        Assert.True(lines.Count == 1, $"expected exactly one `def {functionName}(` in gen_traces.py, found {lines.Count}");
        return lines[0].line;
    }

    public static LocalStoreBackend Store() => new(Fixtures.ServerStore);

    /// <summary>The fixture cases made live with `@mlflow.trace` (store/cases.json).</summary>
    public static IReadOnlyList<string> LiveCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.ServerStore, "cases.json")));
        return doc.RootElement.GetProperty("cases")
            .EnumerateObject()
            .Select(p => p.Name)
            .Where(n => n.StartsWith("live-", StringComparison.Ordinal))
            .Order()
            .ToList();
    }

    public static string? Attr(RawSpan span, string key) =>
        span.Attributes.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>`File "path", line N, in f` followed by the printed code line, straight from the traceback text.</summary>
    public static IEnumerable<(string Path, int Line, string Function, string Code)> PythonFrames(string stacktrace)
    {
        var lines = stacktrace.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var m = FrameLine().Match(lines[i]);
            if (m.Success) yield return (m.Groups[1].Value, int.Parse(m.Groups[2].Value), m.Groups[3].Value, i + 1 < lines.Length ? lines[i + 1].Trim() : "");
        }
    }

    [GeneratedRegex(@"^\s*File ""([^""]+)"", line (\d+), in (\S+)")]
    private static partial Regex FrameLine();
}
