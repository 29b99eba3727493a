namespace TraceIde.Core.Filtering;

/// <summary>
/// One comparison of an MLflow trace filter (docs/mlflow-notes.md#search-grammar), with the entity alias resolved:
/// Entity is one of "attribute", "tag", "metadata", "span", "feedback", "expectation", "issue".
/// Key is unquoted (`mlflow.traceName`), Operator upper-case (`=`, `!=`, `<`, `<=`, `>`, `>=`,
/// `LIKE`, `ILIKE`, `RLIKE`, `IN`, `NOT IN`, `IS NULL`, `IS NOT NULL`).
/// Values: one for comparisons, several for IN lists, none for IS [NOT] NULL; strings unquoted,
/// numbers as their text with <see cref="FilterValue.IsNumber"/>.
/// </summary>
public sealed record FilterClause(string Entity, string Key, string Operator, IReadOnlyList<FilterValue> Values);

public sealed record FilterValue(string Text, bool IsNumber);
