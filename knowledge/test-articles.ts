import type { RawDocument } from './documents.ts';

/** A small help center for integration tests: public and internal articles, Markdown, HTML and text. */
export const testArticles: RawDocument[] = [
  {
    source: 'reset-your-password.md',
    content: `---
slug: reset-your-password
title: Reset your password
category: account
tags: [account, login]
visibility: public
---

If you forgot your password, open the sign-in page and choose **Forgot password**. We email you a reset link that works for one hour.

## The reset link expired

Reset links expire after one hour. Request a new link from the sign-in page; only the newest link works.

## Workspaces with single sign-on

When your workspace uses SAML single sign-on, you sign in through your identity provider and cannot reset the password here. Ask your IT team.
`,
  },
  {
    source: 'refund-policy.md',
    content: `---
slug: refund-policy
title: Refund policy
category: billing
tags: [billing, refunds]
visibility: public
---

You can ask for a refund within 30 days of a charge. Refunds go back to the original card and take 5 to 10 business days to appear.

## Larger refunds

Refunds above $200 are reviewed by the billing team, usually within one business day.
`,
  },
  {
    source: 'refund-approval-process.md',
    content: `---
slug: refund-approval-process
title: Refund approval process (staff)
category: billing
tags: [billing, refunds, internal]
visibility: internal
---

Staff only. Refunds above $200 need approval from a billing team lead. Check the payment history and the customer's tier, then approve the pending action in the console.
`,
  },
  {
    source: 'api-rate-limits.html',
    content: `<html><head><title>API rate limits</title><meta name="visibility" content="public"><meta name="tags" content="api,limits"></head>
<body><h1>API rate limits</h1><p>The ingestion API accepts 1,000 requests per second per project. Above that it answers HTTP 429 with a Retry-After header.</p>
<script>trackVisitor()</script><h2>Raising the limit</h2><p>Enterprise plans can raise the rate limit on request.</p></body></html>`,
  },
  {
    source: 'support-hours.txt',
    content:
      'Support hours\n\nOur support team answers chat and email from 8:00 to 18:00 CET, Monday to Friday. Weekend messages are answered on Monday.',
    metadata: { visibility: 'public', tags: ['support'] },
  },
];
