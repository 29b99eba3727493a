import { describe, expect, it } from "vitest";
import { detectChat } from "../src/chat";

describe("detectChat", () => {
  it("OpenAI request {messages:[{role, content}]}", () => {
    const chat = detectChat({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "Be brief" },
        { role: "user", content: "Hi" },
      ],
    });
    expect(chat?.map((m) => [m.role, m.content])).toEqual([
      ["system", "Be brief"],
      ["user", "Hi"],
    ]);
  });
  it("a single {role, content} message and OpenAI choices", () => {
    expect(detectChat({ role: "assistant", content: "Hello" })).toEqual([{ role: "assistant", content: "Hello", toolCalls: [] }]);
    const chat = detectChat({
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
        },
      ],
    });
    expect(chat).toEqual([{ role: "assistant", content: "", toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] }]);
  });
  it("Anthropic content blocks and system prompt", () => {
    const input = detectChat({ system: "sys", messages: [{ role: "user", content: [{ type: "text", text: "What is 2+2?" }] }] });
    expect(input?.map((m) => m.role)).toEqual(["system", "user"]);
    expect(input?.[1]?.content).toBe("What is 2+2?");
    const output = detectChat({
      id: "msg_1",
      role: "assistant",
      content: [
        { type: "text", text: "4" },
        { type: "tool_use", name: "calc", input: { a: 2 } },
      ],
    });
    expect(output?.[0]?.content).toBe("4");
    expect(output?.[0]?.toolCalls[0]?.name).toBe("calc");
  });
  it("a bare array of messages", () => {
    expect(detectChat([{ role: "user", content: "a" }])?.length).toBe(1);
  });
  it("rejects non-chat values", () => {
    expect(detectChat(null)).toBeNull();
    expect(detectChat("hello")).toBeNull();
    expect(detectChat({ question: "q" })).toBeNull();
    expect(detectChat({ messages: [] })).toBeNull();
    expect(detectChat({ messages: [{ role: "user", content: "a" }, { text: "no role" }] })).toBeNull();
    expect(detectChat([1, 2])).toBeNull();
    expect(detectChat({ role: 3, content: "x" })).toBeNull();
  });
});
