using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Core.Tests.Filtering;

/// <summary>
/// The order_by parser against MLflow 3.11's recorded answers: every order_by MLflow answered (traces_search_v3__*.json)
/// parses, to the key MLflow orders by; every one it refused (error__traces_search_*.json) is refused. Which culprit each
/// refusal names is checked per recording in TraceIde.LocalStore.Tests/RejectedFiltersTests, the order each accepted
/// one gives in OrderByOracleTests there.
/// </summary>
public sealed class OrderByParserTests
{
    private static IEnumerable<IReadOnlyList<string>> OrderBys(Func<ReplayRecording, bool> which) =>
        ReplayRecording.All.Where(which).Select(r => RecordedSearch.Query(r).OrderBy).Where(o => o.Count > 0);

    public static TheoryData<string> AcceptedClauses() =>
        new(OrderBys(r => r.FileName.StartsWith("traces_search_", StringComparison.Ordinal) && r.Status == 200)
            .SelectMany(o => o).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    public static TheoryData<string> RefusedOrderBys() => new(RecordedSearch.RefusedOrderByFiles());

    [Fact]
    public void The_recordings_hold_the_forms_MLflow_accepts_and_refuses()
    {
        Assert.Equal(21, AcceptedClauses().Count);
        Assert.Equal(14, RefusedOrderBys().Count);
    }

    [Theory]
    [MemberData(nameof(AcceptedClauses))]
    public void What_MLflow_ordered_by_parses(string clause)
    {
        var key = Assert.Single(OrderByParser.Parse([clause]));
        Assert.Equal(clause, key.Clause);
    }

    [Theory]
    [MemberData(nameof(RefusedOrderBys))]
    public void What_MLflow_refused_is_refused(string file)
    {
        var orderBy = RecordedSearch.Query(ReplayRecording.Get(file)).OrderBy;
        var ex = Assert.Throws<BackendException>(() => OrderByParser.Parse(orderBy));
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
        Assert.StartsWith("Invalid order_by clause '", ex.Message);
    }

    [Theory]
    [InlineData("timestamp", "attribute", "timestamp_ms", true)]
    [InlineData("timestamp DESC", "attribute", "timestamp_ms", false)]
    [InlineData("attributes.timestamp_ms desc", "attribute", "timestamp_ms", false)]
    [InlineData("`timestamp_ms` DESC", "attribute", "timestamp_ms", false)]
    [InlineData("execution_time ASC", "attribute", "execution_time_ms", true)]
    [InlineData("trace.name DESC", "attribute", "name", false)]
    [InlineData("run_id", "attribute", "run_id", true)]
    [InlineData("tags.environment ASC", "tag", "environment", true)]
    [InlineData("tag.`channel` DESC", "tag", "channel", false)]
    [InlineData("metadata.`mlflow.trace.session` DESC", "metadata", "mlflow.trace.session", false)]
    [InlineData("request_metadata.mlflow.trace.user aSc", "metadata", "mlflow.trace.user", true)]
    [InlineData("tags.\"a key\" DESC", "tag", "a key", false)]
    [InlineData("  status  ", "attribute", "status", true)]
    public void A_clause_parses_to_its_entity_canonical_key_and_direction(string clause, string entity, string key, bool ascending) =>
        Assert.Equal(new OrderKey(clause.Trim(), entity, key, ascending), Assert.Single(OrderByParser.Parse([clause])));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("TIMESTAMP_MS DESC", "keys are case-sensitive: write 'timestamp_ms'")]
    [InlineData("end_time DESC", "HTTP 500")]
    [InlineData("span.name", "unknown entity 'span'")]
    [InlineData("timestamp_ms ascending", "unknown direction 'ascending'")]
    [InlineData("timestamp_ms DESC NULLS LAST", "unexpected 'NULLS LAST' after 'timestamp_ms DESC'")]
    [InlineData("tags.`environment DESC", "unterminated ` quote")]
    public void A_refusal_says_why(string clause, string why)
    {
        var ex = Assert.Throws<BackendException>(() => OrderByParser.Parse([clause]));
        Assert.Equal($"Invalid order_by clause '{clause}': ", ex.Message[..(ex.Message.IndexOf("': ", StringComparison.Ordinal) + 3)]);
        Assert.Contains(why, ex.Message);
    }

    [Theory]
    [InlineData("timestamp_ms ASC", "timestamp DESC", "timestamp_ms")]
    [InlineData("name ASC", "trace.name DESC", "name")]
    [InlineData("tags.env", "tag.`env` DESC", "tag.env")]
    public void A_key_given_twice_is_refused_naming_both_clauses(string first, string second, string field)
    {
        var ex = Assert.Throws<BackendException>(() => OrderByParser.Parse([first, second]));
        Assert.Equal($"Invalid order_by clause '{second}': it orders by {field} again, after '{first}'; give each key once.", ex.Message);
    }

    [Fact]
    public void Two_keys_keep_their_order_and_none_is_none()
    {
        Assert.Equal(["name", "execution_time_ms"], OrderByParser.Parse(["name ASC", "execution_time_ms DESC"]).Select(k => k.Key));
        Assert.Empty(OrderByParser.Parse(null));
        Assert.Empty(OrderByParser.Parse([]));
    }
}
