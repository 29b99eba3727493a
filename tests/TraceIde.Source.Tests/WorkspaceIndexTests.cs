using System.Diagnostics;
using TraceIde.Core.Source;
using Xunit.Abstractions;

namespace TraceIde.Source.Tests;

public sealed class WorkspaceIndexTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Vendored_and_ignored_folders_are_skipped()
    {
        using var ws = new TempWorkspace();
        foreach (var folder in new[]
        {
            ".git",
            "node_modules",
            ".venv",
            "venv",
            "env",
            "__pycache__",
            "bin",
            "obj",
            "dist",
            "build",
            "lib/python3.11/site-packages",
            "generated",
            "src/out"
        })
            ws.Write(folder + "/vendored.py", "def lookup_order(order_id):\n    pass\n");
        ws.Write(".gitignore", "# comment\ngenerated/\n/src/out\n*.log\n!keep\n");
        var kept = ws.Write("src/tools.py", "def lookup_order(order_id):\n    pass\n");

        var index = new WorkspaceIndex([ws.Root]);
        var view = await index.GetViewAsync(CancellationToken.None);
        Assert.Equal([ws.AppPath, kept], view.ByName("lookup_order").Select(d => d.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Change_notifications_keep_the_index_current_without_a_rescan()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        Assert.Empty((await index.GetViewAsync(CancellationToken.None)).ByName("refund_order"));

        var created = ws.Write("tools/refunds.py", "import mlflow\n\n@mlflow.trace(name=\"refund\")\ndef refund_order(order_id):\n    pass\n");
        Assert.Empty((await index.GetViewAsync(CancellationToken.None)).ByName("refund_order")); // not rescanned by itself
        await index.ApplyChangesAsync([created], [], CancellationToken.None);
        var def = Assert.Single((await index.GetViewAsync(CancellationToken.None)).ByTracedName("refund"));
        Assert.Equal((created, 4, "refund_order"), (def.Path, def.Line, def.Name));

        File.WriteAllText(created, "\n\ndef refund_order(order_id):\n    pass\n");
        await index.ApplyChangesAsync([created], [], CancellationToken.None);
        var view = await index.GetViewAsync(CancellationToken.None);
        Assert.Empty(view.ByTracedName("refund"));
        Assert.Equal(3, Assert.Single(view.ByName("refund_order")).Line);

        // A deleted folder takes its files along; paths outside the workspace and in ignored folders are ignored.
        Directory.Delete(Path.GetDirectoryName(created)!, recursive: true);
        var ignored = ws.Write("node_modules/x.py", "def refund_order():\n    pass\n");
        await index.ApplyChangesAsync([ignored, "/definitely/not/in/the/workspace.py", ""], [Path.GetDirectoryName(created)!], CancellationToken.None);
        view = await index.GetViewAsync(CancellationToken.None);
        Assert.Empty(view.ByName("refund_order"));
        Assert.Equal(1, view.FileCount); // app/gen_traces.py

        // A new root .gitignore applies to files reported after it.
        await index.ApplyChangesAsync([ws.Write(".gitignore", "scratch/\n")], [], CancellationToken.None);
        await index.ApplyChangesAsync([ws.Write("scratch/tmp.py", "def refund_order():\n    pass\n")], [], CancellationToken.None);
        Assert.Empty((await index.GetViewAsync(CancellationToken.None)).ByName("refund_order"));
    }

    [Fact]
    public async Task Paths_map_by_the_longest_suffix_and_library_frames_never_map()
    {
        using var ws = new TempWorkspace();
        var other = ws.Write("tools/gen_traces.py", "def x():\n    pass\n");
        var index = new WorkspaceIndex([ws.Root]);
        var view = await index.GetViewAsync(CancellationToken.None);

        var match = Assert.Single(PathMapper.Map(view, index.Roots, "/srv/mlflow/app/gen_traces.py"));
        Assert.Equal((ws.AppPath, 2), (match.Path, match.MatchedSegments));
        Assert.Equal(ws.AppPath, Assert.Single(PathMapper.Map(view, index.Roots, @"C:\deploy\app\gen_traces.py")).Path);
        Assert.Equal(ws.AppPath, Assert.Single(PathMapper.Map(view, index.Roots, ws.AppPath)).Path);
        // Only the file name agrees: both are returned, neither is preferred.
        Assert.Equal([ws.AppPath, other], PathMapper.Map(view, index.Roots, "/srv/mlflow/gen/gen_traces.py").Select(m => m.Path).Order(StringComparer.Ordinal));
        Assert.Empty(PathMapper.Map(view, index.Roots, "/home/dev/.venv/lib/python3.11/site-packages/app/gen_traces.py"));
        Assert.Empty(PathMapper.Map(view, index.Roots, "/usr/lib/python3.11/gen_traces.py"));
        Assert.Empty(PathMapper.Map(view, index.Roots, "/srv/skyhelp/tools/orders.py"));
    }

    /// <summary>A measurement, not a timed test: the figure goes to the test output (and docs/PERFORMANCE.md).</summary>
    [Fact]
    public async Task Measure_indexing_ten_thousand_files()
    {
        using var ws = new TempWorkspace(withApp: false);
        var app = File.ReadAllText(TempWorkspace.AppFile); // 1,300 lines of real Python
        const int Files = 10_000;
        var body = string.Join('\n', Enumerable.Range(0, 40).Select(i => $"def function_{i}(x):\n    return x + {i}\n"));
        for (var i = 0; i < Files; i++)
        {
            var dir = $"pkg{i % 50}/mod{i % 7}";
            if (i % 100 == 0) ws.Write($"{dir}/big_{i}.py", app);
            else if (i % 3 == 0) ws.Write(
                $"{dir}/f{i}.ts",
                $"export function handler{i}(e: Event) {{\n  return e;\n}}\nexport const h{i} = (x: number) => x;\n");
            else ws.Write($"{dir}/f{i}.py", body + $"\ndef unique_{i}():\n    pass\n");
        }
        var clock = Stopwatch.StartNew();
        var index = new WorkspaceIndex([ws.Root]);
        var stats = await index.BuildAsync(CancellationToken.None);
        var view = await index.GetViewAsync(CancellationToken.None);
        clock.Stop();
        output.WriteLine($"workspace index: {stats.Files:N0} files ({stats.ScannedFiles:N0} scanned), {stats.Definitions:N0} definitions in " +
            $"{stats.Elapsed.TotalMilliseconds:N0} ms (with the view {clock.ElapsedMilliseconds:N0} ms) on {Environment.ProcessorCount} cores");
        Assert.Equal(Files, stats.Files);
        Assert.Equal(Files, view.FileCount);
        Assert.Single(view.ByName("unique_9998"));
        Assert.Single(view.ByName("handler9999"));
        Assert.Equal(Files / 100, view.ByTracedName("support_agent").Count);
    }
}
