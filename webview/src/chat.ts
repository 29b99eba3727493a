// Recognises OpenAI / Anthropic chat payloads so inputs and outputs can be shown as a transcript.
import type { JsonValue } from "./protocol.generated";

export interface ToolCall {
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: string;
  content: string;
  toolCalls: ToolCall[];
}

type Obj = { [key: string]: JsonValue };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function stringify(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

/** Text of a message's content: a string, or OpenAI/Anthropic content parts. Null when not content-like. */
function contentText(content: JsonValue | undefined, toolCalls: ToolCall[]): string | null {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === "string") {
      parts.push(part);
    } else if (isObj(part)) {
      if (typeof part.text === "string") parts.push(part.text);
      else if (part.type === "tool_use" && typeof part.name === "string") toolCalls.push({ name: part.name, arguments: stringify(part.input) });
      else if (part.type === "tool_result") parts.push(stringify(part.content));
      else if (part.type === "image_url" || part.type === "image") parts.push("[image]");
      else parts.push(stringify(part));
    } else {
      return null;
    }
  }
  return parts.join("\n");
}

function toMessage(v: JsonValue): ChatMessage | null {
  if (!isObj(v) || typeof v.role !== "string") return null;
  if (!("content" in v) && !("tool_calls" in v)) return null;
  const toolCalls: ToolCall[] = [];
  const content = contentText(v.content, toolCalls);
  if (content === null) return null;
  if (Array.isArray(v.tool_calls)) {
    for (const call of v.tool_calls) {
      if (!isObj(call)) continue;
      const fn = isObj(call.function) ? call.function : call;
      if (typeof fn.name === "string") toolCalls.push({ name: fn.name, arguments: stringify(fn.arguments) });
    }
  }
  return { role: v.role, content, toolCalls };
}

function toMessages(list: JsonValue[]): ChatMessage[] | null {
  if (list.length === 0) return null;
  const out: ChatMessage[] = [];
  for (const item of list) {
    const m = toMessage(item);
    if (!m) return null;
    out.push(m);
  }
  return out;
}

/**
 * The chat transcript in a span input or output, or null when it does not look like one.
 * Accepts {messages:[{role, content}]}, [{role, content}], {role, content}, OpenAI completions
 * ({choices:[{message}]}) and Anthropic messages ({role:"assistant", content:[{type:"text", text}]}).
 */
export function detectChat(value: JsonValue | null | undefined): ChatMessage[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return toMessages(value);
  if (!isObj(value)) return null;
  if (Array.isArray(value.messages)) {
    const messages = toMessages(value.messages);
    if (messages && typeof value.system === "string") messages.unshift({ role: "system", content: value.system, toolCalls: [] });
    return messages;
  }
  if (Array.isArray(value.choices)) {
    const messages = value.choices.map((c) => (isObj(c) && c.message !== undefined ? c.message : null)).filter((m): m is JsonValue => m !== null);
    return messages.length === value.choices.length ? toMessages(messages) : null;
  }
  const single = toMessage(value);
  return single ? [single] : null;
}
