namespace TraceIde.Core.Filtering;

/// <summary>
/// Parses and validates MLflow trace filter strings exactly as MLflow's grammar allows (spec §4).
/// Invalid input throws <see cref="Backends.BackendException"/> with code InvalidFilter and a
/// message that names the offending token and its position.
/// </summary>
public static class TraceFilterParser
{
    public static IReadOnlyList<FilterClause> Parse(string? filter) => throw new NotImplementedException();
}
