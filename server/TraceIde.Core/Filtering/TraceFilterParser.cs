using System.Text.RegularExpressions;
using System.Globalization;
using System.Text;
using TraceIde.Core.Backends;

namespace TraceIde.Core.Filtering;

/// <summary>
/// Parses and validates MLflow trace filter strings exactly as MLflow's grammar allows (docs/mlflow-notes.md#search-grammar).
/// Invalid input throws <see cref="Backends.BackendException"/> with code InvalidFilter and a
/// message that names the offending token and its position.
/// </summary>
/// <remarks>
/// Grammar (keywords case-insensitive):
/// <code>
/// filter     := comparison ( AND comparison )*
/// comparison := identifier operator value
///             | identifier (IN | NOT IN) '(' value (',' value)* ')'
///             | identifier IS [NOT] NULL
/// identifier := [entity '.'] key      -- only the FIRST dot splits; key may be `quoted` or "quoted"
/// value      := 'string' | "string" | number
/// </code>
/// Strings: the end of a string is found as sqlparse (MLflow's tokenizer) finds it — a doubled
/// quote (<c>'it''s'</c>) or a backslash-escaped one (<c>'it\'s'</c>) does not end it — but, like
/// MLflow (<c>_strip_quotes</c>), the value is the raw text between the quotes: nothing is
/// unescaped. So a value containing a single quote is written in double quotes. Backtick keys
/// escape a backtick by doubling it.
/// Positions in error messages are 1-based character columns.
/// </remarks>
public static class TraceFilterParser
{
    public const string Attribute = "attribute";
    public const string Tag = "tag";
    public const string Metadata = "metadata";
    public const string SpanEntity = "span";
    public const string Feedback = "feedback";
    public const string Expectation = "expectation";
    public const string Issue = "issue";

