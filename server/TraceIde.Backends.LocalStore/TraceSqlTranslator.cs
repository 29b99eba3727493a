using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;

namespace TraceIde.Backends.LocalStore;

/// <summary>
/// Translates parsed MLflow trace filters and order-by clauses into parameterised SQLite SQL over
/// MLflow's SQLAlchemy schema (docs/mlflow-notes.md#local-store), mirroring the semantics of MLflow's SqlAlchemyStore
/// (docs/mlflow-notes.md#search-grammar). The trace table is aliased <c>t</c>.
/// </summary>
internal sealed class TraceSqlTranslator
{
    private readonly List<SqliteParameter> _parameters = [];

    public IReadOnlyList<SqliteParameter> Parameters => _parameters;

    public string AddParameter(object? value)
    {
        var name = "@p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(new SqliteParameter(name, value ?? DBNull.Value));
        return name;
    }

    /// <summary>SQL conditions (to be ANDed) for the clauses.</summary>
    public List<string> Where(IReadOnlyList<FilterClause> clauses)
    {
        var conditions = new List<string>();
        var spanConditions = new List<string>();
        foreach (var c in clauses)
        {
            switch (c.Entity)
            {
                case TraceFilterParser.Attribute:
                    conditions.Add(Attribute(c));
                    break;
                case TraceFilterParser.Tag:
                    conditions.Add(KeyValue("trace_tags", c.Key, c));
                    break;
                case TraceFilterParser.Metadata:
                    conditions.Add(KeyValue("trace_request_metadata", c.Key, c));
                    break;
                case TraceFilterParser.SpanEntity:
                    spanConditions.Add(Span(c));
                    break;
                case TraceFilterParser.Feedback:
                case TraceFilterParser.Expectation:
                    conditions.Add(AssessmentClause(c));
                    break;
                case TraceFilterParser.Issue:
                    {
                        var v = AddParameter(c.Values[0].Text);
                        var vj = AddParameter(PythonJson.DumpsString(c.Values[0].Text, ensureAscii: true));
                        conditions.Add("EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = t.request_id AND a.assessment_type = 'issue' " +
                                       $"AND a.valid = 1 AND (a.assessment_id = {v} OR a.name = {v} OR instr(a.value, {vj}) > 0))");
                        break;
                    }
                default:
                    throw BackendException.InvalidFilter($"Unsupported filter entity '{c.Entity}'.");
            }
        }
        // All span conditions must hold for the same span (MLflow semantics).
        if (spanConditions.Count > 0)
            conditions.Add($"EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND {string.Join(" AND ", spanConditions)})");
        return conditions;
    }

    private string Attribute(FilterClause c)
    {
        switch (c.Key)
        {
            case "request_id": return Compare("t.request_id", c);
            case "status": return Compare("t.status", c);
            case "client_request_id": return Compare("t.client_request_id", c);
            case "timestamp_ms": return Compare("t.timestamp_ms", c);
            case "execution_time_ms": return Compare("t.execution_time_ms", c);
            case "end_time_ms": return Compare("(t.timestamp_ms + t.execution_time_ms)", c);
            case "name": return KeyValue("trace_tags", "mlflow.traceName", c);
            case "text":
                return $"EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND {Compare("s.content", c)})";
            case "run_id":
                {
                    var negate = c.Operator is "!=" or "NOT IN";
                    var positive = c with { Operator = c.Operator == "!=" ? "=" : c.Operator == "NOT IN" ? "IN" : c.Operator };
                    var sql = $"({KeyValue("trace_request_metadata", "mlflow.sourceRun", positive)} OR EXISTS (SELECT 1 FROM entity_associations ea WHERE " +
                              "((ea.source_type = 'trace' AND ea.source_id = t.request_id AND ea.destination_type = 'run' AND " +
                                  $"{Compare("ea.destination_id", positive)}) OR " +
                              "(ea.destination_type = 'trace' AND ea.destination_id = t.request_id AND ea.source_type = 'run' AND " +
                                  $"{Compare("ea.source_id", positive)}))))";
                    return negate ? $"NOT {sql}" : sql;
                }
            case "prompt":
                return "EXISTS (SELECT 1 FROM entity_associations ea WHERE " +
                       "((ea.source_type = 'trace' AND ea.source_id = t.request_id AND ea.destination_type = 'prompt_version' AND " +
                           $"{Compare("ea.destination_id", c)}) OR " +
                       "(ea.destination_type = 'trace' AND ea.destination_id = t.request_id AND ea.source_type = 'prompt_version' AND " +
                           $"{Compare("ea.source_id", c)})))";
            default:
                throw BackendException.InvalidFilter($"Unsupported attribute '{c.Key}' for the local store.");
        }
    }

    private string KeyValue(string table, string key, FilterClause c)
    {
        var k = AddParameter(key);
        var exists = $"EXISTS (SELECT 1 FROM {table} kv WHERE kv.request_id = t.request_id AND kv.key = {k}";
        return c.Operator switch
        {
            "IS NULL" => "NOT " + exists + ")",
            "IS NOT NULL" => exists + ")",
            _ => $"{exists} AND {Compare("kv.value", c)})",
        };
    }

