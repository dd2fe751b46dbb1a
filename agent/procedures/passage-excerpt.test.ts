import { describe, expect, it } from 'vitest';
import { bestPassage, covers, extract, focusQuestion, sentencesOf, support } from './passage-excerpt.ts';

const webhooks = [
  'Webhooks let Lumen Cloud send an HTTP POST to your own server when something happens in your workspace.',
  'This article explains how to add an endpoint, verify that requests really come from Lumen Cloud, and how retries work.',
  '',
  'Every webhook request is signed with **HMAC-SHA256** using your endpoint’s signing secret. The signature is sent in the **`Lumen-Signature`** header:',
  '',
  '```',
  'Lumen-Signature: t=1760432467,v1=5257a869e7',
  '```',
  '',
  'To verify a request:',
  '',
  '1. Split the header into the timestamp `t` and the signature `v1`.',
  '2. Build the signed string: the timestamp, a dot, and the **raw** request body.',
  '3. Compute HMAC-SHA256 of that string with your signing secret and hex-encode it.',
  '4. Compare it with `v1` using a constant-time comparison',
].join('\n');

describe('sentencesOf', () => {
  it('keeps list items and table rows apart from prose, and leaves code out', () => {
    const units = sentencesOf(`${webhooks}\n\n| Plan | Price |\n|---|---|\n| Pro | $99 |`);
    expect(units.filter((unit) => unit.kind === 'item').map((unit) => unit.text)).toEqual([
      'Split the header into the timestamp t and the signature v1.',
      'Build the signed string: the timestamp, a dot, and the raw request body.',
      'Compute HMAC-SHA256 of that string with your signing secret and hex-encode it.',
      'Compare it with v1 using a constant-time comparison.',
    ]);
    expect(units.some((unit) => unit.text.includes('t=1760432467'))).toBe(false);
    expect(units).toContainEqual({ text: 'To verify a request:', kind: 'sentence' });
    expect(units).toContainEqual({
      text: 'Pro: $99.',
      kind: 'row',
      cells: ['Pro', '$99'],
      header: ['Plan', 'Price'],
    });
    // The header names the columns; it is not a fact of its own.
    expect(units.some((unit) => unit.text.startsWith('Plan'))).toBe(false);
  });
});

