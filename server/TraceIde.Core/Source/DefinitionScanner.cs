using System.Text.RegularExpressions;

namespace TraceIde.Core.Source;

/// <summary>
/// Finds function and method definitions in one file, line by line (no parser: fast, and good enough to
/// put a cursor on a definition). What each language's rule matches:
/// <list type="bullet">
/// <item>Python: `def`/`async def` at any depth; the container is the chain of enclosing `class`/`def`
/// scopes (by indentation); decorators above are read, `@mlflow.trace`/`@trace` marks it traced and its
/// `name="…"` is kept (the span is called that). Lines inside brackets or triple-quoted strings are not
/// statements.</item>
/// <item>TypeScript/JavaScript: `function name(` (export/default/async/generator), `const|let|var name =`
/// an arrow function or `function`, and — directly in a class body — methods and arrow-function fields.</item>
/// <item>C#: `[modifiers] Type Name(` / `Name&lt;T&gt;(` not ending in `;` (unless expression-bodied), not
/// a statement keyword; constructors (modifiers + the type's own name). Container = enclosing types.</item>
/// </list>
/// Braces are counted outside strings and comments to know which class a line is in.
/// </summary>
public static partial class DefinitionScanner
{
    public const string Python = "python";
    public const string TypeScript = "typescript";
    public const string JavaScript = "javascript";
    public const string CSharp = "csharp";

    /// <summary>The language of a file by its extension, or null when the index does not scan it.</summary>
    public static string? LanguageOf(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".py" or ".pyi" => Python,
        ".ts" or ".tsx" or ".mts" or ".cts" => TypeScript,
        ".js" or ".jsx" or ".mjs" or ".cjs" => JavaScript,
        ".cs" => CSharp,
        _ => null,
    };

    public static IReadOnlyList<SourceDefinition> Scan(string path, string text) => LanguageOf(path) switch
    {
        Python => ScanPython(path, text),
        TypeScript or JavaScript => ScanCLike(path, text, LanguageOf(path)!),
        CSharp => ScanCLike(path, text, CSharp),
        _ => [],
    };

