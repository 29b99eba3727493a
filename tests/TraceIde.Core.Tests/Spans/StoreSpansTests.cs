using System.Text.Json;
using Microsoft.Data.Sqlite;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

/// <summary>
/// Every span of the real server store (table <c>spans</c>, 770 rows, 43 traces): the traces.json-format
/// <c>content</c> column decoded against the columns MLflow filled from the same span (hex ids, name, type,
/// status, times) and the trees against MLflow's ground truth (span count and depth per trace).
/// </summary>
public class StoreSpansTests
{
    internal sealed record Row(
        string TraceId,
        string SpanId,
        string? ParentId,
        string Name,
        string? Type,
        string Status,
        long Start,
        long? End,
        string Content);

    internal static List<Row> ReadRows()
    {
        // Work on a copy: the fixture must never be touched, and other tests may read it concurrently.
        var copy = Path.Combine(Path.GetTempPath(), $"traceide-core-spans-{Guid.NewGuid():N}.db");
        File.Copy(Path.Combine(SpanFixtures.ServerStore, "mlflow.db"), copy);
        try
        {
            var rows = new List<Row>();
            using (var conn = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False"))
            {
                conn.Open();
                using var cmd = conn.CreateCommand();
                cmd.CommandText = "SELECT trace_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, end_time_unix_nano, content FROM spans";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                    rows.Add(new Row(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                        r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.GetString(8)));
            }
            return rows;
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void EveryStoredSpan_DecodesToWhatMlflowIndexed_AndTreesMatchGroundTruth()
    {
        var rows = ReadRows();
        Assert.Equal(770, rows.Count);

        var byTrace = new Dictionary<string, List<RawSpan>>();
        foreach (var row in rows)
        {
            using var doc = JsonDocument.Parse(row.Content);
            var s = SpanDecoder.DecodeMlflowSpan(doc.RootElement);
            Assert.Equal(row.SpanId, s.SpanId);
            Assert.Equal(row.ParentId, s.ParentSpanId);
            Assert.Equal(row.Name, s.Name);
            Assert.Equal(row.Type ?? "UNKNOWN", s.SpanType);
            Assert.Equal(row.Status, s.Status);
            Assert.Equal(row.Start, s.StartTimeNs);
            Assert.Equal(row.End, s.EndTimeNs);
            Assert.Equal(row.TraceId, s.Attributes["mlflow.traceRequestId"].GetString());
            Assert.Equal(row.TraceId, IdCodec.NormalizeTraceId(doc.RootElement.GetProperty("trace_id").GetString()));
            (byTrace.TryGetValue(row.TraceId, out var list) ? list : byTrace[row.TraceId] = []).Add(s);
        }

        using var gt = JsonDocument.Parse(File.ReadAllBytes(SpanFixtures.GroundTruthSmall));
        var truth = gt.RootElement;
        var traces = truth.GetProperty("traces").EnumerateArray().ToList();
        Assert.Equal(traces.Count, byTrace.Count);
        foreach (var t in traces)
        {
            var id = t.GetProperty("trace_id").GetString()!;
            var tree = SpanTreeBuilder.Build(byTrace[id]);
            Assert.True(t.GetProperty("span_count").GetInt32() == tree.Nodes.Count, $"{id}: span count");
            Assert.True(t.GetProperty("max_depth").GetInt32() == tree.MaxDepth + 1, $"{id}: depth {tree.MaxDepth + 1}");
            Assert.Empty(tree.Warnings);
            Assert.Single(tree.Nodes, n => n.Depth == 0);
        }

        var all = byTrace.Values.SelectMany(x => x).ToList();
        foreach (var p in truth.GetProperty("spans_by_type").EnumerateObject())
            Assert.True(p.Value.GetInt32() == all.Count(s => s.SpanType == p.Name), $"type {p.Name}");
        foreach (var p in truth.GetProperty("spans_by_status").EnumerateObject())
            Assert.True(p.Value.GetInt32() == all.Count(s => s.Status == p.Name), $"status {p.Name}");
        Assert.Equal(truth.GetProperty("max_depth").GetInt32(), byTrace.Values.Max(v => SpanTreeBuilder.Build(v).MaxDepth + 1));

        // Token usage is a JSON object after one decode; its sum matches MLflow's total.
        var tokens = all.Where(s => s.Attributes.ContainsKey("mlflow.chat.tokenUsage"))
            .Sum(s => s.Attributes["mlflow.chat.tokenUsage"].GetProperty("total_tokens").GetInt64());
        Assert.Equal(truth.GetProperty("token_usage_total").GetProperty("total_tokens").GetInt64(), tokens);
    }
}
