using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceIde.Core.Source;

/// <summary>One frame of a stack trace as the deployed program wrote it.</summary>
/// <param name="Code">The source line Python prints under the frame, when present (trimmed).</param>
public sealed record StackFrame(string Path, int Line, int? Column, string? Function, string? Code);

/// <summary>
/// Reads the frames of a Python traceback (`File "p", line N, in f`), a JavaScript stack (`at f (p:L:C)`,
/// `at p:L:C`) and a .NET stack (`at N.T.M(...) in p:line N`). Frames come in the text's order.
/// </summary>
public static partial class StackTraceParser
{
    [GeneratedRegex(@"^\s*File ""(?<path>[^""]+)"", line (?<line>\d+)(?:, in (?<func>\S+))?")]
    private static partial Regex PythonFrame();

    [GeneratedRegex(@"^\s*at (?:(?:async )?(?<func>[^\s(]+) \()?(?<path>[^()\s]+?):(?<line>\d+):(?<col>\d+)\)?\s*$")]
    private static partial Regex JsFrame();

    [GeneratedRegex(@"^\s*at (?<func>[^\s(]+)\(.*\) in (?<path>.+):line (?<line>\d+)\s*$")]
    private static partial Regex DotNetFrame();

    public static IReadOnlyList<StackFrame> Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var frames = new List<StackFrame>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (PythonFrame().Match(line) is { Success: true } py)
            {
                // Python prints the source line under the frame (then maybe a ^^^ marker line).
                string? code = i + 1 < lines.Length && !lines[i + 1].TrimStart().StartsWith("File \"", StringComparison.Ordinal)
                    ? lines[i + 1].Trim() : null;
                frames.Add(new StackFrame(py.Groups["path"].Value, Int(py.Groups["line"].Value), null, Func(py), string.IsNullOrEmpty(code) ? null : code));
            }
            else if (DotNetFrame().Match(line) is { Success: true } net)
            {
                var func = net.Groups["func"].Value;
                frames.Add(new StackFrame(net.Groups["path"].Value.Trim(), Int(net.Groups["line"].Value), null, func[(func.LastIndexOf('.') + 1)..], null));
            }
            else if (JsFrame().Match(line) is { Success: true } js)
            {
                var func = Func(js);
                frames.Add(new StackFrame(js.Groups["path"].Value, Int(js.Groups["line"].Value), Int(js.Groups["col"].Value),
                    func == null ? null : func[(func.LastIndexOf('.') + 1)..], null));
            }
        }
        return frames;

        static string? Func(Match m) => m.Groups["func"].Success && m.Groups["func"].Value.Length > 0 ? m.Groups["func"].Value : null;
        static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }
}
