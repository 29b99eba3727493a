namespace TraceIde.Testing;

/// <summary>
/// A golden file: what the code under test produced, committed and compared byte for byte. It is never rewritten
/// silently: with TRACEIDE_WRITE_GOLDEN=1 a differing file is written and the test still fails, so the new text is
/// a diff to review (and commit) before a run can pass; a run that writes nothing compares only.
/// </summary>
public static class Golden
{
    public static async Task AssertMatchesAsync(string path, string actual)
    {
        var golden = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : null;
        if (golden == actual) return;
        if (Environment.GetEnvironmentVariable("TRACEIDE_WRITE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, actual);
            throw new GoldenFileException($"{path} was rewritten (TRACEIDE_WRITE_GOLDEN=1): review its diff, commit it, and run again without the variable.");
        }
        throw new GoldenFileException(golden is null
            ? $"{path} is missing; write it once with TRACEIDE_WRITE_GOLDEN=1 and review it."
            : $"the output differs from {path} (first difference at character {FirstDifference(golden, actual)}); if the change is meant, rewrite it with " +
                "TRACEIDE_WRITE_GOLDEN=1 and review the diff.");
    }

    private static int FirstDifference(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }
}

/// <summary>A golden file differs from what the code produced (or was just rewritten): the test fails with this.</summary>
public sealed class GoldenFileException(string message) : Exception(message);