    private static readonly Dictionary<string, string> EntityAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["attribute"] = Attribute,
        ["attributes"] = Attribute,
        ["trace"] = Attribute,
        ["tag"] = Tag,
        ["tags"] = Tag,
        ["metadata"] = Metadata,
        ["request_metadata"] = Metadata,
        ["span"] = SpanEntity,
        ["feedback"] = Feedback,
        ["expectation"] = Expectation,
        ["issue"] = Issue,
    };

    private static readonly string[] StringOps = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN"];
    private static readonly string[] NumericOps = ["=", "!=", "<", "<=", ">", ">="];
    private static readonly string[] TagOps = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"];

    /// <summary>Canonical attribute keys (aliases resolved).</summary>
    private static readonly Dictionary<string, string> NumericAttributes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["timestamp"] = "timestamp_ms",
        ["timestamp_ms"] = "timestamp_ms",
        ["execution_time"] = "execution_time_ms",
        ["execution_time_ms"] = "execution_time_ms",
        ["end_time"] = "end_time_ms",
        ["end_time_ms"] = "end_time_ms",
    };

    private static readonly HashSet<string> StringAttributes = new(StringComparer.OrdinalIgnoreCase)
    {
        "request_id", "status", "client_request_id",
    };

    public static IReadOnlyList<FilterClause> Parse(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter)) return [];
        return new Reader(filter).ParseAll();
    }

    private static BackendException Error(int pos, string what) =>
        BackendException.InvalidFilter($"Invalid filter at position {pos + 1}: {what}");

    private sealed class Reader(string text)
    {
        private int _pos;

        public List<FilterClause> ParseAll()
        {
            var clauses = new List<FilterClause>();
            while (true)
            {
                SkipWs();
                if (AtEnd && clauses.Count == 0) throw Error(_pos, "empty filter");
                if (AtEnd) return clauses; // a trailing AND: MLflow accepts it (`trace.status = 'OK' AND` finds the OK traces)
                clauses.Add(ParseComparison());
                SkipWs();
                if (AtEnd) return clauses;
                var start = _pos;
                var word = ReadWord();
                if (!word.Equals("AND", StringComparison.OrdinalIgnoreCase))
                {
                    if (word.Equals("OR", StringComparison.OrdinalIgnoreCase))
                        throw Error(start, "OR is not supported (MLflow trace filters join comparisons with AND only)");
                    throw Error(start, $"expected AND but found {Describe(start)}");
                }
            }
        }

        private bool AtEnd => _pos >= text.Length;
        private char Cur => text[_pos];

        private void SkipWs()
        {
            while (!AtEnd && char.IsWhiteSpace(Cur)) _pos++;
        }

        private string Describe(int at)
        {
            if (at >= text.Length) return "end of filter";
            var end = at;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && end - at < 20) end++;
            if (end == at) end = at + 1;
            return $"'{text[at..end]}'";
        }

        private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

        private string ReadWord()
        {
            var start = _pos;
            while (!AtEnd && IsWordChar(Cur)) _pos++;
            return text[start.._pos];
        }

        private FilterClause ParseComparison()
        {
            var identStart = _pos;
            if (!AtEnd && Cur == '(')
            {
                var group = Group(_pos);
                throw Error(identStart, $"parentheses are not supported: '{group}' (MLflow trace filters are comparisons joined by AND only)");
            }
            var (entityText, key, entityPos, keyQuoted) = ReadIdentifier();
            var identText = text[identStart.._pos];
            string entity;
            if (entityText == null) entity = Attribute;
            else if (!EntityAliases.TryGetValue(entityText, out entity!))
                throw Error(entityPos, $"unknown entity '{entityText}' (expected one of attribute, tag, metadata, span, feedback, expectation, issue)");
            if (key.Length == 0) throw Error(identStart, $"missing key after '{entityText}.'");

            SkipWs();
            var opPos = _pos;
            var op = ReadOperator(identText);

            var values = new List<FilterValue>();
            SkipWs();
            var valueStart = _pos;
            if (op is "IN" or "NOT IN")
            {
                if (AtEnd || Cur != '(') throw Error(_pos, $"expected '(' after {op} but found {Describe(_pos)}");
                _pos++;
                while (true)
                {
                    SkipWs();
                    values.Add(ReadValue(identStart));
                    SkipWs();
                    if (AtEnd) throw Error(_pos, "unterminated IN list (missing ')')");
                    if (Cur == ',') { _pos++; continue; }
                    if (Cur == ')') { _pos++; break; }
                    throw Error(_pos, $"expected ',' or ')' in IN list but found {Describe(_pos)}");
                }
            }
            else if (op is not ("IS NULL" or "IS NOT NULL"))
            {
                values.Add(ReadValue(identStart));
            }

            return Validate(entity, key, keyQuoted, op, values, identStart, opPos, valueStart, text[valueStart.._pos]);
        }

        /// <summary>The parenthesised group starting at <paramref name="open"/> (quotes respected), or the rest of the filter.</summary>
        private string Group(int open)
        {
            var depth = 0;
            char? quote = null;
            for (var i = open; i < text.Length; i++)
            {
                var c = text[i];
                if (quote != null)
                {
                    if (c == quote) quote = null;
                    continue;
                }
                if (c is '\'' or '"' or '`') quote = c;
                else if (c == '(') depth++;
                else if (c == ')' && --depth == 0) return text[open..(i + 1)];
            }
            return text[open..].TrimEnd();
        }

        /// <summary>Reads `[entity.]key`; only the first dot splits.</summary>
        private (string? Entity, string Key, int EntityPos, bool KeyQuoted) ReadIdentifier()
        {
            var start = _pos;
            if (AtEnd) throw Error(_pos, "expected an identifier");
            if (Cur is '`' or '"')
            {
                var quoted = ReadQuotedKey();
                return (null, quoted, start, true);
            }
            if (!IsWordChar(Cur)) throw Error(_pos, $"expected an identifier but found {Describe(_pos)}");
            var sb = new StringBuilder();
            while (!AtEnd && (IsWordChar(Cur) || Cur is '.' or '-' or ':' or '/'))
            {
                sb.Append(Cur);
                _pos++;
            }
            var word = sb.ToString();
            var dot = word.IndexOf('.');
            if (dot < 0)
                return (null, word, start, false);
            var entity = word[..dot];
            var key = word[(dot + 1)..];
            var quotedKey = false;
            // tag.`key`, span.attributes.`key`
            if ((key.Length == 0 || key.EndsWith('.')) && !AtEnd && Cur is '`' or '"')
            {
                key += ReadQuotedKey();
                quotedKey = true;
            }
            return (entity, key, start, quotedKey);
        }

        private string ReadQuotedKey()
        {
            var quote = Cur;
            var start = _pos;
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw Error(start, $"unterminated quoted key starting with {quote}");
                var c = Cur;
                if (c == quote)
                {
                    if (_pos + 1 < text.Length && text[_pos + 1] == quote) { sb.Append(quote); _pos += 2; continue; }
                    _pos++;
                    break;
                }
                sb.Append(c);
                _pos++;
            }
            if (sb.Length == 0) throw Error(start, "empty quoted key");
            return sb.ToString();
        }

        private string ReadOperator(string identText)
        {
            var start = _pos;
            if (AtEnd) throw Error(_pos, $"expected a comparison operator after '{identText}' but found end of filter");
            string? sym = null;
            foreach (var candidate in new[] { "!=", "<>", "<=", ">=", "=", "<", ">" })
            {
                if (string.CompareOrdinal(text, _pos, candidate, 0, candidate.Length) == 0) { sym = candidate; break; }
            }
            if (sym != null)
            {
                _pos += sym.Length;
                if (!AtEnd && Cur is '=' or '<' or '>' or '!')
                    throw Error(start, $"invalid comparison operator {Describe(start)}");
                // MLflow refuses SQL's <> (a filter must mean the same here and on a tracking server)
                if (sym == "<>") throw Error(start, "invalid comparison operator '<>' (use != for not equal)");
                return sym;
            }
            if (!IsWordChar(Cur)) throw Error(start, $"invalid comparison operator {Describe(start)}");
            var word = ReadWord().ToUpperInvariant();
            switch (word)
            {
                case "LIKE" or "ILIKE" or "RLIKE" or "IN":
                    return word;
                case "NOT":
                    {
                        SkipWs();
                        var p = _pos;
                        var next = ReadWord().ToUpperInvariant();
                        if (next == "IN") return "NOT IN";
                        if (next.Length > 0)
                            throw Error(start, $"invalid comparison operator 'NOT {next}' (NOT only forms NOT IN; " +
                                "use != for one value, or the operator without NOT)");
                        throw Error(p, $"expected IN after NOT but found {Describe(p)}");
                    }
                case "IS":
                    {
                        SkipWs();
                        var p = _pos;
                        var next = ReadWord().ToUpperInvariant();
                        if (next == "NULL") return "IS NULL";
                        if (next == "NOT")
                        {
                            SkipWs();
                            var p2 = _pos;
                            if (ReadWord().Equals("NULL", StringComparison.OrdinalIgnoreCase)) return "IS NOT NULL";
                            throw Error(p2, $"expected NULL after IS NOT but found {Describe(p2)}");
                        }
                        throw Error(p, $"expected NULL or NOT NULL after IS but found {Describe(p)}");
                    }
                default:
                    throw Error(start, $"invalid comparison operator {Describe(start)}");
            }
        }

        private FilterValue ReadValue(int clauseStart)
        {
            if (AtEnd) throw Error(_pos, $"expected a value after '{text[clauseStart.._pos].TrimEnd()}' but found end of filter");
            var start = _pos;
            var c = Cur;
            if (c is '\'' or '"') return new FilterValue(ReadString(), false);
            if (char.IsDigit(c) || ((c is '-' or '+' or '.') && _pos + 1 < text.Length && (char.IsDigit(text[_pos + 1]) || text[_pos + 1] == '.')))
            {
                _pos++;
                while (!AtEnd && (char.IsDigit(Cur) || Cur is '.' or 'e' or 'E' ||
                                  (Cur is '+' or '-' && text[_pos - 1] is 'e' or 'E'))) _pos++;
                var num = text[start.._pos];
                if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw Error(start, $"invalid number '{num}'");
                if (!AtEnd && IsWordChar(Cur)) throw Error(start, $"invalid value {Describe(start)}");
                return new FilterValue(num, true);
            }
            throw Error(start, $"expected a quoted string or a number but found {Describe(start)} (string values need single or double quotes)");
        }

        private string ReadString()
        {
            var quote = Cur;
            var start = _pos;
            _pos++;
            while (true)
            {
                if (AtEnd) throw Error(start, $"unterminated string {Clip(text[start..].TrimEnd())} (the closing {quote} is missing)");
                var c = Cur;
                if (c == '\\' && _pos + 1 < text.Length && (text[_pos + 1] == quote || text[_pos + 1] == '\\'))
                {
                    _pos += 2;
                    continue;
                }
                if (c == quote)
                {
                    if (_pos + 1 < text.Length && text[_pos + 1] == quote) { _pos += 2; continue; }
                    _pos++;
                    return text[(start + 1)..(_pos - 1)];
                }
                _pos++;
            }
        }

        private FilterClause Validate(string entity, string key, bool keyQuoted, string op, List<FilterValue> values, int identPos, int opPos,
            int valuePos, string valueText)
        {
            string[] allowed;
            var needString = true;
            var canonicalKey = key;
            switch (entity)
            {
                case Attribute:
                    {
                        var k = key.ToLowerInvariant();
                        if (NumericAttributes.TryGetValue(k, out var numeric))
                        {
                            canonicalKey = numeric;
                            allowed = NumericOps;
                            needString = false;
                        }
                        else if (StringAttributes.Contains(k))
                        {
                            canonicalKey = k;
                            allowed = StringOps;
                        }
                        else if (k == "name")
                        {
                            // the tag mlflow.traceName: MLflow refuses IN / NOT IN on it as on any tag
                            canonicalKey = k;
                            allowed = ["=", "!=", "LIKE", "ILIKE", "RLIKE"];
                        }
                        else if (k == "run_id")
                        {
                            canonicalKey = k;
                            allowed = ["=", "!=", "IN", "NOT IN"];
                        }
                        else if (k == "prompt")
                        {
                            canonicalKey = k;
                            allowed = ["="];
                        }
                        else if (k == "text")
                        {
                            canonicalKey = k;
                            allowed = ["LIKE", "ILIKE"];
                        }
                        else
                        {
                            throw Error(identPos, $"unknown attribute '{key}' (expected one of request_id, status, client_request_id, timestamp_ms, " +
                                "execution_time_ms, end_time_ms, name, run_id, prompt, text)");
                        }
                        break;
                    }
                case Tag:
                case Metadata:
                    allowed = TagOps;
                    break;
                case SpanEntity:
                    {
                        var k = key;
                        if (k.Equals("attributes.", StringComparison.OrdinalIgnoreCase))
                            throw Error(identPos, "empty span attribute name after 'span.attributes.' (write span.attributes.<name>)");
                        if (k.StartsWith("attributes.", StringComparison.OrdinalIgnoreCase) && k.Length > "attributes.".Length)
                        {
                            canonicalKey = "attributes." + k["attributes.".Length..];
                            allowed = StringOps;
                        }
                        else if (k.ToLowerInvariant() is "name" or "type" or "status")
                        {
                            canonicalKey = k.ToLowerInvariant();
                            allowed = StringOps;
                        }
                        else if (k.Equals("content", StringComparison.OrdinalIgnoreCase))
                        {
                            canonicalKey = "content";
                            allowed = ["LIKE", "ILIKE"];
                        }
                        else
                        {
                            throw Error(identPos, $"unknown span key '{key}' (expected name, type, status, content or attributes.<key>)");
                        }
                        break;
                    }
                case Feedback:
                case Expectation:
                    allowed = TagOps;
                    break;
                case Issue:
                    if (!key.Equals("id", StringComparison.OrdinalIgnoreCase))
                        throw Error(identPos, $"unknown issue key '{key}' (only issue.id is supported)");
                    canonicalKey = "id";
                    allowed = ["="];
                    break;
                default:
                    throw Error(identPos, $"unknown entity '{entity}'");
            }

            if (!allowed.Contains(op))
            {
                var why = $"operator '{op}' is not allowed for {Describe(entity, canonicalKey)} (allowed: {string.Join(", ", allowed)})";
                if (op is "IN" or "NOT IN")
                {
                    why += $"; compare with one value, not the list {valueText}";
                    var onTag = entity is Tag or Metadata || (entity == Attribute && canonicalKey == "name");
                    if (op == "IN" && values.Count > 1 && onTag && values.All(v => !v.Text.Contains('\'')))
                        why += $", or match several with RLIKE '^({string.Join("|", values.Select(v => Regex.Escape(v.Text)))})$'";
                }
                if (needString && values.FirstOrDefault(v => v.IsNumber) is { } number)
                    why += $"; the value must also be a quoted string, not the number {number.Text}";
                throw Error(opPos, why);
            }
            foreach (var v in values)
            {
                if (needString && v.IsNumber)
                    throw Error(opPos, $"{Describe(entity, canonicalKey)} needs a quoted string value, not the number {v.Text}");
                if (!needString && !v.IsNumber)
                {
                    // MLflow accepts numeric attributes only as numbers; a quoted number is tolerated.
                    if (!double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                        throw Error(opPos, $"{Describe(entity, canonicalKey)} needs a number, not '{v.Text}'");
                }
            }
            if (!needString)
                values = values.Select(v => v with { IsNumber = true }).ToList();
            if (canonicalKey == "prompt" && entity == Attribute && values.FirstOrDefault(v => !v.Text.Contains('/')) is { } prompt)
                throw Error(valuePos, $"invalid prompt value '{prompt.Text}': expected 'name/version' (e.g. prompt = 'my-prompt/1')");
            if (op == "RLIKE")
            {
                // MLflow finds nothing for a pattern its regex engine refuses; saying why is kinder.
                foreach (var v in values)
                {
                    try
                    {
                        _ = new Regex(v.Text, RegexOptions.None, TimeSpan.FromSeconds(1));
                    }
                    catch (ArgumentException ex)
                    {
                        throw Error(opPos, $"invalid regular expression '{v.Text}' for RLIKE: {ex.Message}");
                    }
                }
            }
            return new FilterClause(entity, canonicalKey, op, values);
        }

        private static string Describe(string entity, string key) => $"{entity} '{key}'";
    }
}
