using System.Text.RegularExpressions;

namespace TraceIde.Host.Logging;

public enum LogLevel { Debug, Info, Warn, Error }

/// <summary>
/// The host's log: stderr (stdout is reserved for the protocol) and optionally a file. Every line
/// passes through <see cref="Redact"/> so credentials that slip into a URL or message never land.
/// </summary>
public sealed partial class HostLog : IDisposable
{
    private readonly TextWriter _stderr;
    private readonly StreamWriter? _file;
    private readonly LogLevel _minimum;
    private readonly Lock _gate = new();

    public HostLog(TextWriter stderr, string? filePath = null, LogLevel minimum = LogLevel.Info)
    {
        _stderr = stderr;
        _minimum = minimum;
        if (!string.IsNullOrEmpty(filePath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);
            _file = new StreamWriter(new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    public static HostLog Null { get; } = new(TextWriter.Null, null, LogLevel.Error);

    public void Debug(string message) => Write(LogLevel.Debug, message);
    public void Info(string message) => Write(LogLevel.Info, message);
    public void Warn(string message) => Write(LogLevel.Warn, message);
    public void Error(string message) => Write(LogLevel.Error, message);

    public void Write(LogLevel level, string message)
    {
        if (level < _minimum) return;
        var line = $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {level.ToString().ToUpperInvariant(),-5} {Redact(message)}";
        lock (_gate)
        {
            _stderr.WriteLine(line);
            _stderr.Flush();
            _file?.WriteLine(line);
        }
    }

    // user:password@ in URLs, and Authorization header values. Source-generated, not RegexOptions.Compiled:
    // the first log line is written before the `initialize` answer, and compiling two regexes with
    // Reflection.Emit there cost start-up time. Case-insensitive without culture, so that the ordinal
    // checks in Redact are exact: a line without "://" or "authorization" cannot match.
    [GeneratedRegex(@"(?<=://)[^/\s@]+@")]
    private static partial Regex UserInfo();
    [GeneratedRegex(@"(authorization\s*[:=]\s*)(basic|bearer)\s+\S+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthHeader();

    /// <summary>Removes credentials from a string: URL user-info, Authorization values, and the configured secrets.</summary>
    public static string Redact(string text)
    {
        // Most lines hold neither: they skip the regex engine (whose first use is dear at the host's start).
        if (text.Contains("://", StringComparison.Ordinal)) text = UserInfo().Replace(text, "***@");
        if (text.Contains("authorization", StringComparison.OrdinalIgnoreCase)) text = AuthHeader().Replace(text, "$1$2 ***");
        foreach (var secret in Secrets.Known)
        {
            if (secret.Length >= 4) text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        return text;
    }

    public void Dispose() => _file?.Dispose();
}

/// <summary>The credentials this process knows (from the environment), so the log can scrub them.</summary>
public static class Secrets
{
    public static IReadOnlyList<string> Known { get; } = FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>
    /// The password and token, and the basic-auth header value they travel as (base64 of user:password),
    /// which a misbehaving server or proxy may echo without the word "Authorization" in front.
    /// </summary>
    public static IReadOnlyList<string> FromEnvironment(Func<string, string?> getEnv)
    {
        var known = new[] { "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN" }
            .Select(getEnv)
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!)
            .ToList();
        var user = getEnv("MLFLOW_TRACKING_USERNAME");
        if (!string.IsNullOrEmpty(user))
            known.Add(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + (getEnv("MLFLOW_TRACKING_PASSWORD") ?? ""))));
        return known;
    }
}
