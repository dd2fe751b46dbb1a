// biome-ignore-all lint/suspicious/noArrayIndexKey: a reply's Markdown tokens are rendered once, in order, and never reorder
import { lexer, type Token, type Tokens } from 'marked';
import type { ReactNode } from 'react';

/**
 * Agent and human replies are Markdown (bold, lists, links, code). They are rendered from marked's
 * tokens straight to React elements, never through HTML: raw HTML in a reply shows as text, so nothing
 * a model or a person writes can inject markup or script. Links open only http(s) and mailto targets
 * (relative ones resolve against the support site).
 */
export function MarkdownText({ text, linkBase }: { text: string; linkBase: string }) {
  const tokens = lexer(text, { gfm: true, breaks: true });
  return <div className="message-text markdown">{blocks(tokens, linkBase)}</div>;
}

function safeHref(href: string, base: string): string | null {
  try {
    const url = new URL(href, base || window.location.href);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function blocks(tokens: Token[], base: string): ReactNode[] {
  return tokens.map((token, index) => {
    switch (token.type) {
      case 'paragraph':
        return <p key={index}>{inline((token as Tokens.Paragraph).tokens, base)}</p>;
      case 'heading':
        return (
          <p key={index}>
            <strong>{inline((token as Tokens.Heading).tokens, base)}</strong>
          </p>
        );
      case 'list': {
        const list = token as Tokens.List;
        const items = list.items.map((item, itemIndex) => (
          <li key={itemIndex}>{blocks(item.tokens, base)}</li>
        ));
        return list.ordered ? (
          <ol key={index} start={typeof list.start === 'number' ? list.start : undefined}>
            {items}
          </ol>
        ) : (
          <ul key={index}>{items}</ul>
        );
      }
      case 'blockquote':
        return <blockquote key={index}>{blocks((token as Tokens.Blockquote).tokens, base)}</blockquote>;
      case 'code':
        return (
          <pre key={index}>
            <code>{(token as Tokens.Code).text}</code>
          </pre>
        );
      case 'space':
      case 'hr':
        return null;
      case 'text': {
        // A tight list item's text: inline tokens, no paragraph around them.
        const textToken = token as Tokens.Text;
        return <span key={index}>{textToken.tokens ? inline(textToken.tokens, base) : textToken.text}</span>;
      }
      default:
        // Tables, raw HTML and anything else: their source text, as text.
        return <p key={index}>{token.raw.trim()}</p>;
    }
  });
}

function inline(tokens: Token[] | undefined, base: string): ReactNode[] {
  return (tokens ?? []).map((token, index) => {
    switch (token.type) {
      case 'strong':
        return <strong key={index}>{inline((token as Tokens.Strong).tokens, base)}</strong>;
      case 'em':
        return <em key={index}>{inline((token as Tokens.Em).tokens, base)}</em>;
      case 'codespan':
        return <code key={index}>{(token as Tokens.Codespan).text}</code>;
      case 'br':
        return <br key={index} />;
      case 'del':
        return <del key={index}>{inline((token as Tokens.Del).tokens, base)}</del>;
      case 'link': {
        const link = token as Tokens.Link;
        const href = safeHref(link.href, base);
        const label = inline(link.tokens, base);
        return href ? (
          <a key={index} href={href} target="_blank" rel="noopener noreferrer">
            {label}
          </a>
        ) : (
          <span key={index}>{label}</span>
        );
      }
      case 'text': {
        const textToken = token as Tokens.Text;
        return textToken.tokens ? <span key={index}>{inline(textToken.tokens, base)}</span> : textToken.text;
      }
      case 'escape':
        return (token as Tokens.Escape).text;
      default:
        // Raw HTML, images: shown as their source text, never as markup.
        return token.raw;
    }
  });
}
