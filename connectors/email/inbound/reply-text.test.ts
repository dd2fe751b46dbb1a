import { describe, expect, it } from 'vitest';
import { composeReplyFixture, replyFixtures } from './fixtures/reply-fixtures.ts';
import { parseInboundEmail } from './parse.ts';
import { extractReplyText, maxParsedCharacters } from './reply-text.ts';

describe('extractReplyText on replies as mail clients write them', () => {
  for (const fixture of replyFixtures) {
    it(`${fixture.knownMiss ? 'still misses' : 'reads only the new text of'} ${fixture.name} (${fixture.client})`, async () => {
      const parsed = await parseInboundEmail(await composeReplyFixture(fixture));
      if (!parsed.ok) throw new Error(parsed.message);
      // A fixture that starts to pass should lose its knownMiss, so the measured figure stays true.
      if (fixture.knownMiss) expect(parsed.email.text).not.toBe(fixture.expected);
      else expect(parsed.email.text).toBe(fixture.expected);
      expect(parsed.email.text).not.toBe('');
    });
  }
});

describe('extractReplyText', () => {
  it('reports what it removed and how it found the text', () => {
    expect(extractReplyText('Cancel it.\n-- \nMaya Chen\nBrightpath')).toEqual({
      text: 'Cancel it.',
      quoteRemoved: true,
      extraction: 'reply',
    });
    expect(extractReplyText('Where is my invoice?')).toEqual({
      text: 'Where is my invoice?',
      quoteRemoved: false,
      extraction: 'reply',
    });
  });

  it('keeps a sentence the parser took for a signature, and still hides real signature lines', () => {
    expect(
      extractReplyText('The export fails.\nSent from the admin page, it shows error E-502.\n\n> old').text,
    ).toBe('The export fails.\nSent from the admin page, it shows error E-502.');
    expect(extractReplyText('The export fails.\n\nSent from Mail for Windows').text).toBe(
      'The export fails.',
    );
    expect(extractReplyText('The export fails.\n\nSent from my iPhone\n\n> old').text).toBe(
      'The export fails.',
    );
  });

  it('keeps a "From:" line the customer wrote when no "Sent:" follows it', () => {
    expect(extractReplyText('From: my colleague Sam, the export fails.').text).toBe(
      'From: my colleague Sam, the export fails.',
    );
  });

  it('falls back to the unquoted lines when the reply is all quote, and to all of it when every line is quoted', () => {
    expect(extractReplyText('On Mon, 2 Mar 2026, Lumen <a@lumen.example> wrote:\n\n> old text')).toEqual({
      text: 'On Mon, 2 Mar 2026, Lumen <a@lumen.example> wrote:',
      quoteRemoved: true,
      extraction: 'whole',
    });
    expect(extractReplyText('> only a quote\n> of two lines')).toEqual({
      text: '> only a quote\n> of two lines',
      quoteRemoved: false,
      extraction: 'whole',
    });
  });

  it('keeps a greeting or a sign-off when it is all the customer wrote', () => {
    expect(extractReplyText('Thanks!\n\n> Your refund was issued.').text).toBe('Thanks!');
    expect(extractReplyText('Hi,').text).toBe('Hi,');
  });

  it('keeps a forward that has no text above it rather than reading nothing', () => {
    const forward =
      '---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\n\nCharge of EUR 40';
    expect(extractReplyText(forward)).toMatchObject({ text: forward, extraction: 'whole' });
  });

  it('keeps a paragraph that mentions confidentiality but is no disclaimer', () => {
    expect(
      extractReplyText('Is my data kept confidential?\n\nI am the intended recipient of the invoice.').text,
    ).toBe('Is my data kept confidential?\n\nI am the intended recipient of the invoice.');
  });

  it('parses a huge body in bounded time, reading only its start', () => {
    const huge = `Please help.\n\n${'On a line that almost looks like a header, wrote\n'.repeat(20_000)}`;
    const started = performance.now();
    const reply = extractReplyText(huge);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(reply.text.startsWith('Please help.')).toBe(true);
    expect(reply.text.length).toBeLessThanOrEqual(maxParsedCharacters);
  });
});
