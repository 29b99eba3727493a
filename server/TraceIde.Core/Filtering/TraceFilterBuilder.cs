using TraceIde.Protocol;

namespace TraceIde.Core.Filtering;

/// <summary>Turns structured <see cref="TraceFilters"/> into MLflow filter grammar, quoting safely.</summary>
public static class TraceFilterBuilder
{
    /// <summary>The user's filter ANDed with the structured filters; null when both are empty.</summary>
    public static string? Combine(string? userFilter, TraceFilters? filters) => throw new NotImplementedException();

    /// <summary>A single-quoted MLflow string literal.</summary>
    public static string Quote(string value) => throw new NotImplementedException();
}
