using TraceIde.VisualStudio.Core.Hosting;
using TraceIde.VisualStudio.Core.Options;

namespace TraceIde.VisualStudio.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var options = new TraceIdeOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(100, options.PageSize);
        Assert.Equal(5, options.PollIntervalSeconds);
    }

    [Theory]
    [InlineData("http://localhost:5000", null, "12", 0, 1)]
    [InlineData("https://mlflow.example.com/", null, null, 3600, 500)]
    [InlineData(null, @"C:\repo\mlflow.db", "0", 10, 100)]
    [InlineData("  ", "sqlite:///tmp/mlflow.db", "", 5, 100)]
    public void Valid_options(string? uri, string? store, string? experiment, int poll, int pageSize)
    {
        var o = new TraceIdeOptions { TrackingUri = uri, Store = store, ExperimentId = experiment, PollIntervalSeconds = poll, PageSize = pageSize };
        Assert.Empty(o.Validate());
    }

    [Theory]
    [InlineData("ftp://host", null, null, 5, 100, "http:// or https://")]
    [InlineData("localhost:5000", null, null, 5, 100, "http:// or https://")]
    [InlineData("https://user:secret@host", null, null, 5, 100, "Credential Manager")]
    [InlineData("http://h", "mlflow.db", null, 5, 100, "not both")]
    [InlineData(null, null, "abc", 5, 100, "must be a number")]
    [InlineData(null, null, null, -1, 100, "Poll interval")]
    [InlineData(null, null, null, 3601, 100, "Poll interval")]
    [InlineData(null, null, null, 5, 0, "Page size")]
    [InlineData(null, null, null, 5, 501, "Page size")]
    public void Invalid_options_say_what_to_fix(string? uri, string? store, string? experiment, int poll, int pageSize, string expected)
    {
        var o = new TraceIdeOptions { TrackingUri = uri, Store = store, ExperimentId = experiment, PollIntervalSeconds = poll, PageSize = pageSize };
        var error = Assert.Single(o.Validate());
        Assert.Contains(expected, error);
        Assert.DoesNotContain("secret", error);
        Assert.Throws<ArgumentException>(() => o.ToInitializeParams(null));
    }

    [Fact]
    public void Initialize_params_carry_the_backend_and_never_credentials_which_go_to_the_environment()
    {
        var store = new InMemoryCredentialStore();
        store.Write(
            CredentialTargets.For("https://MLflow.example.com:8443/some/path"),
            new TrackingCredential { Username = "ada", Password = "pw-123", Token = "tok-456" });
        var options = new TraceIdeOptions { TrackingUri = " https://mlflow.example.com:8443 ", Workspace = "team-a" };

        var start = HostStartInfoFactory.Create(options, store, "/x/traceide.dll", parentPid: 4242, workspaceFolders: ["/repo"]);

        Assert.Equal("https://mlflow.example.com:8443", start.Initialize.TrackingUri);
        Assert.Equal("team-a", start.Initialize.Workspace);
        Assert.Equal(["/repo"], start.Initialize.WorkspaceFolders);
        Assert.Null(start.Initialize.Store);
        var json = System.Text.Json.JsonSerializer.Serialize(start.Initialize);
        Assert.DoesNotContain("pw-123", json);
        Assert.DoesNotContain("tok-456", json);
        Assert.Equal("pw-123", start.Environment["MLFLOW_TRACKING_PASSWORD"]);
        Assert.Equal("ada", start.Environment["MLFLOW_TRACKING_USERNAME"]);
        Assert.Equal("tok-456", start.Environment["MLFLOW_TRACKING_TOKEN"]);
        Assert.Equal(["/x/traceide.dll", "serve", "--parent-pid", "4242"], start.Arguments());
        Assert.Equal("TraceIde:https://mlflow.example.com:8443", CredentialTargets.For("https://MLflow.example.com:8443/some/path"));
    }

    [Fact]
    public void A_local_store_gets_no_credentials()
    {
        var store = new InMemoryCredentialStore();
        var start = HostStartInfoFactory.Create(new TraceIdeOptions { Store = "/data/mlflow.db" }, store, "/x/traceide.dll", 1, null);
        Assert.Empty(start.Environment);
        Assert.Equal("/data/mlflow.db", start.Initialize.Store);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData(@"C:\Program Files\x\traceide.dll", "\"C:\\Program Files\\x\\traceide.dll\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData(@"ends\", @"ends\")]
    [InlineData(@"sp ace\", "\"sp ace\\\\\"")]
    [InlineData("", "\"\"")]
    public void Arguments_are_quoted_for_the_process_command_line(string arg, string expected) =>
        Assert.Equal(expected, HostStartInfo.Quote(arg));

    [Fact]
    public void Restart_delays_double_up_to_the_cap()
    {
        var p = new RestartPolicy { InitialDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(30) };
        Assert.Equal(TimeSpan.Zero, p.DelayFor(0));
        Assert.Equal(TimeSpan.FromMilliseconds(500), p.DelayFor(1));
        Assert.Equal(TimeSpan.FromSeconds(1), p.DelayFor(2));
        Assert.Equal(TimeSpan.FromSeconds(2), p.DelayFor(3));
        Assert.Equal(TimeSpan.FromSeconds(30), p.DelayFor(50));
    }
}
