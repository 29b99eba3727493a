namespace TraceIde.Core.Source;

/// <summary>
/// One function or method definition found in a workspace file.
/// </summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="Line">1-based line of the name (the `def`/`function`/method line, not the decorator).</param>
/// <param name="Column">1-based column of the name on that line.</param>
/// <param name="Name">The function's own name (`lookup_order`).</param>
/// <param name="Container">Enclosing classes/functions, dotted (`SmallExperiment.live_traces`), or null at top level.</param>
/// <param name="TracedName">The `name=` of an `@mlflow.trace(name=…)` decorator: the span is called this, not <paramref name="Name"/>.</param>
/// <param name="Traced">Decorated with `@mlflow.trace` (with or without arguments).</param>
public sealed record SourceDefinition(
    string Path,
    int Line,
    int Column,
    string Name,
    string? Container,
    string? TracedName,
    bool Traced,
    string Language)
{
    /// <summary>`Container.Name`, or <see cref="Name"/> at top level.</summary>
    public string QualifiedName => Container is null ? Name : Container + "." + Name;
}
