/** All experiment IDs, GenAI first (the fixture's traces are spread over experiments). */
export function sortedSearchable(experiments: Array<{ experimentId: string; isGenAi: boolean }>): string[] {
  return [...experiments].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi)).map((x) => x.experimentId);
}
