namespace TraceIde.Core.Markdown;

/// <summary>
/// Markdown to safe HTML (Markdig): raw HTML is escaped, only http/https/mailto links and images
/// survive, no event handlers or script can come out.
/// </summary>
public static class MarkdownRenderer
{
    public static string Render(string markdown) => throw new NotImplementedException();
}
