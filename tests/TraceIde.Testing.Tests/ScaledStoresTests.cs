using System.Text.Json;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Overview;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Testing.Tests;

/// <summary>The benchmark's multiplied stores really are N × store-full: N × MLflow's ground truth.</summary>
public sealed class ScaledStoresTests
{
    [Fact]
    public async Task Two_copies_of_store_full_give_twice_the_large_ground_truth()
    {
        var folder = Directory.CreateTempSubdirectory("traceide-benchstore-").FullName;
        try
        {
            var db = ScaledStores.Create(ScaledStores.StoreFullGz, folder, copies: 2);
            var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "ground_truth_large.json"))).RootElement;
            await using var store = new LocalStoreBackend(db);
            var service = new OverviewService(store);
            var window = new OverviewParams
            {
                ExperimentIds = [ScaledStores.Experiment],
                StartTimeMs = truth.GetProperty("first_request_time_ms").GetInt64(),
                EndTimeMs = truth.GetProperty("last_request_time_ms").GetInt64(),
                TimeUnit = OverviewTimeUnits.Day,
            };

            var usage = await service.UsageAsync(window, CancellationToken.None);
            Assert.Equal(2 * truth.GetProperty("trace_count").GetInt64(), usage.Totals.Requests);
            Assert.Equal(2 * truth.GetProperty("traces_by_state").GetProperty("ERROR").GetInt64(), usage.Totals.Errors);
            Assert.Equal(2 * truth.GetProperty("token_usage_total").GetProperty("total_tokens").GetInt64(), usage.Totals.TotalTokens);

            var tools = await service.ToolCallsAsync(window, CancellationToken.None);
            foreach (var tool in truth.GetProperty("tool_calls").EnumerateObject())
            {
                var row = tools.Tools.Single(t => t.Name == tool.Name);
                Assert.Equal(2 * tool.Value.GetProperty("total").GetInt64(), row.Calls);
                Assert.Equal(2 * tool.Value.GetProperty("ERROR").GetInt64(), row.Failures);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
