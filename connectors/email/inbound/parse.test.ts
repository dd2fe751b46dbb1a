import { describe, expect, it } from 'vitest';
import { parseInboundEmail, subjectReferences } from './parse.ts';

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

  it('refuses for good a NUL byte in the headers or in any decoded text it keeps', async () => {
    const nul = { ok: false, responseCode: 554, message: '5.6.0 Message contains a NUL byte' };
    expect(await parseInboundEmail(mail('From: a@example.com\r\nSubject: a\u0000b'))).toEqual(nul);
    const quotedPrintable = mail(
      'From: a@example.com\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable',
      'before=00after',
    );
    expect(await parseInboundEmail(quotedPrintable)).toEqual(nul);
    const base64 = mail(
      'From: a@example.com\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64',
      Buffer.from('before\u0000after').toString('base64'),
    );
    expect(await parseInboundEmail(base64)).toEqual(nul);
    expect(await parseInboundEmail(mail('From: =?utf-8?q?Ma=00ya?= <a@example.com>\r\nSubject: hi'))).toEqual(
      nul,
    );
    expect(await parseInboundEmail(mail('From: a@example.com\r\nSubject: =?utf-8?b?AA==?='))).toEqual(nul);
  });

  it('refuses for good decoded text without a UTF-8 form (a lone surrogate)', async () => {
    // D8 00 in UTF-16BE is half of a surrogate pair: JavaScript keeps it, PostgreSQL cannot store it.
    expect(await parseInboundEmail(mail('From: a@example.com\r\nSubject: =?UTF-16BE?B?2AA=?='))).toEqual({
      ok: false,
      responseCode: 554,
      message: '5.6.0 Message text is not valid Unicode',
    });
  });

  it('keeps a NUL that is only inside an attachment, and replacement characters of bad bytes', async () => {
    const withAttachment = mail(
      [
        'From: a@example.com',
        'Subject: logs',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
      ].join('\r\n'),
      [
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Attached. Caf\u00e9',
        '--b',
        'Content-Type: application/octet-stream; name="dump.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from([0, 1, 0, 2]).toString('base64'),
        '--b--',
      ].join('\r\n'),
    );
    const parsed = await parseInboundEmail(withAttachment);
    expect(parsed).toMatchObject({ ok: true, email: { attachments: [{ filename: 'dump.bin', size: 4 }] } });
    const invalidUtf8 = Buffer.concat([
      Buffer.from('From: a@example.com\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\r\n'),
    ]);
    expect(await parseInboundEmail(invalidUtf8)).toMatchObject({
      ok: true,
      email: { text: 'ok \ufffd\ufffd' },
    });
  });

  it('reads an HTML-only mail through the sanitised HTML and keeps the whole text for humans', async () => {
    const result = await parseInboundEmail(
      mail(
        'From: a@example.com\r\nSubject: Re: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8',
        '<style>p{}</style><div>Still broken.</div><blockquote><div>Did it work?</div></blockquote><script>x()</script>',
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      email: {
        text: 'Still broken.',
        quoteRemoved: true,
        extraction: 'reply',
        fullText: 'Still broken.\n\n> Did it work?',
        fullTextTruncated: false,
        fromHtml: true,
      },
    });
  });

  it('reads a mail without any text by its subject, never as an empty message', async () => {
    const empty = await parseInboundEmail(
      mail('From: a@example.com\r\nSubject: Screenshot of the error', ''),
    );
    expect(empty).toMatchObject({
      ok: true,
      email: { text: 'Screenshot of the error', extraction: 'subject', fullText: '' },
    });
    const nothing = await parseInboundEmail(mail('From: a@example.com', '  '));
    expect(nothing).toMatchObject({
      ok: true,
      email: { text: '(no text and no subject)', extraction: 'subject' },
    });
  });

  it('marks machine-made mail as a loop: Auto-Submitted, X-Autoreply, Precedence, bounces', async () => {
    const loopOf = async (headers: string) => {
      const parsed = await parseInboundEmail(
        mail(`From: maya@brightpath.io\r\nSubject: Out of office\r\n${headers}`),
      );
      return parsed.ok ? (parsed.email.loop ?? null) : 'unparsed';
    };
    expect(await loopOf('Auto-Submitted: auto-replied')).toBe('auto_submitted');
    expect(await loopOf('Auto-Submitted: no')).toBeNull();
    expect(await loopOf('X-Autoreply: yes')).toBe('auto_reply_header');
    expect(await loopOf('Precedence: bulk')).toBe('precedence');
    expect(await loopOf('X-Mailer: Apple Mail')).toBeNull();
    expect(
      await loopOf(
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"',
      ),
    ).toBe('bounce');
    const daemon = await parseInboundEmail(mail('From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered'));
    expect(daemon.ok && daemon.email.loop).toBe('bounce');
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
