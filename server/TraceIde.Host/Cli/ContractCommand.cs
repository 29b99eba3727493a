namespace TraceIde.Host.Cli;

/// <summary>`traceide contract --typescript [--out FILE]`.</summary>
public static class ContractCommand
{
    public const string DefaultOutput = "webview/src/protocol.generated.ts";

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        if (!options.Has("--typescript"))
        {
            stderr.WriteLine("Say which declaration to write: --typescript");
            return CommandLine.Usage;
        }
        var text = TypeScriptContract.Generate();
        if (options.Get("--out") is { } path)
        {
            File.WriteAllText(path, text);
            stderr.WriteLine($"wrote {path}");
        }
        else
        {
            stdout.Write(text);
        }
        return CommandLine.Ok;
    }
}