describe('sentencesOf on articles with HTML in them', () => {
  it('says words, never markup: tags, images, comments and scripts go, entities are decoded', () => {
    const content = [
      'Export your data from <b>Settings</b> &rarr; <a href="/x">Export</a>.<br>',
      '<img src="https://cdn.example/export.png" width="600">',
      '<p>The file is a ZIP of CSVs &amp; JSON, ready in &#126;5 minutes.</p>',
      '<!-- internal: ask ops before promising times -->',
      '<script>alert(1)</script>',
      '- Open <code>Billing</code> ![the billing page](https://cdn.example/b.png)',
      '| Format | Size |',
      '|---|---|',
      '| <i>CSV</i> | &lt; 1&nbsp;GB |',
    ].join('\n');
    const units = sentencesOf(content);
    const said = units.map((unit) => unit.text).join(' ');
    expect(said).not.toMatch(/<\/?[a-z!]|&[a-z#]+;|alert|internal|https?:/i);
    expect(units.map((unit) => unit.text)).toEqual([
      'Export your data from Settings → Export.',
      'The file is a ZIP of CSVs & JSON, ready in ~5 minutes.',
      'Open Billing the billing page.',
      'CSV: < 1 GB.',
    ]);
  });
});

describe('extract', () => {
  it('brings the steps a chosen lead-in introduces, and skips sentences about the article', () => {
    const excerpt = extract(
      webhooks,
      'How do I verify that a webhook request really comes from Lumen Cloud?',
    );
    expect(excerpt).toContain('To verify a request:');
    expect(excerpt).toContain('Compute HMAC-SHA256 of that string');
    expect(excerpt).not.toContain('This article explains');
    // In the passage's order: the lead-in before its steps.
    expect(excerpt.indexOf('To verify a request:')).toBeLessThan(excerpt.indexOf('Split the header'));
  });

  it('quotes one sentence when asked for one', () => {
    const policy =
      'We want you to be happy. You can ask for a refund within 30 days of the charge. Refunds go back to the card you paid with. Larger refunds need a review.';
    expect(extract(policy, 'How long do I have to ask for a refund after a charge?', { sentences: 1 })).toBe(
      'You can ask for a refund within 30 days of the charge.',
    );
  });

  it('says a table row with its headers, only the columns the question names when it names some', () => {
    const pricing = [
      'Every plan is billed monthly.',
      '',
      '| | Free | Pro | Business |',
      '|---|---|---|---|',
      '| **Price** | $0 | $99/month | $499/month |',
      '| **Projects** | 1 | Unlimited | Unlimited |',
      '',
      'Prices exclude tax. Invoices are issued on the 1st of each month.',
    ].join('\n');
    expect(extract(pricing, 'How much does the Business plan cost per month?')).toContain(
      'Price — Business: $499/month.',
    );
    const limits =
      '| Plan | Requests per minute |\n|---|---|\n| Free | 60 |\n| Pro | 1,000 |\n\nLimits apply per workspace. Bursts are queued. Ask support for more.';
    expect(extract(limits, 'what is the rate limit on the pro plan')).toContain(
      'Pro — Requests per minute: 1,000.',
    );
    // A passage of two units is quoted whole, its row still said with its header.
    expect(
      extract('| Plan | Seats |\n|---|---|\n| Pro | 10 |\n\nSeats are per workspace.', 'seats on pro'),
    ).toBe('Pro — Seats: 10. Seats are per workspace.');
  });

  it('stays short when no lead-in is chosen', () => {
    const excerpt = extract(webhooks, 'which header carries the signature');
    expect(excerpt).toContain('Lumen-Signature');
    expect(excerpt.length).toBeLessThanOrEqual(500);
  });
});

describe('covers and bestPassage', () => {
  const hubspot = {
    title: 'HubSpot integration',
    heading: 'Connect',
    content: 'Connect HubSpot in Settings to sync contacts.',
  };
  const sap = {
    title: 'SAP connector',
    heading: 'Connect',
    content: 'Connect SAP in Settings to sync invoices.',
  };

  it('refuses a passage that misses the question’s distinctive words', () => {
    const question = 'Is there a connector for SAP to sync our invoices?';
    expect(covers(hubspot, question)).toBe(false);
    expect(covers(sap, question)).toBe(true);
  });

  it('prefers the passage holding the rare word the question asks about', () => {
    expect(bestPassage([hubspot, sap], 'how do I connect SAP')).toBe(sap);
  });
});

describe('focusQuestion (issue #19, pattern 5)', () => {
  it('keeps the question without the greetings and hedges around it', () => {
    expect(
      focusQuestion(
        'Good morning! Hope the week is going ok. Sorry, probably a dumb question, but which regions can we host our data in?',
      ),
    ).toBe('which regions can we host our data in?');
  });

  it('keeps every question of a message and their content clauses', () => {
    expect(
      focusQuestion('Hey. The webhook fired twice, is that expected? And how do I verify the signature?'),
    ).toBe('The webhook fired twice, is that expected? And how do I verify the signature?');
  });

  it('leaves a message without a question mark whole', () => {
    expect(focusQuestion('Hi, tell me the export limits')).toBe('Hi, tell me the export limits');
  });
});

describe('support: sentence-level meaning (issue #19, pattern 5)', () => {
  const passage = {
    title: 'Batch limits',
    heading: 'Limits',
    content:
      'Batches are accepted over HTTPS. A batch request may hold at most 500 events. Invalid events are reported per item.',
  };
  // A deterministic stand-in for the embedder's cosine: shared character trigrams (the agent uses the
  // reasoner's sentence model; this keeps the unit test fast and exact).
  const trigrams = (text: string) => {
    const clean = text.toLowerCase().replace(/[^a-z0-9 ]/g, '');
    return new Set(Array.from({ length: Math.max(0, clean.length - 2) }, (_, i) => clean.slice(i, i + 3)));
  };
  const similarity = async (query: string, texts: string[]) =>
    texts.map((text) => {
      const a = trigrams(query);
      const b = trigrams(text);
      const shared = [...a].filter((gram) => b.has(gram)).length;
      return shared / Math.sqrt(Math.max(1, a.size * b.size));
    });

  it('scores each quotable sentence and reports the best', async () => {
    const result = await support(passage, 'how many events can one batch request hold', similarity);
    expect(result.scores).toHaveLength(3);
    expect(result.best).toBe(result.scores[1]);
    expect(result.best).toBeGreaterThan(result.scores[0]!);
  });

  it('has no support without sentences', async () => {
    expect(await support({ ...passage, content: '' }, 'anything?', similarity)).toEqual({
      best: 0,
      scores: [],
    });
  });

  it('lets meaning pick the sentence the words alone miss', () => {
    const content =
      'Refunds go back to the original card. A confirmation email is sent when the refund is issued. Banks take 5-10 business days to show it on a statement.';
    const question = 'when will I actually see the money on my card';
    expect(extract(content, question, { sentences: 1 })).not.toContain('5-10 business days');
    expect(extract(content, question, { sentences: 1, semantic: [0.4, 0.3, 0.7] })).toContain(
      '5-10 business days',
    );
  });
});
