import { describe, expect, it } from 'vitest';
import { htmlMailToText, maxHtmlCharacters } from './html-text.ts';

describe('htmlMailToText', () => {
  it('drops scripts, styles, hidden head text, images and link targets', () => {
    const text = htmlMailToText(
      '<html><head><title>t</title><style>p{color:red}</style></head><body><script>steal()</script>' +
        '<p>See <a href="https://evil.example/x">my invoice</a> <img src="https://tracker.example/p.gif" alt="pixel"></p></body></html>',
    );
    expect(text).toBe('See my invoice');
  });

  it('keeps lines, quotes and rules as text a reply parser reads', () => {
    expect(
      htmlMailToText(
        '<div>Line one</div><div>Line two<br>Line three</div><div><br></div><div>After a gap</div>' +
          '<blockquote><div>quoted</div></blockquote><hr><p>below</p>',
      ),
    ).toBe('Line one\nLine two\nLine three\n\nAfter a gap\n\n> quoted\n\n---\n\nbelow');
  });

  it('does not escape the customer’s characters as Markdown', () => {
    expect(htmlMailToText('<p>order_id *7781* [urgent] 1. item &lt;b&gt;</p>')).toBe(
      'order_id *7781* [urgent] 1. item <b>',
    );
  });

  it('reads markup nested too deep to walk as flat text instead of overflowing the stack', () => {
    const depth = 10_000;
    const html = `${'<div>'.repeat(depth)}Still broken &lt;again&gt;<br>since Monday${'</div>'.repeat(depth)}`;
    expect(htmlMailToText(html)).toBe('Still broken <again>\nsince Monday');
  });

  it('reads only the start of a huge HTML body', () => {
    const html = `<p>The new text.</p><p>${'x'.repeat(maxHtmlCharacters)}</p><p>far below</p>`;
    const text = htmlMailToText(html);
    expect(text.startsWith('The new text.')).toBe(true);
    expect(text).not.toContain('far below');
  });
});
