using System.Net;
using System.Text.RegularExpressions;
using CsCheck;
using TraceIde.Core.Markdown;

namespace TraceIde.Core.Tests.Properties;

/// <summary>
/// The Markdown sanitiser over generated hostile input: fragments of script, handlers, dangerous URL
/// schemes (in every case, entity-encoded, with control characters and whitespace in between) placed
/// in every Markdown construct that can carry a URL or raw HTML. The output is read as HTML: no script
/// element, no on* attribute on any real tag, and every href/src is http(s), mailto or a fragment.
/// </summary>
public sealed partial class MarkdownSanitiserProperties
{
    private static readonly string[] Schemes =
    [
        "javascript:", "JaVaScRiPt:", "java\tscript:", "java\nscript:", " javascript:", "&#106;avascript:", "&#x6A;avascript:",
        "javascript&colon;", "\u0001javascript:", "vbscript:", "data:", "DATA:", "data:text/html;base64,PHNjcmlwdD4=",
        "file:", "jav&#x09;ascript:", "\\u006aavascript:", "%6Aavascript:", "//evil.example/", "https://ok.example/",
    ];

    private static readonly string[] Payloads = ["alert(1)", "alert`1`", "fetch('//x')", "\"onmouseover=\"alert(1)", "x\" onerror=\"alert(1)"];

    private static readonly Gen<string> Url = Gen.Select(Gen.OneOf(Schemes), Gen.OneOf(Payloads), (s, p) => s + p);

    private static readonly Gen<string> Fragment = Gen.OneOf(
        Url.Select(u => $"[click]({u})"),
        Url.Select(u => $"[click](<{u}>)"),
        Url.Select(u => $"![img]({u})"),
        Url.Select(u => $"[ref]\n\n[ref]: {u}\n"),
        Url.Select(u => $"<{u}>"),
        Url.Select(u => $"[x]({u} \"title\" onclick=alert(1))"),
        Gen.OneOf<string>(
            "<script>alert(1)</script>", "<SCRIPT SRC=//x></SCRIPT>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>", "<iframe src=javascript:alert(1)>", "<div style=\"x:expression(alert(1))\">",
            "```\n<script>alert(1)</script>\n```", "`<script>`", "<!-- <script> -->", "<<script>script>alert(1)<</script>/script>",
            "{onclick=alert(1)}", "[a]{onclick=alert(1)}", "| <img onerror=alert(1)> | b |\n|---|---|\n| c | d |",
            "- [x] <b onmouseover=alert(1)>t</b>", "**bold** _it_", "\n\n", " ", "text", "&lt;script&gt;", "\\<script>"));

    private static readonly Gen<string> Document = Fragment.Array[1, 12].Select(parts => string.Concat(parts));

    [GeneratedRegex(@"<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:""([^""]*)""|'([^']*)'|([^\s>]+))", RegexOptions.CultureInvariant)]
    private static partial Regex Attribute();

    [Fact]
    public void No_script_no_handler_and_no_unsafe_url_survives()
    {
        Document.Sample(markdown =>
        {
            var html = MarkdownRenderer.Render(markdown);
            foreach (Match tag in Tag().Matches(html))
            {
                var name = tag.Groups[1].Value.ToLowerInvariant();
                Assert.True(name is not ("script" or "iframe" or "svg" or "object" or "embed" or "style" or "form" or "base" or "meta" or "link"),
                    $"<{name}> in {html}");
                foreach (Match attribute in Attribute().Matches(tag.Groups[2].Value))
                {
                    var attr = attribute.Groups[1].Value.ToLowerInvariant();
                    Assert.False(attr.StartsWith("on", StringComparison.Ordinal), $"handler {attr} in {html}");
                    Assert.NotEqual("style", attr);
                    if (attr is "href" or "src" or "action" or "formaction" or "xlink:href")
                    {
                        var value = WebUtility.HtmlDecode(attribute.Groups[2].Success
                            ? attribute.Groups[2].Value
                            : attribute.Groups[3].Success
                            ? attribute.Groups[3].Value
                            : attribute.Groups[4].Value);
                        Assert.True(IsSafe(value), $"{attr}=\"{value}\" in {html}");
                    }
                }
            }
        }, iter: 20000);
    }

    private static bool IsSafe(string url)
    {
        var u = url.Trim();
        return u.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) || u.StartsWith('#');
    }

    [Fact]
    public void The_check_itself_sees_a_handler_and_a_javascript_url()
    {
        // Guards the regexes above: what they must catch, they catch.
        static bool Flags(string html) => Tag().Matches(html).Any(t => Attribute().Matches(t.Groups[2].Value).Any(a =>
            a.Groups[1].Value.StartsWith("on", StringComparison.OrdinalIgnoreCase)
                || (a.Groups[1].Value == "href" && !IsSafe(WebUtility.HtmlDecode(a.Groups[2].Value)))));
        Assert.True(Flags("<p><img src=\"x\" onerror=\"alert(1)\"></p>"));
        Assert.True(Flags("<a href=\"&#106;avascript:alert(1)\">x</a>"));
        Assert.False(Flags(MarkdownRenderer.Render("[ok](https://mlflow.org) &lt;img onerror=x&gt;")));
    }
}
