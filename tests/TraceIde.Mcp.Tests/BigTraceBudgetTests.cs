using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TraceIde.Testing;
using Xunit.Abstractions;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// The budget holds whatever the trace's size: a 20,000-span trace (the bench's generator, <see cref="SyntheticTraces"/>:
/// 377 failing spans with exception events) summarized by get_trace within each budget, counted by GPT-4o's
/// tokenizer. The figures are docs/PERFORMANCE.md's.
/// </summary>
public sealed class BigTraceBudgetTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("traceide-mcp-big-");

    [Fact]
    public async Task The_summary_of_a_20000_span_trace_stays_within_its_budget()
    {
        const int spans = 20_000;
        var traceId = "tr-" + spans.ToString("x32", CultureInfo.InvariantCulture);
        var db = Path.Combine(_dir.FullName, "mlflow.db");
        File.Copy(Path.Combine(Fixtures.ServerStore, "mlflow.db"), db);
        var generated = SyntheticTraces.Generate(spans);
        var spanJsonBytes = SyntheticTraces.AddToStore(db, traceId, generated);
        output.WriteLine($"{spans:N0} spans, {spanJsonBytes / 1e6:0.0} MB of span JSON in the store");

        await using var host = await McpHost.StartAsync(["--store", db]);
        foreach (var budget in new[] { 500, 2000, 8000 })
        {
            var clock = Stopwatch.StartNew();
            var (text, isError) = await host.CallAsync("get_trace", new { traceId, maxTokens = budget });
            var ms = clock.ElapsedMilliseconds;
            Assert.False(isError, text);
            var tokens = McpHost.Tokens.CountTokens(text);
            var answer = JsonDocument.Parse(text).RootElement;
            var estimate = answer.GetProperty("budget").GetProperty("estimatedTokens").GetInt32();
            output.WriteLine($"maxTokens {budget}: {tokens} GPT-4o tokens (estimate {estimate}), {text.Length:N0} chars, {ms} ms; " +
                $"{answer.GetProperty("errors").GetArrayLength()} of {generated.Count(s => s.Failed)} failing spans, " +
                    $"{answer.GetProperty("criticalPath").GetArrayLength()} critical-path spans shown; omitted {answer.GetProperty("omitted").GetRawText()}");
            Assert.True(tokens <= budget, $"{tokens} tokens for a budget of {budget}");
            Assert.True(estimate <= budget);
            Assert.Equal(spans, answer.GetProperty("trace").GetProperty("spans").GetInt32());
            // What the model most needs survives every budget: at least one failing span, named, with the count of the rest.
            Assert.True(answer.GetProperty("errors").GetArrayLength() >= 1);
            Assert.Equal(
                generated.Count(s => s.Failed),
                answer.GetProperty("errors").GetArrayLength() + answer.GetProperty("omitted").GetProperty("errorSpans").GetInt32());
        }
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
