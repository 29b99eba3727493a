using CsCheck;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Core.Tests.Properties;

/// <summary>ID decoding round trips, and the filter builder against our MLflow-grammar parser.</summary>
public sealed class IdAndFilterProperties
{
    [Fact]
    public void Span_ids_in_every_mlflow_encoding_decode_to_the_same_lowercase_hex()
    {
        Gen.Byte.Array[8].Sample(bytes =>
        {
            var hex = Convert.ToHexStringLower(bytes);
            var b64 = Convert.ToBase64String(bytes);
            foreach (var form in new[]
            {
                hex,
                hex.ToUpperInvariant(),
                "0x" + hex,
                b64,
                b64.TrimEnd('='),
                b64.Replace('+', '-').Replace('/', '_'),
                " " + hex + " "
            })
                Assert.Equal(hex, IdCodec.NormalizeSpanId(form));
            Assert.Equal(hex, IdCodec.NormalizeSpanId(hex)); // idempotent
        }, iter: 5000);
    }

    [Fact]
    public void Trace_ids_in_every_mlflow_encoding_decode_to_tr_and_the_same_lowercase_hex()
    {
        Gen.Byte.Array[16].Sample(bytes =>
        {
            var hex = Convert.ToHexStringLower(bytes);
            var b64 = Convert.ToBase64String(bytes);
            foreach (var form in new[]
            {
                hex,
                "tr-" + hex,
                "TR-" + hex.ToUpperInvariant(),
                "0x" + hex,
                b64,
                b64.TrimEnd('='),
                b64.Replace('+', '-').Replace('/', '_')
            })
                Assert.Equal("tr-" + hex, IdCodec.NormalizeTraceId(form));
            Assert.Equal("tr-" + hex, IdCodec.NormalizeTraceId("tr-" + hex));
        }, iter: 5000);
    }

    [Fact]
    public void Any_string_decodes_to_an_id_or_a_bad_response_never_another_exception()
    {
        Gen.String[Gen.Char["0123456789abcdefABCDEFxtr-=+/_ gz\u00e9"], 0, 40].Sample(text =>
        {
            foreach (var decode in new Func<string, string?>[] { IdCodec.NormalizeSpanId, IdCodec.NormalizeTraceId })
            {
                try
                {
                    var id = decode(text);
                    if (id != null) Assert.Matches("^(tr-)?[0-9a-f]+$", id);
                }
                catch (BackendException ex)
                {
                    Assert.Equal(RpcErrorCodes.BadResponse, ex.Code);
                }
            }
        }, iter: 20000);
    }

    // Values drawn to hit every quoting rule: both quote kinds, backslashes (also last), backticks,
    // operators, LIKE wildcards, whitespace and non-ASCII.
    private static readonly Gen<string> Value = Gen.String[Gen.Char["ab Z09'\"\\`%_=<>()!,.-\t\u00e9\u4e2d\u00fc"], 0, 24];
    private static readonly Gen<string> Key = Gen.String[Gen.Char["abz09._-` \u00e9"], 1, 16];

    [Fact]
    public void A_quotable_value_parses_back_to_itself_and_an_unquotable_one_is_refused()
    {
        Gen.Select(Key, Value).Sample((key, value) =>
        {
            if (!TraceFilterBuilder.CanQuote(value))
            {
                var ex = Assert.Throws<BackendException>(() => TraceFilterBuilder.Quote(value));
                Assert.Equal(RpcErrorCodes.InvalidParams, ex.Code);
                Assert.True(value.EndsWith('\\') || (value.Contains('\'') && value.Contains('"')));
                return;
            }
            var filter = $"tag.{TraceFilterBuilder.QuoteKey(key)} = {TraceFilterBuilder.Quote(value)}";
            var clause = Assert.Single(TraceFilterParser.Parse(filter));
            Assert.Equal((TraceFilterParser.Tag, key, "=", value, false),
                (clause.Entity, clause.Key, clause.Operator, Assert.Single(clause.Values).Text, clause.Values[0].IsNumber));
        }, iter: 20000);
    }

    [Fact]
    public void Structured_filters_combine_into_a_filter_that_parses_to_every_value()
    {
        Gen.Select(Value, Value, Key, Value, Gen.Int[0, 3]).Sample((name, session, tagKey, tagValue, states) =>
        {
            if (!new[] { name, session, tagValue }.All(TraceFilterBuilder.CanQuote)) return;
            var filters = new TraceFilters
            {
                Name = name,
                Session = session,
                Tags = new Dictionary<string, string> { [tagKey] = tagValue },
                States = new[] { "OK", "ERROR", "IN_PROGRESS" }.Take(states).ToList(),
                StartTimeMs = 1_700_000_000_000,
            };
            var clauses = TraceFilterParser.Parse(TraceFilterBuilder.Combine("trace.status != 'X'", filters));
            var expected = 2 + (states > 0 ? 1 : 0) + (name.Length > 0 ? 1 : 0) + 1 + (session.Length > 0 ? 1 : 0);
            Assert.Equal(expected, clauses.Count);
            Assert.Contains(clauses, c => c.Entity == TraceFilterParser.Tag && c.Key == tagKey && c.Values[0].Text == tagValue);
            if (name.Length > 0) Assert.Contains(clauses, c => c.Key == "name" && c.Values[0].Text == name);
            if (session.Length > 0) Assert.Contains(clauses, c => c.Key == "mlflow.trace.session" && c.Values[0].Text == session);
            if (states > 1) Assert.Contains(clauses, c => c.Operator == "IN" && c.Values.Count == states);
        }, iter: 5000);
    }
}