    // ------------------------------------------------------------------ Python

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?<name>[A-Za-z_]\w*)[ \t]*[(\[]")]
    private static partial Regex PyDef();

    [GeneratedRegex(@"^(?<indent>[ \t]*)class[ \t]+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex PyClass();

    /// <summary>`@mlflow.trace`, `@mlflow.tracing.trace`, `@trace` (from mlflow import trace), with or without arguments.</summary>
    [GeneratedRegex(@"^@[ \t]*(?:mlflow[ \t]*\.[ \t]*(?:tracing[ \t]*\.[ \t]*)?)?trace[ \t]*(?:\(|$)")]
    private static partial Regex PyTraceDecorator();

    [GeneratedRegex(@"\bname[ \t]*=[ \t]*(?:""(?<v>[^""\\]*)""|'(?<v>[^'\\]*)')")]
    private static partial Regex PyNameArgument();

    private static List<SourceDefinition> ScanPython(string path, string text)
    {
        var result = new List<SourceDefinition>();
        var scopes = new List<(int Indent, string Name)>();
        var decorators = new List<string>();
        var bracketDepth = 0;
        string? openTripleQuote = null;
        var lineNo = 0;
        string? continuingDecorator = null;
        foreach (var raw in Lines(text))
        {
            lineNo++;
            var line = raw;
            if (openTripleQuote != null)
            {
                // Inside a docstring/multi-line string: nothing here is code until it closes.
                var close = line.IndexOf(openTripleQuote, StringComparison.Ordinal);
                if (close < 0) continue;
                openTripleQuote = null;
                line = new string(' ', close + 3) + line[(close + 3)..];
            }
            var isContinuation = bracketDepth > 0;
            bracketDepth = Math.Max(0, bracketDepth + PythonBracketDelta(line, out openTripleQuote));
            if (isContinuation)
            {
                if (continuingDecorator != null) decorators[^1] += " " + line.Trim();
                if (bracketDepth == 0) continuingDecorator = null;
                continue;
            }
            continuingDecorator = null;
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            var indent = IndentWidth(line);
            while (scopes.Count > 0 && scopes[^1].Indent >= indent) scopes.RemoveAt(scopes.Count - 1);

            if (trimmed[0] == '@')
            {
                decorators.Add(trimmed);
                if (bracketDepth > 0) continuingDecorator = trimmed;
                continue;
            }
            if (trimmed.StartsWith("def", StringComparison.Ordinal) || trimmed.StartsWith("async", StringComparison.Ordinal))
            {
                var m = PyDef().Match(line);
                if (m.Success)
                {
                    var name = m.Groups["name"].Value;
                    var traced = false;
                    string? tracedName = null;
                    foreach (var d in decorators)
                    {
                        if (!PyTraceDecorator().IsMatch(d)) continue;
                        traced = true;
                        var n = PyNameArgument().Match(d);
                        if (n.Success) tracedName = n.Groups["v"].Value;
                    }
                    result.Add(new SourceDefinition(path, lineNo, m.Groups["name"].Index + 1, name,
                        scopes.Count == 0 ? null : string.Join('.', scopes.Select(s => s.Name)), tracedName, traced, Python));
                    scopes.Add((indent, name));
                    decorators.Clear();
                    continue;
                }
            }
            if (trimmed.StartsWith("class", StringComparison.Ordinal) && PyClass().Match(line) is { Success: true } c)
                scopes.Add((indent, c.Groups["name"].Value));
            decorators.Clear();
        }
        return result;
    }

    private static int IndentWidth(string line)
    {
        var w = 0;
        foreach (var ch in line)
        {
            if (ch == ' ') w++;
            else if (ch == '\t') w = (w / 8 + 1) * 8;
            else break;
        }
        return w;
    }

    /// <summary>Net ( [ { minus ) ] } outside strings and comments; reports a triple quote left open.</summary>
    private static int PythonBracketDelta(string line, out string? openTripleQuote)
    {
        openTripleQuote = null;
        var delta = 0;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (ch == '#') break;
            if (ch is '"' or '\'')
            {
                var triple = i + 2 < line.Length && line[i + 1] == ch && line[i + 2] == ch;
                var quote = triple ? new string(ch, 3) : ch.ToString();
                var end = FindClosingQuote(line, i + quote.Length, quote);
                if (end < 0)
                {
                    if (triple) openTripleQuote = quote;
                    return delta; // an unterminated single quote: the rest is string
                }
                i = end + quote.Length - 1;
                continue;
            }
            if (ch is '(' or '[' or '{') delta++;
            else if (ch is ')' or ']' or '}') delta--;
        }
        return delta;
    }

    private static int FindClosingQuote(string line, int from, string quote)
    {
        for (var j = from; j <= line.Length - quote.Length; j++)
        {
            if (line[j] == '\\') { j++; continue; }
            if (string.CompareOrdinal(line, j, quote, 0, quote.Length) == 0) return j;
        }
        return -1;
    }

    // ------------------------------------------------------------------ TypeScript / JavaScript / C#

    [GeneratedRegex(@"^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?function\s*\*?\s*(?<name>[A-Za-z_$][\w$]*)\s*[<(]")]
    private static partial Regex JsFunction();

    [GeneratedRegex(
        @"^\s*(?:export\s+)?(?:const|let|var)\s+(?<name>[A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|(?:<[^>]*>\s*)?\([^)]*\)" +
        @"\s*(?::\s*[^=]+?)?\s*=>|[A-Za-z_$][\w$]*\s*=>)")]
    private static partial Regex JsArrowConst();

    /// <summary>A method or arrow-function field, only tried directly inside a class body.</summary>
    [GeneratedRegex(
        @"^\s*(?:(?:public|private|protected|static|async|override|readonly|abstract|get|set|declare)\s+)*\*?\s*(?<name>#?[A-Za-z_$][\w$]*)\s*(?:\?\s*)" +
        @"?(?:(?:<[^>]*>)?\s*\(|(?::[^=]+)?=\s*(?:async\s+)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::\s*[^=]+?)?\s*=>)")]
    private static partial Regex JsMethod();

    [GeneratedRegex(@"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(?<name>[A-Za-z_$][\w$]*)")]
    private static partial Regex JsClass();

    [GeneratedRegex(
        @"^\s*(?:\[[^\]]*\]\s*)*(?:(?:public|private|protected|internal|static|async|override|virtual|sealed|abstract|extern|unsafe|new|partial|readonly|" +
        @"required|file)\s+)*(?:class|struct|interface|record(?:\s+(?:class|struct))?)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex CsType();

    [GeneratedRegex(
        @"^\s*(?:\[[^\]]*\]\s*)*(?<mods>(?:(?:public|private|protected|internal|static|async|override|virtual|sealed|abstract|extern|unsafe|new|partial|" +
        @"readonly)\s+)*)(?!(?:return|await|yield|throw|new|else|case|if|while|for|foreach|using|var|lock|switch|catch|when|goto|in|is|as|do|try|checked|" +
        @"unchecked|fixed|typeof|sizeof|nameof|default|base|this)\b)(?<type>[A-Za-z_][\w.]*(?:<[^()]*?>)?(?:\[[,\s]*\])*\??)\s+(?<name>[A-Za-z_]\w*)" +
        @"\s*(?:<[^()]*?>)?\s*\(")]
    private static partial Regex CsMethod();

    [GeneratedRegex(@"^\s*(?:\[[^\]]*\]\s*)*(?:(?:public|private|protected|internal|static)\s+)+(?<name>[A-Za-z_]\w*)\s*\(")]
    private static partial Regex CsConstructor();

    private static readonly HashSet<string> JsNotMethods = new(StringComparer.Ordinal)
    {
        "if", "for", "while", "switch", "catch", "return", "function", "with", "do", "else", "new", "typeof", "await", "yield", "super", "this",
    };

    private static List<SourceDefinition> ScanCLike(string path, string text, string language)
    {
        var result = new List<SourceDefinition>();
        // Enclosing types; a type's body is "open" once the depth reached it (C# puts `{` on the next line).
        var types = new List<(string Name, int BodyDepth, bool Open)>();
        var depth = 0;
        var inBlockComment = false;
        var lineNo = 0;
        var csharp = language == CSharp;
        foreach (var line in Lines(text))
        {
            lineNo++;
            var depthBefore = depth;
            var startedInComment = inBlockComment;
            depth = Math.Max(0, depth + BraceDelta(line, ref inBlockComment, csharp));
            if (startedInComment) goto popScopes;
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0
                || trimmed.StartsWith("//", StringComparison.Ordinal)
                || trimmed.StartsWith("/*", StringComparison.Ordinal)
                || trimmed[0] == '*') goto popScopes;

            var typeMatch = csharp ? CsType().Match(line) : JsClass().Match(line);
            if (typeMatch.Success)
            {
                if (!trimmed.TrimEnd().EndsWith(';')) types.Add((typeMatch.Groups["name"].Value, depthBefore + 1, false)); // `record R(int X);` has no body
                goto popScopes;
            }
            var container = types.Count == 0 ? null : string.Join('.', types.Where(t => t.Open && t.BodyDepth <= depthBefore).Select(t => t.Name));
            if (string.IsNullOrEmpty(container)) container = null;
            Match m;
            if (csharp)
            {
                m = CsMethod().Match(line);
                var statementEnd = trimmed.TrimEnd().EndsWith(';') && !trimmed.Contains("=>", StringComparison.Ordinal);
                if (m.Success && !statementEnd && !trimmed.Contains(" = ", StringComparison.Ordinal))
                {
                    Add(m);
                }
                else if (!statementEnd
                    && types.Count > 0
                    && CsConstructor().Match(line) is { Success: true } ctor
                    && ctor.Groups["name"].Value == types[^1].Name)
                {
                    Add(ctor);
                }
            }
            else
            {
                m = JsFunction().Match(line);
                if (!m.Success) m = JsArrowConst().Match(line);
                if (!m.Success && types.Count > 0 && types[^1].Open && types[^1].BodyDepth == depthBefore
                    && (!trimmed.TrimEnd().EndsWith(';') || trimmed.Contains("=>", StringComparison.Ordinal))) // `m(): void;` declares, `f = () => x;` defines
                {
                    m = JsMethod().Match(line);
                    if (m.Success && JsNotMethods.Contains(m.Groups["name"].Value)) m = Match.Empty;
                }
                if (m.Success) Add(m);
            }

        popScopes:
            for (var t = 0; t < types.Count; t++)
                if (!types[t].Open && depth >= types[t].BodyDepth) types[t] = types[t] with { Open = true };
            while (types.Count > 0 && types[^1].Open && types[^1].BodyDepth > depth) types.RemoveAt(types.Count - 1);

            void Add(Match match) => result.Add(new SourceDefinition(path, lineNo, match.Groups["name"].Index + 1,
                match.Groups["name"].Value.TrimStart('#'), container, null, false, language));
        }
        return result;
    }

    /// <summary>Net { minus } outside strings, chars and comments (rough: enough to know the enclosing class).</summary>
    private static int BraceDelta(string line, ref bool inBlockComment, bool csharp)
    {
        var delta = 0;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (inBlockComment)
            {
                if (ch == '*' && i + 1 < line.Length && line[i + 1] == '/') { inBlockComment = false; i++; }
                continue;
            }
            if (ch == '/' && i + 1 < line.Length)
            {
                if (line[i + 1] == '/') break;
                if (line[i + 1] == '*') { inBlockComment = true; i++; continue; }
            }
            if (ch is '"' or '\'' or '`')
            {
                var verbatim = csharp && ch == '"' && i > 0 && line[i - 1] == '@';
                var j = i + 1;
                while (j < line.Length)
                {
                    if (!verbatim && line[j] == '\\') { j += 2; continue; }
                    if (line[j] == ch)
                    {
                        if (verbatim && j + 1 < line.Length && line[j + 1] == '"') { j += 2; continue; }
                        break;
                    }
                    j++;
                }
                i = j;
                continue;
            }
            if (ch == '{') delta++;
            else if (ch == '}') delta--;
        }
        return delta;
    }

    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start <= text.Length)
        {
            var nl = text.IndexOf('\n', start);
            var end = nl < 0 ? text.Length : nl;
            var len = end - start;
            if (len > 0 && text[end - 1] == '\r') len--;
            yield return text.Substring(start, len);
            if (nl < 0) yield break;
            start = nl + 1;
        }
    }
}
