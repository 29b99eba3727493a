// What a span type looks like wherever it shows: its short label on a row, its colour family on bars, the legend
// and the minimap (styles.css `--ti-type-*`, `.type-*`).

const TYPE_LABELS: Record<string, string> = {
  LLM: "LLM",
  CHAT_MODEL: "CHAT",
  TOOL: "TOOL",
  RETRIEVER: "RETR",
  CHAIN: "CHAIN",
  AGENT: "AGENT",
  EMBEDDING: "EMB",
  PARSER: "PARSE",
  RERANKER: "RANK",
  MEMORY: "MEM",
  UNKNOWN: "SPAN",
};

export function spanTypeLabel(type: string | null | undefined): string {
  const t = (type ?? "UNKNOWN").toUpperCase();
  return TYPE_LABELS[t] ?? t.slice(0, 5);
}

/** The colour family of a span type: bars, the legend and the minimap share it (styles.css `--ti-type-*`). */
export function typeColour(type: string | null | undefined): "llm" | "tool" | "retrieval" | "agent" | "other" {
  switch ((type ?? "").toUpperCase()) {
    case "LLM":
    case "CHAT_MODEL":
      return "llm";
    case "TOOL":
      return "tool";
    case "RETRIEVER":
    case "EMBEDDING":
    case "RERANKER":
      return "retrieval";
    case "AGENT":
    case "CHAIN":
      return "agent";
    default:
      return "other";
  }
}
