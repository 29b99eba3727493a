using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Core.Tests.Filtering;

public class FilterParserTests
{
    public static IEnumerable<object[]> RecordedSuccessfulFilters()
    {
        foreach (var file in Directory.GetFiles(Fixtures.Http, "traces_search_v3__*.json").Order())
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var body = doc.RootElement.GetProperty("request").GetProperty("body");
            if (body.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.String)
                yield return [Path.GetFileName(file), f.GetString()!];
        }
    }

    public static IEnumerable<object[]> RecordedRejectedFilters()
    {
        foreach (var file in Directory.GetFiles(Fixtures.Http, "error__traces_search_v3_bad_filter_*.json").Order())
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal(400, doc.RootElement.GetProperty("response").GetProperty("status").GetInt32());
            yield return [Path.GetFileName(file), doc.RootElement.GetProperty("request").GetProperty("body").GetProperty("filter").GetString()!];
        }
    }

    [Fact]
    public void RecordedFixturesAreThere()
    {
        Assert.True(RecordedSuccessfulFilters().Count() >= 20);
        Assert.Equal(3, RecordedRejectedFilters().Count());
    }

    [Theory]
    [MemberData(nameof(RecordedSuccessfulFilters))]
    public void EveryFilterMlflowAcceptedParses(string file, string filter)
    {
        var clauses = TraceFilterParser.Parse(filter);
        Assert.NotEmpty(clauses);
        Assert.True(clauses.Count == filter.Split(" AND ").Length, file);
    }

    [Theory]
    [MemberData(nameof(RecordedRejectedFilters))]
    public void EveryFilterMlflowRejectedIsRejected(string file, string filter)
    {
        var ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse(filter));
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
        Assert.StartsWith("Invalid filter at position ", ex.Message);
        Assert.False(string.IsNullOrEmpty(file));
    }

    [Fact]
    public void RejectionMessagesNameTheProblemAndPosition()
    {
        var ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse("foo.bar = 'x'"));
        Assert.Equal(
            "Invalid filter at position 1: unknown entity 'foo' (expected one of attribute, tag, metadata, span, feedback, expectation, issue)",
            ex.Message);

        ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse("trace.status === 'OK'"));
        Assert.Contains("position 14", ex.Message);
        Assert.Contains("'==='", ex.Message);

        ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse("feedback.helpfulness > 3"));
        Assert.Contains("position 22", ex.Message);
        Assert.Contains("'>'", ex.Message);

        ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse("tag.a = 'x' OR tag.b = 'y'"));
        Assert.Contains("OR is not supported", ex.Message);
        Assert.Contains("position 13", ex.Message);
    }

    [Theory]
    [InlineData("trace.status = 'OK' AND AND", "position 28: expected a")]
    [InlineData("trace.name RLIKE '[a-'", "invalid regular expression")]
    [InlineData("trace.status = OK", "quoted string")]
    [InlineData("trace.status = 'OK", "unterminated string")]
    [InlineData("trace.timestamp_ms > 'yesterday'", "needs a number")]
    [InlineData("trace.status > 'OK'", "not allowed")]
    [InlineData("trace.nope = 'x'", "unknown attribute")]
    [InlineData("span.nope = 'x'", "unknown span key")]
    [InlineData("span.content = 'x'", "not allowed")]
    [InlineData("tag.x IN ('a')", "not allowed")]
    [InlineData("tag.x IS 'a'", "expected NULL")]
    [InlineData("trace.status IN ('OK'", "unterminated IN list")]
    [InlineData("trace.status IN 'OK'", "expected '('")]
    [InlineData("trace.status NOT 'OK'", "expected IN after NOT")]
    [InlineData("tag.`` = 'x'", "empty quoted key")]
    [InlineData("issue.name = 'x'", "unknown issue key")]
    [InlineData("trace.status = 'OK' 'x'", "expected AND")]
    [InlineData("tag.x = 5", "quoted string")]
    // refused by MLflow 3.11 too (RejectedFiltersTests checks them against its recorded answers)
    [InlineData("trace.name IN ('a', 'b')", "position 12: operator 'IN' is not allowed for attribute 'name'")]
    [InlineData("trace.name IN ('a', 'b')", "or match several with RLIKE '^(a|b)$'")]
    [InlineData("feedback.helpfulness IN ('5.0')", "compare with one value, not the list ('5.0')")]
    [InlineData("trace.status <> 'OK'", "position 14: invalid comparison operator '<>' (use != for not equal)")]
    [InlineData("trace.name not like 'x'", "position 12: invalid comparison operator 'NOT LIKE'")]
    [InlineData("(trace.status = 'OK')", "position 1: parentheses are not supported: '(trace.status = 'OK')'")]
    [InlineData("tag.a = 'x' AND (tag.b = ')' OR tag.c = 'y') AND tag.d = 'z'", "position 17: parentheses are not supported: '(tag.b = ')' OR tag.c = 'y')'")]
    [InlineData("prompt = 'x'", "position 10: invalid prompt value 'x': expected 'name/version'")]
    [InlineData("span.attributes. = 'x'", "position 1: empty span attribute name after 'span.attributes.'")]
    [InlineData("tags.environment", "position 17: expected a comparison operator after 'tags.environment' but found end of filter")]
    [InlineData("tags.environment = ", "position 20: expected a value after 'tags.environment =' but found end of filter")]
    [InlineData("trace.status = 'OK", "position 16: unterminated string 'OK (the closing ' is missing)")]
    [InlineData("feedback.helpfulness > 3", "the value must also be a quoted string, not the number 3")]
    [InlineData("   ", null)]
    public void InvalidFiltersAreRejected(string filter, string? fragment)
    {
        if (fragment == null)
        {
            Assert.Empty(TraceFilterParser.Parse(filter));
            return;
        }
        var ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse(filter));
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void EntitiesAliasesKeysAndOperatorsAreResolved()
    {
        var c = TraceFilterParser.Parse(
            "trace.status = 'ERROR' and attributes.timestamp > 1711000000000 AND timestamp_ms <= 1.5e12 " +
            "AND tags.`mlflow.traceName` LIKE '%agent%' AND request_metadata.\"mlflow.modelId\" ilike 'm-%' " +
            "AND metadata.mlflow.trace.session = 'chat-17' AND span.attributes.mlflow.spanType RLIKE '^TOOL$' " +
            "AND attribute.request_id not in ('a', \"b\") AND tag.topic IS NOT NULL AND feedback.`correctness` is null " +
            "AND expectation.expected_facts IS NOT NULL AND issue.id = 'iss-1' AND execution_time_ms != 5 AND trace.text ILIKE '%refund%'" +
            " AND span.name = 'x' AND span.type IN ('TOOL') AND span.status != 'OK' AND span.content LIKE '%Lisbon%' AND end_time >= -3");
        Assert.Equal(("attribute", "status", "="), (c[0].Entity, c[0].Key, c[0].Operator));
        Assert.Equal(new FilterValue("ERROR", false), Assert.Single(c[0].Values));
        Assert.Equal(("attribute", "timestamp_ms", ">"), (c[1].Entity, c[1].Key, c[1].Operator));
        Assert.Equal(new FilterValue("1711000000000", true), Assert.Single(c[1].Values));
        Assert.Equal(("attribute", "timestamp_ms", "<=", "1.5e12"), (c[2].Entity, c[2].Key, c[2].Operator, c[2].Values[0].Text));
        Assert.Equal(("tag", "mlflow.traceName", "LIKE"), (c[3].Entity, c[3].Key, c[3].Operator));
        Assert.Equal(("metadata", "mlflow.modelId", "ILIKE", "m-%"), (c[4].Entity, c[4].Key, c[4].Operator, c[4].Values[0].Text));
        Assert.Equal(("metadata", "mlflow.trace.session"), (c[5].Entity, c[5].Key));
        Assert.Equal(("span", "attributes.mlflow.spanType", "RLIKE"), (c[6].Entity, c[6].Key, c[6].Operator));
        Assert.Equal(("attribute", "request_id", "NOT IN"), (c[7].Entity, c[7].Key, c[7].Operator));
        Assert.Equal(["a", "b"], c[7].Values.Select(v => v.Text));
        Assert.Equal(("tag", "topic", "IS NOT NULL", 0), (c[8].Entity, c[8].Key, c[8].Operator, c[8].Values.Count));
        Assert.Equal(("feedback", "correctness", "IS NULL"), (c[9].Entity, c[9].Key, c[9].Operator));
        Assert.Equal(("expectation", "expected_facts"), (c[10].Entity, c[10].Key));
        Assert.Equal(("issue", "id"), (c[11].Entity, c[11].Key));
        Assert.Equal(("attribute", "execution_time_ms", "!="), (c[12].Entity, c[12].Key, c[12].Operator));
        Assert.Equal(("attribute", "text", "ILIKE"), (c[13].Entity, c[13].Key, c[13].Operator));
        Assert.Equal(("span", "content", "LIKE"), (c[17].Entity, c[17].Key, c[17].Operator));
        Assert.Equal(("attribute", "end_time_ms", ">=", "-3"), (c[18].Entity, c[18].Key, c[18].Operator, c[18].Values[0].Text));
        Assert.Equal(19, c.Count);
    }

    [Theory]
    // As MLflow: escaped quotes do not end the string, but the value is the raw text between the quotes.
    [InlineData("tag.k = 'it''s'", "it''s")]
    [InlineData(@"tag.k = 'it\'s'", @"it\'s")]
    [InlineData(@"tag.k = 'a\\b'", @"a\\b")]
    [InlineData(@"tag.k = 'a\nb'", @"a\nb")]
    [InlineData("tag.k = \"say \"\"hi\"\"\"", "say \"\"hi\"\"")]
    [InlineData("tag.k = \"it's\"", "it's")]
    [InlineData("tag.`we``ird` = 'x'", "x")]
    public void StringEscapes(string filter, string expected)
    {
        var c = Assert.Single(TraceFilterParser.Parse(filter));
        Assert.Equal(expected, c.Values[0].Text);
        if (filter.Contains("we``ird")) Assert.Equal("we`ird", c.Key);
    }

    private static readonly string[] NastyStrings =
    [
        "plain", "", "it's", "''", "'", "\\", "\\'", "a\\\\'b", "`tick`", "``", "\"double\"", "' OR 1=1 --",
        "tag.x = 'y' AND z", "100%_done", "ünïcødé 日本語 🚀", "line\nbreak\ttab", " AND ", "trailing\\", "(a, b)", ")'",
    ];

    public static IEnumerable<object[]> Nasty() => NastyStrings.Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Nasty))]
    public void BuilderOutputParsesBackToTheSameValues(string nasty)
    {
        if (!TraceFilterBuilder.CanQuote(nasty))
        {
            var e = Assert.Throws<BackendException>(() => TraceFilterBuilder.Quote(nasty));
            Assert.Equal(RpcErrorCodes.InvalidParams, e.Code);
            return;
        }
        var filters = new TraceFilters
        {
            States = ["OK", "ERROR"],
            StartTimeMs = 1711000000000,
            EndTimeMs = 1711600000000,
            Name = nasty + "-name",
            Tags = new Dictionary<string, string> { [nasty + "key"] = nasty, ["env"] = nasty + "v" },
            Session = nasty + "s",
            User = "u" + nasty,
        };
        var user = "feedback.`correctness` = 'no'";
        var combined = TraceFilterBuilder.Combine(user, filters)!;
        var c = TraceFilterParser.Parse(combined);
        Assert.Equal(9, c.Count);
        Assert.Equal(("feedback", "correctness", "no"), (c[0].Entity, c[0].Key, c[0].Values[0].Text));
        Assert.Equal(("attribute", "status", "IN"), (c[1].Entity, c[1].Key, c[1].Operator));
        Assert.Equal(["OK", "ERROR"], c[1].Values.Select(v => v.Text));
        Assert.Equal(("timestamp_ms", ">=", "1711000000000"), (c[2].Key, c[2].Operator, c[2].Values[0].Text));
        Assert.Equal(("timestamp_ms", "<=", "1711600000000"), (c[3].Key, c[3].Operator, c[3].Values[0].Text));
        Assert.Equal(("attribute", "name", nasty + "-name"), (c[4].Entity, c[4].Key, c[4].Values[0].Text));
        Assert.Equal(("tag", nasty + "key", nasty), (c[5].Entity, c[5].Key, c[5].Values[0].Text));
        Assert.Equal(("tag", "env", nasty + "v"), (c[6].Entity, c[6].Key, c[6].Values[0].Text));
        Assert.Equal(("metadata", "mlflow.trace.session", nasty + "s"), (c[7].Entity, c[7].Key, c[7].Values[0].Text));
        Assert.Equal(("metadata", "mlflow.trace.user", "u" + nasty), (c[8].Entity, c[8].Key, c[8].Values[0].Text));
    }

    [Fact]
    public void RandomStringsRoundTripThroughQuote()
    {
        var rng = new Random(1234);
        const string alphabet = "ab'\"`\\ %_()=,.\n\téü日🚀AND";
        for (var i = 0; i < 2000; i++)
        {
            var len = rng.Next(0, 12);
            var chars = new List<char>();
            for (var j = 0; j < len; j++) chars.Add(alphabet[rng.Next(alphabet.Length)]);
            var s = new string(chars.ToArray());
            if (!TraceFilterBuilder.CanQuote(s))
            {
                Assert.Throws<BackendException>(() => TraceFilterBuilder.Quote(s));
                continue;
            }
            var c = Assert.Single(TraceFilterParser.Parse("tag.k = " + TraceFilterBuilder.Quote(s)));
            Assert.Equal(s, c.Values[0].Text);
        }
    }

    [Fact]
    public void CombineShapes()
    {
        Assert.Null(TraceFilterBuilder.Combine(null, null));
        Assert.Null(TraceFilterBuilder.Combine("  ", new TraceFilters()));
        Assert.Equal("trace.status = 'ERROR'", TraceFilterBuilder.Combine(null, new TraceFilters { States = ["ERROR"] }));
        Assert.Equal("span.type = 'TOOL' AND trace.status IN ('OK', 'ERROR') AND trace.timestamp_ms >= 5",
            TraceFilterBuilder.Combine("span.type = 'TOOL'", new TraceFilters { States = ["OK", "ERROR"], StartTimeMs = 5 }));
        Assert.Equal("tag.`env` = 'prod' AND metadata.`mlflow.trace.session` = 's' AND metadata.`mlflow.trace.user` = 'u'",
            TraceFilterBuilder.Combine(null, new TraceFilters { Tags = new Dictionary<string, string> { ["env"] = "prod" }, Session = "s", User = "u" }));
        Assert.Equal("trace.name = \"it's\"", TraceFilterBuilder.Combine(null, new TraceFilters { Name = "it's" }));
        Assert.Equal(@"'a\b'", TraceFilterBuilder.Quote(@"a\b"));
        Assert.False(TraceFilterBuilder.CanQuote("both ' and \""));
        Assert.False(TraceFilterBuilder.CanQuote(@"ends with \"));
    }
}
