using StreamJsonRpc;
using TraceIde.Core.Markdown;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`markdown/render`: sanitised HTML for the UI (which never renders Markdown itself).</summary>
public sealed class MarkdownHandler
{
    [JsonRpcMethod(RpcMethods.MarkdownRender, UseSingleObjectParameterDeserialization = true)]
    public MarkdownRenderResult Render(MarkdownRenderParams parameters) =>
        new(MarkdownRenderer.Render(parameters?.Text ?? ""));
}
