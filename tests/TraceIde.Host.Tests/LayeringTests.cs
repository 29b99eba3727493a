using System.Reflection;
using System.Text.RegularExpressions;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// The layering rules of docs/ARCHITECTURE.md ("Layers"), checked on what the build produced (which assemblies each
/// product assembly references) and on the sources (which TraceIde namespaces each folder names, in a `using` or
/// qualified). A failure names the file and the rule it breaks; change the rule in the doc and here together.
/// </summary>
public sealed partial class LayeringTests
{
    /// <summary>Each product assembly and the product assemblies it may reference.</summary>
    private static readonly Dictionary<string, string[]> AllowedReferences = new()
    {
        ["TraceIde.Protocol"] = [],
        ["TraceIde.Core"] = ["TraceIde.Protocol"],
        ["TraceIde.Backends.LocalStore"] = ["TraceIde.Core", "TraceIde.Protocol"],
        ["TraceIde.Backends.Mlflow"] = ["TraceIde.Core", "TraceIde.Protocol"],
        ["traceide"] = ["TraceIde.Core", "TraceIde.Protocol", "TraceIde.Backends.LocalStore", "TraceIde.Backends.Mlflow"],
    };

    [Fact]
    public void Product_assemblies_reference_only_the_layers_below_them()
    {
        foreach (var (name, allowed) in AllowedReferences)
        {
            var assembly = Assembly.Load(name);
            var product = assembly.GetReferencedAssemblies().Select(a => a.Name!)
                .Where(n => n.StartsWith("TraceIde", StringComparison.OrdinalIgnoreCase) || n == "traceide");
            Assert.All(product, reference => Assert.True(allowed.Contains(reference), $"{name} references {reference}; allowed: {string.Join(", ", allowed)}"));
        }
    }

    [Fact]
    public void Protocol_and_Core_know_no_transport()
    {
        // The wire records are Core's model (ARCHITECTURE.md), so they must stay plain data: no JSON-RPC, no ASP.NET.
        foreach (var name in new[] { "TraceIde.Protocol", "TraceIde.Core" })
        {
            var references = Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.DoesNotContain(
                references,
                r => r.StartsWith("StreamJsonRpc", StringComparison.Ordinal) || r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        }
    }

    /// <summary>A source folder, the TraceIde namespaces its files may name, and why.</summary>
    private static readonly (string Folder, string[] Allowed)[] NamespaceRules =
    [
        ("server/TraceIde.Protocol", ["TraceIde.Protocol"]),
        ("server/TraceIde.Core", ["TraceIde.Core", "TraceIde.Protocol"]),
        ("server/TraceIde.Backends.LocalStore", ["TraceIde.Backends.LocalStore", "TraceIde.Core", "TraceIde.Protocol"]),
        ("server/TraceIde.Backends.Mlflow", ["TraceIde.Backends.Mlflow", "TraceIde.Core", "TraceIde.Protocol"]),
        // Transport moves messages: the session and handlers it dispatches to, the backends' errors it maps to JSON-RPC errors.
        ("server/TraceIde.Host/Transport", ["TraceIde.Host.Transport", "TraceIde.Host.Logging", "TraceIde.Host.Handlers", "TraceIde.Host.Services",
            "TraceIde.Core.Backends", "TraceIde.Protocol"]),
        // Handlers are thin: they read parameters and call a service or Core through the session; no backend, no transport.
        ("server/TraceIde.Host/Handlers", ["TraceIde.Host.Handlers", "TraceIde.Host.Services", "TraceIde.Host.Agent", "TraceIde.Host.Logging",
            "TraceIde.Core", "TraceIde.Protocol"]),
        // Services hold a session's and the process's state (caches, idle trim); the backend choice and the warm-up name a backend.
        ("server/TraceIde.Host/Services", ["TraceIde.Host.Services", "TraceIde.Host.Logging", "TraceIde.Core", "TraceIde.Protocol", "TraceIde.Backends"]),
        ("server/TraceIde.Host/Logging", ["TraceIde.Host.Logging", "TraceIde.Protocol"]),
    ];

    [Fact]
    public void Source_folders_name_only_the_namespaces_their_layer_may_use()
    {
        var violations = new List<string>();
        foreach (var (folder, allowed) in NamespaceRules)
        {
            var root = Path.Combine(Fixtures.RepoRoot, folder);
            Assert.True(Directory.Exists(root), root);
            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                // InternalsVisibleTo names test assemblies, which is no dependency.
                var text = string.Join('\n', File.ReadLines(file).Where(l => !l.Contains("InternalsVisibleTo", StringComparison.Ordinal)));
                foreach (Match m in TraceIdeNamespace().Matches(text))
                {
                    var used = m.Value;
                    if (!allowed.Any(a => used == a || used.StartsWith(a + ".", StringComparison.Ordinal)))
                        violations.Add($"{Path.GetRelativePath(Fixtures.RepoRoot, file)} names {used} (allowed in {folder}: {string.Join(", ", allowed)})");
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations.Distinct()));
    }

    [Fact]
    public void The_shipped_host_has_no_benchmark_or_test_code()
    {
        var types = Assembly.Load("traceide").GetTypes().Select(t => t.FullName ?? t.Name).ToList();
        Assert.DoesNotContain(types, t => t.Contains("Bench", StringComparison.Ordinal));
        Assert.DoesNotContain(Assembly.Load("traceide").GetReferencedAssemblies(), a => a.Name is "TraceIde.Testing" or "traceide-bench");
    }

    // A TraceIde namespace up to its second or third part (TraceIde.Core.Overview, TraceIde.Host.Services), in a using
    // directive or a qualified name; not a path (server/TraceIde.Host).
    [GeneratedRegex(@"(?<![\w./])TraceIde(\.[A-Z]\w*){1,2}")]
    private static partial Regex TraceIdeNamespace();
}