    private string Span(FilterClause c)
    {
        switch (c.Key)
        {
            case "name": return Compare("s.name", c);
            case "type": return Compare("s.type", c);
            case "status": return Compare("s.status", c);
            case "content": return Compare("s.content", c);
        }
        var attrKey = c.Key["attributes.".Length..];
        switch (c.Operator)
        {
            case "LIKE":
            case "ILIKE":
                {
                    // MLflow: content LIKE '%"<key>"<pattern>%'
                    var p = AddParameter("%\"" + attrKey + "\"" + c.Values[0].Text + "%");
                    return $"{(c.Operator == "LIKE" ? SqlFunctions.LikeCs : SqlFunctions.LikeCi)}(s.content, {p})";
                }
            case "RLIKE":
                {
                    var k = AddParameter(attrKey);
                    var p = AddParameter(c.Values[0].Text);
                    return $"{SqlFunctions.SpanAttr}(s.content, {k}) REGEXP {p}";
                }
            default:
                // =, !=, IN on attributes compare the whole content column (as MLflow does).
                return Compare("s.content", c);
        }
    }

    private string AssessmentClause(FilterClause c)
    {
        var type = AddParameter(c.Entity);
        var name = AddParameter(c.Key);
        var match =
            $"SELECT 1 FROM assessments a WHERE a.assessment_type = {type} AND a.name = {name} AND a.valid = 1 AND " +
            "(a.trace_id = t.request_id OR (a.assessment_metadata LIKE '%mlflow.trace.session%' AND json_valid(a.assessment_metadata) " +
            "AND json_extract(a.assessment_metadata, '$.\"mlflow.trace.session\"') = " +
            "(SELECT m.value FROM trace_request_metadata m WHERE m.request_id = t.request_id AND m.key = 'mlflow.trace.session')))";
        switch (c.Operator)
        {
            case "IS NULL": return $"NOT EXISTS ({match})";
            case "IS NOT NULL": return $"EXISTS ({match})";
            case "=":
            case "!=":
                {
                    // MLflow stores json.dumps(value): match the raw text (numbers, booleans) and the JSON string
                    // (Python's ensure_ascii form, and the UTF-8 form other writers use).
                    var raw = c.Values[0].Text;
                    var v = AddParameter(raw);
                    var vj = AddParameter(PythonJson.DumpsString(raw, ensureAscii: true));
                    var vu = AddParameter(PythonJson.DumpsString(raw, ensureAscii: false));
                    var cond = c.Operator == "="
                        ? $"(a.value = {v} OR a.value = {vj} OR a.value = {vu})"
                        : $"(a.value != {v} AND a.value != {vj} AND a.value != {vu})";
                    return $"EXISTS ({match} AND {cond})";
                }
            default:
                return $"EXISTS ({match} AND {Compare("a.value", c)})";
        }
    }

    private string Compare(string column, FilterClause c)
    {
        switch (c.Operator)
        {
            case "=":
            case "!=":
            case "<":
            case "<=":
            case ">":
            case ">=":
                return $"{column} {c.Operator} {Value(c.Values[0])}";
            case "LIKE":
                return $"{SqlFunctions.LikeCs}({column}, {Value(c.Values[0])})";
            case "ILIKE":
                return $"{SqlFunctions.LikeCi}({column}, {Value(c.Values[0])})";
            case "RLIKE":
                return $"{column} REGEXP {Value(c.Values[0])}";
            case "IN":
            case "NOT IN":
                return $"{column} {c.Operator} ({string.Join(", ", c.Values.Select(Value))})";
            case "IS NULL":
                return $"{column} IS NULL";
            case "IS NOT NULL":
                return $"{column} IS NOT NULL";
            default:
                throw BackendException.InvalidFilter($"Unsupported operator '{c.Operator}'.");
        }
    }

    private string Value(FilterValue v)
    {
        if (!v.IsNumber) return AddParameter(v.Text);
        if (long.TryParse(v.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return AddParameter(l);
        return AddParameter(double.Parse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// ORDER BY expressions as MLflow builds them: the user's keys (parsed by <see cref="OrderByParser"/>, which refuses what
    /// MLflow 3.11 refuses), then `timestamp_ms DESC` and `request_id ASC` unless given. A tag, metadata, `name` or `run_id`
    /// value a trace lacks sorts last in both directions, as MLflow's does.
    /// </summary>
    public string OrderBy(IReadOnlyList<string> orderBy)
    {
        var parts = new List<string>();
        var seen = new HashSet<string>();
        foreach (var key in OrderByParser.Parse(orderBy))
        {
            var (expr, nullsLast) = key.Entity switch
            {
                TraceFilterParser.Attribute => key.Key switch
                {
                    "timestamp_ms" => ("t.timestamp_ms", false),
                    "execution_time_ms" => ("t.execution_time_ms", false),
                    "status" => ("t.status", false),
                    "request_id" => ("t.request_id", false),
                    "experiment_id" => ("t.experiment_id", false),
                    "name" => (Lookup("trace_tags", "mlflow.traceName"), true),
                    "run_id" => (Lookup("trace_request_metadata", "mlflow.sourceRun"), true),
                    _ => throw new InvalidOperationException($"OrderByParser gave an attribute the local store cannot order by: {key.Key}"),
                },
                TraceFilterParser.Tag => (Lookup("trace_tags", key.Key), true),
                TraceFilterParser.Metadata => (Lookup("trace_request_metadata", key.Key), true),
                _ => throw new InvalidOperationException($"OrderByParser gave an entity the local store cannot order by: {key.Entity}"),
            };
            var dirSql = key.Ascending ? "ASC" : "DESC";
            seen.Add(expr);
            parts.Add(nullsLast ? $"({expr} IS NULL) ASC, {expr} {dirSql}" : $"{expr} {dirSql}");
        }
        if (!seen.Contains("t.timestamp_ms")) parts.Add("t.timestamp_ms DESC");
        if (!seen.Contains("t.request_id")) parts.Add("t.request_id ASC");
        return string.Join(", ", parts);

        string Lookup(string table, string key) =>
            $"(SELECT o.value FROM {table} o WHERE o.request_id = t.request_id AND o.key = {AddParameter(key)})";
    }
}
