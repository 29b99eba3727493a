using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Host.Agent;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>
/// `agent/callTool`: `traceide mcp`'s tools on an IDE's own host (VS Code's language-model tools), so agent mode
/// gets the same answers with no second process. Read-only: the write tools are `traceide mcp --allow-writes`'s alone.
/// </summary>
public sealed class AgentHandler(HostSession session)
{
    private readonly AgentTools _tools = new(session, allowWrites: false);

    [JsonRpcMethod(RpcMethods.AgentCallTool, UseSingleObjectParameterDeserialization = true)]
    public async Task<AgentCallToolResult> CallToolAsync(AgentCallToolParams parameters, CancellationToken cancellationToken)
    {
        if (parameters is null || string.IsNullOrWhiteSpace(parameters.Name))
            throw new BackendException(RpcErrorCodes.InvalidParams, "agent/callTool needs the name of a tool.");
        try
        {
            var result = await _tools.CallAsync(parameters.Name, parameters.Arguments, cancellationToken).ConfigureAwait(false);
            return new AgentCallToolResult { Text = result.Text, IsError = result.IsError };
        }
        catch (KeyNotFoundException e)
        {
            throw new BackendException(RpcErrorCodes.InvalidParams, e.Message);
        }
    }
}
