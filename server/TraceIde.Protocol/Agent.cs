// Contract: the agent tools (`traceide mcp`'s tools) for an IDE that hosts them itself — VS Code's
// language-model tools run them on the extension's host through `agent/callTool`. Kept in its own file so
// that it merges cleanly with other additions to Contract.cs.
using System.Text.Json;

namespace TraceIde.Protocol;

public static partial class RpcMethods
{
    /// <summary>
    /// Runs one agent tool (the tools `traceide mcp` lists: search_traces, get_trace, …) on this connection's
    /// backend (<see cref="AgentCallToolParams"/>). IDE-side, not UI-callable; read-only tools only.
    /// </summary>
    public const string AgentCallTool = "agent/callTool";
}

/// <summary>`agent/callTool`: a tool's name and its arguments, as an MCP `tools/call` carries them.</summary>
public sealed record AgentCallToolParams
{
    /// <summary>A tool name as `traceide mcp` lists it, e.g. "get_trace".</summary>
    public required string Name { get; init; }
    /// <summary>The arguments object, checked against the tool's input schema by the host.</summary>
    public JsonElement? Arguments { get; init; }
}

/// <summary>
/// What the tool answered, as text for a model (compact JSON for every TraceIde tool). A tool that failed on
/// its arguments or on the backend answers <see cref="IsError"/> with the reason as text (MCP's tool errors);
/// an unknown tool is an InvalidParams error instead.
/// </summary>
public sealed record AgentCallToolResult
{
    public required string Text { get; init; }
    public bool IsError { get; init; }
}
