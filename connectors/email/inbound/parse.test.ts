import { describe, expect, it } from 'vitest';
import { parseInboundEmail, stripQuotedReply, subjectReferences } from './parse.ts';

describe('stripQuotedReply', () => {
  it('cuts at "On … wrote:" and drops quoted lines', () => {
    const text =
      'Tuesday works for me.\n\nThanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Lumen Cloud <support@lumen.example> wrote:\n> Your call is booked\n> for Monday';
    expect(stripQuotedReply(text)).toEqual({ text: 'Tuesday works for me.\n\nThanks!', quoteRemoved: true });
  });

  it('cuts at an Outlook header block and at the signature delimiter', () => {
    expect(stripQuotedReply('Yes please.\n\nFrom: Lumen Cloud\nSent: Monday\nSubject: x\n\nold').text).toBe(
      'Yes please.',
    );
    expect(stripQuotedReply('Yes please.\n-----Original Message-----\nold').text).toBe('Yes please.');
    expect(stripQuotedReply('Cancel it.\n-- \nMaya Chen\nBrightpath').text).toBe('Cancel it.');
  });

  it('keeps a "From:" line the customer wrote, and the whole text when everything looks quoted', () => {
    expect(stripQuotedReply('From: my colleague Sam, the export fails.').text).toBe(
      'From: my colleague Sam, the export fails.',
    );
    expect(stripQuotedReply('> only a quote')).toEqual({ text: '> only a quote', quoteRemoved: false });
  });
});

describe('subjectReferences', () => {
  it('finds [#id] and [SB-id] tags', () => {
    expect(subjectReferences('Re: Your refund [#conv_abc123]')).toEqual(['conv_abc123']);
    expect(subjectReferences('Re: Re: help [SB-conv_9] and [#x1]')).toEqual(['conv_9', 'x1']);
    expect(subjectReferences('Re: [urgent] nothing here')).toEqual([]);
  });
});

describe('parseInboundEmail', () => {
  const mail = (headers: string, body = 'Hello') => Buffer.from(`${headers}\r\n\r\n${body}\r\n`);

  it('reads threading headers, the sender and the new text', async () => {
    const result = await parseInboundEmail(
      mail(
        'From: Maya Chen <Maya@Brightpath.io>\r\nTo: support@lumen.example\r\nSubject: Re: booked\r\nMessage-ID: <m2@brightpath.io>\r\nIn-Reply-To: <abc@switchboard.local>\r\nReferences: <root@switchboard.local> <abc@switchboard.local>',
        'Thanks!\r\n\r\nOn Mon, Lumen wrote:\r\n> old',
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      email: {
        messageId: '<m2@brightpath.io>',
        from: { address: 'maya@brightpath.io', name: 'Maya Chen' },
        inReplyTo: '<abc@switchboard.local>',
        references: ['<root@switchboard.local>', '<abc@switchboard.local>'],
        text: 'Thanks!',
      },
    });
  });

  it('gives a mail without Message-ID a stable id from its bytes', async () => {
    const raw = mail('From: a@example.com\r\nSubject: hi');
    const first = await parseInboundEmail(raw);
    const second = await parseInboundEmail(raw);
    expect(first.ok && second.ok && first.email.messageId === second.email.messageId).toBe(true);
  });

  it('answers 550 without a From address and 554 without headers', async () => {
    expect(await parseInboundEmail(mail('Subject: anonymous'))).toMatchObject({
      ok: false,
      responseCode: 550,
    });
    expect(await parseInboundEmail(Buffer.from('\r\n\r\njust a body'))).toMatchObject({
      ok: false,
      responseCode: 554,
    });
  });
});
