/** All experiment IDs, GenAI first (the fixture's traces are spread over experiments). */
export function sortedSearchable(experiments: Array<{ experimentId: string; isGenAi: boolean }>): string[] {
  return [...experiments].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi)).map((x) => x.experimentId);
}

/** Waits (polling every 25 ms) until `cond` holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
