using TraceIde.Host.Logging;

namespace TraceIde.Host.Tests;

/// <summary>What the log scrubs before a line is written (the end-to-end check is CredentialLeakTests).</summary>
public class HostLogRedactTests
{
    [Theory]
    [InlineData("GET https://alice:s3cret@mlflow.example.com/api failed", "GET https://***@mlflow.example.com/api failed")]
    [InlineData("proxy http://token@proxy:8080 and https://bob:pw@host/x", "proxy http://***@proxy:8080 and https://***@host/x")]
    [InlineData("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***")]
    [InlineData("header AUTHORIZATION=basic dXNlcjpwdw== sent", "header AUTHORIZATION=basic *** sent")]
    [InlineData("authorization :  BEARER tok", "authorization :  BEARER ***")]
    public void CredentialsAreReplaced(string line, string expected) => Assert.Equal(expected, HostLog.Redact(line));

    [Theory]
    [InlineData("traceide 0.1.0 serving JSON-RPC on stdio (pid 42, protocol 1.2)")]
    [InlineData("connected to localStore at /home/me/mlflow.db (MLflow n/a) for vscode")]
    [InlineData("mail me at someone@example.com")]           // an @ without a URL before it
    [InlineData("https://mlflow.example.com/api/2.0 is up")]  // a URL without user-info
    [InlineData("authorization failed: 401")]                 // the word without a scheme and value
    public void LinesWithoutCredentialsAreUnchanged(string line) => Assert.Equal(line, HostLog.Redact(line));
}
