using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace TraceIde.Core.Markdown;

/// <summary>
/// Markdown to safe HTML (Markdig): raw HTML is escaped, only http/https/mailto links and images
/// survive, no event handlers or script can come out.
/// </summary>
/// <remarks>
/// Safety comes from three things: (1) <c>DisableHtml()</c>, so raw HTML is text; (2) only extensions that
/// cannot emit attributes from user text (no generic attributes, no advanced-extensions bundle);
/// (3) every link, image and autolink in the parsed AST whose destination is not http:, https:, mailto:
/// or a <c>#fragment</c> is replaced by its text before rendering. Markdig has already decoded entities and
/// backslash escapes in link destinations, so <c>&amp;#106;avascript:</c> is seen as <c>javascript:</c>.
/// </remarks>
public static class MarkdownRenderer
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseTaskLists()
        .Build();

    public static string Render(string markdown)
    {
        var document = Markdig.Markdown.Parse(markdown ?? "", Pipeline);
        Sanitize(document);
        return Markdig.Markdown.ToHtml(document, Pipeline);
    }

    private static void Sanitize(MarkdownDocument document)
    {
        // Collect both kinds first: the AST is modified while fixing it, and after a link is unwrapped
        // Markdig's Descendants() no longer reaches the siblings before it (an autolink in front of an
        // unsafe link was skipped and survived — found by MarkdownSanitiserProperties).
        var links = document.Descendants<LinkInline>().ToList();
        var autolinks = document.Descendants<AutolinkInline>().ToList();
        foreach (var link in links)
        {
            link.GetDynamicUrl = null;
            if (IsSafeUrl(link.Url)) continue;
            Unwrap(link);
        }

        foreach (var auto in autolinks)
        {
            if (IsSafeUrl(auto.IsEmail ? "mailto:" + auto.Url : auto.Url)) continue;
            auto.ReplaceBy(new LiteralInline(auto.Url ?? ""));
        }
    }

    /// <summary>Replaces a link or image by its content (link text / image alt text), rendered as plain inlines.</summary>
    private static void Unwrap(LinkInline link)
    {
        if (link.Parent is null) return; // already detached together with an outer link
        var child = link.FirstChild;
        while (child != null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }
        link.Remove();
    }

    /// <summary>http(s)://…, mailto:… or #fragment, with no control characters anywhere.</summary>
    internal static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url)) return false;
        var u = url.AsSpan().Trim();
        foreach (var c in u)
            if (char.IsControl(c) || c is '\u200B' or '\u200C' or '\u200D' or '\u2028' or '\u2029' or '\uFEFF') return false;
        return u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)
            || (u.Length > 0 && u[0] == '#');
    }
}
