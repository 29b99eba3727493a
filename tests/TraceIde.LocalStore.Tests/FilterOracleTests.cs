using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Filtering;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.LocalStore.Tests;

/// <summary>
/// The local store's filter semantics with MLflow as the oracle: for every filter in filters_ground_truth.json
/// (138 of them — ILIKE, RLIKE, LIKE letter case, !=, IN / NOT IN, IS NULL, trace.text, span attributes, assessment
/// values, quoting — run by MLflow 3.11 against the same store), the local store finds exactly the traces MLflow did.
/// </summary>
public sealed class FilterOracleTests
{
    private static readonly Lazy<Dictionary<string, string[]>> Truth = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Root, "filters_ground_truth.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(t => t.GetString()!).ToArray());
    });

    /// <summary>
    /// Where TraceIde answers differently on purpose: MLflow accepts these and silently finds nothing; TraceIde
    /// refuses them with the reason and its position, which the search box shows.
    /// </summary>
    private static readonly Dictionary<string, string> Deviations = new()
    {
        ["trace.execution_time_ms > 'abc'"] = "needs a number, not 'abc'",
        ["trace.name RLIKE '('"] = "invalid regular expression '('",
    };

    public static TheoryData<string> Filters()
    {
        var data = new TheoryData<string>();
        foreach (var f in Truth.Value.Keys.Where(f => !Deviations.ContainsKey(f))) data.Add(f);
        return data;
    }

    public static TheoryData<string> DeviatingFilters() => new(Deviations.Keys);

    [Theory]
    [MemberData(nameof(DeviatingFilters))]
    public void Where_MLflow_silently_finds_nothing_TraceIde_says_why(string filter)
    {
        Assert.Empty(Truth.Value[filter]);
        var ex = Assert.Throws<BackendException>(() => TraceFilterParser.Parse(filter));
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code);
        Assert.Contains(Deviations[filter], ex.Message);
    }

    [Fact]
    public void The_oracle_covers_what_the_issue_names() =>
        Assert.True(Truth.Value.Count >= 138, $"filters_ground_truth.json holds {Truth.Value.Count} filters");

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task The_local_store_finds_what_MLflow_found(string filter)
    {
        await using var backend = new LocalStoreBackend(Fixtures.ServerStore);
        var found = new List<string>();
        string? token = null;
        do
        {
            var page = await backend.SearchTracesAsync(new TraceQuery
            {
                ExperimentIds = ["1"], Filter = filter, Clauses = TraceFilterParser.Parse(filter), PageSize = TraceLimits.MaxPageSize, PageToken = token,
            }, CancellationToken.None);
            found.AddRange(page.Traces.Select(t => t.TraceId));
            token = page.NextPageToken;
        }
        while (token != null);
        Assert.Equal(Truth.Value[filter].Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }
}
