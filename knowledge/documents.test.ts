import { describe, expect, it } from 'vitest';
import { decodeDocument, parseDocument } from './documents.ts';
import { DocumentBatchError, DocumentError } from './errors.ts';
import { htmlToMarkdown, sanitizeArticleHtml } from './html.ts';
import { parseBatch } from './ingest.ts';

const markdown = `---
slug: reset-password
title: Reset your password
visibility: public
tags: [Account, login]
category: account
updated_at: 2026-10-14
---

Open the sign-in page and choose **Forgot password**.
`;

const refused = (run: () => unknown): DocumentError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DocumentError) return error;
    throw error;
  }
  throw new Error('expected a DocumentError');
};

describe('parseDocument', () => {
  it('reads front matter metadata and the Markdown body', () => {
    const document = parseDocument({ source: 'articles/reset-password.md', content: markdown });
    expect(document).toMatchObject({
      slug: 'reset-password',
      title: 'Reset your password',
      visibility: 'public',
      tags: ['account', 'login'],
      category: 'account',
      format: 'markdown',
      url: '/help/reset-password',
    });
    expect(document.updatedAt?.toISOString()).toBe('2026-10-14T00:00:00.000Z');
    expect(document.body).toBe('Open the sign-in page and choose **Forgot password**.');
  });

  it('takes the title from a leading H1 and the slug from the file name; unknown visibility fails closed', () => {
    const document = parseDocument({ source: 'docs/My Guide.md', content: '# My guide\n\nSome text.' });
    expect(document).toMatchObject({
      slug: 'my-guide',
      title: 'My guide',
      visibility: 'internal',
      body: 'Some text.',
    });
  });

  it('sanitises HTML and reads its title and meta tags', () => {
    const html = `<html><head><title>API limits</title><meta name="visibility" content="public"><style>p{}</style></head>
      <body><h1>API limits</h1><p onclick="steal()">100 requests per second.</p><script>alert('x')</script>
      <a href="javascript:alert(1)">click</a></body></html>`;
    const document = parseDocument({ source: 'api-limits.html', content: html });
    expect(document).toMatchObject({
      slug: 'api-limits',
      title: 'API limits',
      visibility: 'public',
      format: 'html',
    });
    expect(document.body).toContain('100 requests per second.');
    expect(document.body).not.toMatch(/alert|steal|script|p\{\}|javascript/);
  });

  it('reads plain text with its first line as the title', () => {
    const document = parseDocument({
      source: 'notes.txt',
      content: 'Office hours\n\n# not a heading\nWe answer 9-5.',
      metadata: { visibility: 'public' },
    });
    expect(document).toMatchObject({ title: 'Office hours', format: 'text', visibility: 'public' });
    expect(document.body).toBe('\\# not a heading\nWe answer 9-5.');
  });

  it('refuses empty, huge, binary and non-UTF-8 documents with a typed error naming the document', () => {
    expect(
      refused(() => parseDocument({ source: 'empty.md', content: '---\ntitle: Empty\n---\n  \n' })),
    ).toMatchObject({ code: 'empty', source: 'empty.md' });
    expect(
      refused(() => parseDocument({ source: 'big.md', content: `# Big\n\n${'word '.repeat(300_000)}` })),
    ).toMatchObject({ code: 'too_large' });
    expect(
      refused(() => parseDocument({ source: 'small-limit.md', content: '# T\n\nabc' }, { maxBytes: 4 })),
    ).toMatchObject({ code: 'too_large' });
    expect(
      refused(() =>
        parseDocument({ source: 'logo.md', content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a]) }),
      ),
    ).toMatchObject({ code: 'binary' });
    const latin1 = new Uint8Array([...Buffer.from('# Caf'), 0xe9, ...Buffer.from('\n\nMenu')]);
    const error = refused(() => parseDocument({ source: 'cafe.md', content: latin1 }));
    expect(error).toMatchObject({ code: 'invalid_encoding' });
    expect(error.message).toContain('cafe.md');
    expect(refused(() => parseDocument({ source: 'image.png', content: 'x' }))).toMatchObject({
      code: 'unsupported_format',
    });
  });

  it('refuses bad metadata: slug, visibility, front matter syntax, missing title', () => {
    expect(
      refused(() => parseDocument({ source: 'a.md', content: '---\nslug: Not A Slug\ntitle: T\n---\ntext' })),
    ).toMatchObject({ code: 'invalid_metadata' });
    expect(
      refused(() =>
        parseDocument({ source: 'a.md', content: '---\ntitle: T\nvisibility: secret\n---\ntext' }),
      ),
    ).toMatchObject({ code: 'invalid_metadata' });
    expect(
      refused(() => parseDocument({ source: 'a.md', content: '---\ntitle: [oops\n---\ntext' })),
    ).toMatchObject({ code: 'invalid_metadata' });
    expect(refused(() => parseDocument({ source: 'a.md', content: 'no title here' }))).toMatchObject({
      code: 'invalid_metadata',
    });
  });

  it('accepts UTF-8 bytes with a BOM and CRLF line ends', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('# Caf\u00e9\r\n\r\nMen\u00fc\r\n')]);
    expect(decodeDocument('x.md', bytes)).toBe('# Caf\u00e9\n\nMen\u00fc\n');
  });
});

describe('parseBatch', () => {
  it('collects every refused document and duplicate slug into one error', () => {
    const batch = () =>
      parseBatch([
        { source: 'one.md', content: markdown },
        { source: 'two.md', content: markdown },
        { source: 'three.md', content: '' },
      ]);
    expect(batch).toThrow(DocumentBatchError);
    try {
      batch();
    } catch (error) {
      const codes = (error as DocumentBatchError).errors.map((entry) => [entry.source, entry.code]);
      expect(codes).toEqual([
        ['two.md', 'duplicate_slug'],
        ['three.md', 'empty'],
      ]);
      expect((error as Error).message).toContain('also used by one.md');
    }
  });
});

describe('htmlToMarkdown', () => {
  it('keeps structure (headings, lists, tables, links) and drops styles, scripts and iframes', () => {
    const converted = htmlToMarkdown(
      '<h2>Plans</h2><ul><li>Pro</li></ul><table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>$99</td></tr></table><iframe src="x">frame text</iframe><a href="https://lumen.cloud">site</a>',
    );
    expect(converted).toBe(
      '## Plans\n\n- Pro\n\n| Plan | Price |\n| --- | --- |\n| Pro | $99 |\n\n[site](https://lumen.cloud)',
    );
    expect(sanitizeArticleHtml('<p style="x" onmouseover="y">a</p><style>.a{}</style>')).toBe('<p>a</p>');
  });
});
