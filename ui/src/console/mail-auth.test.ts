import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { mailAuthLabel } from './mail-auth.ts';
import { MailAuthBadge } from './mail-auth-badge.tsx';

const verdict = (overrides: Record<string, unknown>) => ({
  channel: 'email',
  mail_auth: {
    dmarc: 'pass',
    spf: 'fail',
    dkim: 'pass',
    aligned: true,
    from_domain: 'brightpath.io',
    authentication_results: 'mx.lumen.example; dkim=pass header.d=brightpath.io; dmarc=pass',
    ...overrides,
  },
});

describe('mailAuthLabel', () => {
  it('shows an aligned DMARC pass with the domain it proves', () => {
    expect(mailAuthLabel('customer', verdict({}))).toEqual({
      text: 'DMARC pass (brightpath.io)',
      tone: 'badge-ok',
      detail: 'mx.lumen.example; dkim=pass header.d=brightpath.io; dmarc=pass',
    });
  });

  it('shows anything else as unauthenticated', () => {
    expect(mailAuthLabel('customer', verdict({ dmarc: 'fail', aligned: false }))).toMatchObject({
      text: 'Unauthenticated: DMARC fail',
      tone: 'badge-error',
    });
    expect(mailAuthLabel('customer', verdict({ dmarc: 'temperror', aligned: false }))).toMatchObject({
      text: 'Unauthenticated: DMARC temperror',
      tone: 'badge-warn',
    });
    expect(mailAuthLabel('customer', verdict({ aligned: false }))?.text).toBe(
      'Unauthenticated: DMARC pass, not aligned',
    );
    expect(mailAuthLabel('customer', { channel: 'email' })).toMatchObject({
      text: 'Unauthenticated: no verdict recorded',
    });
    expect(mailAuthLabel('customer', verdict({ dmarc: 'PASS!' }))?.tone).toBe('badge-warn');
  });

  it('says nothing about chat messages and our own replies', () => {
    expect(mailAuthLabel('customer', { channel: 'chat' })).toBeNull();
    expect(mailAuthLabel('customer', {})).toBeNull();
    expect(mailAuthLabel('agent', verdict({}))).toBeNull();
  });
});

describe('MailAuthBadge', () => {
  it('renders the verdict as a badge with the Authentication-Results as its tooltip', () => {
    const html = renderToStaticMarkup(
      createElement(MailAuthBadge, { role: 'customer', metadata: verdict({}) }),
    );
    expect(html).toBe(
      ' · <span class="badge badge-ok" title="mx.lumen.example; dkim=pass header.d=brightpath.io; dmarc=pass">DMARC pass (brightpath.io)</span>',
    );
    expect(renderToStaticMarkup(createElement(MailAuthBadge, { role: 'customer', metadata: {} }))).toBe('');
  });
});
