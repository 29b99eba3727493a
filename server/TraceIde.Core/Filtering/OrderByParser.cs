using System.Text;
using TraceIde.Core.Backends;

namespace TraceIde.Core.Filtering;

/// <summary>
/// One order_by clause, parsed: <see cref="Entity"/> is <see cref="TraceFilterParser.Attribute"/>,
/// <see cref="TraceFilterParser.Tag"/> or <see cref="TraceFilterParser.Metadata"/>; <see cref="Key"/> is canonical — an
/// attribute's own name with aliases resolved (`timestamp` → `timestamp_ms`, `execution_time` → `execution_time_ms`;
/// `name` and `run_id` stay attributes, MLflow orders them by the tag `mlflow.traceName` and the metadata
/// `mlflow.sourceRun`), a tag or metadata key unquoted. <see cref="Clause"/> is the clause as given, trimmed.
/// </summary>
public sealed record OrderKey(string Clause, string Entity, string Key, bool Ascending)
{
    /// <summary>What two clauses must not share (MLflow fails on a key given twice): `timestamp_ms`, `tag.k`, `metadata.k`.</summary>
    public string Field => Entity == TraceFilterParser.Attribute ? Key : Entity + "." + Key;
}

/// <summary>
/// Parses a trace search's order_by as MLflow 3.11 does (docs/mlflow-notes.md#ordering-and-paging): a key (`[entity.]key`,
/// the entity `attribute`/`attributes`/`trace`, `tag`/`tags` or `metadata`/`request_metadata`, a key part may be
/// backticked or double-quoted), optionally followed by ASC or DESC in any case. Refuses (InvalidFilter, naming the
/// culprit) what MLflow refuses with a 400, and what it fails on with a 500 (`end_time[_ms]`, a key given twice): the
/// same order_by must not work on one backend and fail on the other. The host checks every search's order_by with it
/// before any backend sees it; the local store builds its ORDER BY from the parsed form.
/// </summary>
public static class OrderByParser
{
    /// <summary>The attribute keys MLflow orders by, and their canonical names. Case-sensitive: `TIMESTAMP_MS` is refused.</summary>
    private static readonly Dictionary<string, string> AttributeKeys = new(StringComparer.Ordinal)
    {
        ["timestamp"] = "timestamp_ms",
        ["timestamp_ms"] = "timestamp_ms",
        ["execution_time"] = "execution_time_ms",
        ["execution_time_ms"] = "execution_time_ms",
        ["status"] = "status",
        ["request_id"] = "request_id",
        ["experiment_id"] = "experiment_id",
        ["name"] = "name",
        ["run_id"] = "run_id",
    };

    /// <summary>Parses every clause; throws <see cref="BackendException"/> (InvalidFilter) at the first one MLflow would not order by.</summary>
    public static IReadOnlyList<OrderKey> Parse(IReadOnlyList<string?>? orderBy)
    {
        var keys = new List<OrderKey>();
        var given = new Dictionary<string, string>(StringComparer.Ordinal); // field → the clause that named it
        foreach (var raw in orderBy ?? [])
        {
            var key = ParseClause(raw ?? "");
            if (given.TryGetValue(key.Field, out var first))
            {
                // MLflow refuses this too, though as a 500: "`order_by` contains duplicate fields"
                throw Error(raw!, $"it orders by {key.Field} again, after '{first}'; give each key once.");
            }
            given[key.Field] = raw!;
            keys.Add(key);
        }
        return keys;
    }

    private static OrderKey ParseClause(string raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) throw Error(raw, "it is empty (give a key, optionally followed by ASC or DESC).");
        var (text, ascending) = SplitClause(raw);
        var (entity, key) = SplitKey(text, raw);
        if (entity != TraceFilterParser.Attribute) return new OrderKey(raw.Trim(), entity, key, ascending);
        if (AttributeKeys.TryGetValue(key, out var canonical)) return new OrderKey(raw.Trim(), entity, canonical, ascending);
        if (key is "end_time" or "end_time_ms")
        {
            throw Error(raw, $"'{key}' cannot be ordered by: MLflow 3.11 lists it but fails on it (HTTP 500); " +
                "order by timestamp_ms or execution_time_ms instead.");
        }
        if (AttributeKeys.ContainsKey(key.ToLowerInvariant()))
            throw Error(raw, $"unknown key '{key}' (keys are case-sensitive: write '{key.ToLowerInvariant()}').");
        throw Error(raw, $"unknown key '{key}' (expected timestamp_ms, execution_time_ms, status, request_id, " +
            "experiment_id, name, run_id, tag.<key> or request_metadata.<key>).");
    }

    private static BackendException Error(string raw, string why) => BackendException.InvalidFilter($"Invalid order_by clause '{raw}': {why}");

    /// <summary>A clause is a key (backticked or double-quoted parts may hold spaces), optionally followed by ASC or DESC in any case.</summary>
    private static (string Key, bool Ascending) SplitClause(string raw)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        foreach (var c in raw.Trim())
        {
            if (quote != null)
            {
                current.Append(c);
                if (c == quote) quote = null;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
            }
            else
            {
                if (c is '`' or '"') quote = c;
                current.Append(c);
            }
        }
        if (quote != null) throw Error(raw, $"unterminated {quote} quote.");
        if (current.Length > 0) words.Add(current.ToString());
        static bool IsDirection(string w) => w.Equals("ASC", StringComparison.OrdinalIgnoreCase) || w.Equals("DESC", StringComparison.OrdinalIgnoreCase);
        switch (words.Count)
        {
            case 1:
                return (words[0], true);
            case 2 when IsDirection(words[1]):
                return (words[0], words[1].Equals("ASC", StringComparison.OrdinalIgnoreCase));
            case 2:
                throw Error(raw, $"unknown direction '{words[1]}' (use ASC or DESC).");
            default:
                {
                    var extra = IsDirection(words[1]) ? 2 : 1;
                    throw Error(raw, $"unexpected '{string.Join(' ', words.Skip(extra))}' after '{string.Join(' ', words.Take(extra))}' " +
                        "(a key may only be followed by ASC or DESC).");
                }
        }
    }

    private static (string Entity, string Key) SplitKey(string text, string raw)
    {
        var dot = text.IndexOf('.');
        if (dot < 0 || text.StartsWith('`') || text.StartsWith('"')) return (TraceFilterParser.Attribute, Unquote(text));
        var prefix = text[..dot].ToLowerInvariant();
        var key = Unquote(text[(dot + 1)..]);
        return prefix switch
        {
            "attribute" or "attributes" or "trace" => (TraceFilterParser.Attribute, key),
            "tag" or "tags" => (TraceFilterParser.Tag, key),
            "request_metadata" or "metadata" => (TraceFilterParser.Metadata, key),
            _ => throw Error(raw, $"unknown entity '{text[..dot]}' (expected attribute, tag or request_metadata)."),
        };
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        if (s.Length >= 2 && (s[0] == '`' || s[0] == '"') && s[^1] == s[0]) return s[1..^1];
        return s;
    }
}
