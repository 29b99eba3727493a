using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.VisualStudio.Threading;

namespace TraceIde.Core.Source;

/// <summary>
/// The workspace's files and the function definitions in them, for `source/*`. Built once in the
/// background (the first query waits for it), then kept current by the IDE's file-change notifications
/// (<see cref="ApplyChangesAsync"/>) instead of being rescanned. Reads the file system (the one part of
/// Core that does, because the index is the host's own view of the workspace).
/// Thread-safe: files are kept in a concurrent map; the by-name view is rebuilt lazily after changes.
/// </summary>
public sealed class WorkspaceIndex
{
    /// <summary>Files bigger than this are listed (for path mapping) but not scanned (generated/minified code).</summary>
    public const long MaxScannedFileBytes = 1_000_000;

    private readonly IReadOnlyList<string> _roots;
    private readonly AsyncLazy<BuildStats> _build;
    private readonly ConcurrentDictionary<string, IReadOnlyList<SourceDefinition>> _files = new(PathComparer);
    private readonly Lock _viewLock = new();
    private View? _view;

    /// <summary>Case-sensitive on Linux; case-insensitive where the file system usually is.</summary>
    public static StringComparer PathComparer { get; } = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    /// <param name="roots">Workspace folders (absolute); missing ones are skipped.</param>
    public WorkspaceIndex(IEnumerable<string> roots)
    {
        _roots = roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.GetFullPath(r)).Distinct(PathComparer).ToList();
        // No JoinableTaskFactory: the host has no main thread to protect; the build runs on the thread pool.
        _build = new AsyncLazy<BuildStats>(() => Task.Run(Build), joinableTaskFactory: null);
    }

    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Starts the background build if it has not started (returns at once).</summary>
    public void StartBuilding() => _ = _build.GetValueAsync();

    /// <summary>Waits for the first build; returns its figures.</summary>
    public Task<BuildStats> BuildAsync(CancellationToken cancellationToken) => _build.GetValueAsync(cancellationToken);

    public sealed record BuildStats(int Files, int ScannedFiles, int Definitions, TimeSpan Elapsed);

    /// <summary>Definitions by name and the workspace's files by file name, as of the last change.</summary>
    public async Task<View> GetViewAsync(CancellationToken cancellationToken)
    {
        await _build.GetValueAsync(cancellationToken).ConfigureAwait(false);
        lock (_viewLock)
        {
            return _view ??= new View(_files);
        }
    }

    /// <summary>
    /// Applies the IDE's file-change notification: re-reads changed and created files, drops deleted ones
    /// (a deleted folder drops everything under it). Paths outside the roots and ignored paths are ignored.
    /// </summary>
    public async Task ApplyChangesAsync(IEnumerable<string> changedOrCreated, IEnumerable<string> deleted, CancellationToken cancellationToken)
    {
        await _build.GetValueAsync(cancellationToken).ConfigureAwait(false);
        foreach (var raw in deleted)
        {
            var path = Normalize(raw);
            if (path == null) continue;
            var prefix = path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            foreach (var key in _files.Keys)
                if (PathComparer.Equals(key, path)
                    || key.StartsWith(prefix, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
                    _files.TryRemove(key, out _);
        }
        foreach (var raw in changedOrCreated)
        {
            var path = Normalize(raw);
            if (path == null || RootOf(path) is not { } root || IsIgnored(root, path)) continue;
            // A changed root .gitignore applies to what is scanned from now on (already indexed files stay
            // until their own notifications; a new `initialize` rebuilds everything).
            if (Path.GetFileName(path) == ".gitignore" && PathComparer.Equals(Path.GetDirectoryName(path), root)) _gitIgnores.TryRemove(root, out _);
            if (Directory.Exists(path))
            {
                foreach (var file in EnumerateFiles(root, path)) _files[file] = ScanFile(file);
            }
            else if (File.Exists(path))
            {
                _files[path] = ScanFile(path);
            }
            else
            {
                _files.TryRemove(path, out _);
            }
        }
        lock (_viewLock) _view = null;
    }

    private BuildStats Build()
    {
        var clock = Stopwatch.StartNew();
        var files = _roots.Where(Directory.Exists).SelectMany(root => EnumerateFiles(root, root)).ToList();
        var scanned = 0;
        Parallel.ForEach(files, file =>
        {
            var defs = ScanFile(file);
            if (DefinitionScanner.LanguageOf(file) != null) Interlocked.Increment(ref scanned);
            _files[file] = defs;
        });
        var count = _files.Values.Sum(d => d.Count);
        return new BuildStats(files.Count, scanned, count, clock.Elapsed);
    }

    private static IReadOnlyList<SourceDefinition> ScanFile(string file)
    {
        if (DefinitionScanner.LanguageOf(file) == null) return [];
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists || info.Length > MaxScannedFileBytes) return [];
            return DefinitionScanner.Scan(file, File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // unreadable now; the next change notification tries again
        }
    }

    // ------------------------------------------------------------------ what is skipped

    /// <summary>Folders never indexed: VCS, dependencies, virtual environments, caches, build output.</summary>
    public static readonly IReadOnlySet<string> IgnoredFolderNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "__pycache__", "bin", "obj", "dist", "build",
        "site-packages", ".mypy_cache", ".pytest_cache", ".tox", ".idea", ".vs",
    };

    private readonly ConcurrentDictionary<string, GitIgnoreFolders> _gitIgnores = new(PathComparer);

    private IEnumerable<string> EnumerateFiles(string root, string start)
    {
        var ignore = GitIgnore(root);
        var pending = new Stack<string>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(dir).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                FileAttributes attributes;
                try { attributes = File.GetAttributes(entry); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                if ((attributes & FileAttributes.Directory) != 0)
                {
                    // Symbolic links to folders are not followed: they loop, or lead out of the workspace.
                    if ((attributes & FileAttributes.ReparsePoint) == 0 && !IsIgnoredFolder(root, entry, ignore)) pending.Push(entry);
                }
                else
                {
                    yield return entry;
                }
            }
        }
    }

    private bool IsIgnored(string root, string path)
    {
        var ignore = GitIgnore(root);
        var relative = Path.GetRelativePath(root, path);
        var parts = relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            if (IsIgnoredFolder(root, current, ignore)) return true;
        }
        return Directory.Exists(path) && IsIgnoredFolder(root, path, ignore);
    }

    private static bool IsIgnoredFolder(string root, string dir, GitIgnoreFolders ignore)
    {
        var name = Path.GetFileName(dir);
        return IgnoredFolderNames.Contains(name) || ignore.Matches(Path.GetRelativePath(root, dir).Replace('\\', '/'), name);
    }

    private GitIgnoreFolders GitIgnore(string root) => _gitIgnores.GetOrAdd(root, r => GitIgnoreFolders.Read(Path.Combine(r, ".gitignore")));

    private string? Normalize(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        try
        {
            return Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) is { Length: > 0 } p ? p : null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private string? RootOf(string path) => _roots.FirstOrDefault(r =>
        PathComparer.Equals(r, path) || path.StartsWith(r.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar,
            OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase));

    // ------------------------------------------------------------------ the query view

    /// <summary>An immutable snapshot for queries: definitions by name and by traced name, files by file name.</summary>
    public sealed class View
    {
        private readonly Dictionary<string, List<SourceDefinition>> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<SourceDefinition>> _byTracedName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _filesByName = new(StringComparer.OrdinalIgnoreCase);

        internal View(ConcurrentDictionary<string, IReadOnlyList<SourceDefinition>> files)
        {
            foreach (var (path, defs) in files)
            {
                Add(_filesByName, Path.GetFileName(path), path);
                foreach (var d in defs)
                {
                    Add(_byName, d.Name, d);
                    if (d.TracedName is { Length: > 0 } traced) Add(_byTracedName, traced, d);
                }
            }
            FileCount = files.Count;
        }

        public int FileCount { get; }

        public IReadOnlyList<SourceDefinition> ByName(string name) => _byName.TryGetValue(name, out var l) ? l : [];

        /// <summary>Definitions whose `@mlflow.trace(name=…)` is <paramref name="spanName"/>.</summary>
        public IReadOnlyList<SourceDefinition> ByTracedName(string spanName) => _byTracedName.TryGetValue(spanName, out var l) ? l : [];

        /// <summary>Workspace files with this file name (any case).</summary>
        public IReadOnlyList<string> FilesNamed(string fileName) => _filesByName.TryGetValue(fileName, out var l) ? l : [];

        private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
        {
            if (!map.TryGetValue(key, out var list)) map[key] = list = [];
            list.Add(value);
        }
    }
}

