// Markdown through the host's `markdown/render` (sanitised HTML). This file holds the ONLY innerHTML
// assignment of the UI (test/markdown.test.ts checks that no other source file uses innerHTML,
// outerHTML, insertAdjacentHTML or document.write): every other string reaches the DOM as text.
import type { Transport } from "./transport";
import { h } from "./dom";

/**
 * The page's CSP (`style-src 'self'`) refuses inline style attributes, and Markdig writes pipe-table
 * alignment as `style="text-align: …"`: turn those into classes before parsing (no CSP report). Markdig
 * escapes `"` in text as `&quot;`, so the pattern can only match its own attributes.
 */
export function withoutInlineStyles(html: string): string {
  return html.replace(/ style="text-align: ?(left|right|center);?"/g, ' class="align-$1"').replace(/ style="[^"]*"/g, "");
}

/** Puts host-sanitised HTML into `el`. Only for the answer of `markdown/render`. */
export function setHostSanitizedHtml(el: HTMLElement, hostSanitizedHtml: string): void {
  el.innerHTML = withoutInlineStyles(hostSanitizedHtml);
  // Links open outside the page (an IDE webview cannot navigate); never in this document.
  for (const a of Array.from(el.querySelectorAll("a"))) {
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer");
  }
}

/** Texts worth rendering as Markdown (plain one-liners are shown as they are). */
export function looksLikeMarkdown(text: string): boolean {
  return /(^|\n)\s{0,3}(#{1,6}\s|[-*+]\s|\d+\.\s|>\s|```|\|.*\|)|\*\*[^*]+\*\*|`[^`]+`|\[[^\]]+\]\([^)]+\)|\n\n/.test(text);
}

export type MarkdownRenderer = (text: string) => HTMLElement;

const cache = new Map<string, Promise<string>>();

/**
 * A block showing `text` as plain text at once, replaced by the host's rendering when it arrives
 * (kept as text when the host cannot render it). Results are cached per text.
 */
export function markdownRenderer(transport: Transport): MarkdownRenderer {
  return (text: string) => {
    const el = h("div", { class: "markdown plain" }, text);
    if (!looksLikeMarkdown(text)) return el;
    let pending = cache.get(text);
    if (!pending) {
      pending = transport.request("markdown/render", { text }).then((r) => r.html);
      if (cache.size > 500) cache.clear();
      cache.set(text, pending);
      pending.catch(() => cache.delete(text));
    }
    pending.then(
      (html) => {
        setHostSanitizedHtml(el, html);
        el.classList.remove("plain");
      },
      () => {
        /* stays plain text */
      },
    );
    return el;
  };
}

/** Plain text, no host: for tests and when no transport is at hand. */
export const plainText: MarkdownRenderer = (text) => h("div", { class: "markdown plain" }, text);
