using TraceIde.Host.Cli;

namespace TraceIde.Host.Tests;

/// <summary>
/// The command line as parsed (options, their errors) and the backend a command that no IDE starts picks
/// (`traces`, `ui`, `mcp`): --tracking-uri, --store, MLFLOW_TRACKING_URI, ./mlflow.db, the sample store, in that order.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("traceide-cmdline-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static Func<string, string?> Env(string? trackingUri) => name => name == "MLFLOW_TRACKING_URI" ? trackingUri : null;

    [Fact]
    public void The_backend_is_the_tracking_uri_then_the_store_then_the_environment_then_mlflow_db_here_then_the_sample()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "mlflow.db"), "");
        var both = Options.Parse(["traces", "--store", "/data/a.db", "--tracking-uri", "http://mlflow:5000"]);
        Assert.Equal(("http://mlflow:5000", (string?)null), Pick(both, Env("http://env:5000"), _dir.FullName));
        Assert.Equal(((string?)null, "/data/a.db"), Pick(Options.Parse(["traces", "--store", "/data/a.db"]), Env("http://env:5000"), _dir.FullName));
        // The environment's server: neither is set here, the session reads MLFLOW_TRACKING_URI as MLflow's client does.
        Assert.Equal(((string?)null, (string?)null), Pick(Options.Parse(["traces"]), Env("http://env:5000"), _dir.FullName));
        Assert.Equal(((string?)null, Path.Combine(_dir.FullName, "mlflow.db")), Pick(Options.Parse(["traces"]), Env("  "), _dir.FullName));
        var empty = _dir.CreateSubdirectory("empty").FullName;
        Assert.Equal(((string?)null, CommandLineBackend.SampleStorePath), Pick(Options.Parse(["ui"]), Env(null), empty));
        Assert.Equal("traceide ui", CommandLineBackend.Choose(Options.Parse(["ui"]), "traceide ui", Env(null), empty).ClientName);
    }

    private static (string? TrackingUri, string? Store) Pick(Options o, Func<string, string?> env, string cwd)
    {
        Assert.Null(o.Error);
        var init = CommandLineBackend.Choose(o, "traceide traces", env, cwd);
        return (init.TrackingUri, init.Store);
    }

    [Theory]
    [InlineData(new[] { "tracez" }, "Unknown command 'tracez'.")]
    [InlineData(new[] { "traces", "--port", "1" }, "Unknown option '--port' for 'traces'.")]
    [InlineData(new[] { "traces", "--store" }, "Option '--store' needs a value.")]
    [InlineData(new[] { "traces", "--limit", "ten" }, "Option '--limit' needs a number (was 'ten').")]
    [InlineData(new[] { "ui", "--port", "70000" }, "Option '--port' needs a port number from 0 (any free port) to 65535 (was 70000).")]
    public void A_bad_command_line_says_what_is_wrong(string[] args, string error) => Assert.Equal(error, Options.Parse(args).Error);

    [Fact]
    public void Options_read_as_given()
    {
        var o = Options.Parse(["traces", "--experiment", "1", "--limit", "5", "--trace", "tr-1"]);
        Assert.Null(o.Error);
        Assert.Equal("traces", o.Command);
        Assert.Equal(("1", 5, "tr-1"), (o.Get("--experiment"), o.GetInt("--limit"), o.Get("--trace")));
        Assert.True(Options.Parse(["ui", "--no-open"]).Has("--no-open"));
        Assert.Equal("version", Options.Parse(["-v"]).Command);
        Assert.Equal("help", Options.Parse([]).Command);
    }

    [Theory]
    [InlineData("traces", "--help")]
    [InlineData("ui", "--port", "0", "-h")]
    [InlineData("mcp", "--help", "--no-such-option")]
    public void Help_after_a_command_is_the_usage_not_an_error(params string[] args)
    {
        var o = Options.Parse(args);
        Assert.Null(o.Error);
        Assert.Equal("help", o.Command);
    }
}
