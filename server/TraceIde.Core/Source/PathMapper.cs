namespace TraceIde.Core.Source;

/// <summary>A workspace file a deployed path maps to, and how many trailing path segments agree.</summary>
public sealed record PathMatch(string Path, int MatchedSegments, bool Exact);

/// <summary>
/// Maps a path as the deployed program saw it (`/srv/mlflow/gen/gen_traces.py`) to workspace files by the
/// longest matching path suffix (`…/app/gen_traces.py`): the file name must match, then each further
/// parent folder that agrees makes the match longer. Ties are all returned (the caller shows them).
/// Library code (site-packages, node_modules, the Python standard library) is never mapped: a workspace
/// file that happens to share its file name is not where that frame ran.
/// </summary>
public static class PathMapper
{
    private static readonly string[] LibraryMarkers =
        ["site-packages", "dist-packages", "node_modules", "<frozen", "<string>", "<stdin>", "node:internal"];

    public static bool IsLibraryPath(string deployedPath)
    {
        var segments = Segments(deployedPath);
        if (segments.Any(s => LibraryMarkers.Any(m => s.StartsWith(m, StringComparison.OrdinalIgnoreCase)))) return true;
        // /usr/lib/python3.11/json/decoder.py: the standard library (but not a venv's site-packages, handled above)
        for (var i = 0; i + 1 < segments.Count; i++)
            if (segments[i] == "lib" && segments[i + 1].StartsWith("python", StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>Workspace files for <paramref name="deployedPath"/>, longest match first; empty when none (or library code).</summary>
    public static IReadOnlyList<PathMatch> Map(WorkspaceIndex.View view, IReadOnlyList<string> roots, string deployedPath)
    {
        if (string.IsNullOrWhiteSpace(deployedPath) || IsLibraryPath(deployedPath)) return [];
        var path = deployedPath.StartsWith("file://", StringComparison.OrdinalIgnoreCase)
            ? Uri.TryCreate(deployedPath, UriKind.Absolute, out var uri) ? uri.LocalPath : deployedPath[7..]
            : deployedPath;
        var wanted = Segments(path);
        if (wanted.Count == 0) return [];

        var best = new List<PathMatch>();
        var bestCount = 0;
        foreach (var candidate in view.FilesNamed(wanted[^1]))
        {
            var root = roots.FirstOrDefault(r => candidate.StartsWith(r, StringComparison.Ordinal)) ?? "";
            var have = Segments(candidate[root.Length..]);
            var n = 0;
            while (n < wanted.Count && n < have.Count && WorkspaceIndex.PathComparer.Equals(wanted[^(n + 1)], have[^(n + 1)])) n++;
            if (n == 0) continue;
            var exact = WorkspaceIndex.PathComparer.Equals(Path.GetFullPath(candidate), SafeFullPath(path));
            if (exact) n = int.MaxValue; // the very file: the program ran from the workspace itself
            if (n > bestCount) { best.Clear(); bestCount = n; }
            if (n == bestCount) best.Add(new PathMatch(candidate, exact ? wanted.Count : n, exact));
        }
        return best.OrderBy(m => m.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>0..1 for a mapping: an exact path is certain; each agreeing segment beyond the file name adds; ties share.</summary>
    public static double Confidence(PathMatch match, int ties)
    {
        var c = match.Exact ? 1.0 : Math.Min(0.95, 0.6 + 0.15 * (match.MatchedSegments - 1));
        return ties > 1 ? c * 0.8 : c;
    }

    private static string SafeFullPath(string path)
    {
        try { return Path.IsPathFullyQualified(path) ? Path.GetFullPath(path) : ""; }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return ""; }
    }

    private static List<string> Segments(string path) =>
        path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
}