/// <summary>
/// The simple directory entries of a root `.gitignore`: `name`, `name/`, `/name`, `/a/b/` (no wildcards,
/// no negation). A name without an inner slash matches a folder of that name anywhere; with a leading or
/// inner slash, the path from the root. Anything more elaborate is not interpreted.
/// </summary>
public sealed class GitIgnoreFolders
{
    private readonly HashSet<string> _anywhere = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fromRoot = new(StringComparer.Ordinal);

    public static GitIgnoreFolders Read(string file)
    {
        var result = new GitIgnoreFolders();
        if (!File.Exists(file)) return result;
        try
        {
            foreach (var raw in File.ReadLines(file)) result.Add(raw);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return result;
    }

    public void Add(string raw)
    {
        var line = raw.Trim();
        if (line.Length == 0 || line[0] is '#' or '!' || line.IndexOfAny(['*', '?', '[', '\\']) >= 0) return;
        var anchored = line.StartsWith('/');
        line = line.Trim('/');
        if (line.Length == 0) return;
        if (anchored || line.Contains('/')) _fromRoot.Add(line);
        else _anywhere.Add(line);
    }

    /// <param name="relativePath">Folder path from the root, with `/`.</param>
    public bool Matches(string relativePath, string name) => _anywhere.Contains(name) || _fromRoot.Contains(relativePath);
}
